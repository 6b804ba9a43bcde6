"""The free-text matcher: its rules as tables, and its score on labelled typed answers.

The labelled answers live in tests/data/typed_answers.yaml. Run with ``-s`` to see the
figures (accuracy, how many readings were sure, how many would be confirmed, time per match).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs import messages
from dialogs.content import Dialog, Distinction
from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID, load_dialogs
from dialogs.matching import Match, match_choice

LABELLED = Path(__file__).parent / "data" / "typed_answers.yaml"
CONFIRM, SKIP = "confirm", "skip"


def _labelled() -> list[tuple[str, str, str]]:
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    return [(question, text, label) for question, items in data.items() for text, label in items]


ANSWERS = _labelled()


def _question(dialog: Dialog, distinction_id: str) -> Distinction:
    position = dialog.index_of(distinction_id)
    assert position is not None, distinction_id
    return dialog.distinctions[position]


def _read(dialog: Dialog, distinction_id: str, text: str) -> Match:
    return match_choice(_question(dialog, distinction_id), text)


def _chosen(match: Match) -> str | None:
    return None if match.choice is None else match.choice.id


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", "role"), ("2.", "trade"), ("#3", "path"), (" 2) ", "trade"), ("no. 1", "role")],
)
def test_a_number_picks_that_choice_for_sure(dialog: Dialog, text: str, expected: str) -> None:
    match = _read(dialog, "work", text)
    assert (_chosen(match), match.sure) == (expected, True)


@pytest.mark.parametrize("text", ["0", "4", "17"])
def test_a_number_out_of_range_reads_nothing(dialog: Dialog, text: str) -> None:
    assert _read(dialog, "work", text) == Match(None)


def test_every_id_and_label_is_read_for_sure(dialog: Dialog) -> None:
    for distinction in dialog.distinctions:
        for choice in distinction.choices:
            for text in (choice.id, choice.label, choice.label.upper() + "!", f"  {choice.label.lower()}."):
                assert match_choice(distinction, text) == Match(choice, sure=True), text


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        ("value", "fulfilment", "fulfil"),
        ("value", "fullfilment", "fulfil"),
        ("value", "fulfillmnet", "fulfil"),
        ("value", "Fulfillment", "fulfil"),
        ("innovation", "repetative", "rote"),
        ("qualify", "certifcate", "cert"),
        ("network", "netwrking", "build"),
        ("hours", "shfits", "fixed"),
        ("work", "a trade im gettin beter at", "trade"),  # the whole label, typed loosely
    ],
)
def test_typos_pick_the_same_choice(dialog: Dialog, question: str, text: str, expected: str) -> None:
    assert _chosen(_read(dialog, question, text)) == expected


def test_a_small_typo_in_a_long_word_is_sure_a_bigger_one_is_confirmed(dialog: Dialog) -> None:
    assert _read(dialog, "value", "fullfilment").sure
    assert not _read(dialog, "value", "fullfilmnet").sure  # two typos from every spelling


@pytest.mark.parametrize("words", messages.SKIP_WORDS)
def test_skip_words_offer_a_skip_on_every_question(dialog: Dialog, words: str) -> None:
    for distinction in dialog.distinctions:
        for text in (words, words.upper(), f"{words}...", words.replace("'", "")):
            match = match_choice(distinction, text)
            assert match.skip and not match.sure, (distinction.id, text)


def test_no_idea_is_a_skip_even_where_no_is_an_answer(dialog: Dialog) -> None:
    for question in ("means", "network"):
        assert _read(dialog, question, "no idea").skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [("no", "means"), ("No.", "means"), ("yes", "end"), ("YES!", "end"), ("maybe", "maybe")],
)
def test_bare_yes_and_no_answer_the_means_question(dialog: Dialog, text: str, expected: str) -> None:
    match = _read(dialog, "means", text)
    assert (_chosen(match), match.sure, match.skip) == (expected, True, False)


def test_the_boss_and_the_shift_is_not_recorded_as_the_schedule(dialog: Dialog) -> None:
    match = _read(dialog, "hours", "my boss decides most of the time but sometimes I can move a shift")
    assert not match.sure
    assert _chosen(match) == "some"  # it names both sides: read as the in-between choice


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        ("hours", "my boss", "fixed"),  # short and names one choice
        ("value", "the money lol", "pay"),
        ("work", "it's my calling", "path"),
    ],
)
def test_a_short_answer_naming_one_choice_is_sure(
    dialog: Dialog, question: str, text: str, expected: str
) -> None:
    match = _read(dialog, question, text)
    assert (_chosen(match), match.sure) == (expected, True)


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        ("hours", "the boss decides when I work, always has", "fixed"),  # long
        ("hours", "fixed, but who knows", "fixed"),  # qualified
        ("duration", "3 years", "years"),  # a number the phrase does not explain
        ("means", "dunno, maybe some of it", "maybe"),  # a skip word and a reading
        ("duration", "until my retirement", "life"),  # another form of "retire"
        ("qualify", "I got in because of my experience, not my degree", "skill"),  # denial
    ],
)
def test_a_reading_with_room_for_doubt_is_confirmed(
    dialog: Dialog, question: str, text: str, expected: str
) -> None:
    match = _read(dialog, question, text)
    assert (_chosen(match), match.sure) == (expected, False)


def test_a_denied_word_does_not_count_for_its_choice(dialog: Dialog) -> None:
    assert _chosen(_read(dialog, "duration", "not long")) == "short"  # "not long" is a synonym
    assert _chosen(_read(dialog, "innovation", "nothing changes, it's the same")) == "rote"


def test_words_are_not_joined_into_a_short_word(dialog: Dialog) -> None:
    assert _read(dialog, "hours", "so me") == _read(dialog, "hours", "me")  # not "some"


def test_two_choices_of_one_lean_are_ambiguous(dialog: Dialog) -> None:
    match = _read(dialog, "value", "fulfilment, and my dream")
    assert match.ambiguous and not match.sure
    assert {c.id for c in match.candidates} == {"fulfil", "dream"}


@pytest.mark.parametrize("text", ["", "   ", "?!", "😂", "purple elephants"])
def test_nothing_to_read_is_a_miss(dialog: Dialog, text: str) -> None:
    assert _read(dialog, "work", text) == Match(None)


TRICKY_WORDS = ["no", "yes", "idk", "not", "but", "2", "9-5", "fulfilment", "some", "times", "so", "me"]


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=400) | st.lists(st.sampled_from(TRICKY_WORDS)).map(" ".join))
def test_any_text_gives_a_consistent_match(dialog: Dialog, text: str) -> None:
    for distinction in dialog.distinctions:
        match = match_choice(distinction, text)
        assert match.choice is None or match.choice in distinction.choices
        assert all(candidate in distinction.choices for candidate in match.candidates)
        assert not (match.sure and match.choice is None)
        assert not (match.sure and match.skip)


# --- the labelled set ---------------------------------------------------------------------


def _right(match: Match, label: str) -> bool:
    if label == SKIP:
        return match.skip
    if label == CONFIRM:
        return not match.sure
    return _chosen(match) == label and not match.skip


def test_the_labelled_set_is_large_and_covers_every_question(dialog: Dialog) -> None:
    assert len(ANSWERS) >= 150
    for distinction in dialog.distinctions:
        labels = [label for question, _text, label in ANSWERS if question == distinction.id]
        assert len(labels) >= 15, distinction.id
        known = {c.id for c in distinction.choices} | {CONFIRM, SKIP}
        assert set(labels) <= known, distinction.id
        assert {c.id for c in distinction.choices} <= set(labels), distinction.id


@pytest.mark.parametrize(("question", "text", "label"), ANSWERS, ids=[f"{q}:{t}" for q, t, _ in ANSWERS])
def test_a_labelled_answer_is_never_recorded_wrongly(
    dialog: Dialog, question: str, text: str, label: str
) -> None:
    match = _read(dialog, question, text)
    if match.sure:  # a sure reading is recorded without asking: it must be the counsellor's
        assert label not in (CONFIRM, SKIP) and _chosen(match) == label, _chosen(match)


def test_the_matcher_gets_nine_in_ten_labelled_answers_right() -> None:
    dialog = load_dialogs(BUILTIN_CONTENT)[DEFAULT_DIALOG_ID]
    matches = [(_read(dialog, question, text), label) for question, text, label in ANSWERS]
    right = sum(_right(match, label) for match, label in matches)
    sure = sum(match.sure for match, _label in matches)
    confirmed = sum(match.choice is not None and not match.sure for match, _label in matches)
    skips = sum(match.skip for match, _label in matches)
    timings = []
    for question, text, _label in ANSWERS:
        distinction = _question(dialog, question)
        began = time.perf_counter_ns()
        match_choice(distinction, text)
        timings.append((time.perf_counter_ns() - began) / 1000)
    print(
        f"\nmatcher on {len(matches)} labelled answers: {right / len(matches):.1%} right; "
        f"{sure} sure, {confirmed} confirmed, {skips} offered a skip, "
        f"{len(matches) - sure - confirmed - skips} asked again; "
        f"median {statistics.median(timings):.0f} µs per match"
    )
    assert right / len(matches) >= 0.9
