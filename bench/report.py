"""The results as markdown: the machine, then one table per part, then the targets.

Rules:
- A part that could not be measured still has a section, with a "not measured: <why>" row.
- Numbers are formatted here and nowhere else.
- The header gives each part's wall time when the runner measured it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(slots=True)
class Section:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wall_s: float | None = None  # how long the part took, when the runner timed it

    def add(self, *cells: object) -> None:
        self.rows.append([fmt(c) for c in cells])

    def not_measured(self, case: str, why: str) -> None:
        self.rows.append([case, f"not measured: {why}", *["" for _ in self.columns[2:]]])


@dataclass(frozen=True, slots=True)
class Target:
    what: str
    goal: str
    measured: str
    met: bool | None  # None: not measured
    why: str = ""  # for a miss: what the numbers say about it


def fmt(value: object) -> str:
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render(
    machine: dict[str, str], command: str, sections: Sequence[Section], targets: Sequence[Target]
) -> str:
    lines = ["# careerbot benchmark", "", f"Command: `{command}`", ""]
    lines += [f"Machine: {', '.join(f'{k} {v}' for k, v in machine.items())}", ""]
    timed = [s for s in sections if s.wall_s is not None]
    if timed:
        total = sum(s.wall_s or 0.0 for s in timed)
        each = ", ".join(f"{s.title.split('.')[0]} {s.wall_s:.0f} s" for s in timed)
        lines += [f"Wall time: {total // 60:.0f} min {total % 60:.0f} s for the parts ({each}).", ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        lines += _table(section.columns, section.rows)
        lines += [""] + [f"- {note}" for note in section.notes] + ([""] if section.notes else [])
    lines += ["## Targets", ""]
    verdict = {True: "met", False: "MISSED", None: "not measured"}
    lines += _table(
        ["Target", "Goal", "Measured", "Verdict", "Why"],
        [[t.what, t.goal, t.measured, verdict[t.met], t.why] for t in targets],
    )
    return "\n".join(lines) + "\n"
