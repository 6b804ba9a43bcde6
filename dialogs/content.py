"""The content model: what a dialog is made of.

Rules:
- A dialog is an intro, an ordered tuple of distinctions and an outro.
- Each distinction asks exactly one question with 2-6 choices; every choice names how it
  leans (job, mixed or career) and carries a short reflection.
- Every distinction explains the difference from both sides (``Sides``: what it looks
  like in a job and in a career) and says why it matters. The explanation is the same
  whatever a person answers; what is tailored to them is their choice's ``reflection``.
- A dialog's ``structure`` is its distinction ids in order, each with its choice ids; its
  ``fingerprint`` (a hash of the structure) is what a stored session records, so an edit
  is recognised when the person comes back. ``renamed`` maps old ids to new ones, so a
  counsellor can rename an id without losing the answers that used it.
- A dialog speaks one language (``messages``: the catalog of the bot's own sentences; its
  texts are in that language). ``translations`` holds the same dialog in every language
  loaded, by language code, all sharing one structure (ids, leans, order, ``renamed``):
  a translation changes words, never what an answer means.
- Everything is immutable; the loader (``dialogs.loader``) is the only way content is made
  from files, and it has already checked every rule above.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from dialogs.i18n import ENGLISH, Catalog


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
class ChoiceView:
    """A choice as a question shows it (``dialogs.replies.Question``): id and label."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Distinction:
    id: str
    title: str
    question: str
    choices: tuple[Choice, ...]
    explain: Sides
    why: str
    # Computed once per load, as every question shown and every answer reads them.
    views: tuple[ChoiceView, ...] = field(init=False, repr=False, compare=False)
    _by_id: dict[str, Choice] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "views", tuple(ChoiceView(c.id, c.label) for c in self.choices))
        object.__setattr__(self, "_by_id", {c.id: c for c in self.choices})

    def choice(self, choice_id: str) -> Choice | None:
        return self._by_id.get(choice_id)


@dataclass(frozen=True, slots=True)
class Outro:
    """The closing texts; ``closing`` is keyed by the lean that won most distinctions."""

    heading: str
    closing: dict[Lean, str]


Structure = tuple[tuple[str, tuple[str, ...]], ...]
"""A dialog's shape: (distinction id, its choice ids) in order; what answers refer to."""


@dataclass(frozen=True, slots=True)
class Renamed:
    """Old ids that now go by new ones: ``distinctions`` old -> new, ``choices`` keyed by the
    distinction's (new) id, then old choice id -> new choice id."""

    distinctions: dict[str, str] = field(default_factory=dict)
    choices: dict[str, dict[str, str]] = field(default_factory=dict)

    def distinction(self, old: str) -> str:
        return self.distinctions.get(old, old)

    def choice(self, distinction: str, old: str) -> str:
        return self.choices.get(distinction, {}).get(old, old)


def fingerprint_of(dialog_id: str, structure: Structure) -> str:
    """A short, stable hash of a dialog's structure (its texts do not count)."""
    encoded = json.dumps([dialog_id, structure], separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Dialog:
    id: str
    version: int
    title: str
    intro: str
    distinctions: tuple[Distinction, ...]
    outro: Outro
    renamed: Renamed = field(default_factory=Renamed)
    messages: Catalog = field(default=ENGLISH, repr=False, compare=False)
    translations: Mapping[str, Dialog] = field(default_factory=dict, repr=False, compare=False)
    structure: Structure = field(init=False, repr=False, compare=False)
    fingerprint: str = field(init=False, repr=False, compare=False)
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Computed once per load: every turn compares a session's stamp with it.
        structure = tuple((d.id, tuple(c.id for c in d.choices)) for d in self.distinctions)
        object.__setattr__(self, "structure", structure)
        object.__setattr__(self, "fingerprint", fingerprint_of(self.id, structure))
        # reversed: should an id repeat, the first one wins, as a scan from the start would
        positions = reversed(list(enumerate(self.distinctions)))
        object.__setattr__(self, "_index", {d.id: i for i, d in positions})

    @property
    def language(self) -> str:
        return self.messages.language

    def in_language(self, language: str | None) -> Dialog:
        """This dialog in ``language`` if it is loaded, else as it is."""
        if language is None or language == self.messages.language:
            return self
        return self.translations.get(language, self)

    @property
    def total(self) -> int:
        return len(self.distinctions)

    def index_of(self, distinction_id: str) -> int | None:
        return self._index.get(distinction_id)
