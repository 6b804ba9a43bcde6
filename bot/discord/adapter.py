"""Run the Discord bot: ``serve(services, settings, stop)``.

Rules:
- Points discord.py at ``DISCORD_API_BASE_URL`` / ``DISCORD_GATEWAY_URL`` if set, starts the
  client, runs until ``stop`` is set (SIGINT/SIGTERM) or the client fails, then closes the
  client cleanly before returning.
- A token Discord rejects, or a Discord that cannot be reached at start, is an operator's
  mistake: one ``StartupError`` line naming the setting, never the token itself. So are
  intents the application may not use, and the gateway's other "do not reconnect" closes
  (bad token, bad shard or API version): those end ``serve`` with their error.
- Anything else that ends discord.py's gateway loop (an event it cannot parse, a bug) is
  logged with its traceback and the gateway connected again, after a pause that doubles
  with each failure in a row, up to ``MAX_PAUSE``; discord.py itself already reconnects
  after network trouble. ``stop`` ends a pause at once.
- The command-sync hash lives next to the database the services were opened on
  (``services.settings.db_path``); this module reads no environment.
- discord.py logs request URLs and raw gateway events at DEBUG, and interactions carry a
  token that can post as the bot for 15 minutes: those tokens, and the bot token, are
  redacted from its loggers, and from aiosqlite's, which logs the outbox rows (they carry
  the interaction token their reply is delivered with) at DEBUG.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable

import aiohttp
import discord
from discord.http import Route

from bot.app import Services, StartupError
from bot.config import DiscordSettings
from bot.discord.client import CareerClient, career_client
from bot.discord.endpoints import pointed_at
from bot.discord.sync import marker_for
from bot.redact import redact_loggers

_log = logging.getLogger(__name__)
MAX_PAUSE = 60.0  # seconds between two attempts to connect the gateway, at most
# Loggers that print request URLs or raw gateway events, and where a token stands in them:
# the path of an interaction or webhook URL, and the "token" field of an interaction event.
_LOGGERS = ("discord.http", "discord.webhook.async_", "discord.gateway", "aiosqlite")
_TOKENS_IN_TEXT = (
    re.compile(r"(/(?:interactions|webhooks)/\d+/)[A-Za-z0-9._-]+"),
    re.compile(r"(['\"]token['\"]: ?['\"])[^'\"\\]+"),
)


async def serve(
    services: Services,
    settings: DiscordSettings,
    stop: asyncio.Event,
    *,
    client: CareerClient | None = None,
    pause: Callable[[int], float] | None = None,
) -> None:
    """Run until ``stop`` is set. ``client`` lets a caller (a test) keep hold of the client;
    ``pause(n)`` is how long to wait before connecting again after the n-th failure in a row."""
    redact_loggers(_LOGGERS, secrets=(settings.token,), patterns=_TOKENS_IN_TEXT)
    with pointed_at(settings.api_base_url, settings.gateway_url):
        if client is None:
            client = career_client(services, settings, sync_marker=marker_for(services.settings.db_path))
        async with client:
            running = asyncio.create_task(
                _run(client, settings.token, stop, pause or _pause), name="careerbot-discord"
            )
            stopping = asyncio.create_task(stop.wait(), name="careerbot-discord-stop")
            try:
                await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                # Also on cancellation (another adapter failed): close, and wait for the
                # client's task, so nothing is left running or unretrieved.
                stopping.cancel()
                await client.close()
                (outcome,) = await asyncio.gather(running, return_exceptions=True)
            if isinstance(outcome, discord.PrivilegedIntentsRequired):
                raise StartupError(
                    "Discord refused the gateway intents this bot asks for; enable them for the "
                    "application in the Discord developer portal"
                )
            if isinstance(outcome, discord.LoginFailure):
                raise StartupError("DISCORD_BOT_TOKEN was rejected by Discord, expected a valid bot token")
            if isinstance(outcome, aiohttp.ClientConnectionError) and not client.is_ready():
                raise StartupError(f"cannot reach Discord at {Route.BASE}: {outcome}")
            if isinstance(outcome, BaseException) and not isinstance(outcome, asyncio.CancelledError):
                raise outcome
            _log.info("Discord adapter stopped")


def _pause(failures: int) -> float:
    return min(MAX_PAUSE, 2.0 ** (failures - 1))


async def _run(client: CareerClient, token: str, stop: asyncio.Event, pause: Callable[[int], float]) -> None:
    """Log in, then keep the gateway connected until the client is closed."""
    await client.login(token)
    failures = 0
    while not client.is_closed():
        try:
            await client.connect(reconnect=True)
            return
        except (discord.LoginFailure, discord.PrivilegedIntentsRequired, discord.ConnectionClosed):
            # A bad token, intents not granted, or a close Discord says not to retry
            # (discord.py reconnects after every other close itself): configuration.
            raise
        except Exception:
            if client.is_closed():
                return
            failures += 1
            wait = pause(failures)
            _log.exception("Discord gateway connection failed; connecting again in %.0f s", wait)
        if client.ws is not None:
            await client.ws.close()  # the failed connection's socket and heartbeat
        try:
            await asyncio.wait_for(stop.wait(), wait)
            return
        except TimeoutError:
            pass
