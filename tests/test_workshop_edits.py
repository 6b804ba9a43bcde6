"""A counsellor edits the dialog while a workshop is running (real SQLite file).

Each case: a group goes through 4 of the 8 questions and is voting on the 5th, the bot is
restarted with edited content, a member votes on the question they see and the
facilitator carries on to the end. Checked: the questions asked afterwards, the group's
profile at the end, and the one line that tells the group what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.workshops import Workshops
from dialogs import messages
from dialogs.content import Dialog
from dialogs.edits import Change, workshop_notice
from dialogs.events import Next, Open, Vote
from dialogs.replies import Audience, GroupProfile, Profile, Text, VoteQuestion, VoteRecorded, WorkshopReply
from dialogs.workshop import WorkshopPhase
from storage.keys import WorkshopKey
from storage.sessions import SessionStore
from storage.workshops import WorkshopStore
from tests.test_edits import (
    _inserted,
    _renamed_choice,
    _renamed_distinction,
    _swapped,
    ids,
    pick,
    with_distinctions,
)

GROUP = WorkshopKey("telegram", "-100777")
ASKED_BEFORE = 4


@dataclass(frozen=True, slots=True)
class WorkshopEdit:
    name: str
    edit: Callable[[Dialog], Dialog]
    asked: Callable[[Dialog], list[str]]  # ids asked from the edit on, from the original dialog
    change: Change
    moved: bool = False  # the question being voted on was removed
    unvoted: tuple[str, ...] = ()  # questions whose stored vote no longer fits (original ids)


def _without(*indexes: int) -> Callable[[Dialog], Dialog]:
    return lambda g: with_distinctions(g, *(d for i, d in enumerate(g.distinctions) if i not in indexes))


EDITS = [
    WorkshopEdit(
        "remove an answered question", _without(1), lambda g: ids(g, 4, 5, 6, 7), Change(3, 1, 0, 0, 0)
    ),
    WorkshopEdit(
        "remove a question not asked yet", _without(6), lambda g: ids(g, 4, 5, 7), Change(4, 0, 0, 0, 1)
    ),
    WorkshopEdit(
        "remove the question being asked", _without(4), lambda g: ids(g, 5, 6, 7), Change(4, 0, 0, 0, 0), True
    ),
    WorkshopEdit(
        "reorder",
        lambda g: with_distinctions(g, *reversed(g.distinctions)),
        lambda g: ids(g, 4, 7, 6, 5),
        Change(4, 0, 0, 0, 0),
    ),
    WorkshopEdit("swap", _swapped, lambda g: ids(g, 4, 5, 6, 7), Change(4, 0, 0, 0, 0)),
    WorkshopEdit(
        "insert at the front",
        _inserted,
        lambda g: [*ids(g, 4), "fresh", *ids(g, 5, 6, 7)],
        Change(4, 0, 0, 1, 0),
    ),
    WorkshopEdit(
        "rename a chosen choice without renamed:",
        lambda g: _renamed_choice(g, keep=False),
        lambda g: ids(g, 4, 5, 6, 7),
        Change(4, 0, 0, 0, 0),
        unvoted=("means",),
    ),
    WorkshopEdit(
        "rename a chosen choice with renamed:",
        lambda g: _renamed_choice(g, keep=True),
        lambda g: ids(g, 4, 5, 6, 7),
        Change(4, 0, 0, 0, 0),
    ),
    WorkshopEdit(
        "rename an asked question without renamed:",
        lambda g: _renamed_distinction(g, keep=False),
        lambda g: [*ids(g, 4), "moved", *ids(g, 5, 6, 7)],
        Change(3, 1, 0, 1, 0),
    ),
    WorkshopEdit(
        "rename an asked question with renamed:",
        lambda g: _renamed_distinction(g, keep=True),
        lambda g: ids(g, 4, 5, 6, 7),
        Change(4, 0, 0, 0, 0),
    ),
    WorkshopEdit(
        "shrink to three questions", _without(3, 4, 5, 6, 7), lambda g: [], Change(3, 1, 0, 0, 3), True
    ),
]


async def _vote(service: Workshops, distinction_id: str) -> tuple[WorkshopReply, ...]:
    state = await service.current(GROUP)
    dialog = service.dialogs[state.dialog]
    distinction = next((d for d in dialog.distinctions if d.id == distinction_id), None)
    choice = pick(distinction).id if distinction is not None else "gone"
    return (await service.vote(GROUP, Vote("m1", state.number, distinction_id, choice))).replies


async def _first_half(db_path: Path, dialog: Dialog) -> None:
    store = await SessionStore.open(db_path)
    workshops = WorkshopStore.on(store)
    try:
        service = Workshops(workshops, {dialog.id: dialog}, dialog.id)
        await service.open(GROUP, Open("fac"))
        for distinction in dialog.distinctions[:ASKED_BEFORE]:
            assert isinstance((await _vote(service, distinction.id))[0], VoteRecorded)
            await service.next(GROUP, Next("fac"))  # reveals, then moves on
        assert (await service.current(GROUP)).distinction == dialog.distinctions[ASKED_BEFORE].id
    finally:
        await workshops.close()
        await store.close()


@pytest.mark.parametrize("case", EDITS, ids=lambda e: e.name)
async def test_a_running_workshop_carries_on_after_an_edit(
    db_path: Path, dialog: Dialog, case: WorkshopEdit
) -> None:
    await _first_half(db_path, dialog)
    edited = case.edit(dialog)
    store = await SessionStore.open(db_path)
    workshops = WorkshopStore.on(store)
    try:
        service = Workshops(workshops, {edited.id: edited}, edited.id)
        on_screen = dialog.distinctions[ASKED_BEFORE].id
        voted = await _vote(service, on_screen)  # a member votes on the question they see
        asked = [] if case.moved else [on_screen]
        if case.moved:
            assert voted == (Text(messages.VOTE_CLOSED),)
        else:
            assert isinstance(voted[0], VoteRecorded)
        turn = await service.next(GROUP, Next("fac"))
        told = turn.replies[0]
        assert told == Text(workshop_notice(case.change, case.moved), audience=Audience.EVERYONE)
        while turn.state.phase is not WorkshopPhase.ENDED:
            question = next(r for r in turn.replies if isinstance(r, VoteQuestion))
            asked.append(question.distinction)
            assert question.progress.position == turn.state.position + 1
            await _vote(service, question.distinction)
            turn = await service.next(GROUP, Next("fac"))
        assert asked == case.asked(dialog)
        assert not any(r == told for r in turn.replies[1:])  # said once
        profile = next(r for r in turn.replies if isinstance(r, GroupProfile))
        asked_ids = {*ids(dialog, *range(ASKED_BEFORE)), *asked}
        shown = [
            d
            for d in edited.distinctions
            if d.id in asked_ids or d.id in edited.renamed.distinctions.values()
        ]
        unvoted = {edited.renamed.distinction(d) for d in case.unvoted}
        assert [(row.title, row.leans) for row in profile.rows] == [
            (d.title, None if d.id in unvoted else pick(d).leans) for d in shown
        ]
        mine = await service.member_profile(GROUP, turn.state.number, "m1")
        assert isinstance(mine, Profile) and len(mine.lines) == len(shown) - len(unvoted)
    finally:
        await workshops.close()
        await store.close()


async def test_an_unedited_workshop_is_told_nothing(db_path: Path, dialog: Dialog) -> None:
    await _first_half(db_path, dialog)
    store = await SessionStore.open(db_path)
    workshops = WorkshopStore.on(store)
    try:
        turn = await Workshops(workshops, {dialog.id: dialog}, dialog.id).next(GROUP, Next("fac"))
        assert not any(isinstance(r, Text) and "changed" in r.text for r in turn.replies)
        question = next(r for r in turn.replies if isinstance(r, VoteQuestion))
        assert question.distinction == dialog.distinctions[ASKED_BEFORE + 1].id
    finally:
        await workshops.close()
        await store.close()


def testworkshop_notices_read_as_one_line() -> None:
    line = workshop_notice(Change(3, 1, 0, 0, 3), True)
    assert line == (
        "The questions of this workshop changed since it began: the current one was removed, so the "
        "group moves on, one the group answered was removed, 3 not asked yet were removed, "
        "the group's answers so far are kept."
    )
    assert workshop_notice(Change(0, 0, 0, 0, 0), False) == messages.WORKSHOP_EDITED
