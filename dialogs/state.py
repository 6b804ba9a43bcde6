"""The state of one person's conversation, and the writes a step asks storage to make.

Rules:
- ``SessionState`` is immutable; the engine returns a new one with ``replace``.
- ``turn`` counts how many times the cursor moved to a question; a button carries the turn
  it was shown at, so a press from an older turn is stale and records nothing.
- Answers are held in dialog order, one per distinction, by distinction id and choice id;
  ``None`` means skipped. Nothing is stored by position: where the person is comes from
  the content and the answers (``position_in``): the distinction they went back to
  (``revisit``, set by /back), else the first one neither answered nor skipped.
- ``content_version`` and ``content_hash`` name the content the session was written
  against (the dialog's ``version`` and ``fingerprint``); a session written against other
  content is migrated on load (``dialogs.edits``) before a step sees it.
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
    turn: int = 0
    misses: int = 0
    answers: tuple[Answer, ...] = ()
    pending: str | None = None
    revisit: str | None = None  # the distinction /back went to; None: the first unanswered
    content_version: int = 0
    content_hash: str = ""

    @property
    def answered(self) -> int:
        """How many questions have a chosen answer (skipped ones do not count)."""
        return sum(1 for a in self.answers if a.choice is not None)

    def position_in(self, dialog: Dialog) -> int:
        """The index of the current distinction; ``dialog.total`` when every one has an answer."""
        return position_of(dialog, self.answers, self.revisit)

    def answer_for(self, distinction: str) -> Answer | None:
        for answer in self.answers:  # a loop: a generator costs more than 8 comparisons
            if answer.distinction == distinction:
                return answer
        return None

    def with_answer(self, dialog: Dialog, answer: Answer) -> SessionState:
        """Return a copy with ``answer`` set (last one wins), kept in dialog order."""
        return replace(self, answers=answers_with(dialog, self.answers, answer))


def position_of(dialog: Dialog, answers: tuple[Answer, ...], revisit: str | None) -> int:
    """``SessionState.position_in`` for a state with these ``answers`` and ``revisit``, so
    the engine can place a state before it builds it."""
    if revisit is not None:
        index = dialog.index_of(revisit)
        if index is not None:
            return index
    given = {a.distinction for a in answers}
    for index, distinction in enumerate(dialog.distinctions):
        if distinction.id not in given:
            return index
    return dialog.total


def answers_with(dialog: Dialog, answers: tuple[Answer, ...], answer: Answer) -> tuple[Answer, ...]:
    """``answers`` with ``answer`` set (last one wins), in dialog order."""
    others = {a.distinction: a for a in answers}
    others[answer.distinction] = answer
    return tuple(others[d.id] for d in dialog.distinctions if d.id in others)


@dataclass(frozen=True, slots=True)
class RecordAnswer:
    distinction: str
    choice: str | None
    turn: int


@dataclass(frozen=True, slots=True)
class ClearAnswers:
    pass


Write = RecordAnswer | ClearAnswers
