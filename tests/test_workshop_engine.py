"""Table-driven tests of the workshop engine (pure: votes are applied by a tiny model here)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs import messages
from dialogs.content import Dialog, Lean
from dialogs.events import End, Next, Open, Reveal, Vote, WorkshopEvent
from dialogs.replies import (
    Audience,
    Difference,
    GroupProfile,
    MemberProfileOffer,
    Tally,
    Text,
    VoteCount,
    VoteQuestion,
    VoteRecorded,
    WorkshopRunning,
)
from dialogs.workshop import (
    TRANSITIONS,
    RecordVote,
    Tallies,
    WorkshopPhase,
    WorkshopState,
    WorkshopStep,
    in_order,
    member_profile,
    step,
    tally,
    vote_count,
)

ALL_EVENT_TYPES: tuple[type[WorkshopEvent], ...] = (Open, Vote, Reveal, Next, End)
FACILITATOR, ADMIN, MEMBER = "fac", "adm", "mem"
ROLES = (FACILITATOR, ADMIN, MEMBER)


def state_in(phase: WorkshopPhase, dialog: Dialog) -> WorkshopState:
    if phase is WorkshopPhase.NONE:
        return WorkshopState()
    return in_order(dialog, WorkshopState(3, dialog.id, FACILITATOR, phase, 1))


def sample_event(kind: type[WorkshopEvent], role: str, state: WorkshopState, dialog: Dialog) -> WorkshopEvent:
    admin = role == ADMIN
    if kind is Vote:
        distinction = dialog.distinctions[state.position]
        return Vote(role, state.number, distinction.id, distinction.choices[0].id, admin=admin)
    return kind(role, admin=admin)


def test_the_table_covers_every_event_in_every_phase() -> None:
    assert {(p, e) for p in WorkshopPhase for e in ALL_EVENT_TYPES} == set(TRANSITIONS)


OPENED = ((Text, VoteQuestion, Text), WorkshopPhase.ASKING)
NOTHING = ((Text,), None)  # None: the phase stays as it was
ENDING = ((Text, GroupProfile, MemberProfileOffer), WorkshopPhase.ENDED)
# (phase, event, role) -> (reply types, phase afterwards); a role left out acts like MEMBER.
EXPECTED: dict[
    tuple[WorkshopPhase, type[WorkshopEvent], str], tuple[tuple[type, ...], WorkshopPhase | None]
] = {}
for idle in (WorkshopPhase.NONE, WorkshopPhase.ENDED):
    for role in ROLES:
        EXPECTED[(idle, Open, role)] = OPENED
        for kind in (Vote, Reveal, Next, End):
            EXPECTED[(idle, kind, role)] = NOTHING
for running in (WorkshopPhase.ASKING, WorkshopPhase.REVEALED):
    for role in ROLES:
        steer = role != MEMBER
        EXPECTED[(running, Open, role)] = ((WorkshopRunning,), None) if steer else NOTHING
        EXPECTED[(running, End, role)] = ENDING if steer else NOTHING
        if running is WorkshopPhase.ASKING:
            EXPECTED[(running, Vote, role)] = ((VoteRecorded,), None)
            EXPECTED[(running, Reveal, role)] = (
                ((Tally, Difference), WorkshopPhase.REVEALED) if steer else NOTHING
            )
            EXPECTED[(running, Next, role)] = (
                ((Tally, Difference, VoteQuestion), WorkshopPhase.ASKING) if steer else NOTHING
            )
        else:
            EXPECTED[(running, Vote, role)] = NOTHING
            EXPECTED[(running, Reveal, role)] = NOTHING
            EXPECTED[(running, Next, role)] = ((VoteQuestion,), WorkshopPhase.ASKING) if steer else NOTHING


@pytest.mark.parametrize(("phase", "kind", "role"), sorted(EXPECTED, key=str))
def test_every_event_in_every_phase_for_every_role(
    dialog: Dialog, phase: WorkshopPhase, kind: type[WorkshopEvent], role: str
) -> None:
    state = state_in(phase, dialog)
    result = step(dialog, state, sample_event(kind, role, state, dialog), {})
    types, after = EXPECTED[(phase, kind, role)]
    assert tuple(type(r) for r in result.replies) == types
    assert result.state.phase is (after or phase)
    assert bool(result.writes) == (kind is Vote and phase is WorkshopPhase.ASKING)
    if types == (Text,):
        # Refusals and "nothing to do" answers go to the sender alone, never the group.
        assert result.replies[0].audience is Audience.PERSON
        assert result.state == state


def test_opening_makes_the_sender_facilitator_and_counts_workshops(dialog: Dialog) -> None:
    ended = state_in(WorkshopPhase.ENDED, dialog)
    result = step(dialog, ended, Open(MEMBER), {})
    opened = WorkshopState(4, dialog.id, MEMBER, WorkshopPhase.ASKING, 0, language=dialog.language)
    assert result.state == in_order(dialog, opened)
    intro, question, lead = result.replies
    assert isinstance(intro, Text) and intro.text == dialog.intro and intro.audience is Audience.EVERYONE
    assert isinstance(question, VoteQuestion)
    assert question.workshop == 4 and question.distinction == dialog.distinctions[0].id
    assert question.count == messages.VOTE_COUNT_NONE and question.audience is Audience.EVERYONE
    assert [c.id for c in question.choices] == [c.id for c in dialog.distinctions[0].choices]
    assert isinstance(lead, Text) and lead.audience is Audience.FACILITATOR


def test_a_second_open_asks_and_force_replaces(dialog: Dialog) -> None:
    running = state_in(WorkshopPhase.ASKING, dialog)
    (prompt,) = step(dialog, running, Open(FACILITATOR)).replies
    assert isinstance(prompt, WorkshopRunning) and prompt.workshop == 3 and "question 2 of 8" in prompt.text
    assert prompt.audience is Audience.PERSON
    replaced = step(dialog, running, Open(ADMIN, admin=True, force=True))
    assert replaced.state.number == 4 and replaced.state.facilitator == ADMIN
    notice = replaced.replies[0]
    assert isinstance(notice, Text) and notice.text == messages.WORKSHOP_REPLACED.format(number=3)
    refused = step(dialog, running, Open(MEMBER, force=True))
    assert refused.state == running
    assert refused.replies == (Text(messages.WORKSHOP_RUNNING_REFUSED),)


def test_a_vote_is_confirmed_privately_and_asks_for_one_write(dialog: Dialog) -> None:
    state = state_in(WorkshopPhase.ASKING, dialog)
    distinction = dialog.distinctions[1]
    choice = distinction.choices[1]
    result = step(dialog, state, Vote(MEMBER, 3, distinction.id, choice.id))
    assert result.state == state  # a vote never changes the shared state
    assert result.writes == (RecordVote(3, 1, distinction.id, MEMBER, choice.id),)
    (confirm,) = result.replies
    assert isinstance(confirm, VoteRecorded) and confirm.audience is Audience.PERSON
    assert choice.label in confirm.text and len(confirm.text) <= 200  # fits a Telegram alert


def test_changing_a_vote_before_the_reveal_writes_the_new_choice(dialog: Dialog) -> None:
    state = state_in(WorkshopPhase.ASKING, dialog)
    d = dialog.distinctions[1]
    first = step(dialog, state, Vote(MEMBER, 3, d.id, d.choices[0].id))
    second = step(dialog, state, Vote(MEMBER, 3, d.id, d.choices[2].id))
    assert first.writes[0].choice == d.choices[0].id
    assert second.writes[0].choice == d.choices[2].id
    assert (first.writes[0].workshop, first.writes[0].distinction, first.writes[0].member) == (
        second.writes[0].workshop,
        second.writes[0].distinction,
        second.writes[0].member,
    )


@pytest.mark.parametrize(
    ("phase", "workshop", "position", "choice", "expected"),
    [
        (WorkshopPhase.ASKING, 2, 1, 0, messages.VOTE_OLD_WORKSHOP),  # a button of workshop 2
        (WorkshopPhase.ASKING, 3, 0, 0, messages.VOTE_CLOSED),  # the previous question
        (WorkshopPhase.ASKING, 3, 2, 0, messages.VOTE_CLOSED),  # a question not asked yet
        (WorkshopPhase.ASKING, 3, 1, None, messages.VOTE_UNKNOWN_CHOICE),
        (WorkshopPhase.REVEALED, 3, 1, 0, messages.VOTE_AFTER_REVEAL),
        (WorkshopPhase.ENDED, 3, 1, 0, messages.VOTE_NO_WORKSHOP),
        (WorkshopPhase.ENDED, 2, 1, 0, messages.VOTE_OLD_WORKSHOP),
    ],
)
def test_stale_votes_record_nothing(
    dialog: Dialog, phase: WorkshopPhase, workshop: int, position: int, choice: int | None, expected: str
) -> None:
    state = state_in(phase, dialog)
    distinction = dialog.distinctions[position]
    choice_id = distinction.choices[choice].id if choice is not None else "nonsense"
    result = step(dialog, state, Vote(MEMBER, workshop, distinction.id, choice_id))
    assert result.writes == ()
    assert result.state == state
    assert result.replies == (Text(expected),)


def test_reveal_shows_counts_and_percentages_without_names(dialog: Dialog) -> None:
    state = state_in(WorkshopPhase.ASKING, dialog)
    d = dialog.distinctions[1]
    votes = {d.choices[0].id: 1, d.choices[1].id: 1, d.choices[2].id: 1}
    result = step(dialog, state, Reveal(FACILITATOR), {d.id: votes})
    shown, explained = result.replies
    assert isinstance(shown, Tally) and shown.voters == 3 and shown.audience is Audience.EVERYONE
    assert [r.count for r in shown.rows] == [votes.get(c.id, 0) for c in d.choices]
    assert sum(r.percent for r in shown.rows) == 100  # 33+33+33 would read 99
    assert {r.label for r in shown.rows} == {c.label for c in d.choices}
    assert isinstance(explained, Difference) and explained.why == d.why
    assert dict(explained.explain) == {Lean.JOB: d.explain.job, Lean.CAREER: d.explain.career}


def test_tally_of_nobody_is_all_zero(dialog: Dialog) -> None:
    shown = tally(dialog.distinctions[0], {})
    assert shown.voters == 0 and all(r.count == 0 and r.percent == 0 for r in shown.rows)


def test_next_on_the_last_question_finishes(dialog: Dialog) -> None:
    last = WorkshopState(1, dialog.id, FACILITATOR, WorkshopPhase.REVEALED, dialog.total - 1)
    last = in_order(dialog, last)
    result = step(dialog, last, Next(FACILITATOR))
    assert result.state.phase is WorkshopPhase.ENDED
    assert [type(r) for r in result.replies] == [Text, GroupProfile, MemberProfileOffer]


def test_a_workshop_whose_content_is_gone_ends_instead_of_crashing(dialog: Dialog) -> None:
    orphan = WorkshopState(2, "retired-dialog", FACILITATOR, WorkshopPhase.ASKING, 5)
    for kind in ALL_EVENT_TYPES:
        result = step(dialog, orphan, sample_event(kind, FACILITATOR, replace(orphan, position=0), dialog))
        assert result.replies[0] == Text(messages.WORKSHOP_CONTENT_GONE)
        expected = WorkshopPhase.ASKING if kind is Open else WorkshopPhase.ENDED
        assert result.state.phase is expected


def test_vote_count_texts() -> None:
    state = WorkshopState(1, "d", FACILITATOR, WorkshopPhase.ASKING, 0)
    assert vote_count(state, "x", 0) == VoteCount(1, "x", 0, messages.VOTE_COUNT_NONE)
    assert vote_count(state, "x", 1).text == messages.VOTE_COUNT.say(1, voters=1)
    assert vote_count(state, "x", 42).text == messages.VOTE_COUNT.say(42, voters=42)


class Room:
    """A reference model of storage for the full-workshop test: one vote per member and
    question, last press wins, tallies counted from that."""

    def __init__(self, dialog: Dialog) -> None:
        self.dialog = dialog
        self.state = WorkshopState()
        self.votes: dict[tuple[int, str, str], str] = {}

    def tallies(self) -> Tallies:
        counts: dict[str, Counter[str]] = {}
        for (number, distinction, _member), choice in self.votes.items():
            if number == self.state.number:
                counts.setdefault(distinction, Counter())[choice] += 1
        return counts

    def send(self, event: WorkshopEvent) -> WorkshopStep:
        result = step(self.dialog, self.state, event, self.tallies())
        for w in result.writes:
            self.votes[(w.workshop, w.distinction, w.member)] = w.choice
        self.state = result.state
        return result

    def vote(self, member: str, choice_index: int) -> WorkshopStep:
        d = self.dialog.distinctions[self.state.position]
        return self.send(Vote(member, self.state.number, d.id, d.choices[choice_index].id))


def test_a_whole_workshop_with_a_late_joiner(dialog: Dialog) -> None:
    room = Room(dialog)
    room.send(Open(FACILITATOR))
    members = ["ana", "ben", "cy"]
    for position in range(dialog.total):
        if position == 3:
            members.append("late")  # joins at the fourth question and answers from there on
        for member in members:
            room.vote(member, 0)
        room.vote("ana", -1)  # ana changes her mind before the reveal: her last press counts
        shown = room.send(Reveal(FACILITATOR)).replies[0]
        assert isinstance(shown, Tally) and shown.voters == len(members)
        assert shown.rows[0].count == len(members) - 1 and shown.rows[-1].count == 1
        before = room.state
        late = room.vote("ben", 1)  # after the reveal: refused, nothing recorded
        assert late.writes == () and room.state == before
        assert room.send(Next(MEMBER)).replies == (Text(messages.WORKSHOP_ONLY_STEERER),)
        result = room.send(Next(FACILITATOR))
    assert room.state.phase is WorkshopPhase.ENDED
    _, profile, offer = result.replies
    assert isinstance(profile, GroupProfile) and len(profile.rows) == dialog.total
    assert sum(profile.counts.values()) == dialog.total
    majority = {d.choices[0].leans for d in dialog.distinctions}
    assert all(row.leans in majority for row in profile.rows)
    assert isinstance(offer, MemberProfileOffer) and offer.workshop == 1
    own = {d: c for (n, d, m), c in room.votes.items() if m == "late"}
    mine = member_profile(dialog, 1, own)
    assert mine is not None and len(mine.lines) == dialog.total - 3
    assert all(line.answer is not None for line in mine.lines) and mine.finished
    assert "1" in mine.heading
    ana = member_profile(dialog, 1, {d: c for (n, d, m), c in room.votes.items() if m == "ana"})
    assert ana is not None and all(
        line.answer == d.choices[-1].label for line, d in zip(ana.lines, dialog.distinctions, strict=True)
    )
    assert member_profile(dialog, 1, {}) is None


def test_ending_early_profiles_only_the_revealed_questions(dialog: Dialog) -> None:
    room = Room(dialog)
    room.send(Open(FACILITATOR))
    room.vote("ana", 0)
    room.send(Reveal(FACILITATOR))
    room.send(Next(FACILITATOR))
    room.vote("ana", -1)  # the second question is asked but never revealed
    _, profile, _ = room.send(End(ADMIN, admin=True)).replies
    assert isinstance(profile, GroupProfile)
    assert len(profile.rows) == 1 and profile.rows[0].voters == 1
    assert profile.counts[dialog.distinctions[0].choices[0].leans] == 1
    assert sum(profile.counts.values()) == 1


def test_a_tied_group_leans_mixed(dialog: Dialog) -> None:
    d = dialog.distinctions[0]
    job = next(c for c in d.choices if c.leans is Lean.JOB)
    career = next(c for c in d.choices if c.leans is Lean.CAREER)
    state = in_order(dialog, WorkshopState(1, dialog.id, FACILITATOR, WorkshopPhase.REVEALED, 0))
    _, profile, _ = step(dialog, state, End(FACILITATOR), {d.id: {job.id: 2, career.id: 2}}).replies
    assert isinstance(profile, GroupProfile) and profile.rows[0].leans is Lean.MIXED


ids = st.sampled_from(["work", "value", "role", "pay", "x", ""]) | st.text(max_size=8)
users = st.sampled_from([FACILITATOR, ADMIN, MEMBER, "zed"])
workshop_events: st.SearchStrategy[WorkshopEvent] = st.one_of(
    st.builds(Open, users, st.booleans(), st.none(), st.booleans()),
    st.builds(Vote, users, st.integers(min_value=-1, max_value=5), ids, ids, st.booleans()),
    st.builds(Reveal, users, st.booleans()),
    st.builds(Next, users, st.booleans()),
    st.builds(End, users, st.booleans()),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(workshop_events, max_size=40), votes=st.integers(min_value=0, max_value=50))
def test_the_engine_never_raises_and_always_answers(
    dialog: Dialog, sequence: list[WorkshopEvent], votes: int
) -> None:
    state = WorkshopState()
    tallies = {d.id: {d.choices[0].id: votes} for d in dialog.distinctions}
    for event in sequence:
        result = step(dialog, state, event, tallies)
        assert result.replies
        assert result.state.number >= state.number  # workshop numbers never go back
        assert 0 <= result.state.position < dialog.total
        assert len(result.writes) <= 1
        if result.state.number == state.number and result.state.facilitator != state.facilitator:
            raise AssertionError("only opening a workshop names a facilitator")
        state = result.state
