"""Point discord.py at a Discord-compatible server (the tests' fake, or a proxy).

Rules:
- ``DISCORD_API_BASE_URL`` replaces ``discord.http.Route.BASE`` (REST, and with it
  interaction callbacks and followup webhooks, which use the same ``Route``);
  ``DISCORD_GATEWAY_URL`` replaces ``DiscordWebSocket.DEFAULT_GATEWAY``. discord.py
  appends the query (``?v=10&encoding=json&compress=...``) itself.
- Both are process-wide class attributes, so they are set for the lifetime of one
  ``serve`` and restored afterwards; unset settings leave discord.py's defaults alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route


@contextmanager
def pointed_at(api_base_url: str | None, gateway_url: str | None) -> Iterator[None]:
    saved_base, saved_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    if api_base_url:
        Route.BASE = api_base_url.rstrip("/")
    if gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved_base, saved_gateway
