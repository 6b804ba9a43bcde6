"""Workshop storage on a real SQLite file: state, vote upserts, group commit, restarts, migration."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from dialogs.content import Dialog
from dialogs.events import End, Next, Open, Reveal, WorkshopEvent
from dialogs.state import Phase
from dialogs.workshop import RecordVote, WorkshopPhase, WorkshopState, WorkshopStep, in_order, step
from storage.keys import SessionKey, WorkshopKey
from storage.outbox import Owed
from storage.schema import MIGRATIONS, SCHEMA_VERSION
from storage.sessions import SessionStore, StorageError
from storage.workshops import TallyCounts, WorkshopStore

GROUP = WorkshopKey("telegram", "-100123")
OTHER = WorkshopKey("discord", "555")


@pytest.fixture
async def workshops(store: SessionStore) -> AsyncIterator[WorkshopStore]:
    opened = WorkshopStore.on(store)
    try:
        yield opened
    finally:
        await opened.close()


async def send(
    store: WorkshopStore, dialog: Dialog, event: WorkshopEvent, key: WorkshopKey = GROUP
) -> WorkshopStep:
    def decide(
        state: WorkshopState, tallies: TallyCounts
    ) -> tuple[WorkshopState, WorkshopStep, tuple[Owed, ...]]:
        result = step(dialog, state, event, tallies)
        return result.state, result, ()

    return await store.steer(key, decide)


def ballot(dialog: Dialog, state: WorkshopState, member: str, choice: int = 0) -> RecordVote:
    d = dialog.distinctions[state.position]
    return RecordVote(state.number, state.position, d.id, member, d.choices[choice].id)


async def test_an_empty_chat_has_no_workshop(workshops: WorkshopStore) -> None:
    assert await workshops.load(GROUP) == WorkshopState()
    assert await workshops.tallies(GROUP, 1) == {}


async def test_steer_saves_the_state(workshops: WorkshopStore, dialog: Dialog) -> None:
    opened = await send(workshops, dialog, Open("fac"))
    assert (
        await workshops.load(GROUP)
        == opened.state
        == in_order(dialog, WorkshopState(1, dialog.id, "fac", WorkshopPhase.ASKING, language="en"))
    )
    revealed = await send(workshops, dialog, Reveal("fac"))
    assert (await workshops.load(GROUP)).phase is WorkshopPhase.REVEALED == revealed.state.phase
    assert await workshops.load(OTHER) == WorkshopState()  # keyed by (platform, chat)


async def test_the_last_press_wins_and_nobody_counts_twice(workshops: WorkshopStore, dialog: Dialog) -> None:
    state = (await send(workshops, dialog, Open("fac"))).state
    assert await workshops.record_vote(GROUP, ballot(dialog, state, "ana", 0)) == 1
    assert await workshops.record_vote(GROUP, ballot(dialog, state, "ana", 1)) == 1
    assert await workshops.record_vote(GROUP, ballot(dialog, state, "ben", 1)) == 2
    d = dialog.distinctions[0]
    assert await workshops.tallies(GROUP, 1) == {d.id: {d.choices[1].id: 2}}
    assert await workshops.member_votes(GROUP, 1, "ana") == {d.id: d.choices[1].id}


async def test_300_concurrent_votes_are_stored_exactly_once(workshops: WorkshopStore, dialog: Dialog) -> None:
    state = (await send(workshops, dialog, Open("fac"))).state
    members = [f"m{i}" for i in range(300)]
    first = [workshops.record_vote(GROUP, ballot(dialog, state, m, 0)) for m in members]
    # A third of them change their mind within the same burst.
    changes = [workshops.record_vote(GROUP, ballot(dialog, state, m, 1)) for m in members[::3]]
    before = workshops.batches
    counts = await asyncio.gather(*first, *changes)
    assert all(c is not None and 1 <= c <= 300 for c in counts)
    assert max(c for c in counts if c is not None) == 300
    assert workshops.batches - before < len(counts) / 4  # presses shared transactions
    d = dialog.distinctions[0]
    assert await workshops.tallies(GROUP, 1) == {d.id: {d.choices[0].id: 200, d.choices[1].id: 100}}


async def test_votes_for_a_closed_round_record_nothing(workshops: WorkshopStore, dialog: Dialog) -> None:
    first = (await send(workshops, dialog, Open("fac"))).state
    await send(workshops, dialog, Reveal("fac"))
    assert await workshops.record_vote(GROUP, ballot(dialog, first, "ana")) is None
    second = (await send(workshops, dialog, Next("fac"))).state
    assert await workshops.record_vote(GROUP, ballot(dialog, first, "ana")) is None  # older question
    assert await workshops.record_vote(GROUP, ballot(dialog, second, "ana")) == 1
    assert await workshops.tallies(GROUP, 1) == {
        dialog.distinctions[1].id: {dialog.distinctions[1].choices[0].id: 1}
    }


async def test_a_vote_racing_the_reveal_is_counted_or_refused_never_lost(
    workshops: WorkshopStore, dialog: Dialog
) -> None:
    state = (await send(workshops, dialog, Open("fac"))).state

    def press(member: str) -> asyncio.Future[int | None]:
        return asyncio.ensure_future(workshops.record_vote(GROUP, ballot(dialog, state, member)))

    votes = [press(f"early{i}") for i in range(100)]
    await asyncio.sleep(0)  # the writer takes the early votes
    reveal = asyncio.ensure_future(send(workshops, dialog, Reveal("fac")))
    await asyncio.sleep(0)  # the reveal queues for the write lock
    votes += [press(f"late{i}") for i in range(100)]
    revealed = await reveal
    outcomes = await asyncio.gather(*votes)
    accepted = sum(1 for o in outcomes if o is not None)
    assert 0 < accepted < len(votes)  # the race really happened
    shown = revealed.replies[0]
    assert getattr(shown, "voters", None) == accepted
    assert sum((await workshops.tallies(GROUP, 1)).get(dialog.distinctions[0].id, {}).values()) == accepted


async def test_a_restart_mid_workshop_loses_nothing(db_path: Path, dialog: Dialog) -> None:
    sessions = await SessionStore.open(db_path)
    workshops = WorkshopStore.on(sessions)
    await send(workshops, dialog, Open("fac"))
    await send(workshops, dialog, Reveal("fac"))
    state = (await send(workshops, dialog, Next("fac"))).state
    await asyncio.gather(*(workshops.record_vote(GROUP, ballot(dialog, state, m)) for m in ("ana", "ben")))
    await workshops.remember_message(GROUP, 1, "d", "msg-42")
    await workshops.close()
    await sessions.close()

    sessions = await SessionStore.open(db_path)
    workshops = WorkshopStore.on(sessions)
    try:
        assert await workshops.load(GROUP) == state
        d = dialog.distinctions[1]
        assert await workshops.tallies(GROUP, 1) == {d.id: {d.choices[0].id: 2}}
        assert await workshops.message(GROUP, 1, "d") == "msg-42"
        # A button posted before the restart still records.
        assert await workshops.record_vote(GROUP, ballot(dialog, state, "cy")) == 3
    finally:
        await workshops.close()
        await sessions.close()


async def test_one_active_workshop_per_chat(workshops: WorkshopStore, dialog: Dialog, db_path: Path) -> None:
    first = (await send(workshops, dialog, Open("fac"))).state
    await workshops.record_vote(GROUP, ballot(dialog, first, "ana"))
    second = await send(workshops, dialog, Open("fac", force=True))
    assert second.state.number == 2
    await send(workshops, dialog, Open("x"), OTHER)
    with sqlite3.connect(db_path) as raw:
        rows = raw.execute(
            "SELECT platform, number, phase FROM workshops ORDER BY platform, number"
        ).fetchall()
    assert rows == [("discord", 1, "asking"), ("telegram", 1, "ended"), ("telegram", 2, "asking")]
    assert await workshops.record_vote(GROUP, ballot(dialog, first, "ben")) is None  # workshop 1 is over
    assert await workshops.member_votes(GROUP, 1, "ana") != {}  # its votes stay for the profiles
    assert await workshops.dialog_of(GROUP, 1) == dialog.id
    assert await workshops.dialog_of(GROUP, 9) is None


async def test_forget_member_erases_votes_and_facilitation(workshops: WorkshopStore, dialog: Dialog) -> None:
    state = (await send(workshops, dialog, Open("ana"))).state
    other = (await send(workshops, dialog, Open("ana"), OTHER)).state
    for member in ("ana", "ben"):
        await workshops.record_vote(GROUP, ballot(dialog, state, member))
    await workshops.record_vote(OTHER, ballot(dialog, other, "ana"))
    assert await workshops.forget_member("telegram", "ana") == 1
    assert await workshops.member_votes(GROUP, 1, "ana") == {}
    assert await workshops.member_votes(GROUP, 1, "ben") != {}
    assert (await workshops.load(GROUP)).facilitator == ""
    assert await workshops.member_votes(OTHER, 1, "ana") != {}  # another platform's "ana"
    assert (await workshops.load(OTHER)).facilitator == "ana"


async def test_close_commits_pending_votes(db_path: Path, dialog: Dialog) -> None:
    sessions = await SessionStore.open(db_path)
    workshops = WorkshopStore.on(sessions)
    state = (await send(workshops, dialog, Open("fac"))).state
    pending = [
        asyncio.ensure_future(workshops.record_vote(GROUP, ballot(dialog, state, f"m{i}"))) for i in range(50)
    ]
    await asyncio.sleep(0)
    await workshops.close()
    assert sorted(await asyncio.gather(*pending))[-1] == 50
    with pytest.raises(StorageError, match="closed"):
        await workshops.record_vote(GROUP, ballot(dialog, state, "late"))
    await sessions.close()


async def test_migrating_a_version_1_file_keeps_the_sessions(db_path: Path, dialog: Dialog) -> None:
    with sqlite3.connect(db_path) as raw:
        for statement in MIGRATIONS[0]:
            raw.execute(statement)
        raw.execute(
            "INSERT INTO sessions (platform, chat, user, dialog, phase, position, turn, misses, version,"
            " updated_at) VALUES ('console', 't', 'ana', ?, 'asking', 2, 3, 0, 1, 0)",
            (dialog.id,),
        )
        raw.execute("PRAGMA user_version = 1")
    sessions = await SessionStore.open(db_path)
    workshops = WorkshopStore.on(sessions)
    try:
        loaded = await sessions.load(SessionKey("console", "t", "ana"))
        assert loaded is not None and (loaded.state.phase, loaded.state.turn) == (Phase.ASKING, 3)
        state = (await send(workshops, dialog, Open("fac"))).state
        assert await workshops.record_vote(GROUP, ballot(dialog, state, "ana")) == 1
    finally:
        await workshops.close()
        await sessions.close()
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_migrating_keeps_a_remembered_question_message_as_its_receipt(
    db_path: Path, dialog: Dialog
) -> None:
    """Before version 10 the question's message id lived on the workshop row; a workshop
    running across the upgrade still has its count edited."""
    with sqlite3.connect(db_path) as raw:
        for statements in MIGRATIONS[:9]:
            for statement in statements:
                raw.execute(statement)
        raw.execute(
            "INSERT INTO workshops (platform, chat, number, dialog, facilitator, phase, position,"
            " distinction, opened_at, updated_at, version, message)"
            " VALUES ('telegram', '-100123', 1, ?, 'fac', 'asking', 0, 'work', 0, 0, 1, '812')",
            (dialog.id,),
        )
        raw.execute("PRAGMA user_version = 9")
    sessions = await SessionStore.open(db_path)
    workshops = WorkshopStore.on(sessions)
    try:
        assert await workshops.message(GROUP, 1, "work") == "812"
        assert await workshops.message(GROUP, 1, "other") is None
    finally:
        await workshops.close()
        await sessions.close()


async def test_a_whole_workshop_through_storage(workshops: WorkshopStore, dialog: Dialog) -> None:
    state = (await send(workshops, dialog, Open("fac"))).state
    while state.phase is WorkshopPhase.ASKING:
        await asyncio.gather(
            *(workshops.record_vote(GROUP, ballot(dialog, state, m, -1)) for m in ("a", "b"))
        )
        result = await send(workshops, dialog, Next("fac"))  # reveals, then moves on
        state = result.state
    ended = await send(workshops, dialog, End("fac"))
    assert state.phase is WorkshopPhase.ENDED and ended.state == state
    tallies = await workshops.tallies(GROUP, 1)
    assert len(tallies) == dialog.total and all(sum(v.values()) == 2 for v in tallies.values())
