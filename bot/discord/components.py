"""Buttons and the own-words modal, as discord.py ``DynamicItem``s and a ``Modal``.

Rules:
- Every button is a ``DynamicItem`` whose template matches its custom_id, registered with
  ``Client.add_dynamic_items``: a press is understood from the custom_id alone, so a button
  sent before a restart still works, and no view is kept in memory per message.
- A press is handed to the router the client carries (``client.router`` for the personal
  conversation, ``client.workshop_router`` for workshops); items hold no logic of their own.
- Labels come from the replies (content) and ``dialogs.messages``; Discord's limits
  (80 characters a label, 5 buttons a row, 5 rows) are enforced here.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from bot.buttons import AnswerButton, CommandButton, ConfirmButton, VoteButton, decode, encode
from bot.discord.custom_ids import (
    ANSWER_FIELD,
    ANSWER_TEMPLATE,
    COMMAND_TEMPLATE,
    CONFIRM_TEMPLATE,
    CONTROL_TEMPLATE,
    OWN_WORDS_TEMPLATE,
    VOTE_TEMPLATE,
    OwnWords,
    WorkshopControl,
    own_words_button,
    own_words_modal,
    parse_own_words,
    parse_workshop_control,
    workshop_control,
)
from dialogs.i18n import messages

LABEL_LIMIT = 80
MODAL_TIMEOUT = 15 * 60.0  # an unanswered modal is dropped from memory after Discord's token life


class Router(Protocol):
    async def answer(self, interaction: discord.Interaction[Any], data: AnswerButton) -> None: ...
    async def command(self, interaction: discord.Interaction[Any], data: CommandButton) -> None: ...
    async def confirm(self, interaction: discord.Interaction[Any], data: ConfirmButton) -> None: ...
    async def own_words(self, interaction: discord.Interaction[Any], data: OwnWords) -> None: ...


class WorkshopRouter(Protocol):
    async def vote(self, interaction: discord.Interaction[Any], data: VoteButton) -> None: ...
    async def control(self, interaction: discord.Interaction[Any], data: WorkshopControl) -> None: ...


def workshop_router_of(interaction: discord.Interaction[Any]) -> WorkshopRouter:
    router: WorkshopRouter | None = getattr(interaction.client, "workshop_router", None)
    if router is None:
        raise RuntimeError("the Discord client has no workshop router; build it with CareerClient")
    return router


def router_of(interaction: discord.Interaction[Any]) -> Router:
    router: Router | None = getattr(interaction.client, "router", None)
    if router is None:
        raise RuntimeError("the Discord client has no router; build it with CareerClient")
    return router


def label(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


class AnswerItem(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ANSWER_TEMPLATE):
    def __init__(self, data: AnswerButton, text: str = "", *, chosen: bool = False, row: int | None = None):
        style = discord.ButtonStyle.primary if chosen else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(label=label(text) or None, custom_id=encode(data), style=style, row=row)
        )
        self.data = data

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AnswerItem:
        data = decode(match.string)
        if not isinstance(data, AnswerButton):
            raise ValueError(f"not an answer button: {match.string!r}")
        return cls(data)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await router_of(interaction).answer(interaction, self.data)


class CommandItem(discord.ui.DynamicItem[discord.ui.Button[Any]], template=COMMAND_TEMPLATE):
    def __init__(
        self,
        data: CommandButton,
        text: str = "",
        *,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        row: int | None = None,
    ):
        super().__init__(
            discord.ui.Button(label=label(text) or None, custom_id=encode(data), style=style, row=row)
        )
        self.data = data

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CommandItem:
        data = decode(match.string)
        if not isinstance(data, CommandButton):
            raise ValueError(f"not a command button: {match.string!r}")
        return cls(data)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await router_of(interaction).command(interaction, self.data)


class ConfirmItem(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CONFIRM_TEMPLATE):
    """Yes / Choose again under a ``Confirmation``; the custom_id carries the turn."""

    def __init__(self, data: ConfirmButton, text: str = "", *, row: int | None = None):
        style = discord.ButtonStyle.primary if data.yes else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(label=label(text) or None, custom_id=encode(data), style=style, row=row)
        )
        self.data = data

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ConfirmItem:
        data = decode(match.string)
        if not isinstance(data, ConfirmButton):
            raise ValueError(f"not a confirmation button: {match.string!r}")
        return cls(data)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await router_of(interaction).confirm(interaction, self.data)


class OwnWordsItem(discord.ui.DynamicItem[discord.ui.Button[Any]], template=OWN_WORDS_TEMPLATE):
    def __init__(self, data: OwnWords, *, row: int | None = None):
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label(messages.DISCORD_OWN_WORDS_BUTTON),
            custom_id=own_words_button(data),
            style=discord.ButtonStyle.secondary,
            emoji="✏️",
            row=row,
        )
        super().__init__(button)
        self.data = data

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> OwnWordsItem:
        data = parse_own_words(match.string)
        if data is None:
            raise ValueError(f"not an own-words button: {match.string!r}")
        return cls(data)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await router_of(interaction).own_words(interaction, self.data)


class VoteItem(discord.ui.DynamicItem[discord.ui.Button[Any]], template=VOTE_TEMPLATE):
    """A workshop choice; anyone in the channel may press it (the vote is theirs)."""

    def __init__(self, data: VoteButton, text: str = "", *, row: int | None = None):
        super().__init__(
            discord.ui.Button(
                label=label(text) or None,
                custom_id=encode(data),
                style=discord.ButtonStyle.secondary,
                row=row,
            )
        )
        self.data = data

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteItem:
        data = decode(match.string)
        if not isinstance(data, VoteButton):
            raise ValueError(f"not a vote button: {match.string!r}")
        return cls(data)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await workshop_router_of(interaction).vote(interaction, self.data)


class WorkshopControlItem(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=CONTROL_TEMPLATE,
):
    """ "Show my profile", "end it and start a new one" or "keep it running"."""

    def __init__(
        self,
        data: WorkshopControl,
        text: str = "",
        *,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        row: int | None = None,
    ):
        super().__init__(
            discord.ui.Button(
                label=label(text) or None, custom_id=workshop_control(data), style=style, row=row
            )
        )
        self.data = data

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> WorkshopControlItem:
        data = parse_workshop_control(match.string)
        if data is None:
            raise ValueError(f"not a workshop control: {match.string!r}")
        return cls(data)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await workshop_router_of(interaction).control(interaction, self.data)


DYNAMIC_ITEMS = (AnswerItem, CommandItem, ConfirmItem, OwnWordsItem, VoteItem, WorkshopControlItem)


class OwnWordsModal(discord.ui.Modal):
    """The form a person types a free answer into.

    Its submission is handled by ``CareerClient.on_interaction`` from the custom_id and the
    submitted values, not by this object, so a modal opened before a restart still counts.
    """

    def __init__(self, data: OwnWords) -> None:
        super().__init__(
            title=messages.DISCORD_OWN_WORDS_TITLE, custom_id=own_words_modal(data), timeout=MODAL_TIMEOUT
        )
        self.add_item(
            discord.ui.TextInput(
                label=messages.DISCORD_OWN_WORDS_LABEL,
                custom_id=ANSWER_FIELD,
                placeholder=messages.DISCORD_OWN_WORDS_PLACEHOLDER,
                max_length=300,
            )
        )


def submitted_text(data: Any) -> str:
    """The own-words answer from a modal submission's raw ``data``; "" when missing."""
    rows = data.get("components", []) if isinstance(data, dict) else []
    for row in rows:
        for component in row.get("components", [row]):
            if component.get("custom_id") == ANSWER_FIELD:
                return str(component.get("value") or "")
    return ""
