"""Inline keyboards built from replies, and read back from messages.

Rules:
- Pure: no network. Every button's data comes from ``bot.buttons`` (stateless, versioned,
  at most 64 bytes) and names its owner, the Telegram user id, so a press is judged from
  the data alone, after a restart as well as before.
- A question shows one choice per row (labels are sentences), then one row of actions.
- Labels come from ``dialogs.messages.TELEGRAM_BUTTONS``; choice labels from the content.
"""

from __future__ import annotations

from collections.abc import Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import FORGET_NO, FORGET_YES, AnswerButton, CommandButton, decode, encode
from dialogs import messages
from dialogs.replies import Action, Question


def _command(owner: int, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        messages.TELEGRAM_BUTTONS[action], callback_data=encode(CommandButton(str(owner), action))
    )


def _action_row(actions: Iterable[Action], owner: int) -> list[InlineKeyboardButton]:
    return [_command(owner, action.value) for action in actions]


def question_keyboard(question: Question, owner: int) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                choice.label,
                callback_data=encode(
                    AnswerButton(str(owner), question.distinction, choice.id, question.turn)
                ),
            )
        ]
        for choice in question.choices
    ]
    actions = _action_row(question.actions, owner)
    if actions:
        rows.append(actions)
    return InlineKeyboardMarkup(rows)


def actions_keyboard(actions: tuple[Action, ...], owner: int) -> InlineKeyboardMarkup | None:
    """A row of command buttons, or None when the reply offers no actions."""
    row = _action_row(actions, owner)
    return InlineKeyboardMarkup([row]) if row else None


def forget_keyboard(owner: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_command(owner, FORGET_YES), _command(owner, FORGET_NO)]])


def asked_by(markup: InlineKeyboardMarkup | None) -> AnswerButton | None:
    """The question a message's keyboard answers (its first answer button), if any."""
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            decoded = decode(button.callback_data) if isinstance(button.callback_data, str) else None
            if isinstance(decoded, AnswerButton):
                return decoded
    return None
