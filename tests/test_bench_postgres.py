"""Bench part m at its smoke size: every row measured, every turn of every person counted
(one process and two processes on one PostgreSQL). It asserts no time."""

from __future__ import annotations

from pathlib import Path

from bench import postgres
from bench.core import the_dialog, turns_per_person
from bench.scale import SMOKE


def test_postgres_part_has_a_measured_row_per_case(tmp_path: Path) -> None:
    section, targets = postgres.measure(SMOKE, tmp_path)
    expected = SMOKE.core_people[0] * turns_per_person(the_dialog())
    assert [row[0] for row in section.rows] == [
        "SQLite, one process (part a's core)",
        "PostgreSQL, one process",
        "PostgreSQL, two processes",
    ]
    assert [row[1] for row in section.rows] == [f"{expected}"] * 3
    assert not any("not measured" in cell for row in section.rows for cell in row)
    assert targets == []
