"""The outbox: replies owed to a chat, stored in the same transaction as the turn that owes them.

Rules:
- A row is one message (or edit) an adapter rendered for a chat: ``payload`` is the
  platform's own JSON (its method and parameters); storage never reads it.
- Rows are written by the transaction that commits their turn (``SessionStore.commit_turn``
  inserts them with ``OWE``), so a committed turn always owes its replies and a turn that
  was not committed owes nothing.
- Order: ``id`` grows with every insert, so within one (platform, chat) the rows read back
  in the order they were owed. ``owed`` returns the needed rows first, oldest first, and
  then the courtesy rows, oldest first. An id is never reused,
  even once the outbox empties, so a sender holding an erased row (``holds`` says so) can
  never mistake a newer row for it.
- A row is *needed* (the person must see it) or a *courtesy* (an edit of an older message,
  such as marking an answered question, that the sender may skip when it has no room,
  see ``bot.outbox``). Storage only keeps the flag and orders by it.
- ``remove`` deletes a row once it is delivered or given up; removals are group committed
  (``storage.groupcommit``), so a busy sender costs a few transactions, not one per message.
- A row is owed to a person (``user``, the one whose turn owed it; '' for a group's
  workshop posts): ``/forget`` erases what is still owed to them with their answers.
- Receipts: a row may name itself (``receipt``, e.g. a workshop's question post). When the
  platform accepts it, the sender passes the platform's reference to the message it made
  (``Receipt``) to ``remove``, which notes it in the same transaction, under that name.
  Later rows that edit that message read it back with ``receipt`` just before they are
  delivered: the chat's order guarantees the named message was settled first.
- What is owed is also kept in memory (``Kept``), so a sender does not read back what a
  turn has just written: every change to the table is made with the connection's write
  lock held and, once committed, told to ``Kept`` while that lock is still held (a turn's
  rows with their ids, a removal, ``/forget``, retention). From the sender's first
  ``owed_chats`` on, a chat's rows are served from memory, except for the chats that were
  owed something when it started (left by the last run): those are read from the file,
  with the write lock held so that no change slips between the read and the memory, and
  kept from then on. Before that first call, and after ``close``, everything is read from
  the file. The file stays the durable copy: a restart delivers from it.
- The store shares the conversation store's connection and write lock
  (``OutboxStore.on(sessions)``); close it before the ``SessionStore``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiosqlite

from storage.groupcommit import GroupCommit

if TYPE_CHECKING:
    from storage.sessions import SessionStore

OWE = """
    INSERT INTO outbox (platform, chat, payload, created_at, user, receipt, courtesy)
    VALUES (?, ?, ?, ?, ?, ?, ?)
"""
_OWED = """
    SELECT id, chat, payload, created_at, receipt, courtesy, user FROM outbox
     WHERE platform = ? AND chat = ? ORDER BY courtesy, id LIMIT ?
"""
_OWED_CHATS = "SELECT chat FROM outbox WHERE platform = ? GROUP BY chat ORDER BY min(id)"
_EVERY_OWED_CHAT = "SELECT DISTINCT platform, chat FROM outbox"
# The id of a statement's last inserted row: rows inserted by one ``executemany`` of
# ``OWE`` get consecutive ids (one writer, and ids only grow), so it gives all of theirs.
LAST_ID = "SELECT last_insert_rowid()"
_REMOVE = "DELETE FROM outbox WHERE id = ?"
_COUNT = "SELECT count(*) FROM outbox WHERE platform = ?"
NOTE_RECEIPT = """
    INSERT INTO receipts (platform, name, reference, noted_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (platform, name) DO UPDATE SET reference = excluded.reference, noted_at = excluded.noted_at
"""
RECEIPT = "SELECT reference FROM receipts WHERE platform = ? AND name = ?"
_HOLDS = "SELECT 1 FROM outbox WHERE id = ?"


@dataclass(frozen=True, slots=True)
class Owed:
    """A message a turn owes: the chat (the ordering key) and what to send, as JSON text;
    ``receipt``: the name under which to note the platform's reference to it once sent;
    ``courtesy``: the sender may skip it when it has no room (see the module rules)."""

    chat: str
    payload: str
    receipt: str | None = None
    courtesy: bool = False

    def params(self, platform: str, user: str, now: float) -> tuple[object, ...]:
        """The row's parameters for ``OWE``, owed to ``user`` ('' for a group)."""
        return (platform, self.chat, self.payload, now, user, self.receipt, self.courtesy)


@dataclass(frozen=True, slots=True)
class OwedRow:
    """An owed message as stored: ``id`` orders it within its chat."""

    id: int
    chat: str
    payload: str
    created_at: float
    receipt: str | None = None
    courtesy: bool = False


@dataclass(frozen=True, slots=True)
class Receipt:
    """The platform's ``reference`` to a delivered message, to note under ``name``."""

    platform: str
    name: str
    reference: str


@dataclass(frozen=True, slots=True)
class _Removal:
    row_id: int
    receipt: Receipt | None


@dataclass(frozen=True, slots=True)
class _KeptRow:
    row: OwedRow
    platform: str
    user: str


Chat = tuple[str, str]  # (platform, chat)


class Kept:
    """What is owed, kept in memory as it is committed (see the module rules). Its methods
    are called with the connection's write lock held, right after the change committed."""

    def __init__(self) -> None:
        self.active = False  # from the sender's first ``owed_chats`` until ``close``
        self._rows: dict[Chat, dict[int, _KeptRow]] = {}  # only chats owed something
        self._chat_of: dict[int, Chat] = {}
        self._unread: set[Chat] = set()  # owed rows in the file that memory does not hold

    def begin(self, unread: Iterable[Chat]) -> None:
        """Keep from now on; ``unread``: the chats the file owes something now."""
        self.active = True
        self._unread = set(unread)

    def end(self) -> None:
        self.active = False
        self._rows, self._chat_of, self._unread = {}, {}, set()

    def knows(self, platform: str, chat: str) -> bool:
        """Whether memory holds every row owed to the chat."""
        return self.active and (platform, chat) not in self._unread

    def owed(self, platform: str, chat: str, limit: int) -> list[OwedRow]:
        kept = self._rows.get((platform, chat), {})
        rows = sorted((k.row for k in kept.values()), key=lambda row: (row.courtesy, row.id))
        return rows[:limit]

    def read(self, platform: str, chat: str, rows: list[tuple[OwedRow, str]], limit: int) -> None:
        """The chat's rows as just read from the file (with whom each is owed to): when
        they are all of them, memory keeps them and holds the chat from now on."""
        if len(rows) < limit and (platform, chat) in self._unread:
            self._unread.discard((platform, chat))
            for row, user in rows:
                self._keep(platform, user, row)

    def committed(self, owed: Iterable[tuple[str, str, Iterable[Owed]]], last_id: int, now: float) -> None:
        """Rows just committed, as (platform, user, rows) in the order they were inserted;
        ``last_id``: the last one's id."""
        rows = [(platform, user, o) for platform, user, each in owed for o in each]
        for offset, (platform, user, o) in enumerate(rows, start=last_id - len(rows) + 1):
            if (platform, o.chat) not in self._unread:  # else it is read with the others
                self._keep(platform, user, OwedRow(offset, o.chat, o.payload, now, o.receipt, o.courtesy))

    def holds(self, row_id: int) -> bool:
        return row_id in self._chat_of

    def removed(self, row_ids: Iterable[int]) -> None:
        for row_id in row_ids:
            chat = self._chat_of.pop(row_id, None)
            if chat is not None:
                self._drop(chat, row_id)

    def forgotten(self, platform: str, user: str) -> None:
        """Rows owed to ``user`` on ``platform`` erased from the file (``/forget``)."""
        self._erase(lambda kept: (kept.platform, kept.user) == (platform, user))

    def erased_before(self, cutoff: float) -> None:
        """Rows created before ``cutoff`` erased from the file (retention)."""
        self._erase(lambda kept: kept.row.created_at < cutoff)

    def _erase(self, erased: Callable[[_KeptRow], bool]) -> None:
        for row_id, chat in list(self._chat_of.items()):
            if erased(self._rows[chat][row_id]):
                del self._chat_of[row_id]
                self._drop(chat, row_id)

    def _keep(self, platform: str, user: str, row: OwedRow) -> None:
        self._rows.setdefault((platform, row.chat), {})[row.id] = _KeptRow(row, platform, user)
        self._chat_of[row.id] = (platform, row.chat)

    def _drop(self, chat: Chat, row_id: int) -> None:
        rows = self._rows[chat]
        del rows[row_id]
        if not rows:
            del self._rows[chat]


async def last_id_of(conn: aiosqlite.Connection) -> int:
    """The id of the last row inserted on ``conn`` (inside the transaction that did it)."""
    rows = await conn.execute_fetchall(LAST_ID)
    return next((int(row[0]) for row in rows), 0)


class OutboxStore:
    def __init__(
        self, conn: aiosqlite.Connection, write_lock: asyncio.Lock, kept: Kept | None = None
    ) -> None:
        self._conn = conn
        self._lock = write_lock
        self._kept = Kept() if kept is None else kept
        self._removals: GroupCommit[_Removal, None] = GroupCommit(
            write_lock, self._apply_removals, "careerbot-outbox"
        )

    @classmethod
    def on(cls, sessions: SessionStore) -> OutboxStore:
        """An outbox on the conversation store's connection (call inside the loop)."""
        return cls(sessions.connection, sessions.write_lock, sessions.kept)

    async def close(self) -> None:
        """Commit every removal already submitted; the connection stays open."""
        await self._removals.close()
        self._kept.end()

    @property
    def sweep_every(self) -> float | None:
        """None: one process owns the file, so nothing owed appears behind its back."""
        return None

    @property
    def batches(self) -> int:
        """How many removal transactions group commit has made."""
        return self._removals.batches

    async def owed(self, platform: str, chat: str, limit: int = 20) -> list[OwedRow]:
        """The oldest ``limit`` messages owed to ``chat``, in the order they were owed."""
        if self._kept.knows(platform, chat):
            return self._kept.owed(platform, chat, limit)
        if not self._kept.active:
            return [row for row, _ in await self._read(platform, chat, limit)]
        async with self._lock:  # no change between the read and what memory keeps of it
            rows = await self._read(platform, chat, limit)
            self._kept.read(platform, chat, rows, limit)
        return [row for row, _ in rows]

    async def _read(self, platform: str, chat: str, limit: int) -> list[tuple[OwedRow, str]]:
        rows = await self._conn.execute_fetchall(_OWED, (platform, chat, limit))
        return [
            (OwedRow(int(i), str(c), str(p), float(t), r, bool(k)), str(u)) for i, c, p, t, r, k, u in rows
        ]

    async def owed_chats(self, platform: str) -> list[str]:
        """Every chat that is owed something, the longest-waiting first. The first call
        starts keeping what is owed in memory (see the module rules)."""
        if not self._kept.active:
            async with self._lock:
                every = await self._conn.execute_fetchall(_EVERY_OWED_CHAT)
                self._kept.begin((str(p), str(c)) for p, c in every)
        rows = await self._conn.execute_fetchall(_OWED_CHATS, (platform,))
        return [str(row[0]) for row in rows]

    async def count(self, platform: str) -> int:
        rows = await self._conn.execute_fetchall(_COUNT, (platform,))
        return next((int(row[0]) for row in rows), 0)

    async def holds(self, row_id: int) -> bool:
        """Whether the row is still owed (not erased since it was read)."""
        return self._kept.holds(row_id) or bool(await self._conn.execute_fetchall(_HOLDS, (row_id,)))

    async def receipt(self, platform: str, name: str) -> str | None:
        """The platform's reference to the message noted as ``name``, if it was sent."""
        rows = await self._conn.execute_fetchall(RECEIPT, (platform, name))
        return next((str(row[0]) for row in rows), None)

    async def remove(self, row_id: int, receipt: Receipt | None = None) -> None:
        """Forget an owed message (delivered, or given up), noting ``receipt`` with it;
        returns once committed."""
        if not self._removals.closed:
            await self._removals.submit(_Removal(row_id, receipt))

    async def _apply_removals(self, removals: list[_Removal]) -> list[None]:
        conn = self._conn
        now = time.time()
        receipts = [(r.platform, r.name, r.reference, now) for r in (x.receipt for x in removals) if r]
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await conn.executemany(_REMOVE, [(removal.row_id,) for removal in removals])
            if receipts:
                await conn.executemany(NOTE_RECEIPT, receipts)
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
        self._kept.removed(removal.row_id for removal in removals)
        return [None] * len(removals)
