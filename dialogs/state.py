"""The state of one person's conversation, and the writes a step asks storage to make.

Rules:
- ``SessionState`` is immutable; the engine returns a new one with ``replace``.
- ``turn`` counts how many times the cursor moved to a question; a button carries the turn
  it was shown at, so a press from an older turn is stale and records nothing.
- Answers are held in dialog order, one per distinction; ``None`` means skipped.
- ``pending`` is what typed words were read as while the engine asks to confirm it: a
  choice id of the current question, or ``SKIP_OFFER``; None when nothing is asked.
- A step lists its writes explicitly (``RecordAnswer``, ``ClearAnswers``) so storage can
  commit the state and the answers together without diffing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from dialogs.content import Dialog

SKIP_OFFER = "*skip"  # never a choice id: ids are lowercase letters, digits, '-' and '_'


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
    pending: str | None = None

    @property
    def answered(self) -> int:
        """How many questions have a chosen answer (skipped ones do not count)."""
        return sum(1 for a in self.answers if a.choice is not None)

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
