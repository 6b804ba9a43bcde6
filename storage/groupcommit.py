"""Group commit: many concurrent writers, one transaction per batch, one writer task.

Rules:
- ``submit(item)`` queues an item; its future gives the result only after the transaction
  that wrote it has committed. Items that arrive while a transaction is in flight wait and are
  written together in the next one, so N concurrent writes cost a handful of thread hops
  and fsyncs, not N.
- ``apply(items)`` is the store's batch writer: it opens, fills and commits (or rolls back)
  one transaction and returns one result per item, in order. It runs with ``lock`` held,
  the lock every writer on the connection holds, so transactions never interleave.
- If a batch fails as a whole, its items are retried one by one, so only the offending
  item's caller sees the error and the others still commit.
- ``close()`` writes everything already submitted, then stops the writer task; the caller
  refuses new items once it has called ``close()`` (see ``closed``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    def __init__(self, lock: asyncio.Lock, apply: Callable[[list[T]], Awaitable[list[R]]], name: str) -> None:
        self._lock = lock
        self._apply = apply
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._writer = self._loop.create_task(self._write_loop(), name=name)
        self._closed = False
        self.batches = 0  # how many write transactions have committed

    @property
    def closed(self) -> bool:
        return self._closed

    def submit(self, item: T) -> asyncio.Future[R]:
        """Queue ``item``; await the future for its result (a plain future, not a coroutine:
        every turn passes through here, and a coroutine frame per call costs CPU)."""
        future: asyncio.Future[R] = self._loop.create_future()
        self._pending.append((item, future))
        self._wake.set()
        return future

    async def close(self) -> None:
        """Finish every pending item, then stop the writer task."""
        self._closed = True
        while self._pending:
            await asyncio.sleep(0)
        async with self._lock:
            self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer

    async def _write_loop(self) -> None:
        while True:
            await self._wake.wait()
            # Take the batch only once the lock is held, so close() never sees an empty
            # queue while a batch waits to be written.
            async with self._lock:
                self._wake.clear()
                batch, self._pending = self._pending, []
                if batch:
                    await self._write_batch(batch)

    async def _write_batch(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._apply_counted([item for item, _ in batch])
        except Exception as whole_batch_error:
            if len(batch) == 1:
                _settle(batch[0][1], whole_batch_error)
                return
            for item, future in batch:
                try:
                    (result,) = await self._apply_counted([item])
                except Exception as error:
                    _settle(future, error)
                else:
                    _settle(future, result)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # _settle, inline: once per turn
                future.set_result(result)

    async def _apply_counted(self, items: list[T]) -> list[R]:
        results = await self._apply(items)
        self.batches += 1
        return results


def _settle(future: asyncio.Future[R], outcome: R | BaseException) -> None:
    if future.done():  # the caller was cancelled; the write stands, nobody to tell
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
