"""The storage contract (``storage.contract``), run against both stores: a real SQLite file
and a real PostgreSQL database. Two stores opened on one database stand for two processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from dialogs.content import Dialog
from dialogs.events import Next, Open, Reveal, WorkshopEvent
from dialogs.state import Answer, ClearAnswers, Phase, RecordAnswer, SessionState
from dialogs.workshop import RecordVote, WorkshopPhase, WorkshopState, WorkshopStep, step
from storage.contract import Store, TallyCounts, WorkshopContract, is_postgres, open_store
from storage.keys import SessionKey, WorkshopKey
from storage.outbox import Owed, Receipt
from storage.sessions import VersionConflict
from storage.stats import Filters

ANA = SessionKey("telegram", "100", "ana")
BEN = SessionKey("telegram", "200", "ben")
GROUP = WorkshopKey("telegram", "-100123")


def asking(turn: int, *answers: Answer) -> SessionState:
    return SessionState("job-vs-career", Phase.ASKING, turn, 0, answers)


@pytest.fixture
async def second(database: str | Path, any_store: Store) -> AsyncIterator[Store]:
    """Another store on the same database, as a second process would open it."""
    opened = await open_store(database)
    try:
        yield opened
    finally:
        await opened.close()


async def send(store: WorkshopContract, dialog: Dialog, event: WorkshopEvent) -> WorkshopStep:
    def decide(
        state: WorkshopState, tallies: TallyCounts
    ) -> tuple[WorkshopState, WorkshopStep, tuple[Owed, ...]]:
        result = step(dialog, state, event, tallies)
        return result.state, result, ()

    return await store.steer(GROUP, decide)


def ballot(dialog: Dialog, state: WorkshopState, member: str, choice: int = 0) -> RecordVote:
    d = dialog.distinctions[state.position]
    return RecordVote(state.number, state.position, d.id, member, d.choices[choice].id)


def test_the_setting_chooses_the_store() -> None:
    assert is_postgres("postgresql://careerbot:secret@db:5432/careerbot")
    assert is_postgres("postgres://db/careerbot")
    assert not is_postgres("careerbot.db") and not is_postgres(Path("/srv/postgresql/careerbot.db"))


# --- sessions and answers ----------------------------------------------------------------


async def test_round_trip(any_store: Store) -> None:
    assert await any_store.load(ANA) is None
    state = asking(2, Answer("work", "role"))
    assert await any_store.commit_turn(ANA, 0, state, (RecordAnswer("work", "role", 1),)) == 1
    loaded = await any_store.load(ANA)
    assert loaded is not None and loaded.state == state and loaded.version == 1
    assert await any_store.load(ANA, "job-vs-career") == loaded
    assert await any_store.load(ANA, "other-dialog") is None
    assert await any_store.count_sessions() == 1


async def test_resume_after_closing_and_reopening(database: str | Path) -> None:
    first = await open_store(database)
    await first.commit_turn(ANA, 0, asking(1, Answer("work", "path")), (RecordAnswer("work", "path", 1),))
    await first.close()
    again = await open_store(database)  # migrations already applied: nothing changes
    try:
        loaded = await again.load(ANA)
        assert loaded is not None and loaded.state.answers == (Answer("work", "path"),)
    finally:
        await again.close()


async def test_version_conflict_applies_nothing(any_store: Store) -> None:
    await any_store.commit_turn(ANA, 0, asking(1), ())
    await any_store.commit_turn(ANA, 1, asking(2, Answer("work", "role")), (RecordAnswer("work", "role", 1),))
    with pytest.raises(VersionConflict):
        await any_store.commit_turn(
            ANA, 1, asking(2, Answer("work", "path")), (RecordAnswer("work", "path", 1),), (Owed("100", "x"),)
        )
    loaded = await any_store.load(ANA)
    assert loaded is not None and loaded.version == 2
    assert loaded.state.answers == (Answer("work", "role"),)
    assert await any_store.outbox().count("telegram") == 0  # the refused turn owes nothing


async def test_creating_a_session_twice_conflicts(any_store: Store) -> None:
    await any_store.commit_turn(ANA, 0, asking(1), ())
    with pytest.raises(VersionConflict):
        await any_store.commit_turn(ANA, 0, asking(1), ())


async def test_a_conflict_fails_only_that_turn(any_store: Store) -> None:
    await any_store.commit_turn(ANA, 0, asking(1), ())
    others = [SessionKey("console", "terminal", f"p{i}") for i in range(20)]
    results = await asyncio.gather(
        any_store.commit_turn(ANA, 0, asking(1), ()),  # stale: ANA is at version 1
        *(any_store.commit_turn(key, 0, asking(1), ()) for key in others),
        return_exceptions=True,
    )
    assert isinstance(results[0], VersionConflict)
    assert results[1:] == [1] * len(others)
    assert await any_store.count_sessions() == 21


async def test_two_processes_racing_on_one_session_commit_exactly_one(
    any_store: Store, second: Store
) -> None:
    await any_store.commit_turn(ANA, 0, asking(1), ())
    results = await asyncio.gather(
        any_store.commit_turn(ANA, 1, asking(2, Answer("work", "role")), (RecordAnswer("work", "role", 1),)),
        second.commit_turn(ANA, 1, asking(2, Answer("work", "path")), (RecordAnswer("work", "path", 1),)),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["VersionConflict", "int"]
    loaded = await second.load(ANA)
    assert loaded is not None and loaded.version == 2 and len(loaded.state.answers) == 1
    assert len(await any_store.stats().answers()) == 1  # never recorded twice


async def test_answers_are_upserted_and_cleared(any_store: Store) -> None:
    before = time.time()
    await any_store.commit_turn(ANA, 0, asking(1), (RecordAnswer("work", "role", 0),))
    await any_store.commit_turn(ANA, 1, asking(3), (RecordAnswer("work", "path", 2),))
    answers = await any_store.stats().answers()
    assert [(a.distinction, a.choice) for a in answers] == [("work", "path")]
    assert answers[0].answered_at >= before
    await any_store.commit_turn(ANA, 2, asking(4), (ClearAnswers(),))
    assert await any_store.stats().answers() == []


async def test_skipped_answer_round_trips(any_store: Store) -> None:
    await any_store.commit_turn(ANA, 0, asking(1, Answer("work", None)), (RecordAnswer("work", None, 0),))
    loaded = await any_store.load(ANA)
    assert loaded is not None and loaded.state.answers == (Answer("work", None),)


async def test_keys_keep_sessions_apart(any_store: Store) -> None:
    dm, group = SessionKey("telegram", "42", "7"), SessionKey("telegram", "-100", "7")
    await any_store.commit_turn(dm, 0, asking(3), ())
    await any_store.commit_turn(group, 0, asking(1), ())
    dm_loaded, group_loaded = await any_store.load(dm), await any_store.load(group)
    assert dm_loaded is not None and dm_loaded.state.turn == 3
    assert group_loaded is not None and group_loaded.state.turn == 1


async def test_forget_erases_sessions_answers_and_language(any_store: Store) -> None:
    mine = [SessionKey("telegram", chat, "7") for chat in ("42", "-100", "-200")]
    theirs = SessionKey("telegram", "-100", "8")
    for key in [*mine, theirs]:
        await any_store.commit_turn(key, 0, asking(1), (RecordAnswer("work", "role", 0),))
    await any_store.choose_language("telegram", "7", "de")
    await any_store.choose_language("telegram", "7", "fr")  # the last choice wins
    assert await any_store.language("telegram", "7") == "fr"
    assert await any_store.forget("telegram", "7") == 3
    assert all([await any_store.load(key) is None for key in mine])
    assert await any_store.load(theirs) is not None
    assert await any_store.language("telegram", "7") is None
    assert [a.user for a in await any_store.stats().answers()] == ["8"]


async def test_structures_are_remembered(any_store: Store, dialog: Dialog) -> None:
    assert await any_store.structure(dialog.fingerprint) is None
    await any_store.remember(dialog)
    assert await any_store.structure(dialog.fingerprint) == dialog.structure
    assert await any_store.structure("") is None


# --- the outbox ----------------------------------------------------------------------------


async def test_replies_are_owed_with_their_turn_in_order_per_chat(any_store: Store) -> None:
    outbox = any_store.outbox()
    try:
        await any_store.commit_turn(ANA, 0, asking(1), (), (Owed("100", "a1"), Owed("100", "a2")))
        await any_store.commit_turn(BEN, 0, asking(1), (), (Owed("200", "b1"),))
        await any_store.owe(ANA, (Owed("100", "a3"),))
        assert await outbox.owed_chats("telegram") == ["100", "200"]
        assert await outbox.owed_chats("discord") == []
        rows = await outbox.owed("telegram", "100")
        assert [row.payload for row in rows] == ["a1", "a2", "a3"]
        assert await outbox.count("telegram") == 4
        await outbox.remove(rows[0].id)
        assert [row.payload for row in await outbox.owed("telegram", "100", limit=1)] == ["a2"]
        assert await outbox.count("telegram") == 3
    finally:
        await outbox.close()


async def test_forget_erases_the_replies_still_owed_to_that_person(any_store: Store) -> None:
    outbox = any_store.outbox()
    try:
        # Ana's replies in her private chat and in a group; Ben's in the same group.
        await any_store.commit_turn(ANA, 0, asking(1), (), (Owed("100", "a1"), Owed("-5", "a2")))
        await any_store.commit_turn(BEN, 0, asking(1), (), (Owed("-5", "b1"),))
        await any_store.owe(ANA, (Owed("-5", "a3"),))
        await any_store.forget("telegram", ANA.user)
        assert [row.payload for row in await outbox.owed("telegram", "-5")] == ["b1"]
        assert await outbox.owed("telegram", "100") == []
        assert await outbox.count("telegram") == 1
    finally:
        await outbox.close()


async def test_an_erased_row_is_never_mistaken_for_a_newer_one(any_store: Store) -> None:
    outbox = any_store.outbox()
    try:
        await any_store.owe(ANA, (Owed("100", "old"),))
        [old] = await outbox.owed("telegram", "100")
        assert await outbox.holds(old.id)
        await any_store.forget("telegram", ANA.user)  # the outbox is empty now
        assert not await outbox.holds(old.id)
        await any_store.owe(ANA, (Owed("100", "new"),))
        [new] = await outbox.owed("telegram", "100")
        assert new.id > old.id
        assert not await outbox.holds(old.id) and await outbox.holds(new.id)
    finally:
        await outbox.close()


async def test_a_delivered_row_notes_its_receipt_for_later_rows(any_store: Store) -> None:
    outbox = any_store.outbox()
    try:
        await any_store.owe(ANA, (Owed("-5", "post", receipt="question 1"), Owed("-5", "edit")))
        post, edit = await outbox.owed("telegram", "-5")
        assert (post.receipt, edit.receipt) == ("question 1", None)
        assert await outbox.receipt("telegram", "question 1") is None  # not sent yet
        await outbox.remove(post.id, Receipt("telegram", "question 1", "812"))
        assert await outbox.receipt("telegram", "question 1") == "812"
        assert await outbox.receipt("discord", "question 1") is None
        # Noted again under the same name (sent once more): the newest reference counts.
        await outbox.remove(edit.id, Receipt("telegram", "question 1", "813"))
        assert await outbox.receipt("telegram", "question 1") == "813"
        assert await outbox.count("telegram") == 0
    finally:
        await outbox.close()


async def test_a_chats_needed_replies_read_back_before_its_courtesy_ones(any_store: Store) -> None:
    outbox = any_store.outbox()
    try:
        # Each turn owes a courtesy edit of its question before the message it needs.
        for turn in (1, 2):
            owed = (Owed("100", f"mark {turn}", courtesy=True), Owed("100", f"next {turn}"))
            await any_store.commit_turn(ANA, turn - 1, asking(turn), (), owed)
        rows = await outbox.owed("telegram", "100")
        assert [(row.payload, row.courtesy) for row in rows] == [
            ("next 1", False),
            ("next 2", False),
            ("mark 1", True),
            ("mark 2", True),
        ]
        assert [row.payload for row in await outbox.owed("telegram", "100", limit=1)] == ["next 1"]
    finally:
        await outbox.close()


# --- workshops -----------------------------------------------------------------------------


async def test_a_steer_owes_its_posts_in_its_transaction_and_retention_erases_them(
    any_store: Store, workshops: WorkshopContract, dialog: Dialog
) -> None:
    def decide(
        state: WorkshopState, tallies: TallyCounts
    ) -> tuple[WorkshopState, WorkshopStep, tuple[Owed, ...]]:
        result = step(dialog, state, Open("fac"), tallies)
        return result.state, result, (Owed("-5", "intro"), Owed("-5", "question", "q"))

    def refuse(state: WorkshopState, tallies: TallyCounts) -> tuple[WorkshopState, None, tuple[Owed, ...]]:
        raise RuntimeError("the rendering failed")

    outbox = any_store.outbox()
    try:
        await workshops.steer(GROUP, decide)
        rows = await outbox.owed("telegram", "-5")
        assert [(row.payload, row.receipt) for row in rows] == [("intro", None), ("question", "q")]
        # A step that fails owes nothing and changes nothing.
        with pytest.raises(RuntimeError):
            await workshops.steer(GROUP, refuse)
        assert await outbox.count("telegram") == 2
        # The group's posts are nobody's to /forget, not even the facilitator's.
        await any_store.forget("telegram", "fac")
        assert await outbox.count("telegram") == 2
        await outbox.remove(rows[1].id, Receipt("telegram", "q", "77"))
        erased = await any_store.erase_older_than(time.time() + 1)
        assert erased.owed == 1
        assert await outbox.count("telegram") == 0
        assert await outbox.receipt("telegram", "q") is None
    finally:
        await outbox.close()


async def test_votes_are_upserted_and_the_reveal_counts_them(
    workshops: WorkshopContract, dialog: Dialog
) -> None:
    assert await workshops.load(GROUP) == WorkshopState()
    state = (await send(workshops, dialog, Open("fac"))).state
    assert await workshops.load(GROUP) == state
    assert await workshops.record_vote(GROUP, ballot(dialog, state, "ana", 0)) == 1
    assert await workshops.record_vote(GROUP, ballot(dialog, state, "ana", 1)) == 1
    assert await workshops.record_vote(GROUP, ballot(dialog, state, "ben", 1)) == 2
    d = dialog.distinctions[0]
    assert await workshops.tallies(GROUP, 1) == {d.id: {d.choices[1].id: 2}}
    assert await workshops.member_votes(GROUP, 1, "ana") == {d.id: d.choices[1].id}
    revealed = await send(workshops, dialog, Reveal("fac"))
    assert revealed.state.phase is WorkshopPhase.REVEALED
    # The round is closed: a late vote records nothing.
    assert await workshops.record_vote(GROUP, ballot(dialog, state, "cy", 0)) is None
    assert await workshops.tallies(GROUP, 1) == {d.id: {d.choices[1].id: 2}}
    assert (await send(workshops, dialog, Next("fac"))).state.position == 1
    await workshops.remember_message(GROUP, 1, "d", "msg-9")
    assert await workshops.message(GROUP, 1, "d") == "msg-9"
    assert await workshops.dialog_of(GROUP, 1) == dialog.id
    assert await workshops.facilitator_of(GROUP, 1) == "fac"
    assert await workshops.forget_member("telegram", "ana") == 1
    assert await workshops.member_votes(GROUP, 1, "ana") == {}


async def test_votes_through_two_processes_count_once_each(
    any_store: Store, second: Store, dialog: Dialog
) -> None:
    here, there = any_store.workshop_store(), second.workshop_store()
    try:
        state = (await send(here, dialog, Open("fac"))).state
        members = [f"m{i}" for i in range(60)]
        # Every member presses through both processes at once; some change their mind.
        await asyncio.gather(
            *(here.record_vote(GROUP, ballot(dialog, state, m, 0)) for m in members),
            *(there.record_vote(GROUP, ballot(dialog, state, m, i % 2)) for i, m in enumerate(members)),
        )
        revealed = await send(there, dialog, Reveal("fac"))
        d = dialog.distinctions[0]
        counted = revealed.state.phase is WorkshopPhase.REVEALED and await here.tallies(GROUP, 1)
        assert counted and sum(counted[d.id].values()) == len(members)
        stats = any_store.stats()
        workshop_id = await stats.workshop_id("telegram", GROUP.chat, 1)
        assert workshop_id is not None
        record = await stats.workshop(workshop_id)
        assert record is not None and record.participants == len(members)
        assert await stats.workshops() == [record]
    finally:
        await here.close()
        await there.close()


async def test_a_vote_racing_a_reveal_is_counted_or_refused(
    any_store: Store, second: Store, dialog: Dialog
) -> None:
    here, there = any_store.workshop_store(), second.workshop_store()
    try:
        state = (await send(here, dialog, Open("fac"))).state
        votes = [there.record_vote(GROUP, ballot(dialog, state, f"m{i}")) for i in range(40)]
        results = await asyncio.gather(send(here, dialog, Reveal("fac")), *votes)
        reveal, accepted = results[0], [r for r in results[1:] if r is not None]
        d = dialog.distinctions[0]
        # What the reveal counted is exactly what is stored: no vote slipped in after it.
        stored = await here.tallies(GROUP, 1)
        assert isinstance(reveal, WorkshopStep)
        assert sum(stored.get(d.id, {}).values()) == len(accepted)
    finally:
        await here.close()
        await there.close()


# --- counsellor reads, /mydata and retention -------------------------------------------------


async def test_stats_mydata_and_retention(any_store: Store) -> None:
    await any_store.commit_turn(ANA, 0, asking(1), (RecordAnswer("work", "role", 0),), (Owed("100", "r"),))
    await any_store.commit_turn(BEN, 0, asking(1), ())
    sessions = await any_store.stats().sessions()
    assert sorted(s.person for s in sessions) == [("telegram", "ana"), ("telegram", "ben")]
    assert await any_store.stats().sessions(Filters(platform="discord")) == []
    assert len(await any_store.stats().sessions(Filters(since=time.time() - 60, dialog="job-vs-career"))) == 2
    key = await any_store.stats().pseudonym_key()
    assert len(key) == 32 and await any_store.stats().pseudonym_key() == key
    data = await any_store.person_data("telegram", "ana")
    assert [(a.distinction, a.choice) for s in data.sessions for a in s.answers] == [("work", "role")]
    assert (await any_store.person_data("telegram", "nobody")).empty
    assert not (await any_store.erase_older_than(time.time() - 3600)).anything
    erased = await any_store.erase_older_than(time.time() + 1)
    assert (erased.sessions, erased.answers, erased.owed) == (2, 1, 1)
    assert await any_store.count_sessions() == 0
    assert await any_store.stats().pseudonym_key() == key  # the export's key stays
