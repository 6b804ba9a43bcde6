"""Answer one interaction: through its token while that is fresh, else by a new message.

Rules:
- Discord accepts an interaction token for 15 minutes. A ``Responder`` checks the token's
  age (from the interaction's snowflake) before every use and treats it as expired a
  minute early; with an expired token it never edits, and sends a new channel message
  instead, except where the reply must stay private (ephemeral), which only the token can do.
- After a "thinking" defer, the first message replaces the placeholder; later ones are
  followups. Followups in a server carry the ephemeral flag when the adapter is private.
- Mentions in replies never ping anyone.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord

from bot.discord.layout import Outgoing

TOKEN_LIFETIME = 15 * 60.0
_MARGIN = 60.0  # the request itself takes time; stop trusting a token a minute early
NO_PINGS = discord.AllowedMentions.none()

_log = logging.getLogger(__name__)


def fresh_for(made_at: float, now: float) -> bool:
    """Whether the token of an interaction made at ``made_at`` can still be trusted."""
    return now - made_at < TOKEN_LIFETIME - _MARGIN


@dataclass(slots=True)
class Responder:
    interaction: discord.Interaction[Any]
    ephemeral: bool
    clock: Callable[[], float]
    placeholder: bool = False  # a "thinking" defer is waiting to be replaced

    def fresh(self) -> bool:
        return fresh_for(self.interaction.created_at.timestamp(), self.clock())

    async def edit_pressed(self, content: str | None) -> None:
        """Take the buttons off the message that was pressed, and replace its text if given."""
        if not self.fresh():
            return  # its buttons stay; the engine recognises them as stale if pressed again
        if content is None:
            await self.interaction.edit_original_response(view=None)
        else:
            await self.interaction.edit_original_response(
                content=content, view=None, allowed_mentions=NO_PINGS
            )

    async def send_file(self, data: bytes, filename: str) -> None:
        """Send a file (the profile's picture) as an attachment, private like the rest."""
        if self.fresh():
            file = discord.File(io.BytesIO(data), filename=filename)
            await self.interaction.followup.send(file=file, ephemeral=self.ephemeral, wait=True)
        elif not self.ephemeral:
            channel = self.interaction.client.get_partial_messageable(self.interaction.channel_id or 0)
            await channel.send(file=discord.File(io.BytesIO(data), filename=filename))

    async def send(self, out: Outgoing) -> None:
        view = out.view()
        if self.fresh():
            if self.placeholder:
                self.placeholder = False
                await self.interaction.edit_original_response(
                    content=out.content, view=view, allowed_mentions=NO_PINGS
                )
            elif view is None:
                await self.interaction.followup.send(
                    out.content, ephemeral=self.ephemeral, allowed_mentions=NO_PINGS, wait=True
                )
            else:
                await self.interaction.followup.send(
                    out.content, view=view, ephemeral=self.ephemeral, allowed_mentions=NO_PINGS, wait=True
                )
            return
        if self.ephemeral:
            _log.warning("interaction token expired; a private reply cannot be delivered without it")
            return
        channel = self.interaction.client.get_partial_messageable(self.interaction.channel_id or 0)
        if view is None:
            await channel.send(out.content, allowed_mentions=NO_PINGS)
        else:
            await channel.send(out.content, view=view, allowed_mentions=NO_PINGS)
