"""The state of one person's conversation, and the writes a step asks storage to make.

Rules:
- ``SessionState`` is immutable; the engine returns a new one with ``replace``.
- ``turn`` counts how many times the cursor moved to a question; a button carries the turn
  it was shown at, so a press from an older turn is stale and records nothing.
- Answers are held in dialog order, one per distinction; ``None`` means skipped.
- A step lists its writes explicitly (``RecordAnswer``, ``ClearAnswers``) so storage can
  commit the state and the answers together without diffing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from dialogs.content import Dialog


class Phase(enum.StrEnum):
    NEW = "new"
    ASKING = "asking"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Answer:
    distinction: str
    choice: str | None  # None: skipped


@dataclass(frozen=True, slots=True)
class SessionState:
    dialog: str
    phase: Phase = Phase.NEW
    position: int = 0
    turn: int = 0
    misses: int = 0
    answers: tuple[Answer, ...] = ()

    def answer_for(self, distinction: str) -> Answer | None:
        return next((a for a in self.answers if a.distinction == distinction), None)

    def with_answer(self, dialog: Dialog, answer: Answer) -> SessionState:
        """Return a copy with ``answer`` set (last one wins), kept in dialog order."""
        others = {a.distinction: a for a in self.answers}
        others[answer.distinction] = answer
        ordered = tuple(others[d.id] for d in dialog.distinctions if d.id in others)
        return replace(self, answers=ordered)


@dataclass(frozen=True, slots=True)
class RecordAnswer:
    distinction: str
    choice: str | None
    turn: int


@dataclass(frozen=True, slots=True)
class ClearAnswers:
    pass


Write = RecordAnswer | ClearAnswers
