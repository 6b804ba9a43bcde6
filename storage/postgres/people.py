"""What is stored about one person (``/mydata``), and erasing what is too old, on PostgreSQL.

Rules: those of ``storage.mydata`` and ``storage.retention``, in one module because both
read a person's rows across every table; the results are the same value types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.mydata import PersonData, assemble
from storage.postgres.sessions import affected
from storage.retention import Erased

if TYPE_CHECKING:
    from storage.postgres.sessions import PostgresStore

_SESSIONS = """
    SELECT s.id, s.chat, s.dialog, s.phase, s.updated_at, a.distinction, a.choice, a.answered_at
      FROM sessions AS s LEFT JOIN answers AS a ON a.session_id = s.id
     WHERE s.platform = $1 AND s."user" = $2
     ORDER BY s.updated_at, s.id, a.turn
"""
_VOTES = """
    SELECT w.chat, w.number, w.dialog, v.distinction, v.choice, v.voted_at
      FROM workshop_votes AS v JOIN workshops AS w ON w.id = v.workshop_id
     WHERE w.platform = $1 AND v.member = $2
     ORDER BY v.voted_at, w.id, v.distinction
"""
_LED = """
    SELECT chat, number, dialog, opened_at FROM workshops
     WHERE platform = $1 AND facilitator = $2 ORDER BY opened_at, id
"""
_OLD_ANSWERS = """
    SELECT count(*) FROM answers WHERE session_id IN (SELECT id FROM sessions WHERE updated_at < $1)
"""
_ERASE_SESSIONS = "DELETE FROM sessions WHERE updated_at < $1"
_ERASE_VOTES = "DELETE FROM workshop_votes WHERE voted_at < $1"
_ERASE_OWED = "DELETE FROM outbox WHERE created_at < $1"
_ERASE_LANGUAGES = "DELETE FROM languages WHERE chosen_at < $1"
_ERASE_RECEIPTS = "DELETE FROM receipts WHERE noted_at < $1"
_ERASE_WORKSHOPS = """
    DELETE FROM workshops
     WHERE updated_at < $1
       AND NOT EXISTS (SELECT 1 FROM workshop_votes WHERE workshop_id = workshops.id)
"""


async def person_data(store: PostgresStore, platform: str, user: str) -> PersonData:
    return assemble(
        await store.fetch(_SESSIONS, platform, user),
        await store.fetch(_VOTES, platform, user),
        await store.fetch(_LED, platform, user),
    )


async def erase_older_than(store: PostgresStore, cutoff: float) -> Erased:
    async with store.transaction() as conn:
        answers = int(await conn.fetchval(_OLD_ANSWERS, cutoff))
        sessions = affected(await conn.execute(_ERASE_SESSIONS, cutoff))
        votes = affected(await conn.execute(_ERASE_VOTES, cutoff))
        workshops = affected(await conn.execute(_ERASE_WORKSHOPS, cutoff))
        owed = affected(await conn.execute(_ERASE_OWED, cutoff))
        await conn.execute(_ERASE_LANGUAGES, cutoff)
        await conn.execute(_ERASE_RECEIPTS, cutoff)
    return Erased(sessions, answers, workshops, votes, owed)
