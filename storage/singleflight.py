"""Work done once at a time per name: who asks while it runs waits for that run.

Rules:
- ``run(name, work)`` starts ``work()`` unless a run for ``name`` is already going, and
  waits for that run; the many first turns after a start that all want the same dialog
  structure kept make one write, not one each.
- A caller cancelled while waiting does not cancel the run (the others still wait for it).
- A run that fails fails every caller waiting for it; the next ``run`` tries again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class SingleFlight:
    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[None]] = {}

    async def run(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        running = self._running.get(name)
        if running is None:
            running = asyncio.ensure_future(work())
            self._running[name] = running
            running.add_done_callback(lambda _: self._running.pop(name, None))
        await asyncio.shield(running)
