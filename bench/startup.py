"""Part c: start-up time of ``careerbot chat``, and what it imports.

Rules:
- Time from launching the real ``careerbot`` console script (piped stdin, fresh database)
  until the first question's progress mark appears on its stdout.
- The import check runs the same command in a child interpreter and lists any
  ``telegram``, ``discord`` or ``PIL`` module loaded by the time the chat has ended. That
  chat quits at its first question: Pillow is for the finished profile's chart only.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.report import Section, Target
from bench.scale import Scale
from bench.stats import median

FIRST_QUESTION_MARK = "Question 1 of 8"  # the progress shown with the first question
_CHECK = """
import sys
from bot.cli import main
code = main(sys.argv[1:])
platform = sorted(m for m in sys.modules if m.split(".")[0] in ("telegram", "discord", "PIL"))
print("PLATFORM_MODULES", " ".join(platform) or "-", flush=True)
sys.exit(code)
"""


def careerbot_script() -> Path:
    return Path(sys.executable).parent / "careerbot"


def time_to_first_question(db: Path) -> float:
    """Seconds from spawning ``careerbot chat`` to the first question on its stdout."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [str(careerbot_script()), "chat", "--db", str(db), "--user", "bench"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    elapsed = None
    for line in child.stdout:
        if FIRST_QUESTION_MARK in line:
            elapsed = time.perf_counter() - started
            break
    child.stdin.close()
    child.stdout.read()
    child.wait(timeout=30)
    if elapsed is None:
        raise RuntimeError(f"careerbot chat never showed its first question (exit {child.returncode})")
    return elapsed


def platform_modules(db: Path) -> list[str]:
    """Modules of telegram, discord or Pillow loaded by a ``careerbot chat`` that quits at once."""
    done = subprocess.run(
        [sys.executable, "-c", _CHECK, "chat", "--db", str(db), "--user", "bench"],
        input="/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("PLATFORM_MODULES"))
    found = line.split()[1:]
    return [] if found == ["-"] else found


def measure(scale: Scale, workdir: Path) -> tuple[Section, list[Target]]:
    section = Section("c. Start-up of `careerbot chat`", ["Case", "median s", "min s", "max s", "runs"])
    # One warm-up run so the figure is of a warm page cache, as on a server that runs it.
    time_to_first_question(workdir / "startup-warmup.db")
    times = [time_to_first_question(workdir / f"startup-{n}.db") for n in range(scale.startup_reps)]
    section.add("launch to first question (new database)", median(times), min(times), max(times), len(times))
    loaded = platform_modules(workdir / "startup-imports.db")
    section.add("telegram/discord/Pillow modules imported", ", ".join(loaded) or "none", "", "", 1)
    section.notes.append(
        "The real console script with piped stdin; one warm-up launch first, then the median of "
        f"{scale.startup_reps}. Each launch opens a new database file (migrations included)."
    )
    return section, [
        Target("start-up to first question", "< 0.5 s", f"{median(times):.3f} s", median(times) < 0.5),
        Target("chat loads no telegram, discord or Pillow", "none", ", ".join(loaded) or "none", not loaded),
    ]
