"""Run the Discord bot: ``serve(services, settings, stop)``.

Rules:
- Points discord.py at ``DISCORD_API_BASE_URL`` / ``DISCORD_GATEWAY_URL`` if set, starts the
  client, runs until ``stop`` is set (SIGINT/SIGTERM) or the client fails, then closes the
  client cleanly before returning.
- A token Discord rejects, or a Discord that cannot be reached at start, is an operator's
  mistake: one ``StartupError`` line naming the setting, never the token itself.
- The command-sync hash lives next to the database the services were opened on
  (``services.settings.db_path``); this module reads no environment.
- discord.py logs request URLs and raw gateway events at DEBUG, and interactions carry a
  token that can post as the bot for 15 minutes: those tokens, and the bot token, are
  redacted from its loggers.
"""

from __future__ import annotations

import asyncio
import logging
import re

import aiohttp
import discord
from discord.http import Route

from bot.app import Services, StartupError
from bot.config import DiscordSettings
from bot.discord.client import CareerClient
from bot.discord.endpoints import pointed_at
from bot.discord.sync import marker_for
from bot.redact import redact_loggers

_log = logging.getLogger(__name__)
# Loggers that print request URLs or raw gateway events, and where a token stands in them:
# the path of an interaction or webhook URL, and the "token" field of an interaction event.
_LOGGERS = ("discord.http", "discord.webhook.async_", "discord.gateway")
_TOKENS_IN_TEXT = (
    re.compile(r"(/(?:interactions|webhooks)/\d+/)[A-Za-z0-9._-]+"),
    re.compile(r"(['\"]token['\"]: ['\"])[^'\"]+"),
)


async def serve(
    services: Services,
    settings: DiscordSettings,
    stop: asyncio.Event,
    *,
    client: CareerClient | None = None,
) -> None:
    """Run until ``stop`` is set. ``client`` lets a caller (a test) keep hold of the client."""
    redact_loggers(_LOGGERS, secrets=(settings.token,), patterns=_TOKENS_IN_TEXT)
    with pointed_at(settings.api_base_url, settings.gateway_url):
        if client is None:
            client = CareerClient(services, settings, sync_marker=marker_for(services.settings.db_path))
        async with client:
            running = asyncio.create_task(client.start(settings.token), name="careerbot-discord")
            stopping = asyncio.create_task(stop.wait(), name="careerbot-discord-stop")
            try:
                await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                # Also on cancellation (another adapter failed): close, and wait for the
                # client's task, so nothing is left running or unretrieved.
                stopping.cancel()
                await client.close()
                (outcome,) = await asyncio.gather(running, return_exceptions=True)
            if isinstance(outcome, discord.LoginFailure):
                raise StartupError("DISCORD_BOT_TOKEN was rejected by Discord, expected a valid bot token")
            if isinstance(outcome, aiohttp.ClientConnectionError) and not client.is_ready():
                raise StartupError(f"cannot reach Discord at {Route.BASE}: {outcome}")
            if isinstance(outcome, BaseException) and not isinstance(outcome, asyncio.CancelledError):
                raise outcome
            _log.info("Discord adapter stopped")
