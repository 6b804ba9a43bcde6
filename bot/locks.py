"""Per-key asyncio locks that disappear when nobody holds or waits for them.

Rules:
- State is loaded only after the key's lock is taken (as aiogram does), so two updates for
  one conversation are applied one after the other, never interleaved.
- Waiters get the lock in the order they asked for it: the holder hands it straight to the
  next one. A waiter cancelled before it got the lock leaves the queue; one cancelled just
  after it was handed the lock passes it on.
- A key nobody holds costs nothing: no lock object is made for it (every turn of every
  person takes one, and almost none is ever contended).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Hashable
from types import TracebackType


class KeyedLocks:
    def __init__(self) -> None:
        # A held key's waiters, in order (an empty tuple while nobody waits); a key nobody
        # holds is absent.
        self._held: dict[Hashable, tuple[()] | deque[asyncio.Future[None]]] = {}
        self._ready: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, key: Hashable) -> _Hold:
        """``async with locks.hold(key):`` runs its block while holding ``key``'s lock."""
        return _Hold(self, key)

    def _acquire(self, key: Hashable) -> Awaitable[None]:
        if key not in self._held:  # nobody holds it: taken, nothing to wait for
            self._held[key] = ()
            return self._ready or self._taken()
        return self._wait(key)

    async def _wait(self, key: Hashable) -> None:
        waiters = self._held[key]
        if not isinstance(waiters, deque):
            waiters = self._held[key] = deque()
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters.append(turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self._release(key)  # handed the lock, cancelled before it ran: pass it on
            elif turn in waiters:  # a holder may have dropped it already
                waiters.remove(turn)
            raise

    def _taken(self) -> asyncio.Future[None]:
        """A finished future: awaiting it returns at once (it is never waited on, so the
        loop it was made on does not matter)."""
        if self._ready is None:
            self._ready = asyncio.get_running_loop().create_future()
            self._ready.set_result(None)
        return self._ready

    def _release(self, key: Hashable) -> None:
        waiters = self._held.pop(key)
        while waiters:
            assert isinstance(waiters, deque)  # a tuple is only ever empty
            turn = waiters.popleft()
            if not turn.done():
                self._held[key] = waiters  # handed over: held by the next one
                turn.set_result(None)
                return


class _Hold:
    """The context manager of ``hold``. Entering and leaving are plain methods returning
    what to await: a coroutine only when the key is held by another task (a coroutine per
    turn costs CPU)."""

    __slots__ = ("_key", "_locks")

    def __init__(self, locks: KeyedLocks, key: Hashable) -> None:
        self._locks = locks
        self._key = key

    def __aenter__(self) -> Awaitable[None]:
        return self._locks._acquire(self._key)

    def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> Awaitable[None]:
        locks = self._locks
        locks._release(self._key)
        return locks._ready or locks._taken()
