"""``careerbot chat`` from the outside: what an operator or a person can get wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WAIT = 30.0  # a hang becomes a failure, not a stuck suite


def chat(
    args: list[str], stdin: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=WAIT,
        check=False,
    )


def test_end_of_input_at_the_forget_question_ends_the_chat(tmp_path: Path) -> None:
    done = chat(["--db", "c.db", "--user", "ana"], "1\n/forget\n", tmp_path)
    assert done.returncode == 0
    assert "Nothing was erased." in done.stdout
    assert done.stdout.rstrip().endswith("Your answers are saved; run me again to carry on.")


def test_after_an_erase_the_goodbye_does_not_promise_saved_answers(tmp_path: Path) -> None:
    for ending in ("", "/quit\n"):
        done = chat(["--db", "c.db", "--user", "bo"], "1\n/forget\nyes\n" + ending, tmp_path)
        assert done.returncode == 0
        assert "everything I stored about you is erased" in done.stdout
        assert "saved" not in done.stdout.split("erased", 1)[1]
        assert "Nothing about you is stored here now." in done.stdout
