"""A counsellor edits the dialog while people are part-way through it (real SQLite file).

Each case: a person answers 4 of the 8 questions, the content is edited, the person comes
back (a new process: a new ``Conversations`` on the same file) and answers whatever is
asked. Checked: which questions are asked afterwards, the finished profile, and the one
line that tells them what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from bot.conversations import Conversations
from dialogs import messages
from dialogs.content import Choice, Dialog, Distinction, Renamed
from dialogs.edits import Change, notice
from dialogs.events import Choose, Start
from dialogs.replies import Profile, Question, Reply, Text
from storage.keys import SessionKey
from storage.sessions import SessionStore

ANA = SessionKey("console", "terminal", "ana")
ANSWERED_BEFORE = 4


def pick(distinction: Distinction) -> Choice:
    """The choice the person makes on a question: the same one whenever it is asked."""
    return distinction.choices[len(distinction.id) % len(distinction.choices)]


def with_distinctions(dialog: Dialog, *distinctions: Distinction, renamed: Renamed | None = None) -> Dialog:
    return replace(
        dialog, distinctions=distinctions, renamed=renamed or Renamed(), version=dialog.version + 1
    )


def rename_choice(distinction: Distinction, old: str, new: str) -> Distinction:
    choices = tuple(replace(c, id=new) if c.id == old else c for c in distinction.choices)
    return replace(distinction, choices=choices)


@dataclass(frozen=True, slots=True)
class Edit:
    name: str
    edit: Callable[[Dialog], Dialog]
    asked: Callable[[Dialog], list[str]]  # ids asked afterwards, from the original dialog
    change: Change  # what the notice reports


def _d(dialog: Dialog) -> list[Distinction]:
    return list(dialog.distinctions)


def _swapped(dialog: Dialog) -> Dialog:
    d = _d(dialog)
    d[2], d[5] = d[5], d[2]
    return with_distinctions(dialog, *d)


def _inserted(dialog: Dialog) -> Dialog:
    d = _d(dialog)
    fresh = replace(d[0], id="fresh", title="A fresh question")
    return with_distinctions(dialog, fresh, *d)


def _renamed_choice(dialog: Dialog, keep: bool) -> Dialog:
    d = _d(dialog)
    old = pick(d[2]).id
    d[2] = rename_choice(d[2], old, "renamed")
    renamed = Renamed(choices={d[2].id: {old: "renamed"}}) if keep else None
    return with_distinctions(dialog, *d, renamed=renamed)


def _renamed_distinction(dialog: Dialog, keep: bool) -> Dialog:
    d = _d(dialog)
    old = d[1].id
    d[1] = replace(d[1], id="moved")
    return with_distinctions(dialog, *d, renamed=Renamed(distinctions={old: "moved"}) if keep else None)


def ids(dialog: Dialog, *indexes: int) -> list[str]:
    return [dialog.distinctions[i].id for i in indexes]


EDITS = [
    Edit(
        "remove an answered question",
        lambda g: with_distinctions(g, *(d for i, d in enumerate(g.distinctions) if i != 1)),
        lambda g: ids(g, 4, 5, 6, 7),
        Change(kept=3, dropped=1, reasked=0, new=0, gone=0),
    ),
    Edit(
        "remove a question not asked yet",
        lambda g: with_distinctions(g, *(d for i, d in enumerate(g.distinctions) if i != 6)),
        lambda g: ids(g, 4, 5, 7),
        Change(kept=4, dropped=0, reasked=0, new=0, gone=1),
    ),
    Edit(
        "reorder",
        lambda g: with_distinctions(g, *reversed(g.distinctions)),
        lambda g: ids(g, 7, 6, 5, 4),
        Change(kept=4, dropped=0, reasked=0, new=0, gone=0),
    ),
    Edit(
        "swap an answered and an unasked question",
        _swapped,
        lambda g: ids(g, 5, 4, 6, 7),
        Change(4, 0, 0, 0, 0),
    ),
    Edit("insert at the front", _inserted, lambda g: ["fresh", *ids(g, 4, 5, 6, 7)], Change(4, 0, 0, 1, 0)),
    Edit(
        "rename the chosen choice without renamed:",
        lambda g: _renamed_choice(g, keep=False),
        lambda g: ids(g, 2, 4, 5, 6, 7),
        Change(kept=3, dropped=0, reasked=1, new=0, gone=0),
    ),
    Edit(
        "rename the chosen choice with renamed:",
        lambda g: _renamed_choice(g, keep=True),
        lambda g: ids(g, 4, 5, 6, 7),
        Change(kept=4, dropped=0, reasked=0, new=0, gone=0),
    ),
    Edit(
        "rename an answered question without renamed:",
        lambda g: _renamed_distinction(g, keep=False),
        lambda g: ["moved", *ids(g, 4, 5, 6, 7)],
        Change(kept=3, dropped=1, reasked=0, new=1, gone=0),
    ),
    Edit(
        "rename an answered question with renamed:",
        lambda g: _renamed_distinction(g, keep=True),
        lambda g: ids(g, 4, 5, 6, 7),
        Change(kept=4, dropped=0, reasked=0, new=0, gone=0),
    ),
    Edit(
        "shrink to three questions",
        lambda g: with_distinctions(g, *g.distinctions[:3]),
        lambda g: [],
        Change(kept=3, dropped=1, reasked=0, new=0, gone=4),
    ),
]


async def _answer_until_done(conversations: Conversations, replies: tuple[Reply, ...]) -> list[str]:
    """Answer every question asked, from ``replies`` on; returns the distinction ids asked."""
    asked: list[str] = []
    while True:
        question = next((r for r in reversed(replies) if isinstance(r, Question)), None)
        if question is None:
            return asked
        asked.append(question.distinction)
        dialog = conversations.dialogs[conversations.default_dialog]
        distinction = next(d for d in dialog.distinctions if d.id == question.distinction)
        turn = await conversations.handle(ANA, Choose(distinction.id, pick(distinction).id, question.turn))
        replies = turn.replies


async def _first_half(db_path: Path, dialog: Dialog) -> None:
    store = await SessionStore.open(db_path)
    try:
        conversations = Conversations(store, {dialog.id: dialog}, dialog.id)
        turn = await conversations.handle(ANA, Start())
        for distinction in dialog.distinctions[:ANSWERED_BEFORE]:
            question = turn.replies[-1]
            assert isinstance(question, Question) and question.distinction == distinction.id
            turn = await conversations.handle(
                ANA, Choose(distinction.id, pick(distinction).id, question.turn)
            )
    finally:
        await store.close()


@pytest.mark.parametrize("case", EDITS, ids=lambda e: e.name)
async def test_an_edit_keeps_what_still_fits_and_asks_what_is_new(
    db_path: Path, dialog: Dialog, case: Edit
) -> None:
    await _first_half(db_path, dialog)
    edited = case.edit(dialog)
    store = await SessionStore.open(db_path)
    try:
        conversations = Conversations(store, {edited.id: edited}, edited.id)
        back = await conversations.handle(ANA, Start())
        assert isinstance(back.replies[0], Text) and back.replies[0].text == notice(case.change)
        asked = await _answer_until_done(conversations, back.replies)
        assert asked == case.asked(dialog)
        done = await conversations.handle(ANA, Start())
        # The notice is said once: the migrated session was saved with that turn.
        assert all(not (isinstance(r, Text) and r.text.startswith(messages.EDITED)) for r in done.replies)
        profile = done.replies[-1]
        assert isinstance(profile, Profile) and profile.finished
        # Every question of the edited content is answered, with the same choice as always
        # (a choice renamed with renamed: reads as its new self).
        assert [(line.title, line.answer) for line in profile.lines] == [
            (d.title, pick(d).label) for d in edited.distinctions
        ]
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            Change(4, 0, 0, 1, 0),
            "The questions changed since your last visit: one is new, your answers are kept.",
        ),
        (
            Change(3, 1, 0, 0, 0),
            "The questions changed since your last visit: one you answered was removed, "
            "your other answers are kept.",
        ),
        (
            Change(0, 0, 2, 0, 3),
            "The questions changed since your last visit: "
            "2 you answered have new choices, so I ask them again, 3 you had not reached were removed.",
        ),
        (Change(0, 0, 0, 0, 0), "The questions changed since your last visit."),
    ],
)
def test_the_notice_is_one_line_of_what_changed(change: Change, line: str) -> None:
    assert notice(change) == line and "\n" not in line


async def test_an_unchanged_dialog_says_nothing(db_path: Path, dialog: Dialog) -> None:
    await _first_half(db_path, dialog)
    store = await SessionStore.open(db_path)
    try:
        conversations = Conversations(store, {dialog.id: dialog}, dialog.id)
        back = await conversations.handle(ANA, Start())
        first = back.replies[0]
        assert isinstance(first, Text) and first.text.startswith("Welcome back")
        question = back.replies[-1]
        assert isinstance(question, Question) and question.distinction == dialog.distinctions[4].id
    finally:
        await store.close()


async def test_a_new_text_alone_is_no_change(db_path: Path, dialog: Dialog) -> None:
    """Rewording a question or an explanation keeps the structure: nobody is told anything."""
    await _first_half(db_path, dialog)
    reworded = replace(
        dialog,
        version=dialog.version + 1,
        distinctions=tuple(replace(d, question=d.question + " Take your time.") for d in dialog.distinctions),
    )
    assert reworded.fingerprint == dialog.fingerprint
    store = await SessionStore.open(db_path)
    try:
        back = await Conversations(store, {dialog.id: reworded}, dialog.id).handle(ANA, Start())
        assert isinstance(back.replies[0], Text) and back.replies[0].text.startswith("Welcome back")
    finally:
        await store.close()


async def test_someone_who_went_back_returns_to_the_same_question(db_path: Path, dialog: Dialog) -> None:
    """/back is kept by id: after an insert at the front it is still the question they chose."""
    await _first_half(db_path, dialog)
    store = await SessionStore.open(db_path)
    try:
        conversations = Conversations(store, {dialog.id: dialog}, dialog.id)
        from dialogs.events import Back

        await conversations.handle(ANA, Back())
        went_back = await conversations.handle(ANA, Back())
        question = went_back.replies[-1]
        assert isinstance(question, Question) and question.distinction == dialog.distinctions[2].id
    finally:
        await store.close()
    edited = _inserted(dialog)
    store = await SessionStore.open(db_path)
    try:
        back = await Conversations(store, {edited.id: edited}, edited.id).handle(ANA, Start())
        question = back.replies[-1]
        assert isinstance(question, Question) and question.distinction == dialog.distinctions[2].id
        assert question.progress.position == 4 and question.progress.total == 9
    finally:
        await store.close()


async def test_someone_who_had_finished_is_asked_a_new_question(db_path: Path, dialog: Dialog) -> None:
    store = await SessionStore.open(db_path)
    try:
        conversations = Conversations(store, {dialog.id: dialog}, dialog.id)
        replies = (await conversations.handle(ANA, Start())).replies
        await _answer_until_done(conversations, replies)
    finally:
        await store.close()
    edited = _inserted(dialog)
    store = await SessionStore.open(db_path)
    try:
        conversations = Conversations(store, {edited.id: edited}, edited.id)
        back = await conversations.handle(ANA, Start())
        assert back.replies[0] == Text(notice(Change(kept=8, dropped=0, reasked=0, new=1, gone=0)))
        assert await _answer_until_done(conversations, back.replies) == ["fresh"]
        profile = (await conversations.handle(ANA, Start())).replies[-1]
        assert isinstance(profile, Profile) and profile.finished and len(profile.lines) == edited.total
    finally:
        await store.close()
