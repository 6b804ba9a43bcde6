"""Workshops on PostgreSQL: the rules of ``storage.workshops``, for several processes.

Rules (beyond those of the SQLite store):
- ``steer`` takes an advisory lock on the chat and the workshop's row ``FOR UPDATE``
  before it reads the tallies, so two facilitators' presses in two processes run one after
  the other, and no vote commits between the count and the reveal.
- A vote holds its round's row ``FOR SHARE`` while it is written: it waits for a reveal in
  flight, then finds the round closed (nothing recorded), or it commits before the reveal
  counts. A vote is an upsert on (workshop, distinction, member): the same press through
  two processes counts once.
- Votes are not group committed: each is its own short transaction on the pool.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from dialogs.workshop import RecordVote, WorkshopState
from storage.keys import WorkshopKey
from storage.postgres.outbox import NOTE_RECEIPT, RECEIPT
from storage.postgres.sessions import OWE, affected
from storage.sessions import StorageError
from storage.stats import tallies_from
from storage.workshops import NO_ROW, Decide, Row, TallyCounts, repaired, row_from, state_params

if TYPE_CHECKING:
    from storage.postgres.sessions import PostgresStore

T = TypeVar("T")

_COLUMNS = """
    id, number, dialog, facilitator, phase, position, distinction, done, content_version,
    content_hash, version, language
"""
_LOAD = f"SELECT {_COLUMNS} FROM workshops WHERE platform = $1 AND chat = $2 ORDER BY number DESC LIMIT 1"
_LOAD_FOR_UPDATE = _LOAD + " FOR UPDATE"
_LOCK_CHAT = "SELECT pg_advisory_xact_lock(hashtextextended('workshop ' || $1 || ' ' || $2, 0))"
_END_ACTIVE = """
    UPDATE workshops SET phase = 'ended', version = version + 1, updated_at = $1
     WHERE platform = $2 AND chat = $3 AND phase IN ('asking', 'revealed')
"""
_INSERT = """
    INSERT INTO workshops (platform, chat, number, dialog, facilitator, phase, position,
                           distinction, done, content_version, content_hash, language, version,
                           opened_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $14)
"""
_UPDATE = """
    UPDATE workshops
       SET facilitator = $1, phase = $2, position = $3, distinction = $4, done = $5, content_version = $6,
           content_hash = $7, version = version + 1, updated_at = $8
     WHERE id = $9 AND version = $10
"""
_REPAIR = """
    UPDATE workshops
       SET phase = $1, position = $2, distinction = $3, done = $4, content_version = $5, content_hash = $6,
           number = $7, version = $8, updated_at = $9
     WHERE id = $10
"""
_WORKSHOP_ID = "SELECT id FROM workshops WHERE platform = $1 AND chat = $2 AND number = $3"
_OPEN_ROUND = _WORKSHOP_ID + " AND phase = 'asking' AND position = $4 FOR SHARE"
_RECORD_VOTE = """
    INSERT INTO workshop_votes (workshop_id, distinction, member, choice, voted_at)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (workshop_id, distinction, member)
    DO UPDATE SET choice = excluded.choice, voted_at = excluded.voted_at
"""
_VOTERS = "SELECT count(*) FROM workshop_votes WHERE workshop_id = $1 AND distinction = $2"
_TALLIES = """
    SELECT distinction, choice, count(*) FROM workshop_votes
     WHERE workshop_id = $1 GROUP BY distinction, choice
"""
_MEMBER_VOTES = f"""
    SELECT distinction, choice FROM workshop_votes
     WHERE workshop_id = ({_WORKSHOP_ID}) AND member = $4
"""
_DIALOG_OF = "SELECT dialog FROM workshops WHERE platform = $1 AND chat = $2 AND number = $3"
_FACILITATOR_OF = "SELECT facilitator FROM workshops WHERE platform = $1 AND chat = $2 AND number = $3"
_FORGET_VOTES = """
    DELETE FROM workshop_votes
     WHERE member = $1 AND workshop_id IN (SELECT id FROM workshops WHERE platform = $2)
"""
_FORGET_FACILITATOR = "UPDATE workshops SET facilitator = '' WHERE platform = $1 AND facilitator = $2"


class PostgresWorkshops:
    def __init__(self, sessions: PostgresStore, clock: Callable[[], float] = time.time) -> None:
        self.sessions = sessions
        self._clock = clock
        self._commits = 0

    async def close(self) -> None:
        """Nothing is held in memory: every vote commits before ``record_vote`` returns."""

    @property
    def batches(self) -> int:
        """How many vote transactions have committed."""
        return self._commits

    # --- reads --------------------------------------------------------------------------

    async def load(self, key: WorkshopKey) -> WorkshopState:
        rows = await self.sessions.fetch(_LOAD, key.platform, key.chat)
        return row_from(tuple(rows[0])).state if rows else WorkshopState()

    async def tallies(self, key: WorkshopKey, number: int) -> TallyCounts:
        rows = await self.sessions.fetch(_WORKSHOP_ID, key.platform, key.chat, number)
        return tallies_from(await self.sessions.fetch(_TALLIES, int(rows[0][0]))) if rows else {}

    async def member_votes(self, key: WorkshopKey, number: int, member: str) -> dict[str, str]:
        rows = await self.sessions.fetch(_MEMBER_VOTES, key.platform, key.chat, number, member)
        return {str(d): str(c) for d, c in rows}

    async def dialog_of(self, key: WorkshopKey, number: int) -> str | None:
        return await self._text(_DIALOG_OF, key, number)

    async def facilitator_of(self, key: WorkshopKey, number: int) -> str | None:
        return await self._text(_FACILITATOR_OF, key, number)

    async def message(self, key: WorkshopKey, number: int, distinction: str) -> str | None:
        rows = await self.sessions.fetch(RECEIPT, key.platform, key.question_post(number, distinction))
        return str(rows[0][0]) if rows else None

    # --- writes -------------------------------------------------------------------------

    async def steer(self, key: WorkshopKey, decide: Decide[T]) -> T:
        async with self.sessions.transaction() as conn:
            await conn.execute(_LOCK_CHAT, key.platform, key.chat)
            rows = await conn.fetch(_LOAD_FOR_UPDATE, key.platform, key.chat)
            row = row_from(tuple(rows[0])) if rows else NO_ROW
            tallies = await self._tallies(conn, row.id) if row.id else {}
            new, result, owed = decide(row.state, tallies)
            if new != row.state:
                await self._save(conn, key, row, new)
            if owed:
                await conn.executemany(OWE, [o.params(key.platform, "", self._clock()) for o in owed])
        return result

    async def record_vote(self, key: WorkshopKey, vote: RecordVote) -> int | None:
        async with self.sessions.transaction() as conn:
            workshop_id = await conn.fetchval(
                _OPEN_ROUND, key.platform, key.chat, vote.workshop, vote.position
            )
            if workshop_id is None:
                return None
            await conn.execute(
                _RECORD_VOTE, workshop_id, vote.distinction, vote.member, vote.choice, self._clock()
            )
            voters = int(await conn.fetchval(_VOTERS, workshop_id, vote.distinction))
        self._commits += 1
        return voters

    async def remember_message(self, key: WorkshopKey, number: int, distinction: str, message: str) -> None:
        async with self.sessions.transaction() as conn:
            params = (key.platform, key.question_post(number, distinction), message, self._clock())
            await conn.execute(NOTE_RECEIPT, *params)

    async def forget_member(self, platform: str, user: str) -> int:
        async with self.sessions.transaction() as conn:
            erased = affected(await conn.execute(_FORGET_VOTES, user, platform))
            await conn.execute(_FORGET_FACILITATOR, platform, user)
        return erased

    # --- internals ----------------------------------------------------------------------

    async def _text(self, sql: str, key: WorkshopKey, number: int) -> str | None:
        rows = await self.sessions.fetch(sql, key.platform, key.chat, number)
        return next((str(r[0]) for r in rows if r[0] is not None), None)

    @staticmethod
    async def _tallies(conn: Any, workshop_id: int) -> TallyCounts:
        return tallies_from(await conn.fetch(_TALLIES, workshop_id))

    async def _save(self, conn: Any, key: WorkshopKey, row: Row, new: WorkshopState) -> None:
        now = self._clock()
        if row.state.damaged:
            # A damaged row (``storage.workshops.row_from``), held FOR UPDATE: written over.
            row = repaired(row)
            await conn.execute(_REPAIR, *state_params(row.state), row.state.number, row.version, now, row.id)
            if new == row.state:
                return
        s = new
        if s.number != row.state.number:
            await conn.execute(_END_ACTIVE, now, key.platform, key.chat)
            params = (key.platform, key.chat, s.number, s.dialog, s.facilitator, *state_params(s))
            await conn.execute(_INSERT, *params, s.language, now, now)
            return
        status = await conn.execute(_UPDATE, s.facilitator, *state_params(s), now, row.id, row.version)
        if affected(status) != 1:
            raise StorageError(
                f"workshop {s.number} in {key.platform}/{key.chat} was changed by another writer"
            )
