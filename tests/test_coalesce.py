"""The count coalescer, on a fake clock: bursts become a few refreshes ending on the latest value."""

from __future__ import annotations

import asyncio
import itertools

from bot.coalesce import Coalescer


class FakeTime:
    """A clock the test advances; ``sleep`` wakes when the clock passes its deadline."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, future))
        await future

    async def advance(self, seconds: float) -> None:
        self.now += seconds
        due = [f for t, f in self._sleepers if t <= self.now]
        self._sleepers = [(t, f) for t, f in self._sleepers if t > self.now]
        for future in due:
            future.set_result(None)
        for _ in range(5):  # let woken tasks run their refresh
            await asyncio.sleep(0)


class Screen:
    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self.edits: list[tuple[str, int, float]] = []

    async def refresh(self, chat: str, count: int) -> None:
        self.edits.append((chat, count, self.time.now))


async def test_a_burst_of_300_becomes_a_few_refreshes_ending_on_the_final_count() -> None:
    time = FakeTime()
    screen = Screen(time)
    coalescer: Coalescer[str, int] = Coalescer(screen.refresh, 3.0, time.sleep)
    for count in range(1, 301):  # 300 presses within one second
        coalescer.notify("group", count)
        await time.advance(1 / 300)
    while coalescer.pending("group"):
        await time.advance(1.0)
    counts = [count for _, count, _ in screen.edits]
    assert len(counts) <= 3
    assert counts[0] == 1  # the first press shows at once
    assert counts[-1] == 300  # the end of the burst always shows the final count
    times = [t for _, _, t in screen.edits]
    assert all(b - a >= 3.0 for a, b in itertools.pairwise(times))
    assert coalescer.refreshes == len(counts)


async def test_a_longer_burst_refreshes_once_per_interval() -> None:
    time = FakeTime()
    screen = Screen(time)
    coalescer: Coalescer[str, int] = Coalescer(screen.refresh, 1.5, time.sleep)
    for count in range(1, 601):  # 600 presses over six seconds
        coalescer.notify("channel", count)
        await time.advance(0.01)
    while coalescer.pending("channel"):
        await time.advance(0.5)
    counts = [count for _, count, _ in screen.edits]
    assert 4 <= len(counts) <= 6
    assert counts == sorted(counts) and counts[-1] == 600


async def test_chats_are_coalesced_separately() -> None:
    time = FakeTime()
    screen = Screen(time)
    coalescer: Coalescer[str, int] = Coalescer(screen.refresh, 3.0, time.sleep)
    for count in range(1, 51):
        coalescer.notify("a", count)
        coalescer.notify("b", count * 2)
        await time.advance(0.01)
    while coalescer.pending("a") or coalescer.pending("b"):
        await time.advance(1.0)
    assert [c for chat, c, _ in screen.edits if chat == "a"][-1] == 50
    assert [c for chat, c, _ in screen.edits if chat == "b"][-1] == 100
    assert len(screen.edits) <= 4


async def test_a_failing_refresh_does_not_stop_the_next() -> None:
    time = FakeTime()
    seen: list[int] = []

    async def flaky(_chat: str, count: int) -> None:
        seen.append(count)
        if count == 1:
            raise RuntimeError("the platform said no")

    coalescer: Coalescer[str, int] = Coalescer(flaky, 1.0, time.sleep)
    coalescer.notify("g", 1)
    await time.advance(0)
    coalescer.notify("g", 2)
    while coalescer.pending("g"):
        await time.advance(1.0)
    assert seen == [1, 2]


async def test_drain_delivers_everything_with_real_sleep() -> None:
    seen: list[int] = []

    async def refresh(_chat: str, count: int) -> None:
        seen.append(count)

    coalescer: Coalescer[str, int] = Coalescer(refresh, 0.001)
    for count in range(1, 101):
        coalescer.notify("g", count)
        if count % 10 == 0:
            await asyncio.sleep(0)
    await coalescer.drain()
    assert seen[-1] == 100 and len(seen) < 100
    coalescer.notify("g", 101)
    await coalescer.close()  # drops what was pending, stops cleanly
    assert not coalescer.pending("g")
