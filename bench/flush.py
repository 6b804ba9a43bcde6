"""Part p: what one PicklePersistence flush costs the baseline's event loop.

Rules:
- The baseline's real ``Application`` (``bench.baseline``) holds ``stored`` people's
  answers, as a bot that has served them would; ``changed`` of them answered since the
  last flush. One flush is ``Application.update_persistence()``, which the Application
  runs every ``update_interval`` (60 s by default) and which PicklePersistence (at its
  default ``on_flush=False``) answers by writing the whole pickle file once per changed
  person.
- The stall is the longest gap a 1 ms ticker task sees while the flush runs: nothing
  else on the event loop (no update, no reply) runs during it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from bench.baseline import build_baseline
from bench.core import the_dialog
from bench.fakeapi import FakeBotApi
from bench.report import Section, Target
from bench.scale import Scale
from bench.stats import median
from dialogs.content import Dialog


def _answers(dialog: Dialog, person: int) -> dict[str, str]:
    return {d.id: d.choices[person % len(d.choices)].id for d in dialog.distinctions}


async def flush_stall(stored: int, changed: int, workdir: Path) -> tuple[float, float, int]:
    """(longest event-loop stall s, whole flush s, pickle bytes) for one flush of
    ``changed`` people among ``stored``."""
    path = workdir / f"flush-{stored}-{changed}.pickle"
    path.unlink(missing_ok=True)
    dialog = the_dialog()
    app: Any = build_baseline(dialog, path, FakeBotApi(), FakeBotApi())
    await app.initialize()
    try:
        # The people already stored, as the last flush left them (written once here, not
        # once per person as the Application would have).
        for person in range(stored):
            app._user_data[person] = {"answers": _answers(dialog, person)}
            app.persistence.user_data[person] = {"answers": _answers(dialog, person)}
        await app.persistence.flush()
        for person in range(changed):
            app._user_data[person]["answers"] = _answers(dialog, person + 1)
            app._user_ids_to_be_updated_in_persistence.add(person)
        longest, ticking = 0.0, True

        async def ticker() -> None:
            nonlocal longest
            last = time.perf_counter()
            while ticking:
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                longest, last = max(longest, now - last), now

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        started = time.perf_counter()
        await app.update_persistence()
        whole = time.perf_counter() - started
        await asyncio.sleep(0.01)
        ticking = False
        await tick
    finally:
        await app.shutdown()
    return longest, whole, path.stat().st_size


def measure(scale: Scale, workdir: Path) -> tuple[Section, list[Target]]:
    section = Section(
        "p. PicklePersistence: one flush of the baseline, as its event loop feels it",
        ["stored people", "changed since the last flush", "event-loop stall ms", "per changed person ms",
         "pickle KB"],
    )
    for stored, changed in scale.flush_cases:
        runs = [asyncio.run(flush_stall(stored, changed, workdir)) for _ in range(scale.flush_reps)]
        stall = median([r[0] for r in runs])
        section.add(stored, changed, stall * 1e3, stall * 1e3 / changed, runs[0][2] / 1024)
    section.notes += [
        f"Medians of {scale.flush_reps} flushes. PicklePersistence (defaults: single file, "
        "on_flush=False) writes the whole file once for every person whose data changed, so a "
        "flush costs about (changed people) x (one write of everything stored), during which the "
        "bot answers nobody. The baseline flushes every 60 s; in 60 s at the rates of part w "
        "most people in flight have changed.",
        "Only user_data is counted; the ConversationHandler's states are written the same way, "
        "once more per changed conversation, so a real flush costs about twice this.",
    ]
    return section, []
