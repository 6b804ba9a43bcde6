"""Reads for the counsellor on PostgreSQL: the rules and value types of ``storage.stats``.

Filters that are left out are NULLs matching everything, as on SQLite; each is cast so the
server knows its type even when it is NULL.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from storage.stats import (
    KEY_BYTES,
    PSEUDONYM_KEY,
    AnswerRecord,
    Filters,
    SessionRecord,
    WorkshopRecord,
    answers_from,
    sessions_from,
    tallies_from,
    workshops_from,
)

if TYPE_CHECKING:
    from storage.postgres.sessions import PostgresStore

_FILTERS = """
       ($1::double precision IS NULL OR {time} >= $1)
   AND ($2::text IS NULL OR s.dialog = $2)
   AND ($3::text IS NULL OR s.platform = $3)
"""
_SESSIONS = """
    SELECT s.id, s.platform, s."user", s.dialog, s.phase, a.distinction, a.choice
      FROM sessions AS s LEFT JOIN answers AS a ON a.session_id = s.id
     WHERE {filters}
     ORDER BY s.id, a.turn
""".format(filters=_FILTERS.format(time="s.updated_at"))
_ANSWERS = """
    SELECT s.platform, s."user", s.dialog, a.distinction, a.choice, a.answered_at
      FROM answers AS a JOIN sessions AS s ON s.id = a.session_id
     WHERE {filters}
     ORDER BY a.answered_at, s.id, a.turn
""".format(filters=_FILTERS.format(time="a.answered_at"))
_READ_SECRET = "SELECT value FROM secrets WHERE name = $1"
_MAKE_SECRET = "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
_WORKSHOPS = """
    SELECT w.id, w.platform, w.number, w.dialog, w.phase, w.opened_at, w.updated_at,
           (SELECT count(DISTINCT member) FROM workshop_votes WHERE workshop_id = w.id), w.language
      FROM workshops AS w
     WHERE ($1::bigint IS NULL OR w.id = $1)
     ORDER BY w.opened_at, w.id
"""
_WORKSHOP_OF = "SELECT id FROM workshops WHERE platform = $1 AND chat = $2 AND number = $3"
_TALLIES = """
    SELECT distinction, choice, count(*) FROM workshop_votes
     WHERE workshop_id = $1 GROUP BY distinction, choice
"""


NO_FILTERS = Filters()


def _params(filters: Filters) -> tuple[object, ...]:
    return (filters.since, filters.dialog, filters.platform)


class PostgresStats:
    def __init__(self, store: PostgresStore) -> None:
        self._store = store

    async def sessions(self, filters: Filters = NO_FILTERS) -> list[SessionRecord]:
        return sessions_from(await self._store.fetch(_SESSIONS, *_params(filters)))

    async def answers(self, filters: Filters = NO_FILTERS) -> list[AnswerRecord]:
        return answers_from(await self._store.fetch(_ANSWERS, *_params(filters)))

    async def pseudonym_key(self) -> bytes:
        """The export's HMAC key, made on first use; the first process to make it wins."""
        rows = await self._store.fetch(_READ_SECRET, PSEUDONYM_KEY)
        if not rows:
            async with self._store.transaction() as conn:
                await conn.execute(_MAKE_SECRET, PSEUDONYM_KEY, os.urandom(KEY_BYTES))
            rows = await self._store.fetch(_READ_SECRET, PSEUDONYM_KEY)
        return bytes(rows[0][0])

    async def workshops(self) -> list[WorkshopRecord]:
        return workshops_from(await self._store.fetch(_WORKSHOPS, None))

    async def workshop(self, workshop_id: int) -> WorkshopRecord | None:
        found = workshops_from(await self._store.fetch(_WORKSHOPS, workshop_id))
        return found[0] if found else None

    async def workshop_id(self, platform: str, chat: str, number: int) -> int | None:
        rows = await self._store.fetch(_WORKSHOP_OF, platform, chat, number)
        return int(rows[0][0]) if rows else None

    async def tallies(self, workshop_id: int) -> dict[str, dict[str, int]]:
        return tallies_from(await self._store.fetch(_TALLIES, workshop_id))
