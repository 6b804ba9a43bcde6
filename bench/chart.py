"""Part g: drawing the profile chart (``bot.chart.render_png``), warm and cold.

Rules:
- The person's chart is the real one: a conversation stepped through the pure engine to its
  end (one question skipped), its ``Profile`` turned into a chart as the adapters do.
- The group chart has the same rows, each with a stacked bar of shares (a workshop's chart).
- Warm: the median wall time of ``chart_renders`` renders in this process, after one render
  that loads Pillow and the font; CPU is ``time.process_time`` over the same renders.
  ``render_png`` keeps each row's strip compressed, keyed by its answer: "answers given
  before" renders the same person's chart again (joined from kept bands, as for everyone
  whose answers someone gave before), "every answer new" gives each render's rows answers
  no chart had (every strip drawn and compressed), and each group chart has new shares.
- Cold: a fresh interpreter per run, timing its first render (the import of Pillow and the
  font file included) and then a second one; the median over ``chart_cold_reps`` runs.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bench.core import the_dialog
from bench.report import Section, Target
from bench.scale import Scale
from bench.stats import median
from bot.chart import Chart, ChartRow, chart_of, render_png
from dialogs.engine import new_state, step
from dialogs.events import Choose, Event, Skip, Start
from dialogs.replies import Profile, Question

TARGET_MS = 150.0
SKIPPED_QUESTION = 3  # the fourth question is skipped, so the chart shows a skipped row
_COLD = """
import sys, time
from bench.chart import person_chart
from bot.chart import render_png
chart = person_chart()
assert "PIL" not in sys.modules
started = time.perf_counter()
render_png(chart)
first = time.perf_counter() - started
started = time.perf_counter()
render_png(chart)
print("COLD", first, time.perf_counter() - started, flush=True)
"""


def person_chart() -> Chart:
    """A finished conversation's chart: answers spread over every lean, one skipped."""
    dialog = the_dialog()
    state = new_state(dialog)
    event: Event = Start()
    for _ in range(4 * dialog.total):  # a bound, so a changed engine cannot loop forever
        result = step(dialog, state, event)
        state = result.state
        profile = next((r for r in result.replies if isinstance(r, Profile) and r.finished), None)
        if profile is not None:
            return chart_of(profile.title, profile.lines)
        question = next((r for r in result.replies if isinstance(r, Question)), None)
        if question is None:
            break
        number = next(n for n, d in enumerate(dialog.distinctions) if d.id == question.distinction)
        if number == SKIPPED_QUESTION:
            event = Skip()
        else:
            event = Choose(
                question.distinction, question.choices[number % len(question.choices)].id, question.turn
            )
    raise RuntimeError("the conversation ended without a finished profile")


def group_chart(number: int = 0) -> Chart:
    """The same rows as a workshop would draw them: a share of each lean per row (different
    shares for each ``number``)."""
    person = person_chart()
    rows = tuple(
        ChartRow(row.label, None, None, (float(1 + n % 3 + number), float(2 + n % 4), float(3 + n % 5)))
        for n, row in enumerate(person.rows)
    )
    return Chart(person.title, rows)


def with_new_answers(chart: Chart, number: int) -> Chart:
    """``chart`` with every answer's words made new (``number`` in them), dots and skips kept."""
    rows = tuple(replace(row, answer=f"{row.answer} ({number})") if row.answer else row for row in chart.rows)
    return replace(chart, rows=rows)


def warm(charts: Callable[[int], Chart], renders: int) -> tuple[list[float], float, int]:
    """Per-render wall seconds, CPU seconds per render, and the PNG's size in bytes, over
    rendering ``charts(1)`` to ``charts(renders)``."""
    png = render_png(charts(0))  # loads Pillow and the font: the cold part is measured apart
    made = [charts(number) for number in range(1, renders + 1)]  # made outside the CPU measured
    times = []
    cpu0 = time.process_time()
    for chart in made:
        started = time.perf_counter()
        render_png(chart)
        times.append(time.perf_counter() - started)
    return times, (time.process_time() - cpu0) / renders, len(png)


def cold() -> tuple[float, float]:
    """In a fresh interpreter: the first render's seconds (Pillow's import included), the second's."""
    done = subprocess.run(
        [sys.executable, "-c", _COLD],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("COLD"))
    first, second = (float(x) for x in line.split()[1:])
    return first, second


def measure(scale: Scale, workdir: Path) -> tuple[Section, list[Target]]:
    section = Section(
        "g. The profile chart (Pillow)",
        ["Case", "rows", "median ms", "max ms", "CPU ms/chart", "PNG KB", "runs"],
    )
    person = person_chart()
    times, cpu, size = warm(lambda _: person, scale.chart_renders)
    section.add(
        "a person's profile, answers given before, warm",
        len(person.rows),
        median(times) * 1e3,
        max(times) * 1e3,
        cpu * 1e3,
        size / 1024,
        len(times),
    )
    new_times, new_cpu, new_size = warm(lambda n: with_new_answers(person, n), scale.chart_renders)
    section.add(
        "a person's profile, every answer new, warm",
        len(person.rows),
        median(new_times) * 1e3,
        max(new_times) * 1e3,
        new_cpu * 1e3,
        new_size / 1024,
        len(new_times),
    )
    group_times, group_cpu, group_size = warm(group_chart, scale.chart_renders)
    section.add(
        "a group's chart (stacked bars), warm",
        len(person.rows),
        median(group_times) * 1e3,
        max(group_times) * 1e3,
        group_cpu * 1e3,
        group_size / 1024,
        len(group_times),
    )
    runs = [cold() for _ in range(scale.chart_cold_reps)]
    firsts, seconds = [r[0] for r in runs], [r[1] for r in runs]
    section.add(
        "first chart in a new process (imports Pillow)",
        len(person.rows),
        median(firsts) * 1e3,
        max(firsts) * 1e3,
        "",
        "",
        len(runs),
    )
    section.add(
        "second chart in that process",
        len(person.rows),
        median(seconds) * 1e3,
        max(seconds) * 1e3,
        "",
        "",
        len(runs),
    )
    section.notes.append(
        f"Warm: {scale.chart_renders} renders after one that loads Pillow and the font; 1080 px wide, "
        "drawn by Pillow, written as PNG by `bot.chart.render_png` from bands kept compressed (rows "
        "unfiltered, zlib level 6): the shared text once per dialog and language, each row's strip "
        "once per answer. Cold: a fresh "
        f"interpreter per run, {scale.chart_cold_reps} runs. Other work on the machine shows in max ms."
    )
    ms = median(new_times) * 1e3  # the dearer case: every row's strip drawn and compressed
    return section, [
        Target(
            "profile chart render (warm, every answer new)",
            f"< {TARGET_MS:.0f} ms",
            f"{ms:.1f} ms",
            ms < TARGET_MS,
        ),
    ]
