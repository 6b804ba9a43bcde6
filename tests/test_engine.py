"""Table-driven tests of the personal conversation engine (pure: no storage involved)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dialogs import messages
from dialogs.content import Dialog, Lean
from dialogs.engine import TRANSITIONS, new_state, step
from dialogs.events import (
    Back,
    Choose,
    Confirm,
    Event,
    FreeText,
    Help,
    Restart,
    Resume,
    Skip,
    Start,
    Summary,
    Why,
)
from dialogs.replies import Answered, Confirmation, Explanation, Profile, Question, Text
from dialogs.state import Answer, ClearAnswers, Phase, RecordAnswer, SessionState

ALL_EVENT_TYPES = (Start, Resume, Choose, FreeText, Confirm, Back, Skip, Restart, Why, Summary, Help)


def sample_event(kind: type[Event], state: SessionState, dialog: Dialog) -> Event:
    if kind is Choose:
        position = min(state.position_in(dialog), dialog.total - 1)
        distinction = dialog.distinctions[position]
        return Choose(distinction.id, distinction.choices[0].id, state.turn)
    if kind is FreeText:
        return FreeText("1")
    if kind is Confirm:
        return Confirm(True, state.turn)
    return kind()


def state_in(phase: Phase, dialog: Dialog) -> SessionState:
    if phase is Phase.NEW:
        return new_state(dialog)
    if phase is Phase.ASKING:
        answers = (Answer(dialog.distinctions[0].id, dialog.distinctions[0].choices[0].id),)
        return SessionState(dialog.id, Phase.ASKING, turn=2, answers=answers)
    answers = tuple(Answer(d.id, d.choices[-1].id) for d in dialog.distinctions)
    return SessionState(dialog.id, Phase.DONE, turn=9, answers=answers)


def asking_at(dialog: Dialog, position: int, turn: int) -> SessionState:
    """A session at question ``position``, every question before it answered."""
    answers = tuple(Answer(d.id, d.choices[0].id) for d in dialog.distinctions[:position])
    return SessionState(dialog.id, Phase.ASKING, turn=turn, answers=answers)


def test_the_table_covers_every_event_in_every_phase() -> None:
    assert {(p, e) for p in Phase for e in ALL_EVENT_TYPES} == set(TRANSITIONS)


@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("kind", ALL_EVENT_TYPES)
def test_every_event_in_every_phase_answers(dialog: Dialog, phase: Phase, kind: type[Event]) -> None:
    state = state_in(phase, dialog)
    result = step(dialog, state, sample_event(kind, state, dialog))
    assert result.replies, "every event gets at least one reply"
    assert result.state.dialog == dialog.id
    assert 0 <= result.state.position_in(dialog) <= dialog.total


# (phase, event, expected reply types, expected phase afterwards)
EXPECTED: list[tuple[Phase, type[Event], tuple[type, ...], Phase]] = [
    (Phase.NEW, Start, (Text, Question), Phase.ASKING),
    (Phase.NEW, Choose, (Text,), Phase.NEW),
    (Phase.NEW, Back, (Text,), Phase.NEW),
    (Phase.NEW, Summary, (Text,), Phase.NEW),
    (Phase.ASKING, Start, (Text, Question), Phase.ASKING),
    (Phase.ASKING, Resume, (Question,), Phase.ASKING),
    (Phase.ASKING, Choose, (Answered, Explanation, Question), Phase.ASKING),
    (Phase.ASKING, FreeText, (Answered, Explanation, Question), Phase.ASKING),
    (Phase.ASKING, Back, (Question,), Phase.ASKING),
    (Phase.ASKING, Skip, (Text, Question), Phase.ASKING),
    (Phase.ASKING, Why, (Text, Question), Phase.ASKING),
    (Phase.ASKING, Summary, (Profile, Question), Phase.ASKING),
    (Phase.ASKING, Restart, (Text, Question), Phase.ASKING),
    (Phase.DONE, Start, (Text, Profile), Phase.DONE),
    (Phase.DONE, Choose, (Text,), Phase.DONE),
    (Phase.DONE, Back, (Text, Question), Phase.ASKING),
    (Phase.DONE, Skip, (Text,), Phase.DONE),
    (Phase.DONE, Summary, (Profile,), Phase.DONE),
    (Phase.DONE, Restart, (Text, Question), Phase.ASKING),
]


@pytest.mark.parametrize(("phase", "kind", "reply_types", "after"), EXPECTED)
def test_transitions(
    dialog: Dialog, phase: Phase, kind: type[Event], reply_types: tuple[type, ...], after: Phase
) -> None:
    state = state_in(phase, dialog)
    result = step(dialog, state, sample_event(kind, state, dialog))
    assert tuple(type(r) for r in result.replies) == reply_types
    assert result.state.phase is after


def test_full_conversation_records_every_answer_and_ends_with_a_profile(dialog: Dialog) -> None:
    state = new_state(dialog)
    state = step(dialog, state, Start()).state
    recorded: list[RecordAnswer] = []
    for index, distinction in enumerate(dialog.distinctions):
        question = step(dialog, state, Resume()).replies[0]
        assert isinstance(question, Question)
        assert question.distinction == distinction.id
        assert (question.progress.position, question.progress.total) == (index + 1, dialog.total)
        assert question.progress.answered == index  # the bar counts what is answered
        result = step(dialog, state, Choose(distinction.id, distinction.choices[-1].id, question.turn))
        recorded += [w for w in result.writes if isinstance(w, RecordAnswer)]
        state = result.state
    assert state.phase is Phase.DONE
    assert [r.distinction for r in recorded] == [d.id for d in dialog.distinctions]
    profile = step(dialog, state, Summary()).replies[0]
    assert isinstance(profile, Profile)
    assert profile.heading == dialog.outro.heading
    assert len(profile.lines) == dialog.total
    assert all(line.leans is Lean.CAREER for line in profile.lines)  # each last choice leans career
    assert profile.headline == f"All {dialog.total} of your answers lean towards a career."
    assert profile.look_next == ()  # nothing leaned towards a job
    assert profile.closing == dialog.outro.closing[Lean.CAREER]


@pytest.mark.parametrize("position", range(8))
def test_every_answer_is_followed_by_both_sides_and_a_line_about_it(dialog: Dialog, position: int) -> None:
    distinction = dialog.distinctions[position]
    state = asking_at(dialog, position, turn=5)
    for choice in distinction.choices:
        result = step(dialog, state, Choose(distinction.id, choice.id, state.turn))
        explanation = next(r for r in result.replies if isinstance(r, Explanation))
        # The difference is the same whatever the answer; only the last line is theirs.
        assert (explanation.job, explanation.career) == (distinction.explain.job, distinction.explain.career)
        assert explanation.yours == choice.reflection


def test_a_press_on_a_question_answered_before_changes_nothing_and_says_so_briefly(dialog: Dialog) -> None:
    state = step(dialog, new_state(dialog), Start()).state
    first = dialog.distinctions[0]
    state = step(dialog, state, Choose(first.id, first.choices[0].id, state.turn)).state
    stale = step(dialog, state, Choose(first.id, first.choices[1].id, state.turn - 1))
    assert stale.state == state
    assert stale.writes == ()
    # The current question is already the newest one shown: a remark in passing is enough.
    assert stale.replies == (Text(messages.ALREADY_ANSWERED, brief=True),)


def test_stale_choice_on_the_current_question_changes_nothing_and_reshows_it(dialog: Dialog) -> None:
    state = step(dialog, new_state(dialog), Start()).state
    first = dialog.distinctions[0]
    state = step(dialog, state, Choose(first.id, first.choices[0].id, state.turn)).state
    state = step(dialog, state, Back()).state  # the first question again, at a new turn
    stale = step(dialog, state, Choose(first.id, first.choices[1].id, state.turn - 2))
    assert stale.state == state
    assert stale.writes == ()
    assert isinstance(stale.replies[0], Text) and stale.replies[0].text == messages.STALE_CHOICE
    assert not stale.replies[0].brief
    assert isinstance(stale.replies[1], Question) and stale.replies[1].distinction == first.id


def test_a_press_on_a_skipped_question_reshows_the_current_one(dialog: Dialog) -> None:
    state = step(dialog, new_state(dialog), Start()).state
    first = dialog.distinctions[0]
    asked_at = state.turn
    state = step(dialog, state, Skip()).state
    stale = step(dialog, state, Choose(first.id, first.choices[1].id, asked_at))
    assert stale.state == state
    assert isinstance(stale.replies[0], Text) and stale.replies[0].text == messages.STALE_CHOICE
    assert (
        isinstance(stale.replies[1], Question) and stale.replies[1].distinction == dialog.distinctions[1].id
    )


def test_a_double_press_records_once(dialog: Dialog) -> None:
    state = step(dialog, new_state(dialog), Start()).state
    first = dialog.distinctions[0]
    press = Choose(first.id, first.choices[0].id, state.turn)
    once = step(dialog, state, press)
    twice = step(dialog, once.state, press)
    assert len(once.writes) == 1
    assert twice.writes == () and twice.state == once.state


def test_unknown_choice_id_is_not_recorded(dialog: Dialog) -> None:
    state = step(dialog, new_state(dialog), Start()).state
    result = step(dialog, state, Choose(dialog.distinctions[0].id, "nope", state.turn))
    assert result.writes == () and result.state == state
    assert isinstance(result.replies[0], Text) and result.replies[0].text == messages.UNKNOWN_CHOICE


def test_back_at_the_first_question_stays(dialog: Dialog) -> None:
    state = step(dialog, new_state(dialog), Start()).state
    result = step(dialog, state, Back())
    assert result.state == state
    assert isinstance(result.replies[0], Text) and result.replies[0].text == messages.AT_FIRST_QUESTION


def test_back_then_answer_again_replaces_the_answer(dialog: Dialog) -> None:
    state = step(dialog, new_state(dialog), Start()).state
    first = dialog.distinctions[0]
    state = step(dialog, state, Choose(first.id, first.choices[0].id, state.turn)).state
    back = step(dialog, state, Back())
    question = back.replies[0]
    assert isinstance(question, Question)
    assert question.distinction == first.id and question.current == first.choices[0].id
    again = step(dialog, back.state, Choose(first.id, first.choices[2].id, back.state.turn))
    assert again.state.answer_for(first.id) == Answer(first.id, first.choices[2].id)
    assert len(again.state.answers) == 1


def test_skip_at_the_last_question_finishes(dialog: Dialog) -> None:
    last = dialog.total - 1
    state = asking_at(dialog, last, turn=8)
    result = step(dialog, state, Skip())
    assert result.state.phase is Phase.DONE
    assert result.writes == (RecordAnswer(dialog.distinctions[last].id, None, 8),)
    profile = result.replies[-1]
    assert isinstance(profile, Profile) and profile.finished
    assert profile.lines[-1].answer is None  # shown as skipped


def test_back_after_finishing_reopens_the_last_question(dialog: Dialog) -> None:
    done = state_in(Phase.DONE, dialog)
    result = step(dialog, done, Back())
    assert result.state.position_in(dialog) == dialog.total - 1
    assert result.state.turn == done.turn + 1


def test_restart_clears_answers(dialog: Dialog) -> None:
    state = state_in(Phase.ASKING, dialog)
    result = step(dialog, state, Restart())
    assert result.writes == (ClearAnswers(),)
    assert result.state.answers == () and result.state.position_in(dialog) == 0
    assert result.state.turn > state.turn  # buttons from before the restart are stale
    assert isinstance(result.replies[0], Text) and result.replies[0].text == messages.RESTARTED


def test_start_when_in_progress_welcomes_back_with_progress(dialog: Dialog) -> None:
    state = state_in(Phase.ASKING, dialog)
    result = step(dialog, state, Start())
    welcome = result.replies[0]
    assert isinstance(welcome, Text) and welcome.text == messages.WELCOME_BACK.format(
        title=dialog.title, answered=1, total=dialog.total, position=2
    )
    assert result.state == state


def test_start_with_nothing_answered_shows_the_intro_not_a_welcome_back(dialog: Dialog) -> None:
    state = step(dialog, new_state(dialog), Start()).state
    result = step(dialog, state, Start())
    assert isinstance(result.replies[0], Text) and result.replies[0].text == dialog.intro
    assert isinstance(result.replies[1], Question)


@pytest.mark.parametrize(
    ("text", "expected_choice"),
    [
        ("1", "role"),
        ("3.", "path"),
        ("#2", "trade"),
        ("a trade i am getting better at", "trade"),
        ("It's my calling", "path"),
        ("PATH", "path"),
    ],
)
def test_free_text_matches_a_choice(dialog: Dialog, text: str, expected_choice: str) -> None:
    state = step(dialog, new_state(dialog), Start()).state
    result = step(dialog, state, FreeText(text))
    assert result.writes == (RecordAnswer("work", expected_choice, state.turn),)


def test_two_misses_spell_the_choices_out(dialog: Dialog) -> None:
    state = step(dialog, new_state(dialog), Start()).state
    first = step(dialog, state, FreeText("purple elephants"))
    hint1 = first.replies[0]
    assert isinstance(hint1, Question) and hint1.hint == messages.FIRST_MISS.format(count=3)
    second = step(dialog, first.state, FreeText("still purple elephants"))
    hint2 = second.replies[0]
    assert isinstance(hint2, Question) and hint2.hint is not None
    assert all(f"{n} = {c.label}" in hint2.hint for n, c in enumerate(dialog.distinctions[0].choices, 1))
    answered = step(dialog, second.state, FreeText("2"))
    assert answered.state.misses == 0 and answered.writes


def test_ambiguous_text_asks_which(dialog: Dialog) -> None:
    # Two choices of the same lean; "no, yes" would be read as the in-between choice instead.
    state = asking_at(dialog, dialog.index_of("value") or 0, turn=3)
    result = step(dialog, state, FreeText("fulfilment, and my dream"))
    assert result.writes == ()
    question = result.replies[0]
    assert isinstance(question, Question) and question.hint and "more than one" in question.hint


def test_out_of_range_number_is_a_miss(dialog: Dialog) -> None:
    state = step(dialog, new_state(dialog), Start()).state
    result = step(dialog, state, FreeText("7"))
    assert result.writes == () and result.state.misses == 1


def test_unknown_command_gets_a_helpful_reply(dialog: Dialog) -> None:
    for state in (new_state(dialog), state_in(Phase.ASKING, dialog), state_in(Phase.DONE, dialog)):
        result = step(dialog, state, FreeText("/dance now"))
        reply = result.replies[0]
        assert isinstance(reply, Text) and reply.text == messages.UNKNOWN_COMMAND.format(command="/dance")
        assert result.state == state


def test_summary_part_way_lists_only_answered(dialog: Dialog) -> None:
    state = state_in(Phase.ASKING, dialog)
    profile = step(dialog, state, Summary()).replies[0]
    assert isinstance(profile, Profile)
    assert len(profile.lines) == 1
    assert profile.heading == messages.SUMMARY_SO_FAR.format(answered=1, total=dialog.total)


def test_all_skipped_profile_says_so(dialog: Dialog) -> None:
    answers = tuple(Answer(d.id, None) for d in dialog.distinctions)
    state = SessionState(dialog.id, Phase.DONE, 9, 0, answers)
    profile = step(dialog, state, Summary()).replies[0]
    assert isinstance(profile, Profile)
    assert profile.closing == messages.NO_ANSWERS and profile.headline is None
    assert all(line.answer is None for line in profile.lines)


def test_tie_between_job_and_career_reads_as_in_between(dialog: Dialog) -> None:
    job = [
        Answer(d.id, next(c.id for c in d.choices if c.leans is Lean.JOB)) for d in dialog.distinctions[:4]
    ]
    career = [
        Answer(d.id, next(c.id for c in d.choices if c.leans is Lean.CAREER)) for d in dialog.distinctions[4:]
    ]
    state = SessionState(dialog.id, Phase.DONE, 9, 0, (*job, *career))
    profile = step(dialog, state, Summary()).replies[0]
    assert isinstance(profile, Profile)
    assert profile.headline == messages.HEADLINE_SPLIT.format(answered=8)
    assert profile.closing == dialog.outro.closing[Lean.MIXED]
    assert [item.title for item in profile.look_next] == [d.title for d in dialog.distinctions[:4]]


def test_steps_are_deterministic(dialog: Dialog) -> None:
    state = state_in(Phase.ASKING, dialog)
    assert step(dialog, state, FreeText("2")) == step(dialog, replace(state), FreeText("2"))


def test_free_text_for_an_older_turn_is_stale(dialog: Dialog) -> None:
    """Words typed into a form opened from an earlier question must not answer this one."""
    state = step(dialog, new_state(dialog), Start()).state
    moved = step(dialog, state, FreeText("1", state.turn)).state
    stale = step(dialog, moved, FreeText("2", state.turn))
    assert stale.writes == () and stale.state == moved
    assert isinstance(stale.replies[0], Text) and stale.replies[0].text == messages.STALE_TEXT
    current = step(dialog, moved, FreeText("2", moved.turn))
    assert current.writes == (
        RecordAnswer(dialog.distinctions[1].id, dialog.distinctions[1].choices[1].id, moved.turn),
    )


def _at(dialog: Dialog, distinction_id: str, turn: int = 4) -> SessionState:
    return asking_at(dialog, dialog.index_of(distinction_id) or 0, turn)


def test_a_reading_that_is_not_sure_is_confirmed_before_it_is_recorded(dialog: Dialog) -> None:
    state = _at(dialog, "hours")
    asked = step(dialog, state, FreeText("my boss decides most of the time but sometimes I can move a shift"))
    assert asked.writes == ()
    confirmation = asked.replies[0]
    assert isinstance(confirmation, Confirmation) and confirmation.turn == state.turn
    assert confirmation.label is not None and confirmation.text == messages.CONFIRM_READ.format(
        label=confirmation.label
    )
    pending = asked.state.pending
    assert pending is not None
    yes = step(dialog, asked.state, Confirm(True, confirmation.turn))
    assert yes.writes == (RecordAnswer("hours", pending, state.turn),)
    assert yes.state.pending is None and yes.state.position_in(dialog) == state.position_in(dialog) + 1


def test_no_to_a_confirmation_asks_again_and_records_nothing(dialog: Dialog) -> None:
    asked = step(dialog, _at(dialog, "hours"), FreeText("my boss decides but sometimes I can move a shift"))
    again = step(dialog, asked.state, FreeText("n"))
    assert again.writes == () and again.state.pending is None
    question = again.replies[0]
    assert isinstance(question, Question) and question.hint == messages.CONFIRM_AGAIN
    # An old "Yes" pressed after that is stale: there is nothing to confirm any more.
    late = step(dialog, again.state, Confirm(True, asked.state.turn))
    assert late.writes == () and isinstance(late.replies[0], Text)
    assert late.replies[0].text == messages.CONFIRM_STALE


def test_typed_yes_confirms_and_new_words_are_read_afresh(dialog: Dialog) -> None:
    asked = step(dialog, _at(dialog, "hours"), FreeText("my boss decides but sometimes I can move a shift"))
    assert step(dialog, asked.state, FreeText("Yes!")).writes
    fresh = step(dialog, asked.state, FreeText("3"))
    mine = dialog.distinctions[dialog.index_of("hours") or 0].choices[2].id
    assert fresh.writes == (RecordAnswer("hours", mine, asked.state.turn),)


def test_a_confirmation_is_set_aside_by_any_other_event(dialog: Dialog) -> None:
    asked = step(dialog, _at(dialog, "hours"), FreeText("my boss decides but sometimes I can move a shift"))
    shown = step(dialog, asked.state, Why())
    assert shown.state.pending is None
    assert step(dialog, shown.state, FreeText("yes")).writes == ()  # "yes" is no longer a confirmation


def test_a_confirmation_from_an_older_turn_is_stale(dialog: Dialog) -> None:
    asked = step(dialog, _at(dialog, "hours"), FreeText("my boss decides but sometimes I can move a shift"))
    stale = step(dialog, asked.state, Confirm(True, asked.state.turn - 1))
    assert stale.writes == () and stale.state == asked.state


@pytest.mark.parametrize("text", ["dunno", "not sure", "I don't know", "skip"])
def test_not_knowing_offers_a_skip(dialog: Dialog, text: str) -> None:
    asked = step(dialog, _at(dialog, "value"), FreeText(text))
    offer = asked.replies[0]
    assert isinstance(offer, Confirmation) and offer.label is None and asked.writes == ()
    skipped = step(dialog, asked.state, Confirm(True, offer.turn))
    assert skipped.writes == (RecordAnswer("value", None, offer.turn),)


def test_a_third_miss_offers_a_skip_instead_of_asking_again(dialog: Dialog) -> None:
    state = _at(dialog, "work")
    for _ in range(2):
        state = step(dialog, state, FreeText("purple elephants")).state
    third = step(dialog, state, FreeText("purple elephants"))
    offer = third.replies[0]
    assert isinstance(offer, Confirmation) and offer.label is None
    assert offer.text == messages.CONFIRM_SKIP_AFTER_MISSES


def test_summary_before_the_end_says_how_many_remain_and_gives_no_verdict(dialog: Dialog) -> None:
    profile = step(dialog, state_in(Phase.ASKING, dialog), Summary()).replies[0]
    assert isinstance(profile, Profile) and not profile.finished
    assert profile.remaining == dialog.total - 1
    assert profile.headline is None and profile.closing is None and profile.look_next == ()


def test_elena_is_met_before_she_is_pictured_on_every_path(dialog: Dialog) -> None:
    means = dialog.distinctions[dialog.index_of("means") or 0]
    for choice in means.choices:
        result = step(dialog, _at(dialog, "means"), Choose("means", choice.id, 4))
        x = next(r for r in result.replies if isinstance(r, Explanation))
        told = f"{x.job}\n{x.career}\n{x.yours}"
        assert "Elena" in x.job and "waits tables" in x.job and "wrestling" in x.career
        # She is introduced (her fees, her job) before her wish is pictured, whatever the answer.
        assert told.index("Elena needs") < told.index("wrestling") and "picture" not in told.lower()
        assert "Elena" not in x.yours and "tables" not in x.yours  # the example is not told twice


def test_the_whole_difference_is_told_to_someone_who_answers_job_every_time(dialog: Dialog) -> None:
    state = step(dialog, new_state(dialog), Start()).state
    told: list[Explanation] = []
    while state.phase is Phase.ASKING:
        distinction = dialog.distinctions[state.position_in(dialog)]
        job = next(c for c in distinction.choices if c.leans is Lean.JOB)
        result = step(dialog, state, Choose(distinction.id, job.id, state.turn))
        told += [r for r in result.replies if isinstance(r, Explanation)]
        state = result.state
    assert [x.career for x in told] == [d.explain.career for d in dialog.distinctions]
    profile = step(dialog, state, Summary()).replies[0]
    assert isinstance(profile, Profile) and len(profile.look_next) == dialog.total
