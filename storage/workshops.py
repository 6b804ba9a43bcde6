"""SQLite storage for workshops: the shared state per chat, and the members' votes.

Rules:
- The store shares the conversation store's single aiosqlite connection and holds its
  ``write_lock`` around every transaction (``WorkshopStore.on(sessions)``). Close it before
  the ``SessionStore``: ``close()`` writes every vote already submitted.
- One row per workshop, keyed (platform, chat, number); ``number`` grows by one for each
  workshop opened in a chat. A partial unique index allows at most one active (asking or
  revealed) workshop per chat, and opening the next one ends the previous in the same
  transaction.
- One vote row per (workshop, distinction, member), upserted: the last press wins and
  nobody is counted twice.
- Votes are group-committed (``storage.groupcommit``): a burst of presses shares a few
  transactions, and each ``record_vote`` returns only after its commit. Inside that
  transaction the vote's round is checked against the stored state (same workshop number,
  same position, phase asking), so a vote that loses the race with a reveal records
  nothing. A vote reads no tally: it returns only the count of voters on its question.
- Facilitator actions go through ``steer``: in one ``BEGIN IMMEDIATE`` transaction it loads
  the state and the tallies (``SELECT ... GROUP BY``), lets the caller decide the new state
  with the pure engine, and saves it. Votes cannot slip in between the count and the
  reveal, because both hold the write lock.
- ``forget_member`` erases a person's votes on a platform and their name as facilitator.
- A row that does not decode (a phase that is not a phase, ``done`` that is not a JSON list
  of ids, a field that is not a whole number) is not an error for the caller: it reads as
  an ended workshop with ``damaged`` saying why (``row_from``), so the chat is never stuck.
  The next steer writes that ended state over the row (holding it, whatever its version),
  and a new ``/workshop`` opens the next number as usual.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from dialogs.workshop import RecordVote, WorkshopPhase, WorkshopState
from storage.groupcommit import GroupCommit
from storage.keys import WorkshopKey
from storage.outbox import NOTE_RECEIPT, OWE, RECEIPT, Owed, last_id_of
from storage.sessions import SessionStore, StorageError, undecodable, whole
from storage.stats import tallies_from

T = TypeVar("T")
TallyCounts = dict[str, dict[str, int]]  # distinction id -> choice id -> votes
# A steer's decision: the new state, what to return, and the group posts it owes.
Decide = Callable[[WorkshopState, TallyCounts], tuple[WorkshopState, T, tuple[Owed, ...]]]

# The latest workshop is the highest number; a number that is not a whole number (a
# damaged row, which SQLite sorts above every number) only when the chat has no other.
_LATEST_FIRST = "typeof(number) = 'integer' DESC, number DESC"
_LOAD = f"""
    SELECT id, number, dialog, facilitator, phase, position, distinction, done, content_version,
           content_hash, version, language FROM workshops
     WHERE platform = ? AND chat = ? ORDER BY {_LATEST_FIRST} LIMIT 1
"""
_END_ACTIVE = """
    UPDATE workshops SET phase = 'ended', version = version + 1, updated_at = ?
     WHERE platform = ? AND chat = ? AND phase IN ('asking', 'revealed')
"""
_INSERT = """
    INSERT INTO workshops (platform, chat, number, dialog, facilitator, phase, position,
                           distinction, done, content_version, content_hash, language, version,
                           opened_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
"""
_UPDATE = """
    UPDATE workshops
       SET facilitator = ?, phase = ?, position = ?, distinction = ?, done = ?, content_version = ?,
           content_hash = ?, version = version + 1, updated_at = ?
     WHERE id = ? AND version = ?
"""
# A damaged row (``row_from``) made readable: the ended state the engine was shown.
_REPAIR = """
    UPDATE workshops
       SET phase = ?, position = ?, distinction = ?, done = ?, content_version = ?, content_hash = ?,
           number = ?, version = ?, updated_at = ?
     WHERE id = ?
"""
_WORKSHOP_ID = "SELECT id FROM workshops WHERE platform = ? AND chat = ? AND number = ?"
_OPEN_ROUND = _WORKSHOP_ID + " AND phase = 'asking' AND position = ?"
_RECORD_VOTE = """
    INSERT INTO workshop_votes (workshop_id, distinction, member, choice, voted_at)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (workshop_id, distinction, member)
    DO UPDATE SET choice = excluded.choice, voted_at = excluded.voted_at
"""
_VOTERS = "SELECT count(*) FROM workshop_votes WHERE workshop_id = ? AND distinction = ?"
_TALLIES = """
    SELECT distinction, choice, count(*) FROM workshop_votes
     WHERE workshop_id = ? GROUP BY distinction, choice
"""
_MEMBER_VOTES = f"""
    SELECT distinction, choice FROM workshop_votes
     WHERE workshop_id = ({_WORKSHOP_ID}) AND member = ?
"""
# Each chat's latest workshop: the one a step there would load (``_LOAD``).
_LATEST = f"""
    SELECT id, number, dialog, facilitator, phase, position, distinction, done, content_version,
           content_hash, version, language
      FROM (SELECT *, row_number() OVER (PARTITION BY platform, chat ORDER BY {_LATEST_FIRST}) AS nth
              FROM workshops)
     WHERE nth = 1
"""
_DIALOG_OF = "SELECT dialog FROM workshops WHERE platform = ? AND chat = ? AND number = ?"
_FACILITATOR_OF = "SELECT facilitator FROM workshops WHERE platform = ? AND chat = ? AND number = ?"
_FORGET_VOTES = """
    DELETE FROM workshop_votes
     WHERE member = ? AND workshop_id IN (SELECT id FROM workshops WHERE platform = ?)
"""
_FORGET_FACILITATOR = "UPDATE workshops SET facilitator = '' WHERE platform = ? AND facilitator = ?"


@dataclass(frozen=True, slots=True)
class Row:
    id: int  # 0: no workshop stored for the chat yet
    state: WorkshopState
    version: int


@dataclass(frozen=True, slots=True)
class _PendingVote:
    key: WorkshopKey
    vote: RecordVote


_PHASES = frozenset(phase.value for phase in WorkshopPhase if phase is not WorkshopPhase.NONE)


def _ids(done: object) -> tuple[str, ...] | None:
    """The questions asked before the current one, or None when ``done`` is no JSON list of ids."""
    try:
        ids = json.loads(done) if isinstance(done, str) else None
    except ValueError:
        return None
    if not isinstance(ids, list) or not all(isinstance(d, str) for d in ids):
        return None
    return tuple(ids)


def row_from(row: Any) -> Row:
    """A stored workshop; one that does not decode reads as ended, ``damaged`` saying why."""
    (
        workshop_id,
        number,
        dialog,
        facilitator,
        phase,
        position,
        current,
        done,
        content_version,
        stamp,
        version,
        language,
    ) = row
    asked = _ids(done)
    numbers = {
        "number": number,
        "position": position,
        "content_version": content_version,
        "version": version,
    }
    problem = undecodable(phase, _PHASES, numbers, {"distinction": current, "content_hash": stamp})
    if problem is None and asked is None:
        problem = f"done {done!r} is not a JSON list of question ids"
    if problem is None:
        state = WorkshopState(
            number,
            dialog,
            facilitator,
            WorkshopPhase(phase),
            position,
            current,
            asked or (),
            content_version,
            stamp,
            str(language),
        )
        return Row(workshop_id, state, version)
    # What can be read is kept (the number above all: the next workshop takes the one
    # after it; an unreadable number is only loaded in a chat with no other, so 0 is free);
    # the rest reads blank, and the workshop as ended.
    readable = {name: value if whole(value) else 0 for name, value in numbers.items()}
    state = WorkshopState(
        readable["number"],
        str(dialog),
        str(facilitator),
        WorkshopPhase.ENDED,
        readable["position"],
        current if isinstance(current, str) else "",
        asked or (),
        readable["content_version"],
        stamp if isinstance(stamp, str) else "",
        str(language),
        damaged=problem,
    )
    return Row(workshop_id, state, readable["version"])


def state_params(s: WorkshopState) -> tuple[object, ...]:
    done = json.dumps(s.done, separators=(",", ":"))
    return (s.phase.value, s.position, s.distinction, done, s.content_version, s.content_hash)


def read_latest(conn: sqlite3.Connection) -> list[WorkshopState]:
    """Each chat's latest workshop (running, ended or damaged), as a step there would read
    it; on a plain ``sqlite3`` connection, for read-only reports."""
    return [row_from(row).state for row in conn.execute(_LATEST)]


def repaired(row: Row) -> Row:
    """A damaged row as ``_REPAIR`` leaves it: the ended state it reads as, a version on."""
    return Row(row.id, replace(row.state, damaged=""), row.version + 1)


NO_ROW = Row(0, WorkshopState(), 0)


class WorkshopStore:
    def __init__(self, sessions: SessionStore, clock: Callable[[], float] = time.time) -> None:
        self.sessions = sessions  # whose connection, write lock and dialog structures it shares
        self._conn = sessions.connection
        self._lock = write_lock = sessions.write_lock
        self._clock = clock
        self._votes: GroupCommit[_PendingVote, int | None] = GroupCommit(
            write_lock, self._apply_votes, "careerbot-votes"
        )

    @classmethod
    def on(cls, sessions: SessionStore, clock: Callable[[], float] = time.time) -> WorkshopStore:
        """A workshop store on the conversation store's connection (call inside the loop)."""
        return cls(sessions, clock)

    async def close(self) -> None:
        """Commit every vote already submitted; the connection stays open."""
        await self._votes.close()

    @property
    def batches(self) -> int:
        """How many vote transactions group commit has made."""
        return self._votes.batches

    # --- reads --------------------------------------------------------------------------

    async def load(self, key: WorkshopKey) -> WorkshopState:
        """The chat's latest workshop, or ``WorkshopState()`` (phase none) if it never had one."""
        return (await self._load_row(key)).state

    async def tallies(self, key: WorkshopKey, number: int) -> TallyCounts:
        rows = await self._conn.execute_fetchall(_WORKSHOP_ID, (key.platform, key.chat, number))
        workshop_id = next((int(r[0]) for r in rows), 0)
        return await self._tallies(workshop_id) if workshop_id else {}

    async def member_votes(self, key: WorkshopKey, number: int, member: str) -> dict[str, str]:
        """One member's votes in one workshop: distinction id -> choice id."""
        rows = await self._conn.execute_fetchall(_MEMBER_VOTES, (key.platform, key.chat, number, member))
        return {str(d): str(c) for d, c in rows}

    async def dialog_of(self, key: WorkshopKey, number: int) -> str | None:
        """The dialog id workshop ``number`` ran on, or None if there is no such workshop."""
        rows = await self._conn.execute_fetchall(_DIALOG_OF, (key.platform, key.chat, number))
        return next((str(r[0]) for r in rows), None)

    async def facilitator_of(self, key: WorkshopKey, number: int) -> str | None:
        """Who facilitated workshop ``number`` ('' once they asked to be forgotten)."""
        rows = await self._conn.execute_fetchall(_FACILITATOR_OF, (key.platform, key.chat, number))
        return next((str(r[0]) for r in rows), None)

    async def message(self, key: WorkshopKey, number: int, distinction: str) -> str | None:
        """The adapter's reference to the workshop's public question message, if remembered
        (or noted by the outbox when it delivered the post)."""
        rows = await self._conn.execute_fetchall(
            RECEIPT, (key.platform, key.question_post(number, distinction))
        )
        return next((str(r[0]) for r in rows), None)

    # --- writes -------------------------------------------------------------------------

    async def steer(self, key: WorkshopKey, decide: Decide[T]) -> T:
        """Load the state and tallies, ``decide`` the new state, save it with the group posts
        it owes (the outbox, owed to nobody in particular); one transaction.

        ``decide`` must be pure and quick (it runs with the write lock held): the service
        passes the workshop engine's ``step`` and the adapter's rendering. Returns what
        ``decide`` returned beside the state and the posts.
        """
        conn = self._conn
        async with self._lock:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                row = await self._load_row(key)
                tallies = await self._tallies(row.id) if row.id else {}
                new, result, owed = decide(row.state, tallies)
                if new != row.state:
                    await self._save(key, row, new)
                now = self._clock()
                if owed:
                    await conn.executemany(OWE, [o.params(key.platform, "", now) for o in owed])
                kept = bool(owed) and self.sessions.kept.active
                last_id = await last_id_of(conn) if kept else 0
                await conn.commit()
            except BaseException:
                await conn.rollback()
                raise
            if kept:  # handed to the sender in memory (``storage.outbox``)
                self.sessions.kept.committed([(key.platform, "", owed)], last_id, now)
        return result

    async def record_vote(self, key: WorkshopKey, vote: RecordVote) -> int | None:
        """Store a vote (last press wins) once committed; returns how many members have
        answered that question, or None when its round had closed (nothing recorded)."""
        if self._votes.closed:
            raise StorageError("the database is closed")
        return await self._votes.submit(_PendingVote(key, vote))

    async def remember_message(self, key: WorkshopKey, number: int, distinction: str, message: str) -> None:
        """Note the reference to a question post directly, as the outbox does when it
        delivers one (``Receipt``); for a post sent outside the outbox."""
        params = (key.platform, key.question_post(number, distinction), message, self._clock())
        await self._write(NOTE_RECEIPT, params)

    async def forget_member(self, platform: str, user: str) -> int:
        """Erase every vote of ``user`` on ``platform`` and their name as facilitator;
        returns how many votes were erased."""
        conn = self._conn
        async with self._lock:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = await conn.execute(_FORGET_VOTES, (user, platform))
                erased = cursor.rowcount
                await conn.execute(_FORGET_FACILITATOR, (platform, user))
                await conn.commit()
            except BaseException:
                await conn.rollback()
                raise
        return erased

    # --- internals ----------------------------------------------------------------------

    async def _load_row(self, key: WorkshopKey) -> Row:
        rows = await self._conn.execute_fetchall(_LOAD, (key.platform, key.chat))
        return next((row_from(r) for r in rows), NO_ROW)

    async def _tallies(self, workshop_id: int) -> TallyCounts:
        return tallies_from(await self._conn.execute_fetchall(_TALLIES, (workshop_id,)))

    async def _save(self, key: WorkshopKey, row: Row, new: WorkshopState) -> None:
        now = self._clock()
        if row.state.damaged:
            # The steer holds the row (write lock): no version to compare, it may be unreadable.
            row = repaired(row)
            params = (*state_params(row.state), row.state.number, row.version, now, row.id)
            await self._conn.execute(_REPAIR, params)
            if new == row.state:
                return
        s = new
        if s.number != row.state.number:
            # A new workshop: end whichever is active first, so the one-active index holds.
            await self._conn.execute(_END_ACTIVE, (now, key.platform, key.chat))
            params = (key.platform, key.chat, s.number, s.dialog, s.facilitator, *state_params(s))
            await self._conn.execute(_INSERT, (*params, s.language, now, now))
            return
        cursor = await self._conn.execute(
            _UPDATE, (s.facilitator, *state_params(s), now, row.id, row.version)
        )
        if cursor.rowcount != 1:
            # Only another process on the same file could cause this; refuse to guess.
            raise StorageError(
                f"workshop {s.number} in {key.platform}/{key.chat} was changed by another writer"
            )

    async def _write(self, sql: str, params: tuple[object, ...]) -> None:
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                await self._conn.execute(sql, params)
                await self._conn.commit()
            except BaseException:
                await self._conn.rollback()
                raise

    async def _apply_votes(self, pending: list[_PendingVote]) -> list[int | None]:
        """Write a batch of votes in one transaction (runs with the write lock held)."""
        conn = self._conn
        now = self._clock()
        await conn.execute("BEGIN IMMEDIATE")
        try:
            # The round check is one small query per distinct question in the batch
            # (usually one), not one per vote.
            open_rounds: dict[tuple[str, str, int, int], int | None] = {}
            for p in pending:
                round_key = (p.key.platform, p.key.chat, p.vote.workshop, p.vote.position)
                if round_key not in open_rounds:
                    rows = await conn.execute_fetchall(_OPEN_ROUND, round_key)
                    open_rounds[round_key] = next((int(r[0]) for r in rows), None)
            ids = [
                open_rounds[(p.key.platform, p.key.chat, p.vote.workshop, p.vote.position)] for p in pending
            ]
            records = [
                (workshop_id, p.vote.distinction, p.vote.member, p.vote.choice, now)
                for p, workshop_id in zip(pending, ids, strict=True)
                if workshop_id is not None
            ]
            voters: dict[tuple[int, str], int] = {}
            if records:
                await conn.executemany(_RECORD_VOTE, records)
                for workshop_id, distinction, *_ in records:
                    if (workshop_id, distinction) not in voters:
                        rows = await conn.execute_fetchall(_VOTERS, (workshop_id, distinction))
                        voters[(workshop_id, distinction)] = next((int(r[0]) for r in rows), 0)
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
        return [
            None if workshop_id is None else voters[(workshop_id, p.vote.distinction)]
            for p, workshop_id in zip(pending, ids, strict=True)
        ]
