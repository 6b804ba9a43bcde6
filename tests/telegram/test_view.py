"""The pure layout half of the adapter: keyboards and messages built from replies."""

from __future__ import annotations

from dataclasses import replace

from telegram import InlineKeyboardMarkup, User

from bot.buttons import AnswerButton, CommandButton, decode
from bot.telegram import view
from bot.telegram.keyboards import actions_keyboard, asked_by, forget_keyboard, question_keyboard
from dialogs import messages
from dialogs.content import Dialog
from dialogs.engine import new_state, question
from dialogs.replies import Action, Answered, Text
from dialogs.state import Answer
from tests.fakes.telegram_api import visible

# The largest user ids Telegram hands out fit in 52 bits.
BIG_ID = 2**52


def test_every_action_and_command_has_its_words() -> None:
    assert {action.value for action in Action} <= set(messages.TELEGRAM_BUTTONS)
    assert {"forget-yes", "forget-no"} <= set(messages.TELEGRAM_BUTTONS)
    assert all(len(text) <= 256 for text in messages.TELEGRAM_COMMANDS.values())


def test_question_buttons_fit_telegram_and_name_their_owner(dialog: Dialog) -> None:
    state = new_state(dialog)
    for position in range(dialog.total):
        answers = tuple(Answer(d.id, None) for d in dialog.distinctions[:position])
        asked = question(dialog, replace(state, answers=answers, turn=10_000 + position))
        # Read back the way Telegram hands it to us: as python-telegram-bot's object.
        markup = InlineKeyboardMarkup.de_json(question_keyboard(asked, BIG_ID), None)
        *choice_rows, actions = markup.inline_keyboard
        assert [row[0].text for row in choice_rows] == [c.label for c in asked.choices]
        assert [b.text for b in actions] == [messages.TELEGRAM_BUTTONS[a.value] for a in asked.actions]
        for row in markup.inline_keyboard:
            for button in row:
                assert isinstance(button.callback_data, str)
                assert len(button.callback_data.encode()) <= 64
                decoded = decode(button.callback_data)
                assert isinstance(decoded, AnswerButton | CommandButton)
                assert decoded.owner == str(BIG_ID)
        first = AnswerButton(str(BIG_ID), asked.distinction, asked.choices[0].id, asked.turn)
        assert asked_by(markup) == first


def test_keyboards_without_questions() -> None:
    assert actions_keyboard((), 5) is None
    markup = actions_keyboard((Action.RESTART,), 5)
    assert markup is not None and asked_by(InlineKeyboardMarkup.de_json(markup, None)) is None
    assert asked_by(None) is None
    [[yes, no]] = forget_keyboard(5)["inline_keyboard"]
    assert (yes["callback_data"], no["callback_data"]) == ("1:c:5:forget-yes", "1:c:5:forget-no")


def test_a_long_question_is_split_with_the_keyboard_on_the_last_part(dialog: Dialog) -> None:
    asked = question(dialog, new_state(dialog))
    long = replace(asked, text="\n".join(["Why & how <do> we work?"] * 400))
    parts = view.outgoing(long, 7)
    assert len(parts) > 1
    # Telegram counts the characters a person sees, not the HTML that makes them.
    assert all(len(visible(part.text)) <= view.MESSAGE_LIMIT for part in parts)
    assert [part.markup is not None for part in parts] == [False] * (len(parts) - 1) + [True]
    assert "<do>" not in "".join(part.text for part in parts)


def test_mentions_and_text_are_escaped() -> None:
    person = User(42, "<i>Zoë</i> & co", is_bot=False, last_name="<")
    mention = view.mention(person)
    assert mention == '<a href="tg://user?id=42">&lt;i&gt;Zoë&lt;/i&gt; &amp; co &lt;</a>'
    [part] = view.outgoing(Text("a <b> & c", (Action.SUMMARY,)), 42, mention)
    assert visible(part.text) == "<i>Zoë</i> & co <\na <b> & c"
    assert part.markup is not None
    assert view.plain("x < y", mention).text.endswith("\nx &lt; y")


def test_an_overlong_answered_edit_keeps_the_answer() -> None:
    marked = view.answered(Answered("d", "Q? " * 2000, "My answer", 3))
    assert len(visible(marked.text)) <= view.MESSAGE_LIMIT
    assert marked.text.endswith("✓ <b>My answer</b>")
    assert marked.markup is None
