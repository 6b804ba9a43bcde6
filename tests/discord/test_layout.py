"""Laying out replies as Discord messages and custom_ids (no network)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.buttons import AnswerButton, decode, encode
from bot.discord.components import LABEL_LIMIT, AnswerItem, CommandItem, OwnWordsItem
from bot.discord.custom_ids import OwnWords, own_words_button, own_words_modal, parse_modal, parse_own_words
from bot.discord.layout import MESSAGE_LIMIT, lay_out, on_discord
from dialogs import messages
from dialogs.content import Dialog
from dialogs.engine import new_state, question
from dialogs.replies import Action, ChoiceView, Progress, Question, Text

OWNER = "300000000000000001"


def _question(choices: int, label: str = "A choice") -> Question:
    views = tuple(ChoiceView(f"c{n}", f"{label} {n}") for n in range(choices))
    return Question("d", "Title", "Text?", views, Progress(1, 8, 0), turn=3)


def test_a_turn_reads_as_few_messages_with_buttons_on_the_question(dialog: Dialog) -> None:
    q = question(dialog, new_state(dialog))
    out = lay_out((Text("Hello"), Text("More"), q, Text("After")), OWNER)
    assert [o.content.split("\n")[0] for o in out] == ["Hello", "After"]
    buttons = out[0].buttons
    answers = [b for b in buttons if isinstance(b, AnswerItem)]
    assert [a.data.choice for a in answers] == [c.id for c in q.choices]
    assert all(a.data.owner == OWNER and a.data.turn == q.turn for a in answers)
    assert [b.data.action for b in buttons if isinstance(b, CommandItem)] == [a.value for a in q.actions]
    assert isinstance(buttons[-1], OwnWordsItem) and out[1].buttons == ()


def test_a_long_reply_is_split_with_buttons_on_the_last_part() -> None:
    long_text = "\n".join("word " * 30 for _ in range(40))
    out = lay_out((Text(long_text, (Action.RESTART,)),), OWNER)
    assert len(out) > 1 and all(len(o.content) <= MESSAGE_LIMIT for o in out)
    assert [bool(o.buttons) for o in out] == [False] * (len(out) - 1) + [True]


@pytest.mark.parametrize("choices", [2, 4, 5, 15])
def test_buttons_fit_discords_rows(choices: int) -> None:
    view = lay_out((_question(choices, "x" * 100),), OWNER)[0].view()
    assert view is not None
    payload: list[dict[str, Any]] = view.to_components()
    assert len(payload) <= 5 and all(len(row["components"]) <= 5 for row in payload)
    labels = [c["label"] for row in payload for c in row["components"]]
    assert len(labels) == choices + 4 and all(len(label) <= LABEL_LIMIT for label in labels)


def test_too_many_choices_for_buttons_is_refused() -> None:
    with pytest.raises(ValueError, match="more choices"):
        lay_out((_question(21),), OWNER)


def test_engine_commands_are_shown_under_career() -> None:
    assert on_discord(messages.NOT_STARTED) == "We have not started yet. Send /career start to begin."
    assert on_discord("a/start and /starting stay") == "a/start and /starting stay"


# Owner snowflakes are up to 20 digits, and the shared button data must also fit Telegram's
# 64 bytes, so ids and turns are as short as the content's are.
ids = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)


@given(
    owner=st.from_regex(r"[0-9]{17,20}", fullmatch=True),
    distinction=ids,
    choice=ids,
    turn=st.integers(0, 999_999),
)
def test_custom_ids_round_trip_within_100_characters(
    owner: str, distinction: str, choice: str, turn: int
) -> None:
    answer = AnswerButton(owner, distinction, choice, turn)
    assert decode(encode(answer)) == answer and len(encode(answer)) <= 100
    words = OwnWords(owner, distinction, turn)
    assert parse_own_words(own_words_button(words)) == words and len(own_words_button(words)) <= 100
    assert parse_modal(own_words_modal(words)) == words
    assert parse_modal(own_words_button(words)) is None  # a button id is not a modal id
