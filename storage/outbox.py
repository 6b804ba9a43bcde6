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
- The store shares the conversation store's connection and write lock
  (``OutboxStore.on(sessions)``); close it before the ``SessionStore``.
"""

from __future__ import annotations

import asyncio
import time
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
    SELECT id, chat, payload, created_at, receipt, courtesy FROM outbox
     WHERE platform = ? AND chat = ? ORDER BY courtesy, id LIMIT ?
"""
_OWED_CHATS = "SELECT chat FROM outbox WHERE platform = ? GROUP BY chat ORDER BY min(id)"
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


class OutboxStore:
    def __init__(self, conn: aiosqlite.Connection, write_lock: asyncio.Lock) -> None:
        self._conn = conn
        self._lock = write_lock
        self._removals: GroupCommit[_Removal, None] = GroupCommit(
            write_lock, self._apply_removals, "careerbot-outbox"
        )

    @classmethod
    def on(cls, sessions: SessionStore) -> OutboxStore:
        """An outbox on the conversation store's connection (call inside the loop)."""
        return cls(sessions.connection, sessions.write_lock)

    async def close(self) -> None:
        """Commit every removal already submitted; the connection stays open."""
        await self._removals.close()

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
        rows = await self._conn.execute_fetchall(_OWED, (platform, chat, limit))
        return [OwedRow(int(i), str(c), str(p), float(t), r, bool(k)) for i, c, p, t, r, k in rows]

    async def owed_chats(self, platform: str) -> list[str]:
        """Every chat that is owed something, the longest-waiting first."""
        rows = await self._conn.execute_fetchall(_OWED_CHATS, (platform,))
        return [str(row[0]) for row in rows]

    async def count(self, platform: str) -> int:
        rows = await self._conn.execute_fetchall(_COUNT, (platform,))
        return next((int(row[0]) for row in rows), 0)

    async def holds(self, row_id: int) -> bool:
        """Whether the row is still owed (not erased since it was read)."""
        return bool(await self._conn.execute_fetchall(_HOLDS, (row_id,)))

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
        return [None] * len(removals)
