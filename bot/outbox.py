"""Delivering owed replies: one sender, the same for every platform.

A turn's replies are rendered by the adapter and committed with the turn (``storage.outbox``);
from then on they are *owed*. A ``Sender`` delivers them; a platform supplies only a
``Courier``: how to deliver one owed message, and what an error it raised means.

Rules:
- One chat's messages go out one at a time, oldest first: a message is sent only once the
  one before it was accepted (or given up), so they never overtake each other. Every chat
  has its own worker task, so a slow or failing chat holds up nobody else.
- An owed message is removed once the platform accepted it (``Delivered``), and also when
  it is given up: the platform will never accept it (``Drop``: blocked by the person, chat
  gone, a request it refuses), or it is older than ``ttl`` (sent that late it would be out
  of context). Each give-up is one log line.
- A row that names a receipt (``OwedRow.receipt``) has the platform's reference to the
  message it made noted with its removal, so later rows can edit that message.
- A courtesy row (``storage.outbox``: an edit of an older message, such as marking an
  answered question) never delays a needed message: a chat's needed rows go out first,
  and a courtesy row is sent only when there is room: its chat owes nothing newer, and
  the messages the platform accepted in the last ``COURTESY_WINDOW`` seconds plus the
  needed messages owed now (chats woken whose rows are not read yet, needed rows read and
  not yet accepted) are fewer than it takes in that window (its ``rate`` per second). A
  courtesy thus spends only what is left of the platform's budget for the moment, after
  what was just sent and what is waiting. Without room (at the platform's ceiling) it is
  skipped: removed with one debug line, not an error, so an answer costs one message
  there instead of two. A courtesy row that fails is skipped too, not retried.
- ``Retry`` (network errors, timeouts, 5xx) tries again after a capped exponential backoff
  with jitter, for as long as the message is younger than ``ttl`` and still owed (a
  ``/forget`` or retention may erase it meanwhile); ``WaitOut`` (a 429)
  waits as long as the platform asked, without counting as a failure.
- ``wake(chat)`` after each commit that owed something to ``chat``: delivery begins at
  once. ``start()`` resumes every chat that was owed something before (after a restart).
  When other processes share the outbox (PostgreSQL), it looks again every
  ``outbox.sweep_every`` seconds, so replies a dead process had claimed are sent once its
  claim runs out.
- ``stop()`` returns at once: workers are cancelled where they stand and whatever was not
  accepted stays owed, to be sent after the next start. A message the platform accepted
  just before the stop (or a crash), but whose removal was not yet committed, is sent once
  more on restart: delivery is at least once. Couriers make that harmless where they can
  (an edit sent twice changes nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from storage.contract import OutboxContract
from storage.outbox import Owed, OwedRow, Receipt

log = logging.getLogger(__name__)

# Backoff between failed attempts: BASE, 2 * BASE, ... up to CAP seconds, each jittered to
# between half and all of it, so chats that failed together do not retry together.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
# One attempt that takes longer than this (a stalled connection) counts as failed.
ATTEMPT_TIMEOUT = 60.0
_BATCH = 20  # owed rows read per query
# A courtesy row is sent only if the needed messages owed now fit in this many seconds of
# the platform's rate: about one second of waiting, which a person does not notice.
COURTESY_WINDOW = 1.0


@dataclass(frozen=True, slots=True)
class Delivered:
    """The platform accepted the message; ``reference`` is its id for the message it made,
    noted under the row's receipt name when the row has one."""

    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Retry:
    """A failure that may pass (network, timeout, 5xx): try again after a backoff."""

    reason: str


@dataclass(frozen=True, slots=True)
class WaitOut:
    """The platform asked to wait (a 429): try again after ``seconds``."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Drop:
    """The platform will never accept this message: give it up."""

    reason: str


Outcome = Delivered | Retry | WaitOut | Drop


class Receipts(Protocol):
    """Where a courier reads back the reference noted under a receipt name (the outbox)."""

    async def receipt(self, platform: str, name: str) -> str | None: ...


def noted(call: dict[str, Any], receipt: str) -> dict[str, Any]:
    """A courier's ``call`` whose platform reference is to be noted as ``receipt`` once sent."""
    return call | {"receipt": receipt}


def owed_calls(chat: str, calls: Iterable[dict[str, Any]]) -> tuple[Owed, ...]:
    """A courier's calls as rows owed to ``chat`` (the outbox's ordering key), in order;
    a call made with ``noted`` names its receipt, and one with ``"courtesy": true`` is a
    courtesy (see the module rules)."""
    return tuple(
        Owed(chat, json.dumps(call, separators=(",", ":")), call.get("receipt"), bool(call.get("courtesy")))
        for call in calls
    )


class Courier(Protocol):
    """A platform's part: deliver one owed message, and say what a failure means;
    ``rate``: the messages per second the platform takes from one bot."""

    platform: str
    rate: float

    async def deliver(self, row: OwedRow) -> Outcome: ...

    def classify(self, error: Exception) -> Outcome: ...


def backoff(attempt: int, rand: Callable[[float, float], float] = random.uniform) -> float:
    """Seconds to wait after the ``attempt``-th failure in a row (1, 2, ...)."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
    return rand(ceiling / 2, ceiling)


class Sender:
    def __init__(
        self,
        outbox: OutboxContract,
        courier: Courier,
        ttl: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._outbox = outbox
        self._courier = courier
        self._ttl = ttl
        self._clock = clock
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._woken: set[str] = set()
        # What is owed now that a person needs, for a courtesy row's room: the chats woken
        # whose rows are not read yet, and the needed rows read and not yet accepted (or
        # given up), per chat and in all.
        self._unread: set[str] = set()
        self._in_hand: dict[str, int] = {}
        self._needed = 0
        self._room = max(1, int(courier.rate * COURTESY_WINDOW))
        self._accepted: deque[float] = deque()  # when each recent message was accepted
        self._running = True  # until ``stop``
        self._sweeper: asyncio.Task[None] | None = None
        self.delivered = 0  # messages the platform accepted since start
        self.dropped = 0  # messages given up since start
        self.skipped = 0  # courtesy messages skipped for want of room since start
        self.failures = 0  # failed attempts since start (each retried after a backoff)

    @property
    def platform(self) -> str:
        return self._courier.platform

    async def start(self) -> None:
        """Deliver what was owed before this start (and, shared, what others leave owed)."""
        await self._sweep()
        every = self._outbox.sweep_every
        if every is not None and self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_every(every), name="outbox-sweep")

    async def _sweep(self) -> None:
        for chat in await self._outbox.owed_chats(self.platform):
            self.wake(chat)

    async def _sweep_every(self, seconds: float) -> None:
        while self._running:
            await asyncio.sleep(seconds)
            try:
                await self._sweep()
            except Exception as error:  # the database is away: try again next time
                log.warning("could not look for owed replies: %s", type(error).__name__)

    def wake(self, chat: str) -> None:
        """``chat`` is owed something new: deliver it (never waits)."""
        if not self._running:
            return  # stopped: it stays owed, and the next start delivers it
        self._woken.add(chat)
        self._unread.add(chat)
        if chat not in self._workers:
            self._workers[chat] = asyncio.create_task(self._work(chat), name=f"outbox-{chat}")

    async def deliver_now(self, owed: Sequence[Owed]) -> None:
        """Try once to deliver messages that could not be stored (the database was down);
        a failure is logged and the messages are lost."""
        for message in owed:
            try:
                await self._courier.deliver(OwedRow(0, message.chat, message.payload, self._clock()))
            except Exception as error:
                name = type(error).__name__
                log.warning(
                    "could not send an unstored reply to %s %s: %s", self.platform, message.chat, name
                )
                return

    async def idle(self) -> None:
        """Wait until nothing is being delivered (every worker has run out of owed rows)."""
        while self._workers:
            await asyncio.gather(*self._workers.values(), return_exceptions=True)

    async def stop(self) -> None:
        """Stop at once; what was not accepted stays owed."""
        self._running = False
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    @property
    def pace(self) -> int:
        """How many messages the platform accepted in the last ``COURTESY_WINDOW`` seconds."""
        recent = time.perf_counter() - COURTESY_WINDOW
        while self._accepted and self._accepted[0] < recent:
            self._accepted.popleft()
        return len(self._accepted)

    @property
    def has_room(self) -> bool:
        """Whether a courtesy message would delay no needed one (see the module rules): what
        was accepted in the window and what people are owed fit in it at the platform's rate."""
        return self.pace + len(self._unread) + self._needed < self._room

    def _hold(self, chat: str, needed: int) -> None:
        """``chat``'s worker holds ``needed`` needed rows, read and not yet settled."""
        self._needed += needed - self._in_hand.get(chat, 0)
        self._in_hand[chat] = needed

    async def _work(self, chat: str) -> None:
        try:
            while self._running:
                self._woken.discard(chat)
                rows = await self._outbox.owed(self.platform, chat, _BATCH)
                self._unread.discard(chat)
                self._hold(chat, sum(not row.courtesy for row in rows))
                if not rows and chat not in self._woken:
                    return
                for row in rows:  # the needed rows first (``storage.outbox``)
                    if row.courtesy and chat in self._woken:
                        break  # something newer is owed here: read again, it goes first
                    if row.courtesy and not self.has_room:
                        await self._skip(row)
                    elif not await self._settle(row):
                        break  # rows were erased meanwhile: read again what is still owed
        except asyncio.CancelledError:
            raise
        except Exception:  # the database failed: the rows stay owed for the next wake
            log.exception("delivering to %s %s stopped; its replies stay owed", self.platform, chat)
        finally:
            self._workers.pop(chat, None)
            self._hold(chat, 0)
            del self._in_hand[chat]

    async def _skip(self, row: OwedRow) -> None:
        self.skipped += 1
        log.debug("skipped a courtesy edit to %s %s: no room", self.platform, row.chat)
        await self._outbox.remove(row.id)

    async def _settle(self, row: OwedRow) -> bool:
        """Deliver ``row`` or give it up; either way it is removed from the outbox. False
        when it was found erased between two attempts (and so not delivered)."""
        failures = 0
        while True:
            age = self._clock() - row.created_at
            if age > self._ttl:
                outcome: Outcome = Drop(f"not delivered within {self._ttl:.0f} s")
            else:
                try:
                    outcome = await asyncio.wait_for(self._courier.deliver(row), ATTEMPT_TIMEOUT)
                except TimeoutError:
                    outcome = Retry("no answer in time")
                except Exception as error:
                    outcome = self._courier.classify(error)
            if isinstance(outcome, Delivered | Drop):
                if not row.courtesy:  # settled: no longer needed, whatever the removal takes
                    self._hold(row.chat, self._in_hand.get(row.chat, 1) - 1)
                if isinstance(outcome, Drop):
                    self.dropped += 1
                    log.warning("gave up a reply to %s %s: %s", self.platform, row.chat, outcome.reason)
                else:
                    self.delivered += 1
                    self._accepted.append(time.perf_counter())
                await self._outbox.remove(row.id, self._receipt(row, outcome))
                return True
            if row.courtesy:  # not worth waiting for: the room it had is gone meanwhile
                await self._skip(row)
                return True
            if isinstance(outcome, WaitOut):
                await asyncio.sleep(outcome.seconds)
                continue
            failures += 1
            self.failures += 1
            wait = backoff(failures)
            log.info(
                "a reply to %s %s failed (%s); trying again in %.1f s",
                self.platform,
                row.chat,
                outcome.reason,
                wait,
            )
            await asyncio.sleep(wait)
            if not await self._outbox.holds(row.id):
                return False  # erased while it waited (/forget, retention): owed no more

    def _receipt(self, row: OwedRow, outcome: Delivered | Drop) -> Receipt | None:
        """What to note with the row's removal: the platform's reference to the message a
        delivered row made, when the row asked for it."""
        if isinstance(outcome, Drop) or row.receipt is None or outcome.reference is None:
            return None
        return Receipt(self.platform, row.receipt, outcome.reference)
