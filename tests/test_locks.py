"""Per-key locks: one holder per key, in the order asked, nothing left behind, and a
cancelled waiter never strands the ones after it."""

from __future__ import annotations

import asyncio

import pytest

from bot.locks import KeyedLocks


async def _hold(
    locks: KeyedLocks, key: str, name: str, log: list[str], gate: asyncio.Event | None = None
) -> None:
    async with locks.hold(key):
        log.append(f"{name} in")
        if gate is not None:
            await gate.wait()
        await asyncio.sleep(0)
        log.append(f"{name} out")


async def test_one_holder_at_a_time_in_the_order_asked() -> None:
    locks = KeyedLocks()
    log: list[str] = []
    await asyncio.gather(*(_hold(locks, "k", name, log) for name in "abcd"))
    assert log == ["a in", "a out", "b in", "b out", "c in", "c out", "d in", "d out"]
    assert len(locks) == 0


async def test_other_keys_do_not_wait() -> None:
    locks = KeyedLocks()
    log: list[str] = []
    gate = asyncio.Event()
    first = asyncio.create_task(_hold(locks, "k", "a", log, gate))
    await asyncio.sleep(0)
    await _hold(locks, "other", "b", log)  # returns while "k" is still held
    assert log == ["a in", "b in", "b out"]
    assert len(locks) == 1
    gate.set()
    await first
    assert len(locks) == 0


async def test_an_error_in_the_block_lets_the_next_one_in() -> None:
    locks = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold("k"):
            raise RuntimeError("boom")
    log: list[str] = []
    await _hold(locks, "k", "b", log)
    assert log == ["b in", "b out"]
    assert len(locks) == 0


async def test_a_waiter_cancelled_before_its_turn_leaves_the_queue() -> None:
    locks = KeyedLocks()
    log: list[str] = []
    gate = asyncio.Event()
    holder = asyncio.create_task(_hold(locks, "k", "a", log, gate))
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(_hold(locks, "k", "b", log))
    after = asyncio.create_task(_hold(locks, "k", "c", log))
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(holder, after)
    assert cancelled.cancelled()
    assert log == ["a in", "a out", "c in", "c out"]
    assert len(locks) == 0


async def test_a_waiter_cancelled_just_after_it_was_handed_the_lock_passes_it_on() -> None:
    locks = KeyedLocks()
    log: list[str] = []
    entered = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("k"):
            entered.set()
            await release.wait()
        # The lock is now handed to the next waiter, which has not run yet: cancel it.
        handed.cancel()

    first = asyncio.create_task(holder())
    await entered.wait()
    handed = asyncio.create_task(_hold(locks, "k", "b", log))
    after = asyncio.create_task(_hold(locks, "k", "c", log))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, after)
    assert handed.cancelled()
    assert log == ["c in", "c out"]
    assert len(locks) == 0
