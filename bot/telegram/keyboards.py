"""Inline keyboards built from replies, and read back from messages.

Rules:
- Pure: no network. Every button's data comes from ``bot.buttons`` (stateless, versioned,
  at most 64 bytes) and names its owner, the Telegram user id, so a press is judged from
  the data alone, after a restart as well as before.
- A question shows one choice per row (labels are sentences), then one row of actions.
- Labels come from ``dialogs.messages.TELEGRAM_BUTTONS``; choice labels from the content.
- Outgoing keyboards are built as the JSON Telegram takes (``Keyboard``), not as
  python-telegram-bot objects: building those only to serialise them again cost more per
  turn than all of our own work. Incoming keyboards (on a pressed message) are PTB objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from telegram import InlineKeyboardMarkup

from bot.buttons import (
    FORGET_NO,
    FORGET_YES,
    AnswerButton,
    CommandButton,
    ConfirmButton,
    confirm_buttons,
    decode,
    encode,
    language_button,
)
from bot.buttons import Button as PressData
from dialogs.i18n import messages
from dialogs.replies import Action, Confirmation, Question

Button = dict[str, str]
Keyboard = dict[str, list[list[Button]]]  # an InlineKeyboardMarkup, as sent


def button(text: str, data: str) -> Button:
    return {"text": text, "callback_data": data}


def link_button(text: str, url: str) -> Button:
    return {"text": text, "url": url}


def keyboard(rows: list[list[Button]]) -> Keyboard:
    return {"inline_keyboard": rows}


def _command(owner: int, action: str) -> Button:
    return button(messages.TELEGRAM_BUTTONS[action], encode(CommandButton(str(owner), action)))


def _action_row(actions: Iterable[Action], owner: int) -> list[Button]:
    return [_command(owner, action.value) for action in actions]


def question_keyboard(question: Question, owner: int) -> Keyboard:
    rows = [
        [
            button(
                choice.label, encode(AnswerButton(str(owner), question.distinction, choice.id, question.turn))
            )
        ]
        for choice in question.choices
    ]
    actions = _action_row(question.actions, owner)
    if actions:
        rows.append(actions)
    return keyboard(rows)


def actions_keyboard(actions: tuple[Action, ...], owner: int) -> Keyboard | None:
    """A row of command buttons, or None when the reply offers no actions."""
    row = _action_row(actions, owner)
    return keyboard([row]) if row else None


def confirmation_keyboard(confirmation: Confirmation, owner: int) -> Keyboard:
    """Yes / Choose again (or, for an offered skip, Yes, skip it / No, let me answer)."""
    c = confirmation
    pairs = confirm_buttons(str(owner), c.distinction, c.label is not None, c.turn)
    return keyboard([[button(messages.CONFIRM_BUTTONS[key], encode(data)) for key, data in pairs]])


def language_keyboard(owner: int, languages: Iterable[tuple[str, str]]) -> Keyboard:
    """One button per language (code, its own name), two to a row."""
    pressable = [button(name, encode(language_button(str(owner), code))) for code, name in languages]
    return keyboard([pressable[at : at + 2] for at in range(0, len(pressable), 2)])


def forget_keyboard(owner: int) -> Keyboard:
    return keyboard([[_command(owner, FORGET_YES), _command(owner, FORGET_NO)]])


def _decoded(markup: InlineKeyboardMarkup | None) -> Iterator[PressData]:
    """The button data a message's keyboard carries, in order (undecodable data left out)."""
    if markup is None:
        return
    for row in markup.inline_keyboard:
        for pressable in row:
            data = pressable.callback_data
            decoded = decode(data) if isinstance(data, str) else None
            if decoded is not None:
                yield decoded


def asked_by(markup: InlineKeyboardMarkup | None) -> AnswerButton | None:
    """The question a message's keyboard answers (its first answer button), if any."""
    return next((d for d in _decoded(markup) if isinstance(d, AnswerButton)), None)


def turn_asked(markup: InlineKeyboardMarkup | None, owner: str) -> int | None:
    """The turn of the question (or confirmation) a message's keyboard asks ``owner``, if
    any: typed words replying to that message answer that turn and no later one."""
    asking = (d for d in _decoded(markup) if isinstance(d, AnswerButton | ConfirmButton) and d.owner == owner)
    first = next(asking, None)
    return None if first is None else first.turn


def owner_of(markup: InlineKeyboardMarkup | None) -> str | None:
    """Whose message this keyboard is on: the owner its first personal button names (vote
    buttons belong to no one), or None when it names none."""
    personal = (d for d in _decoded(markup) if isinstance(d, AnswerButton | CommandButton | ConfirmButton))
    first = next(personal, None)
    return None if first is None else first.owner
