"""Part l: Spanish beside English: the core's cost per turn, and start-up with both loaded.

Rules:
- The same conversations (``bench.core``: Start, then one answer per question) in English
  and in Spanish, alternated A B A B so drift on the machine hits both alike.
- Engine: the pure ``step`` with the English and the Spanish dialog (CPU µs per step).
- Core: ``Conversations`` on a real SQLite file; the Spanish people come with Telegram's
  hint "es" (``bot.language.hint``), so each turn also negotiates and speaks Spanish.
- Start-up: a fresh interpreter imports the loader and loads the built-in content with
  every language folder (English and Spanish), against the same without the ``es`` folder.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.core import converse, engine_run, run_people, the_dialog, turns_per_person
from bench.report import Section, Target
from bench.scale import Scale
from bot.conversations import Conversations
from bot.language import hint
from dialogs.content import Dialog
from dialogs.loader import BUILTIN_CONTENT
from storage.keys import SessionKey
from storage.sessions import SessionStore

SAME_TARGET = 1.05  # Spanish within 5% of English
STARTUP_TARGET_S = 0.5
_ENGINE_ROUNDS = 4
_LOAD = (
    "import time; t = time.perf_counter(); from dialogs.loader import load_dialogs; "
    "load_dialogs(__import__('pathlib').Path({path!r})); print(time.perf_counter() - t)"
)


def engine_cpu_per_step(dialog: Dialog, people: int) -> float:
    run = engine_run(people, dialog)
    return run.cpu_s / run.turns


async def core_cpu_per_turn(dialog: Dialog, people: int, language: str | None, directory: Path) -> float:
    store = await SessionStore.open(directory / f"lang-{language}-{time.monotonic_ns()}.db")
    conversations = Conversations(store, {dialog.id: dialog}, dialog.id)

    async def person(p: int, latencies: list[float]) -> int:
        hint(language)
        return await converse(conversations, SessionKey("bench", str(p), str(p)), p, latencies)

    try:
        cpu0 = time.process_time()
        latencies = await run_people(people, person)
        cpu = time.process_time() - cpu0
    finally:
        await store.close()
    assert len(latencies) == people * turns_per_person(dialog)
    return cpu / len(latencies)


def load_seconds(content: Path) -> float:
    run = subprocess.run(
        [sys.executable, "-c", _LOAD.format(path=str(content))], capture_output=True, text=True, check=True
    )
    return float(run.stdout.strip())


def measure(scale: Scale, workdir: Path) -> tuple[Section, list[Target]]:
    section = Section(
        "l. Languages: Spanish beside English",
        ["Case", "English", "Spanish (or both loaded)", "ratio", "runs"],
    )
    english = the_dialog()
    spanish = english.in_language("es")
    people, reps = scale.core_people[0], max(2, scale.core_reps)
    engine: dict[str, list[float]] = {"en": [], "es": []}
    core: dict[str, list[float]] = {"en": [], "es": []}
    for _ in range(reps * 2):
        for code in ("en", "es"):
            core[code].append(asyncio.run(core_cpu_per_turn(english, people, code, workdir)))
    for _ in range(reps * _ENGINE_ROUNDS):  # cheap and sensitive to a busy machine: more runs
        for code, dialog in (("en", english), ("es", spanish)):
            engine[code].append(engine_cpu_per_step(dialog, people))
    only_english = workdir / "content-en"
    shutil.copytree(BUILTIN_CONTENT, only_english, ignore=shutil.ignore_patterns("es"))
    loads: dict[str, list[float]] = {"en": [], "both": []}
    for _ in range(scale.startup_reps):
        loads["en"].append(load_seconds(only_english))
        loads["both"].append(load_seconds(BUILTIN_CONTENT))
    rows = (
        ("engine, CPU µs per step", engine["en"], engine["es"], 1e6, reps * _ENGINE_ROUNDS),
        (f"core on SQLite, CPU µs per turn ({people} people)", core["en"], core["es"], 1e6, reps * 2),
        ("start-up: import and load the content, ms", loads["en"], loads["both"], 1e3, scale.startup_reps),
    )
    ratios = []
    for case, en, es, unit, runs in rows:
        ratio = statistics.median(es) / statistics.median(en)
        ratios.append(ratio)
        section.add(
            case,
            f"{statistics.median(en) * unit:.1f}",
            f"{statistics.median(es) * unit:.1f}",
            f"{ratio:.3f}",
            runs,
        )
    section.notes.append(
        'Medians. Spanish people reach the core with the hint "es" and are answered in Spanish; the '
        "start-up row loads the built-in content without the es folder, then with it (English and "
        "Spanish: two dialog files and a 260-entry gettext catalog), each in a fresh interpreter."
    )
    core_ratio, both = ratios[1], statistics.median(loads["both"])
    return section, [
        Target(
            "core µs per turn, Spanish beside English",
            f"within {SAME_TARGET - 1:.0%}",
            f"{core_ratio:.3f}x",
            core_ratio <= SAME_TARGET,
        ),
        Target(
            "load with both languages",
            f"< {STARTUP_TARGET_S} s",
            f"{both * 1e3:.0f} ms",
            both < STARTUP_TARGET_S,
        ),
    ]
