"""Button data and text layout shared by the adapters."""

from __future__ import annotations

import pytest

from bot.buttons import AnswerButton, CommandButton, VoteButton, decode, encode
from bot.render import DISCORD_MARKDOWN, PLAIN, TELEGRAM_HTML, reply_text, split_message
from dialogs.content import Dialog
from dialogs.engine import new_state, question, step
from dialogs.events import Start
from dialogs.replies import Text


@pytest.mark.parametrize(
    "button",
    [
        AnswerButton("12345678901234567890", "innovation", "lead", 999999),
        CommandButton("7", "forget-yes"),
        VoteButton(12, "qualify", "skill"),
    ],
)
def test_buttons_round_trip_and_fit_telegram(button: AnswerButton | CommandButton | VoteButton) -> None:
    data = encode(button)
    assert len(data.encode()) <= 64
    assert decode(data) == button


@pytest.mark.parametrize(
    "garbage", ["", "x", "2:a:1:work:role:1", "1:a:1:work:role:one", "1:z:1", "1:a:1:wo rk:r:1"]
)
def test_garbage_decodes_to_none(garbage: str) -> None:
    assert decode(garbage) is None


def test_every_builtin_button_fits(dialog: Dialog) -> None:
    for distinction in dialog.distinctions:
        for choice in distinction.choices:
            encode(AnswerButton("9" * 20, distinction.id, choice.id, 10**6 - 1))


def test_escaping_per_style() -> None:
    reply = Text("<b>Ana_*</b> & co")
    assert reply_text(reply, PLAIN) == "<b>Ana_*</b> & co"
    assert reply_text(reply, TELEGRAM_HTML) == "&lt;b&gt;Ana_*&lt;/b&gt; &amp; co"
    assert reply_text(reply, DISCORD_MARKDOWN) == "<b>Ana\\_\\*</b> & co"


def test_question_layout_has_progress_and_numbers(dialog: Dialog) -> None:
    state = step(dialog, new_state(dialog), Start()).state
    text = reply_text(question(dialog, state), PLAIN, numbered=True)
    assert text.startswith("Question 1 of 8 ▱▱▱▱▱▱▱▱\n") and "▰" not in text
    assert "  1. A role I fill to earn a salary" in text


def test_split_message_keeps_every_character_within_the_limit() -> None:
    text = "\n".join(f"line {i} " + "word " * 30 for i in range(400))
    chunks = split_message(text, 4096)
    assert len(chunks) > 1
    assert all(len(chunk) <= 4096 for chunk in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")
    assert split_message("short", 10) == ["short"]
    assert split_message("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_confirmation_buttons_round_trip_and_fit() -> None:
    from bot.buttons import ConfirmButton, confirm_buttons, decode, encode

    reading = confirm_buttons("123456789012", "hours", True, 41)
    assert [key for key, _ in reading] == ["yes", "no"]
    assert [data.yes for _, data in reading] == [True, False]
    skip = confirm_buttons("123456789012", "hours", False, 41)
    assert [key for key, _ in skip] == ["skip-yes", "skip-no"]
    for _, data in reading + skip:
        encoded = encode(data)
        assert len(encoded.encode()) <= 64 and decode(encoded) == data
    assert decode("1:k:1:hours:maybe:4") is None  # neither y nor n
    assert isinstance(decode(encode(ConfirmButton("1", "d", False, 0))), ConfirmButton)
