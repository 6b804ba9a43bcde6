"""Batched reads: the reads asked for in one pass of the event loop answered by one call.

Rules:
- ``ask(request)`` queues a request and returns a future for its answer. The first request
  of a pass schedules one ``answer(requests)`` call for the end of that pass, so the many
  turns the loop runs at once (everyone's first turn after a start, say) cost one query
  and one thread hop, not one each.
- ``answer`` returns one answer per request, in order. If it fails, every request of the
  batch gets its error: a read has no partial effect to keep.
- Nothing is held back: a request made alone is answered in the next pass, as a plain read
  would be.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Q = TypeVar("Q")
A = TypeVar("A")


class BatchedReads(Generic[Q, A]):
    def __init__(self, answer: Callable[[list[Q]], Awaitable[list[A]]]) -> None:
        self._answer = answer
        self._pending: list[tuple[Q, asyncio.Future[A]]] = []
        self._running: set[asyncio.Task[None]] = set()  # kept referenced until done
        self.batches = 0  # how many ``answer`` calls were made

    def ask(self, request: Q) -> asyncio.Future[A]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[A] = loop.create_future()
        self._pending.append((request, future))
        if len(self._pending) == 1:
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.ensure_future(self._run(batch))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, batch: list[tuple[Q, asyncio.Future[A]]]) -> None:
        self.batches += 1
        try:
            answers = await self._answer([request for request, _ in batch])
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), answer in zip(batch, answers, strict=True):
            if not future.done():  # the asker was cancelled: nobody to tell
                future.set_result(answer)
