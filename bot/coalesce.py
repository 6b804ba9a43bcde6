"""Coalesce "the public count changed" notifications into a few refreshes per chat.

A workshop's question message shows how many members have answered. Editing it on every
press would break the platforms' limits (a Telegram group takes about 20 messages a minute),
so the adapter hands each ``VoteCount`` to a ``Coalescer`` and edits only when it calls back.

Rules:
- ``notify(key, value)`` never waits and never edits; it records ``value`` as the latest
  for ``key`` (one key per chat, or per message).
- The first notification of a quiet key is refreshed at once, so a single press shows up
  quickly. After each refresh the key rests ``interval`` seconds; whatever arrived meanwhile
  is refreshed as one call with only the latest value. So a burst costs about
  ``1 + duration / interval`` refreshes, and the last refresh always carries the last value.
- Values for one key must be notified in order (later = newer): a refresh sends the latest
  notified, not the largest.
- A refresh that raises is logged and does not stop later refreshes.
- Suggested intervals: Telegram groups 3 s, Discord 1.5 s (``TELEGRAM_GROUP_INTERVAL``,
  ``DISCORD_INTERVAL``). ``sleep`` is injectable so tests control time.
- ``drain()`` waits until every pending value has been refreshed; ``close()`` drops
  pending values and stops (for shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

TELEGRAM_GROUP_INTERVAL = 3.0
DISCORD_INTERVAL = 1.5

log = logging.getLogger(__name__)


class Coalescer(Generic[K, V]):
    def __init__(
        self,
        refresh: Callable[[K, V], Awaitable[None]],
        interval: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._refresh = refresh
        self._interval = interval
        self._sleep = sleep
        self._latest: dict[K, V] = {}
        self._tasks: dict[K, asyncio.Task[None]] = {}
        self.refreshes = 0  # how many times ``refresh`` was called

    def notify(self, key: K, value: V) -> None:
        self._latest[key] = value
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._run(key), name=f"coalesce-{key}")

    def pending(self, key: K) -> bool:
        """True while a refresh for ``key`` is due or resting."""
        return key in self._tasks

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def close(self) -> None:
        self._latest.clear()
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # A task cancelled before it first ran never reaches its ``finally``.
        self._tasks.clear()

    async def _run(self, key: K) -> None:
        try:
            # No await between the emptiness check and leaving the loop: a notify() can
            # never find this task still registered but already finished.
            while key in self._latest:
                value = self._latest.pop(key)
                self.refreshes += 1
                try:
                    await self._refresh(key, value)
                except Exception:
                    log.exception("refreshing %r failed", key)
                await self._sleep(self._interval)
        finally:
            self._tasks.pop(key, None)
