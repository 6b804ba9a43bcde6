"""Statistics a counsellor may see: a funnel per question and how answers split, by dialog.

Rules:
- Pure: records of conversations in, counts out. A record is (person, dialog, phase,
  answers); ``person`` only lets a person with conversations in two chats count once, and
  appears in no output.
- The small-group rule: every count is of distinct people, and a count under
  ``SMALL_GROUP`` (5) is never given: it becomes None, shown as "fewer than 5", and so does
  any percentage of it. Outputs carry only counts already passed through this rule, so no
  renderer can show an exact small number by mistake.
- Started: a conversation past its first question (phase asking or done). Finished: phase
  done. For each question, in dialog order: answered (a choice was recorded), skipped,
  left here (an unfinished conversation whose first question without an answer is this
  one: where people stop), and reached (any of the three).
- Per question the split across choices and leans counts the people who chose; a
  percentage is of those people.
- "Left most often at" and "skipped most" name a question only when its count is at least
  the small-group size; a tie goes to the earlier question.
- Conversations of a dialog that is no longer loaded are left out: without its content
  their answers cannot be read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from dialogs.content import Dialog, Lean
from dialogs.i18n import messages

SMALL_GROUP = 5
K = TypeVar("K")
Shown = int | None  # None: fewer than SMALL_GROUP people


def shown(people: int) -> Shown:
    """A count as it may be shown: exact from SMALL_GROUP up, else None."""
    return people if people >= SMALL_GROUP else None


def percent_of(people: int, base: int) -> int | None:
    """``people`` as a whole percentage of ``base``, only when both may be shown."""
    if people < SMALL_GROUP or base < SMALL_GROUP:
        return None
    return round(100 * people / base)


@dataclass(frozen=True, slots=True)
class Conversation:
    person: object  # hashable; who, only to count them once
    dialog: str
    finished: bool
    answers: Mapping[str, str | None]  # distinction id -> choice id (None: skipped)


@dataclass(frozen=True, slots=True)
class Share:
    """One choice, or one lean, of a question: how many chose it and what share that is."""

    id: str
    label: str
    lean: Lean
    people: Shown
    percent: int | None


@dataclass(frozen=True, slots=True)
class QuestionStats:
    distinction: str
    title: str
    reached: Shown
    answered: Shown
    skipped: Shown
    left_here: Shown
    choices: tuple[Share, ...]
    leans: tuple[Share, ...]


@dataclass(frozen=True, slots=True)
class DialogStats:
    dialog: str
    title: str
    started: Shown
    finished: Shown
    left_most: str | None  # the title of the question people most often stop at
    skipped_most: str | None
    questions: tuple[QuestionStats, ...]


@dataclass(slots=True)
class _Cells:
    """Sets of people per cell while counting; only their sizes leave this module."""

    started: set[object] = field(default_factory=set)
    finished: set[object] = field(default_factory=set)
    chosen: dict[str, set[object]] = field(default_factory=dict)
    skipped: dict[str, set[object]] = field(default_factory=dict)
    left: dict[str, set[object]] = field(default_factory=dict)
    by_choice: dict[tuple[str, str], set[object]] = field(default_factory=dict)
    by_lean: dict[tuple[str, Lean], set[object]] = field(default_factory=dict)


def _add(cells: dict[K, set[object]], key: K, person: object) -> None:
    cells.setdefault(key, set()).add(person)


def _size(cells: Mapping[K, set[object]], key: K) -> int:
    return len(cells.get(key, ()))


def stopped_at(dialog: Dialog, conversation: Conversation) -> str | None:
    """The question an unfinished conversation stopped at: its first without an answer."""
    if conversation.finished:
        return None
    return next((d.id for d in dialog.distinctions if d.id not in conversation.answers), None)


def _count(dialog: Dialog, conversations: Iterable[Conversation]) -> _Cells:
    cells = _Cells()
    for c in conversations:
        person = c.person
        cells.started.add(person)
        if c.finished:
            cells.finished.add(person)
        stop = stopped_at(dialog, c)
        if stop is not None:
            _add(cells.left, stop, person)
        for distinction in dialog.distinctions:
            if distinction.id not in c.answers:
                continue
            chosen = c.answers[distinction.id]
            choice = distinction.choice(chosen) if chosen is not None else None
            if choice is None:
                _add(cells.skipped, distinction.id, person)
                continue
            _add(cells.chosen, distinction.id, person)
            _add(cells.by_choice, (distinction.id, choice.id), person)
            _add(cells.by_lean, (distinction.id, choice.leans), person)
    return cells


def _most(dialog: Dialog, cells: Mapping[str, set[object]]) -> str | None:
    best, title = SMALL_GROUP - 1, None
    for distinction in dialog.distinctions:
        if len(cells.get(distinction.id, ())) > best:
            best, title = len(cells[distinction.id]), distinction.title
    return title


def dialog_stats(dialog: Dialog, conversations: Iterable[Conversation]) -> DialogStats:
    """The statistics of one dialog over its conversations (others are ignored)."""
    cells = _count(dialog, (c for c in conversations if c.dialog == dialog.id))
    questions = []
    for d in dialog.distinctions:
        chosen = _size(cells.chosen, d.id)
        reached = cells.chosen.get(d.id, set()) | cells.skipped.get(d.id, set()) | cells.left.get(d.id, set())
        choices = tuple(
            Share(c.id, c.label, c.leans, shown(n), percent_of(n, chosen))
            for c in d.choices
            for n in [_size(cells.by_choice, (d.id, c.id))]
        )
        leans = tuple(
            Share(lean.value, messages.LEAN_NAMES[lean.value], lean, shown(n), percent_of(n, chosen))
            for lean in Lean
            for n in [_size(cells.by_lean, (d.id, lean))]
        )
        questions.append(
            QuestionStats(
                d.id,
                d.title,
                reached=shown(len(reached)),
                answered=shown(chosen),
                skipped=shown(_size(cells.skipped, d.id)),
                left_here=shown(_size(cells.left, d.id)),
                choices=choices,
                leans=leans,
            )
        )
    return DialogStats(
        dialog.id,
        dialog.title,
        shown(len(cells.started)),
        shown(len(cells.finished)),
        _most(dialog, cells.left),
        _most(dialog, cells.skipped),
        tuple(questions),
    )


def all_stats(dialogs: Sequence[Dialog], conversations: Iterable[Conversation]) -> tuple[DialogStats, ...]:
    held = list(conversations)
    return tuple(dialog_stats(d, held) for d in dialogs)
