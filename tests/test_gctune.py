"""The garbage collector after start-up: what start-up built is frozen, young collections rarer."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot import gctune


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_settle_freezes_what_exists_and_raises_the_young_threshold() -> None:
    gc.unfreeze()
    built_at_start: list[list[int]] = [[n] for n in range(10)]  # containers: the GC tracks them
    _, middle, old = gc.get_threshold()
    gctune.settle()
    assert gc.get_freeze_count() > 0
    assert all(gc.is_tracked(item) for item in built_at_start)
    assert gc.get_threshold() == (gctune.YOUNG_THRESHOLD, middle, old)


@pytest.mark.usefixtures("restored_gc")
def test_settled_tunes_the_block_and_puts_the_collector_back() -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    with gctune.settled():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == gctune.YOUNG_THRESHOLD
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
