"""Lay out a workshop turn for Discord: messages for the channel, and a private part.

Rules:
- EVERYONE replies go to the channel. Consecutive ones share one message, up to one that
  carries buttons: a ``MemberProfileOffer`` ("show my profile"), or a ``VoteQuestion`` (one
  vote button per choice), which always has a message of its own: the router edits that
  message's whole text when the count changes, so anything sharing it (the intro) would
  be wiped. The question's post is marked, so the router can remember its message id.
- PERSON and FACILITATOR replies are private to whoever sent the interaction (ephemeral);
  a ``WorkshopRunning`` gets "end it and start a new one" and "keep it running".
- Words come from the replies (``bot.workshop_render``, Discord markdown) and
  ``dialogs.messages``. The engine names the command ``/workshop``; on Discord that is
  ``/workshop start``, and the personal commands live under ``/career``.
- A message over 2000 characters is split at line breaks; buttons go on the last part.
  Discord allows 5 rows of 5 buttons: one choice a row while they fit, else 5 a row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.buttons import VoteButton
from bot.discord.components import VoteItem, WorkshopControlItem
from bot.discord.custom_ids import WorkshopControl
from bot.discord.layout import MESSAGE_LIMIT, Outgoing, on_discord
from bot.render import DISCORD_MARKDOWN, split_message
from bot.workshop_render import vote_question_text, workshop_reply_text
from dialogs.i18n import messages
from dialogs.replies import Audience, MemberProfileOffer, VoteQuestion, WorkshopReply, WorkshopRunning

_ROWS, _PER_ROW = 5, 5
_WORKSHOP = re.compile(r"(?<![\w/])/workshop\b(?! (?:start|reveal|next|end)\b)")


@dataclass(frozen=True, slots=True)
class Post:
    """One channel message; ``question`` is set on the message that carries its buttons."""

    out: Outgoing
    question: VoteQuestion | None = None


def on_discord_workshop(text: str) -> str:
    return on_discord(_WORKSHOP.sub("/workshop start", text))


def workshop_text(reply: WorkshopReply) -> str:
    return on_discord_workshop(workshop_reply_text(reply, DISCORD_MARKDOWN))


def question_text(question: VoteQuestion) -> str:
    """The question message's text, as posted and as edited when its count changes."""
    return on_discord_workshop(vote_question_text(question, DISCORD_MARKDOWN))


def vote_buttons(question: VoteQuestion) -> tuple[discord.ui.Item[Any], ...]:
    choices = question.choices
    if len(choices) > _ROWS * _PER_ROW:
        raise ValueError(f"question {question.distinction!r} has more choices than Discord can show")
    per_row = 1 if len(choices) <= _ROWS else _PER_ROW
    return tuple(
        VoteItem(VoteButton(question.workshop, question.distinction, c.id), c.label, row=n // per_row)
        for n, c in enumerate(choices)
    )


def _buttons(reply: WorkshopReply, dialog: str) -> tuple[discord.ui.Item[Any], ...]:
    if isinstance(reply, VoteQuestion):
        return vote_buttons(reply)
    if isinstance(reply, MemberProfileOffer):
        data = WorkshopControl("wp", reply.workshop)
        return (
            WorkshopControlItem(
                data, messages.DISCORD_WORKSHOP_PROFILE_BUTTON, style=discord.ButtonStyle.primary
            ),
        )
    if isinstance(reply, WorkshopRunning):
        return (
            WorkshopControlItem(
                WorkshopControl("wo", reply.workshop, dialog),
                messages.DISCORD_WORKSHOP_REPLACE,
                style=discord.ButtonStyle.danger,
            ),
            WorkshopControlItem(WorkshopControl("wk", reply.workshop), messages.DISCORD_WORKSHOP_KEEP),
        )
    return ()


def _group(replies: Sequence[WorkshopReply], dialog: str) -> list[Post]:
    posts: list[Post] = []
    parts: list[str] = []
    for reply in replies:
        if isinstance(reply, VoteQuestion) and parts:
            posts += _split("\n\n".join(parts), (), None)
            parts = []
        parts.append(question_text(reply) if isinstance(reply, VoteQuestion) else workshop_text(reply))
        buttons = _buttons(reply, dialog)
        if buttons:
            question = reply if isinstance(reply, VoteQuestion) else None
            posts += _split("\n\n".join(parts), buttons, question)
            parts = []
    if parts:
        posts += _split("\n\n".join(parts), (), None)
    return posts


def _split(text: str, buttons: tuple[discord.ui.Item[Any], ...], question: VoteQuestion | None) -> list[Post]:
    chunks = split_message(text, MESSAGE_LIMIT)
    last = len(chunks) - 1
    return [
        Post(Outgoing(chunk, buttons if n == last else ()), question if n == last else None)
        for n, chunk in enumerate(chunks)
    ]


def public_posts(replies: Sequence[WorkshopReply]) -> list[Post]:
    """The channel messages for a turn's EVERYONE replies, in order."""
    return _group([r for r in replies if r.audience is Audience.EVERYONE], "")


def private_notes(replies: Sequence[WorkshopReply], dialog: str) -> list[Outgoing]:
    """The sender's ephemeral messages; ``dialog`` is what a "start a new one" button opens."""
    return [post.out for post in _group([r for r in replies if r.audience is not Audience.EVERYONE], dialog)]
