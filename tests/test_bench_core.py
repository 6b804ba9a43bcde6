"""Part a's comparison with the reference commit: each core in a process of its own, the
reference's files from git, and a clear reason when they cannot be had."""

from __future__ import annotations

from pathlib import Path

from bench import core


def test_a_tree_runs_its_own_core_in_a_process_of_its_own(tmp_path: Path) -> None:
    tree = core.reference_tree("HEAD", tmp_path)
    assert isinstance(tree, Path)
    assert (tree / "bench" / "core.py").is_file() and (tree / "bot" / "conversations.py").is_file()
    run = core.isolated_core_run(tree, 5, concurrency=5)
    assert run.turns == 5 * core.turns_per_person(core.the_dialog())
    assert run.extra["stored_answers"] == 5 * core.the_dialog().total
    assert run.cpu_s > 0 and len(run.latencies_s) == run.turns


def test_a_commit_missing_from_the_clone_is_said_not_raised(tmp_path: Path) -> None:
    assert core.reference_tree("0" * 40, tmp_path) == f"commit {'0' * 40} is not in this clone"


def test_the_comparison_runs_both_alternately_or_says_why_not() -> None:
    ours, theirs = core.compare_with_reference(4, 4, 1, commit="HEAD")
    assert len(ours) == 1 and isinstance(theirs, list) and len(theirs) == 1
    assert ours[0].turns == theirs[0].turns == 4 * core.turns_per_person(core.the_dialog())
    ours, missing = core.compare_with_reference(4, 4, 1, commit="0" * 40)
    assert len(ours) == 1 and missing == f"commit {'0' * 40} is not in this clone"
