"""The discord.py client of careerbot: the command tree, dynamic buttons, modal submits.

Rules:
- Intents: only ``guilds``. Everything arrives as interactions, which need no intent, so
  the bot asks for no privileged intent (no Message Content).
- The bot uses no voice, so discord.py's start-up warnings that voice libraries (PyNaCl,
  davey) are missing are switched off: they would alarm an operator for nothing.
- ``setup_hook`` registers the dynamic buttons and syncs ``/career`` and ``/workshop`` only
  when the command set changed.
- Workshop buttons and ``/workshop`` go to the ``WorkshopRouter`` (``workshop_router``); its
  count-edit coalescer is closed when the client closes.
- Replies of conversation turns are delivered by the outbox ``sender`` (``bot.outbox`` with
  ``courier``): it resumes what was owed before, once the client is set up, and stops where
  it stands (what it had not delivered stays owed) when the client closes.
- Modal submissions are routed here, from the raw custom_id and values, and not by the
  ``Modal`` object kept in memory, so a form opened before a restart still counts.
- A component or a modal submit whose custom_id none of our templates match gets an
  "expired" reply, and a slash command that cannot run an apology, never Discord's "This
  interaction failed".
- No option of ours suggests values as one types (a dialog is picked from fixed choices),
  so an autocomplete request, which only a stale command registration can cause, is
  answered with no suggestions and goes no further (``_Tree``), quietly.
- ``DISCORD_SHARD_COUNT`` makes it an auto-sharded client running ``DISCORD_SHARD_IDS``
  (or every shard): Discord then sends each process only its shards' servers
  (``career_client`` picks the class; everything else is the same client).
- Each handled interaction is announced as the ``careerbot_handled`` event (its id), which
  lets a caller wait for a turn to finish without sleeping.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bot.app import Services
from bot.coalesce import DISCORD_INTERVAL
from bot.config import DiscordSettings
from bot.discord.commands import career_group, workshop_group
from bot.discord.components import DYNAMIC_ITEMS, submitted_text
from bot.discord.courier import DiscordCourier
from bot.discord.custom_ids import is_ours, parse_modal
from bot.discord.router import Router
from bot.discord.sync import sync_if_changed
from bot.discord.translator import CatalogTranslator
from bot.discord.workshop_router import WorkshopRouter
from bot.outbox import Sender

HANDLED = "careerbot_handled"

_log = logging.getLogger(__name__)


class CareerClient(discord.Client):
    def __init__(
        self,
        services: Services,
        settings: DiscordSettings,
        *,
        sync_marker: Path | None,
        clock: Callable[[], float] = time.time,
        vote_interval: float = DISCORD_INTERVAL,
        vote_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **options: Any,
    ) -> None:
        """``vote_interval`` and ``vote_sleep`` pace the edits of a workshop question's count
        (``bot.coalesce``); tests inject them."""
        intents = discord.Intents.none()
        intents.guilds = True
        # discord.py warns once per process from Client.__init__ unless these are off.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(intents=intents, **options)
        self.guild_id = settings.guild_id
        self.sync_marker = sync_marker
        self.synced: bool | None = None  # None until setup; then whether commands were synced
        courier = DiscordCourier(self.http, clock, services.outbox)
        self.sender = Sender(services.outbox, courier, services.settings.reply_ttl)
        self.router = Router(
            services.conversations,
            services.workshops,
            self.sender,
            ephemeral_in_guilds=settings.ephemeral,
            clock=clock,
            on_done=self._handled,
        )
        self.workshop_router = WorkshopRouter(
            self,
            services.workshops,
            self.sender,
            interval=vote_interval,
            sleep=vote_sleep,
            on_done=self._handled,
        )
        dialog_ids = sorted(services.conversations.dialogs)
        self.tree: app_commands.CommandTree[CareerClient] = _Tree(self)
        languages = services.conversations.languages
        self.tree.add_command(career_group(self.router, dialog_ids, languages))
        self.tree.add_command(workshop_group(self.workshop_router, dialog_ids, languages))
        self.tree.error(self._command_failed)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        conversations = self.router.conversations
        catalogs = {language: conversations.catalog(language) for language in conversations.languages}
        await self.tree.set_translator(CatalogTranslator(catalogs))
        if self.application_id is None:
            raise RuntimeError("Discord did not tell the application id at login")
        self.synced = await sync_if_changed(self.tree, self.application_id, self.guild_id, self.sync_marker)
        await self.sender.start()

    async def close(self) -> None:
        await self.sender.stop()
        await self.workshop_router.close()
        await super().close()

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if interaction.type is discord.InteractionType.modal_submit:
            own_words = parse_modal(custom_id)
            if own_words is None:
                await self.router.expired(interaction)
            else:
                await self.router.modal(interaction, own_words, submitted_text(data).strip())
        elif interaction.type is discord.InteractionType.component and not is_ours(custom_id):
            await self.router.expired(interaction)

    async def _command_failed(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        _log.warning("slash command could not run: %s", error)
        await self.router.failed(interaction)

    def _handled(self, interaction_id: int) -> None:
        self.dispatch(HANDLED, interaction_id)


class ShardedCareerClient(CareerClient, discord.AutoShardedClient):
    """The same client on an auto-sharded connection: ``DISCORD_SHARD_COUNT`` shards in all,
    this process running ``DISCORD_SHARD_IDS`` of them, so shards spread over processes."""


def career_client(
    services: Services, settings: DiscordSettings, *, sync_marker: Path | None, **options: Any
) -> CareerClient:
    """The client ``settings`` ask for: sharded when ``DISCORD_SHARD_COUNT`` is set."""
    if settings.shard_count is None:
        return CareerClient(services, settings, sync_marker=sync_marker, **options)
    options["shard_count"] = settings.shard_count
    if settings.shard_ids is not None:
        options["shard_ids"] = list(settings.shard_ids)
    return ShardedCareerClient(services, settings, sync_marker=sync_marker, **options)


class _Tree(app_commands.CommandTree[CareerClient]):
    async def interaction_check(self, interaction: discord.Interaction[CareerClient]) -> bool:
        """Let every command through, and answer an autocomplete request here: with no
        suggestions (discord.py would fail on it, as no option of ours offers any)."""
        if interaction.type is not discord.InteractionType.autocomplete:
            return True
        try:
            await interaction.response.autocomplete([])
        except discord.HTTPException as exc:
            _log.debug("could not answer an autocomplete request: %s", exc)
        finally:
            self.client._handled(interaction.id)
        return False
