"""Button data: short, stateless, versioned payloads shared by every adapter.

Rules:
- A payload fits Telegram's 64-byte ``callback_data`` and Discord's 100-char ``custom_id``.
- It names everything needed to act on a press without any server-side memory: whose
  button it is, the question, the choice and the turn it was shown at. So a button keeps
  working after a restart, and a stale or foreign press is recognised.
- Format ``<version>:<kind>:<fields...>``; anything that does not parse is ``None``, and
  adapters answer it as an expired button.

Kinds:
- ``a`` answer: owner, distinction, choice, turn
- ``c`` command: owner, action (an ``Action`` value, ``forget-yes`` / ``forget-no``, or
  ``language-<code>``: speak that language from now on)
- ``w`` workshop vote: workshop number, distinction, choice
- ``k`` confirmation: owner, distinction, ``y`` or ``n``, turn (the answer to a
  ``Confirmation``: yes records what the bot read, no asks again)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "1"
_FIELD = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
FORGET_YES = "forget-yes"
FORGET_NO = "forget-no"


@dataclass(frozen=True, slots=True)
class AnswerButton:
    owner: str
    distinction: str
    choice: str
    turn: int


@dataclass(frozen=True, slots=True)
class CommandButton:
    owner: str
    action: str


@dataclass(frozen=True, slots=True)
class VoteButton:
    workshop: int
    distinction: str
    choice: str


@dataclass(frozen=True, slots=True)
class ConfirmButton:
    owner: str
    distinction: str
    yes: bool
    turn: int


Button = AnswerButton | CommandButton | VoteButton | ConfirmButton
_LANGUAGE = "language-"


def language_button(owner: str, language: str) -> CommandButton:
    return CommandButton(owner, _LANGUAGE + language)


def language_of(button: CommandButton) -> str | None:
    """The language a /language button chooses, or None for any other command."""
    return button.action.removeprefix(_LANGUAGE) if button.action.startswith(_LANGUAGE) else None


def confirm_buttons(
    owner: str, distinction: str, reads_a_choice: bool, turn: int
) -> list[tuple[str, ConfirmButton]]:
    """The two answers to a confirmation, as (key in ``messages.CONFIRM_BUTTONS``, data):
    Yes / Choose again for a reading, Yes, skip it / No, let me answer for an offered skip."""
    keys = ("yes", "no") if reads_a_choice else ("skip-yes", "skip-no")
    return [(key, ConfirmButton(owner, distinction, key == keys[0], turn)) for key in keys]


def encode(button: Button) -> str:
    if isinstance(button, AnswerButton):
        fields = ["a", button.owner, button.distinction, button.choice, str(button.turn)]
    elif isinstance(button, CommandButton):
        fields = ["c", button.owner, button.action]
    elif isinstance(button, ConfirmButton):
        fields = ["k", button.owner, button.distinction, "y" if button.yes else "n", str(button.turn)]
    else:
        fields = ["w", str(button.workshop), button.distinction, button.choice]
    for field in fields:
        if not _FIELD.match(field):
            raise ValueError(f"button field {field!r} is not short ASCII")
    data = ":".join([VERSION, *fields])
    if len(data.encode()) > 64:
        raise ValueError(f"button data {data!r} is longer than 64 bytes")
    return data


def decode(data: str) -> Button | None:
    parts = data.split(":")
    if len(parts) < 3 or parts[0] != VERSION or not all(_FIELD.match(p) for p in parts[1:]):
        return None
    kind, fields = parts[1], parts[2:]
    if kind == "a" and len(fields) == 4 and fields[3].isdigit():
        return AnswerButton(fields[0], fields[1], fields[2], int(fields[3]))
    if kind == "c" and len(fields) == 2:
        return CommandButton(fields[0], fields[1])
    if kind == "k" and len(fields) == 4 and fields[2] in ("y", "n") and fields[3].isdigit():
        return ConfirmButton(fields[0], fields[1], fields[2] == "y", int(fields[3]))
    if kind == "w" and len(fields) == 3 and fields[0].isdigit():
        return VoteButton(int(fields[0]), fields[1], fields[2])
    return None
