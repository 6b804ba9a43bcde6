"""Reads for the counsellor: what people answered, for statistics, exports and reports.

Rules:
- Read-only, except ``pseudonym_key``, which makes the export's key once. Every query here
  reads the sessions and answers tables by the columns that identify a conversation and an
  answer (platform, user, dialog, phase, updated_at; distinction, choice, answered_at),
  never by how far a conversation has got.
- A ``SessionRecord`` carries who it belongs to (``person``) only so that a person with two
  conversations is counted once; callers aggregate and never show it
  (``dialogs.stats``), and the export shows only a keyed hash of it (``bot.export``).
- Filters are optional and all apply together: ``since`` (a Unix time: sessions touched, or
  answers given, at or after it), ``dialog`` and ``platform``. The SQL is fixed; a filter
  left out is a NULL that matches everything.
- The pseudonym key is 32 random bytes kept in the ``secrets`` table, made by the first
  export and the same for every export after it; it never leaves the database but as the
  HMAC it keys. Erasing the database (or that row) starts new pseudonyms.
- Workshops are listed with how many members voted in each; a workshop's tallies are the
  vote counts per distinction and choice. A workshop row whose number or times are not
  numbers (damaged by hand or by a bug; SQLite keeps whatever was written) is left out of
  the listing and of ``workshop``, rather than stop every report.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.sessions import SessionStore, real, whole

TallyCounts = Mapping[str, Mapping[str, int]]  # distinction id -> choice id -> votes

PSEUDONYM_KEY = "pseudonym-key"
KEY_BYTES = 32

_FILTERS = """
       (:since IS NULL OR {time} >= :since)
   AND (:dialog IS NULL OR s.dialog = :dialog)
   AND (:platform IS NULL OR s.platform = :platform)
"""
_SESSIONS = """
    SELECT s.id, s.platform, s.user, s.dialog, s.phase, a.distinction, a.choice
      FROM sessions AS s LEFT JOIN answers AS a ON a.session_id = s.id
     WHERE {filters}
     ORDER BY s.id, a.turn
""".format(filters=_FILTERS.format(time="s.updated_at"))
_ANSWERS = """
    SELECT s.platform, s.user, s.dialog, a.distinction, a.choice, a.answered_at
      FROM answers AS a JOIN sessions AS s ON s.id = a.session_id
     WHERE {filters}
     ORDER BY a.answered_at, s.id, a.turn
""".format(filters=_FILTERS.format(time="a.answered_at"))
_READ_SECRET = "SELECT value FROM secrets WHERE name = ?"
_MAKE_SECRET = "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"
_WORKSHOPS = """
    SELECT w.id, w.platform, w.number, w.dialog, w.phase, w.opened_at, w.updated_at,
           (SELECT count(DISTINCT member) FROM workshop_votes WHERE workshop_id = w.id), w.language
      FROM workshops AS w
     WHERE (:id IS NULL OR w.id = :id)
     ORDER BY w.opened_at, w.id
"""
_WORKSHOP_OF = """
    SELECT id FROM workshops WHERE platform = ? AND chat = ? AND number = ?
"""
_TALLIES = """
    SELECT distinction, choice, count(*) FROM workshop_votes
     WHERE workshop_id = ? GROUP BY distinction, choice
"""


@dataclass(frozen=True, slots=True)
class Filters:
    since: float | None = None
    dialog: str | None = None
    platform: str | None = None

    def params(self) -> dict[str, object]:
        return {"since": self.since, "dialog": self.dialog, "platform": self.platform}


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One conversation: its answers as (distinction, choice or None when skipped)."""

    person: tuple[str, str]  # (platform, user): to count people once; never shown
    dialog: str
    phase: str
    answers: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    platform: str
    user: str
    dialog: str
    distinction: str
    choice: str | None
    answered_at: float


@dataclass(frozen=True, slots=True)
class WorkshopRecord:
    id: int  # the database's id: what ``careerbot report`` takes
    platform: str
    number: int
    dialog: str
    phase: str
    opened_at: float
    updated_at: float
    participants: int  # members who voted at least once
    language: str = ""  # the language the workshop spoke; "" for the default


Rows = Iterable[Sequence[Any]]


def sessions_from(rows: Rows) -> list[SessionRecord]:
    """Records from the rows of the sessions query (one row per answer, in session order)."""
    records: list[SessionRecord] = []
    current: object = None
    answers: list[tuple[str, str | None]] = []
    head: tuple[tuple[str, str], str, str] | None = None
    for row in rows:
        session_id, platform, user, dialog, phase, distinction, choice = row
        if session_id != current:
            if head is not None:
                records.append(SessionRecord(*head, tuple(answers)))
            current, answers = session_id, []
            head = ((str(platform), str(user)), str(dialog), str(phase))
        if distinction is not None:
            answers.append((str(distinction), None if choice is None else str(choice)))
    if head is not None:
        records.append(SessionRecord(*head, tuple(answers)))
    return records


def answers_from(rows: Rows) -> list[AnswerRecord]:
    return [
        AnswerRecord(str(p), str(u), str(d), str(dist), None if c is None else str(c), float(t))
        for p, u, d, dist, c, t in rows
    ]


def _readable(number: object, *times: object) -> bool:
    return whole(number) and all(real(t) for t in times)


def workshops_from(rows: Rows) -> list[WorkshopRecord]:
    return [
        WorkshopRecord(int(i), str(p), int(n), str(d), str(ph), float(o), float(u), int(c), str(lang or ""))
        for i, p, n, d, ph, o, u, c, lang in rows
        if _readable(n, o, u)
    ]


def tallies_from(rows: Rows) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for distinction, choice, count in rows:
        counts.setdefault(str(distinction), {})[str(choice)] = int(count)
    return counts


class StatsStore:
    def __init__(self, conn: aiosqlite.Connection, write_lock: asyncio.Lock) -> None:
        self._conn = conn
        self._lock = write_lock

    @classmethod
    def on(cls, sessions: SessionStore) -> StatsStore:
        return cls(sessions.connection, sessions.write_lock)

    async def sessions(self, filters: Filters = Filters()) -> list[SessionRecord]:
        return sessions_from(await self._conn.execute_fetchall(_SESSIONS, filters.params()))

    async def answers(self, filters: Filters = Filters()) -> list[AnswerRecord]:
        return answers_from(await self._conn.execute_fetchall(_ANSWERS, filters.params()))

    async def pseudonym_key(self) -> bytes:
        """The export's HMAC key, made on first use and kept in the database."""
        rows = await self._conn.execute_fetchall(_READ_SECRET, (PSEUDONYM_KEY,))
        for (value,) in rows:
            return bytes(value)
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                # DO NOTHING: a second process that made one first keeps its key.
                await self._conn.execute(_MAKE_SECRET, (PSEUDONYM_KEY, os.urandom(KEY_BYTES)))
                await self._conn.commit()
            except BaseException:
                await self._conn.rollback()
                raise
        rows = await self._conn.execute_fetchall(_READ_SECRET, (PSEUDONYM_KEY,))
        return next(bytes(value) for (value,) in rows)

    async def workshops(self) -> list[WorkshopRecord]:
        """Every workshop stored, oldest first."""
        return await self._workshops(None)

    async def workshop(self, workshop_id: int) -> WorkshopRecord | None:
        found = await self._workshops(workshop_id)
        return found[0] if found else None

    async def workshop_id(self, platform: str, chat: str, number: int) -> int | None:
        rows = await self._conn.execute_fetchall(_WORKSHOP_OF, (platform, chat, number))
        return next((int(r[0]) for r in rows), None)

    async def tallies(self, workshop_id: int) -> dict[str, dict[str, int]]:
        return tallies_from(await self._conn.execute_fetchall(_TALLIES, (workshop_id,)))

    async def _workshops(self, workshop_id: int | None) -> list[WorkshopRecord]:
        return workshops_from(await self._conn.execute_fetchall(_WORKSHOPS, {"id": workshop_id}))
