"""Run the Discord bot: ``serve(conversations, settings, stop)``.

Rules:
- Points discord.py at ``DISCORD_API_BASE_URL`` / ``DISCORD_GATEWAY_URL`` if set, starts the
  client, runs until ``stop`` is set (SIGINT/SIGTERM) or the client fails, then closes the
  client cleanly before returning.
- A token Discord rejects is an operator's mistake: one ``StartupError`` line naming
  ``DISCORD_BOT_TOKEN``, never the token itself.
- The command-sync hash lives next to the database named by ``CAREERBOT_DB``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import discord

from bot.app import StartupError, core_settings
from bot.config import DiscordSettings, environment
from bot.conversations import Conversations
from bot.discord.client import CareerClient
from bot.discord.endpoints import pointed_at
from bot.discord.sync import marker_for

_log = logging.getLogger(__name__)


def default_sync_marker() -> Path | None:
    return marker_for(core_settings(environment()).db_path)


async def serve(
    conversations: Conversations,
    settings: DiscordSettings,
    stop: asyncio.Event,
    *,
    client: CareerClient | None = None,
) -> None:
    """Run until ``stop`` is set. ``client`` lets a caller (a test) keep hold of the client."""
    with pointed_at(settings.api_base_url, settings.gateway_url):
        if client is None:
            client = CareerClient(conversations, settings, sync_marker=default_sync_marker())
        async with client:
            running = asyncio.create_task(client.start(settings.token), name="careerbot-discord")
            stopping = asyncio.create_task(stop.wait(), name="careerbot-discord-stop")
            try:
                await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
                await client.close()
            try:
                await running
            except discord.LoginFailure:
                raise StartupError(
                    "DISCORD_BOT_TOKEN was rejected by Discord, expected a valid bot token"
                ) from None
            except asyncio.CancelledError:
                if not stop.is_set():
                    raise
            _log.info("Discord adapter stopped")
