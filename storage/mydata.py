"""Everything stored about one person on one platform, for ``/mydata``.

Rules:
- Keyed by (platform, user), like ``/forget``: what ``/forget`` would erase is exactly what
  this shows. Every query names the person's platform and user id, so nothing of anyone
  else can appear: another member's votes in the same workshop are not read at all.
- Three kinds of rows hold a person: their sessions with their answers, their workshop
  votes, and the workshops they opened as facilitator. Nothing else holds a person's id.
- A workshop number or a time that is not a number (a row damaged by hand or by a bug;
  SQLite keeps whatever was written) reads as 0, so the row is still shown and /mydata
  still answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from storage.sessions import SessionStore, real, whole

_SESSIONS = """
    SELECT s.id, s.chat, s.dialog, s.phase, s.updated_at, a.distinction, a.choice, a.answered_at
      FROM sessions AS s LEFT JOIN answers AS a ON a.session_id = s.id
     WHERE s.platform = ? AND s.user = ?
     ORDER BY s.updated_at, s.id, a.turn
"""
_VOTES = """
    SELECT w.chat, w.number, w.dialog, v.distinction, v.choice, v.voted_at
      FROM workshop_votes AS v JOIN workshops AS w ON w.id = v.workshop_id
     WHERE w.platform = ? AND v.member = ?
     ORDER BY v.voted_at, w.id, v.distinction
"""
_LED = """
    SELECT chat, number, dialog, opened_at FROM workshops
     WHERE platform = ? AND facilitator = ? ORDER BY opened_at, id
"""


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    distinction: str
    choice: str | None  # None: skipped
    answered_at: float


@dataclass(frozen=True, slots=True)
class StoredSession:
    chat: str
    dialog: str
    phase: str
    updated_at: float
    answers: tuple[StoredAnswer, ...]


@dataclass(frozen=True, slots=True)
class StoredVote:
    chat: str
    workshop: int
    dialog: str
    distinction: str
    choice: str
    voted_at: float


@dataclass(frozen=True, slots=True)
class LedWorkshop:
    chat: str
    workshop: int
    dialog: str
    opened_at: float


@dataclass(frozen=True, slots=True)
class PersonData:
    sessions: tuple[StoredSession, ...] = ()
    votes: tuple[StoredVote, ...] = ()
    led: tuple[LedWorkshop, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.sessions or self.votes or self.led)


async def person_data(store: SessionStore, platform: str, user: str) -> PersonData:
    conn = store.connection
    return assemble(
        await conn.execute_fetchall(_SESSIONS, (platform, user)),
        await conn.execute_fetchall(_VOTES, (platform, user)),
        await conn.execute_fetchall(_LED, (platform, user)),
    )


def _number(value: object) -> int:
    return value if whole(value) else 0


def _moment(value: object) -> float:
    return float(value) if real(value) else 0.0


def assemble(
    session_rows: Iterable[Sequence[Any]],
    vote_rows: Iterable[Sequence[Any]],
    led_rows: Iterable[Sequence[Any]],
) -> PersonData:
    """A ``PersonData`` from the rows of the three queries (whichever database read them)."""
    sessions: list[StoredSession] = []
    current: int | None = None
    for row in session_rows:
        session_id, chat, dialog, phase, updated_at, distinction, choice, answered_at = row
        if session_id != current:
            current = session_id
            sessions.append(StoredSession(str(chat), str(dialog), str(phase), _moment(updated_at), ()))
        if distinction is not None:
            answer = StoredAnswer(
                str(distinction), None if choice is None else str(choice), _moment(answered_at)
            )
            last = sessions[-1]
            sessions[-1] = StoredSession(
                last.chat, last.dialog, last.phase, last.updated_at, (*last.answers, answer)
            )
    votes = [
        StoredVote(str(c), _number(n), str(d), str(dist), str(ch), _moment(t))
        for c, n, d, dist, ch, t in vote_rows
    ]
    led = [LedWorkshop(str(c), _number(n), str(d), _moment(t)) for c, n, d, t in led_rows]
    return PersonData(tuple(sessions), tuple(votes), tuple(led))
