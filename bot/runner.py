"""Run platform adapters until SIGINT or SIGTERM, sharing one database and one service.

Rules:
- ``telegram`` and ``discord`` need their token (a missing one is a ``StartupError``);
  ``run`` starts every adapter whose token is set, and needs at least one.
- Each adapter module offers ``serve(services, settings, stop)``: it starts, runs until
  ``stop`` is set, and shuts down cleanly before returning. ``services`` (``bot.app``)
  holds the conversations and workshops, all on one database.
- Adapters are imported here, lazily, so the terminal chat never loads their libraries.
- Once the adapters are imported and the database is open, the garbage collector is
  tuned for a long-running process (``bot.gctune``).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Mapping

from bot import gctune
from bot.app import Services, StartupError, open_service
from bot.config import ConfigError, CoreSettings, DiscordSettings, TelegramSettings

Serve = Callable[[Services, asyncio.Event], Awaitable[None]]


def _telegram(env: Mapping[str, str]) -> Serve:
    settings = TelegramSettings.from_env(env)
    from bot.telegram.adapter import serve

    return lambda services, stop: serve(services, settings, stop)


def _discord(env: Mapping[str, str]) -> Serve:
    settings = DiscordSettings.from_env(env)
    from bot.discord.adapter import serve

    return lambda services, stop: serve(services, settings, stop)


ADAPTERS: dict[str, tuple[str, Callable[[Mapping[str, str]], Serve]]] = {
    "telegram": ("TELEGRAM_BOT_TOKEN", _telegram),
    "discord": ("DISCORD_BOT_TOKEN", _discord),
}


def _chosen(command: str, env: Mapping[str, str]) -> list[Serve]:
    names = [command] if command in ADAPTERS else [n for n, (var, _) in ADAPTERS.items() if env.get(var)]
    if not names:
        raise StartupError("no adapter to run: set TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN")
    try:
        return [ADAPTERS[name][1](env) for name in names]
    except ConfigError as exc:
        raise StartupError(str(exc)) from None


async def run_adapters(command: str, settings: CoreSettings, env: Mapping[str, str]) -> None:
    servers = _chosen(command, env)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_service(settings) as services:
        gctune.settle()  # everything built so far lives as long as the process
        await asyncio.gather(*(serve(services, stop) for serve in servers))
