"""Lay out a turn's replies as Discord messages: text in Discord markdown, plus buttons.

Rules:
- Consecutive replies share one message, up to the one that carries buttons (a question,
  or a text with actions), so a turn reads as one or two messages, not five.
- A question gets one button per choice (its earlier answer highlighted), then Back / Skip /
  Why as the engine offers them, then "answer in my own words".
- A message over 2000 characters is split at line breaks; the buttons go on the last part.
- The engine's texts name commands as ``/start``; on Discord those live under ``/career``,
  so known command names are shown as ``/career start``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord

from bot.buttons import AnswerButton, CommandButton, confirm_buttons
from bot.discord.components import AnswerItem, CommandItem, ConfirmItem, OwnWordsItem
from bot.discord.custom_ids import OwnWords
from bot.render import DISCORD_MARKDOWN, reply_text, split_message
from dialogs.i18n import messages
from dialogs.replies import Action, Confirmation, Question, Reply, Text

MESSAGE_LIMIT = 2000
_ROWS, _PER_ROW = 5, 5
_COMMANDS = re.compile(r"(?<![\w/])/(start|resume|back|skip|restart|summary|why|help|mydata|forget)\b")


@dataclass(frozen=True, slots=True)
class Outgoing:
    content: str
    buttons: tuple[discord.ui.Item[Any], ...] = ()

    def view(self) -> discord.ui.View | None:
        if not self.buttons:
            return None
        view = discord.ui.View(timeout=None)
        for item in self.buttons:
            view.add_item(item)
        return view


def on_discord(text: str) -> str:
    return _COMMANDS.sub(r"/career \1", text)


def text_of(reply: Reply) -> str:
    return on_discord(reply_text(reply, DISCORD_MARKDOWN))


def buttons_for(reply: Reply, owner: str) -> tuple[discord.ui.Item[Any], ...]:
    if isinstance(reply, Question):
        return _question_buttons(reply, owner)
    if isinstance(reply, Text) and reply.actions:
        return tuple(_action(owner, action, row=0) for action in reply.actions)
    if isinstance(reply, Confirmation):
        return _confirmation_buttons(reply, owner)
    return ()


def _action(owner: str, action: Action, row: int) -> CommandItem:
    style = (
        discord.ButtonStyle.primary
        if action in (Action.RESUME, Action.RESTART)
        else discord.ButtonStyle.secondary
    )
    return CommandItem(
        CommandButton(owner, action.value), messages.DISCORD_ACTION_LABELS[action.value], style=style, row=row
    )


def _confirmation_buttons(c: Confirmation, owner: str) -> tuple[discord.ui.Item[Any], ...]:
    pairs = confirm_buttons(owner, c.distinction, c.label is not None, c.turn)
    return tuple(ConfirmItem(data, messages.CONFIRM_BUTTONS[key], row=0) for key, data in pairs)


def _question_buttons(q: Question, owner: str) -> tuple[discord.ui.Item[Any], ...]:
    last = _ROWS - 1
    if len(q.choices) > last * _PER_ROW:
        raise ValueError(f"question {q.distinction!r} has more choices than Discord can show as buttons")
    # One choice a row reads best (labels are sentences); pack rows only when there are many.
    per_row = 1 if len(q.choices) <= last else _PER_ROW
    items: list[discord.ui.Item[Any]] = [
        AnswerItem(
            AnswerButton(owner, q.distinction, c.id, q.turn),
            c.label,
            chosen=c.id == q.current,
            row=n // per_row,
        )
        for n, c in enumerate(q.choices)
    ]
    items += [_action(owner, action, row=last) for action in q.actions[: _PER_ROW - 1]]
    items.append(OwnWordsItem(OwnWords(owner, q.distinction, q.turn), row=last))
    return tuple(items)


def lay_out(replies: tuple[Reply, ...], owner: str) -> list[Outgoing]:
    out: list[Outgoing] = []
    parts: list[str] = []
    for reply in replies:
        parts.append(text_of(reply))
        buttons = buttons_for(reply, owner)
        if buttons:
            out += messages_of("\n\n".join(parts), buttons)
            parts = []
    if parts:
        out += messages_of("\n\n".join(parts), ())
    return out


def messages_of(text: str, buttons: tuple[discord.ui.Item[Any], ...]) -> list[Outgoing]:
    chunks = split_message(text, MESSAGE_LIMIT)
    return [Outgoing(chunk, buttons if n == len(chunks) - 1 else ()) for n, chunk in enumerate(chunks)]
