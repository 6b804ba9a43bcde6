"""``python -m bench``: run every part, print the markdown, write ``bench/results.md``.

Options: ``--only a,d`` runs some parts and writes no file (``bench/results.md`` holds one
whole run); ``--smoke`` runs everything tiny (as the test suite does) and writes no file;
``--out PATH`` writes there (``-``: nowhere). A part that fails is
reported as "not measured" with its error, and the others still run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import (
    chart,
    compare,
    core,
    crash,
    flush,
    languages,
    memory,
    outbox,
    postgres,
    startup,
    wire,
    workshop,
)
from bench.procinfo import machine
from bench.report import Section, Target, render
from bench.scale import FULL, SMOKE, Scale

Part = Callable[[Scale, Path], tuple[Section, list[Target]]]
PARTS: dict[str, tuple[str, Part]] = {
    "a": ("a. Core alone", core.measure),
    "b": ("b. Idle memory", memory.measure),
    "c": ("c. Start-up", startup.measure),
    "d": ("d. Through python-telegram-bot", compare.measure),
    "e": ("e. Crash loss", crash.measure),
    "f": ("f. Workshop burst", workshop.measure),
    "g": ("g. Profile chart", chart.measure),
    "h": ("h. Replies owed (outbox)", outbox.measure),
    "l": ("l. Languages", languages.measure),
    "m": ("m. Several processes on PostgreSQL", postgres.measure),
    "p": ("p. PicklePersistence flush", flush.measure),
    "w": ("w. Over the wire", wire.measure),
}
RESULTS = Path(__file__).resolve().parent / "results.md"


def run(
    scale: Scale, parts: list[str], workdir: Path, log: Callable[[str], None]
) -> tuple[list[Section], list[Target]]:
    sections: list[Section] = []
    targets: list[Target] = []
    for name in parts:
        title, part = PARTS[name]
        started = time.perf_counter()
        log(f"[bench] {title} ...")
        try:
            (workdir / name).mkdir(parents=True, exist_ok=True)
            section, found = part(scale, workdir / name)
        except Exception as exc:  # a broken part must not hide the others
            log(traceback.format_exc())
            section = Section(title, ["Case", "Result"])
            section.not_measured(
                title, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            )
            found = []
        section.wall_s = time.perf_counter() - started
        log(f"[bench] {title}: {section.wall_s:.1f} s")
        sections.append(section)
        targets += found
    return sections, targets


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", default=",".join(PARTS), help="parts to run, e.g. a,d")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for a quick check")
    parser.add_argument("--out", default=None, help="where to write the markdown ('-': nowhere)")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; expected some of {', '.join(PARTS)}")
    scale = SMOKE if args.smoke else FULL
    command = "python -m bench" + "".join(f" {a}" for a in argv)
    with tempfile.TemporaryDirectory(prefix="careerbot-bench-") as tmp:
        sections, targets = run(
            scale, parts, Path(tmp), lambda line: print(line, file=sys.stderr, flush=True)
        )
    text = render(machine(), command, sections, targets)
    print(text)
    # bench/results.md holds one whole run: a smoke run or a run of some parts prints only,
    # unless told where to write.
    whole = not args.smoke and set(parts) == set(PARTS)
    out = Path(args.out) if args.out else (RESULTS if whole else None)
    if out is not None and str(out) != "-":
        out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
