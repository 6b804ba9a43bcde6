"""The content model: what a dialog is made of.

Rules:
- A dialog is an intro, an ordered tuple of distinctions and an outro.
- Each distinction asks exactly one question with 2-6 choices; every choice names how it
  leans (job, mixed or career) and carries a short reflection.
- Every distinction explains the difference from both sides (``Sides``: what it looks
  like in a job and in a career) and says why it matters. The explanation is the same
  whatever a person answers; what is tailored to them is their choice's ``reflection``.
- Everything is immutable; the loader (``dialogs.loader``) is the only way content is made
  from files, and it has already checked every rule above.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Lean(enum.StrEnum):
    """Which side of the job/career line an answer falls on."""

    JOB = "job"
    MIXED = "mixed"
    CAREER = "career"


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    label: str
    leans: Lean
    reflection: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Sides:
    """One distinction seen from both sides: what it looks like in a job, and in a career."""

    job: str
    career: str


@dataclass(frozen=True, slots=True)
class Distinction:
    id: str
    title: str
    question: str
    choices: tuple[Choice, ...]
    explain: Sides
    why: str

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True, slots=True)
class Outro:
    """The closing texts; ``closing`` is keyed by the lean that won most distinctions."""

    heading: str
    closing: dict[Lean, str]


@dataclass(frozen=True, slots=True)
class Dialog:
    id: str
    version: int
    title: str
    intro: str
    distinctions: tuple[Distinction, ...]
    outro: Outro

    @property
    def total(self) -> int:
        return len(self.distinctions)

    def index_of(self, distinction_id: str) -> int | None:
        for index, distinction in enumerate(self.distinctions):
            if distinction.id == distinction_id:
                return index
        return None
