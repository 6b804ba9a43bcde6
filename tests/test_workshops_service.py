"""The Workshops service on a real SQLite file: roles, votes, counts, restarts, races."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.conversations import Conversations
from bot.workshops import Workshops, open_workshops
from dialogs import messages
from dialogs.content import Dialog
from dialogs.events import End, Next, Open, Reveal, Vote
from dialogs.loader import DEFAULT_DIALOG_ID
from dialogs.replies import (
    Audience,
    GroupProfile,
    MemberProfileOffer,
    Profile,
    Tally,
    Text,
    VoteCount,
    VoteQuestion,
    VoteRecorded,
    WorkshopRunning,
)
from dialogs.workshop import WorkshopPhase
from storage.keys import WorkshopKey
from storage.sessions import SessionStore
from storage.workshops import WorkshopStore

GROUP = WorkshopKey("telegram", "-100777")


@pytest.fixture
async def service(store: SessionStore, dialogs: dict[str, Dialog]) -> AsyncIterator[Workshops]:
    workshops = WorkshopStore.on(store)
    try:
        yield Workshops(workshops, dialogs, DEFAULT_DIALOG_ID)
    finally:
        await workshops.close()


async def press(
    service: Workshops, member: str, choice: int = 0
) -> tuple[VoteRecorded | Text, VoteCount | None]:
    state = await service.current(GROUP)
    d = service.dialogs[state.dialog].distinctions[state.position]
    turn = await service.vote(GROUP, Vote(member, state.number, d.id, d.choices[choice].id))
    counts = [r for r in turn.replies if isinstance(r, VoteCount)]
    first = turn.replies[0]
    assert isinstance(first, VoteRecorded | Text)
    return first, counts[0] if counts else None


async def test_a_facilitator_takes_a_group_through_a_workshop(service: Workshops, dialog: Dialog) -> None:
    opened = await service.open(GROUP, Open("fac"))
    assert [type(r) for r in opened.replies] == [Text, VoteQuestion, Text]
    assert opened.state.facilitator == "fac"
    for position in range(dialog.total):
        for voters, member in enumerate(("ana", "ben", "cy"), 1):
            confirm, count = await press(service, member, position % 2)
            assert isinstance(confirm, VoteRecorded) and confirm.audience is Audience.PERSON
            assert count is not None and count.voters == voters and count.audience is Audience.EVERYONE
        refused = await service.reveal(GROUP, Reveal("ben"))
        assert refused.replies == (Text(messages.WORKSHOP_ONLY_STEERER),)
        shown = (await service.reveal(GROUP, Reveal("fac"))).replies[0]
        assert isinstance(shown, Tally) and shown.voters == 3
        assert shown.rows[position % 2].count == 3
        last = await service.next(GROUP, Next("fac"))
    assert last.state.phase is WorkshopPhase.ENDED
    assert [type(r) for r in last.replies] == [Text, GroupProfile, MemberProfileOffer]
    mine = await service.member_profile(GROUP, 1, "ana")
    assert isinstance(mine, Profile) and len(mine.lines) == dialog.total
    nobody = await service.member_profile(GROUP, 1, "stranger")
    assert nobody == Text(messages.WORKSHOP_MEMBER_NO_VOTES)


async def test_a_changed_vote_counts_once(service: Workshops) -> None:
    await service.open(GROUP, Open("fac"))
    _, first = await press(service, "ana", 0)
    _, second = await press(service, "ana", 2)
    assert first is not None and second is not None and first.voters == second.voters == 1
    state = await service.current(GROUP)
    assert await service.voters(GROUP, state.number, first.distinction) == 1
    _, other = await press(service, "ben", 1)
    assert other is not None and await service.voters(GROUP, state.number, first.distinction) == 2
    assert await service.voters(GROUP, state.number + 1, first.distinction) == 0
    tally = (await service.reveal(GROUP, Reveal("fac"))).replies[0]
    assert isinstance(tally, Tally) and [r.count for r in tally.rows][1:3] == [1, 1] and tally.voters == 2


async def test_a_second_open_asks_first(service: Workshops) -> None:
    await service.open(GROUP, Open("fac"))
    asked = await service.open(GROUP, Open("fac"))
    assert isinstance(asked.replies[0], WorkshopRunning) and asked.state.number == 1
    replaced = await service.open(GROUP, Open("fac", force=True))
    assert replaced.state.number == 2
    unknown = await service.open(GROUP, Open("fac", dialog="no-such-dialog"))
    assert isinstance(unknown.replies[0], Text) and "no-such-dialog" in unknown.replies[0].text


async def test_an_admin_may_steer_someone_elses_workshop(service: Workshops) -> None:
    await service.open(GROUP, Open("fac"))
    ended = await service.end(GROUP, End("boss", admin=True))
    assert ended.state.phase is WorkshopPhase.ENDED
    after = await service.handle(GROUP, Reveal("fac"))
    assert after.replies == (Text(messages.WORKSHOP_NONE),)


async def test_a_restart_keeps_the_workshop_and_its_buttons(
    db_path: Path, dialogs: dict[str, Dialog]
) -> None:
    sessions = await SessionStore.open(db_path)
    store = WorkshopStore.on(sessions)
    service = Workshops(store, dialogs, DEFAULT_DIALOG_ID)
    await service.open(GROUP, Open("fac"))
    await press(service, "ana")
    state = await service.current(GROUP)
    await store.close()
    await sessions.close()

    sessions = await SessionStore.open(db_path)
    store = WorkshopStore.on(sessions)
    try:
        service = Workshops(store, dialogs, DEFAULT_DIALOG_ID)  # a fresh process: empty cache
        d = dialogs[DEFAULT_DIALOG_ID].distinctions[0]
        turn = await service.vote(GROUP, Vote("ben", state.number, d.id, d.choices[1].id))
        assert isinstance(turn.replies[0], VoteRecorded)
        assert turn.replies[1] == VoteCount(1, d.id, 2, messages.VOTE_COUNT.say(2, voters=2))
        refused = await service.next(GROUP, Next("ana"))
        assert refused.replies == (Text(messages.WORKSHOP_ONLY_STEERER),)  # the facilitator survived too
    finally:
        await store.close()
        await sessions.close()


async def test_a_vote_against_a_stale_cache_is_refused(
    service: Workshops, dialogs: dict[str, Dialog]
) -> None:
    await service.open(GROUP, Open("fac"))
    await service.current(GROUP)  # the cache now says "asking"
    # Another service on the same store reveals behind this one's back.
    other = Workshops(service.store, dialogs, DEFAULT_DIALOG_ID)
    await other.reveal(GROUP, Reveal("fac"))
    confirm, count = await press(service, "ana")
    assert confirm == Text(messages.VOTE_AFTER_REVEAL) and count is None
    assert (await service.current(GROUP)).phase is WorkshopPhase.REVEALED


async def test_300_members_press_at_once(service: Workshops) -> None:
    await service.open(GROUP, Open("fac"))
    results = await asyncio.gather(*(press(service, f"m{i}", i % 3) for i in range(300)))
    assert all(isinstance(confirm, VoteRecorded) for confirm, _ in results)
    assert max(count.voters for _, count in results if count is not None) == 300
    tally = (await service.reveal(GROUP, Reveal("fac"))).replies[0]
    assert isinstance(tally, Tally) and tally.voters == 300 and [r.count for r in tally.rows][:3] == [100] * 3
    assert service.store.batches < 30


async def test_open_workshops_shares_the_conversation_store(conversations: Conversations) -> None:
    async with open_workshops(conversations) as workshops:
        opened = await workshops.open(GROUP, Open("fac"))
        await workshops.store.remember_message(GROUP, 1, "d", "m-1")
        assert await workshops.message(GROUP, 1, "d") == "m-1"
        assert opened.state.dialog == conversations.default_dialog
    assert await WorkshopStore.on(conversations.store).load(GROUP) == opened.state


async def test_forget_member_erases_votes(service: Workshops) -> None:
    await service.open(GROUP, Open("ana"))
    await press(service, "ana")
    assert await service.forget_member("telegram", "ana") == 1
    assert await service.member_profile(GROUP, 1, "ana") == Text(messages.WORKSHOP_MEMBER_NO_VOTES)
    assert (await service.current(GROUP)).facilitator == ""
    refused = await service.reveal(GROUP, Reveal("ana"))
    assert refused.replies == (Text(messages.WORKSHOP_ONLY_STEERER),)
