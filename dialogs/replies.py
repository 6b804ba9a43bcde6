"""Replies: what the engines want shown, free of any platform.

Rules:
- Replies are frozen values; an adapter decides how each looks (buttons, an edit, an
  ephemeral message) but never changes what it says.
- Every reply says who should see it (``Audience``).
- A question carries the turn it belongs to; buttons built from it carry that turn back.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from dialogs.content import Lean


class Audience(enum.StrEnum):
    PERSON = "person"
    EVERYONE = "everyone"
    FACILITATOR = "facilitator"


class Action(enum.StrEnum):
    """Commands that an adapter may offer as buttons beside a reply."""

    RESUME = "resume"
    RESTART = "restart"
    BACK = "back"
    SKIP = "skip"
    WHY = "why"
    SUMMARY = "summary"


@dataclass(frozen=True, slots=True)
class Progress:
    position: int  # 1-based number of the current question
    total: int

    @property
    def bar(self) -> str:
        done = self.position - 1
        return "▰" * done + "▱" * (self.total - done)

    def __str__(self) -> str:
        return f"{self.position}/{self.total}"


@dataclass(frozen=True, slots=True)
class ChoiceView:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    actions: tuple[Action, ...] = ()
    audience: Audience = Audience.PERSON


@dataclass(frozen=True, slots=True)
class Question:
    distinction: str
    title: str
    text: str
    choices: tuple[ChoiceView, ...]
    progress: Progress
    turn: int
    current: str | None = None  # the choice already given, when a question is asked again
    hint: str | None = None
    actions: tuple[Action, ...] = (Action.BACK, Action.SKIP, Action.WHY)
    audience: Audience = Audience.PERSON


@dataclass(frozen=True, slots=True)
class Answered:
    """The person's answer was recorded; adapters may mark the question message with it."""

    distinction: str
    question: str
    label: str
    turn: int
    audience: Audience = Audience.PERSON


@dataclass(frozen=True, slots=True)
class Explanation:
    distinction: str
    title: str
    reflection: str
    text: str
    audience: Audience = Audience.PERSON


@dataclass(frozen=True, slots=True)
class ProfileLine:
    title: str
    answer: str | None  # None: skipped
    leans: Lean | None


@dataclass(frozen=True, slots=True)
class Profile:
    heading: str
    counts: dict[Lean, int]
    skipped: int
    lines: tuple[ProfileLine, ...]
    closing: str
    audience: Audience = Audience.PERSON


@dataclass(frozen=True, slots=True)
class TallyRow:
    label: str
    leans: Lean
    count: int
    percent: int


@dataclass(frozen=True, slots=True)
class Tally:
    """How a workshop group answered one distinction (no names, only counts)."""

    distinction: str
    title: str
    rows: tuple[TallyRow, ...]
    voters: int
    audience: Audience = Audience.EVERYONE


Reply = Text | Question | Answered | Explanation | Profile | Tally
