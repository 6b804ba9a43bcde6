"""The garbage collector, tuned once a long-running bot has started.

Rules:
- ``settle()`` is called once, after start-up (settings read, content loaded, the
  platform libraries imported and the database open): it collects once, then freezes
  every object alive then (``gc.freeze``), so later collections never scan the modules,
  the content and the library objects that live as long as the process.
- The youngest generation is collected after ``YOUNG_THRESHOLD`` net allocations instead
  of CPython's 700: a busy bot allocates and frees many short-lived objects per update
  (requests, responses, replies), and almost none of them are in reference cycles, so
  frequent young collections cost CPU for nothing. Older generations keep their ratios.
- Reference counting still frees everything at once; only cycles wait a little longer.
- ``settled()`` does the same for a block and then puts the collector back as it was, so
  a benchmark measures the core as the bot runs it without changing what runs after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 20_000


def settle() -> None:
    """Freeze what start-up built and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


@contextmanager
def settled() -> Iterator[None]:
    """``settle()`` for the block; afterwards nothing stays frozen and the thresholds are
    what they were."""
    threshold = gc.get_threshold()
    settle()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
