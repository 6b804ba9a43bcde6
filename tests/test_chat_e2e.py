"""End to end: ``careerbot chat`` as a real process, killed with SIGKILL mid-conversation."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "\n> "
WAIT = 30.0  # generous: a loaded CI machine must not turn into a false failure


class Chat:
    """A ``careerbot chat`` subprocess whose output is collected by a thread."""

    def __init__(self, db: Path, user: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "chat", "--db", str(db), "--user", user],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.output = ""
        self._changed = threading.Condition()
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.proc.stdout is not None
        for chunk in iter(lambda: self.proc.stdout.read(1), ""):  # type: ignore[union-attr]
            with self._changed:
                self.output += chunk
                self._changed.notify_all()

    def wait_for_prompts(self, count: int) -> str:
        with self._changed:
            ok = self._changed.wait_for(lambda: self.output.count(PROMPT) >= count, timeout=WAIT)
        assert ok, f"no prompt #{count}; output so far:\n{self.output}"
        return self.output

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def close_input(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=WAIT)


def answers_in(db: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(db) as raw:
        rows = raw.execute("SELECT distinction, choice FROM answers ORDER BY turn").fetchall()
    return [(d, c) for d, c in rows]


def test_sigkill_mid_conversation_loses_nothing_acknowledged(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    first = Chat(db, "ana")
    first.wait_for_prompts(1)
    for number, answer in enumerate(["1", "3", "2"], start=2):
        first.send(answer)
        first.wait_for_prompts(number)  # the next question came back: the answer was acknowledged
    first.send("1")  # the fourth answer races the kill: either outcome is fine, but not twice
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(timeout=WAIT)
    acknowledged = answers_in(db)[:3]
    assert [d for d, _ in acknowledged] == ["work", "value", "means"]
    assert [c for _, c in acknowledged] == ["role", "fulfil", "maybe"]

    second = Chat(db, "ana")
    output = second.wait_for_prompts(1)
    resumed_at = int(re.search(r"here is question (\d)", output).group(1))  # type: ignore[union-attr]
    assert resumed_at in (4, 5)
    for number, _ in enumerate(range(resumed_at, 9), start=2):
        second.send("2")
        second.wait_for_prompts(number)
    assert second.close_input() == 0
    assert "Your job-or-career profile" in second.output
    final = answers_in(db)
    assert len(final) == 8
    assert len({d for d, _ in final}) == 8  # none recorded twice
    assert final[:3] == acknowledged


def test_piped_session_resumes_and_quits(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "bot.cli", "chat", "--db", str(db), "--user", "bo"]
    first = subprocess.run(
        command, input="2\nmoney\n/quit\n", capture_output=True, text=True, env=env, timeout=WAIT
    )
    assert first.returncode == 0
    assert "Question 2 of 8 ▰▱▱▱▱▱▱▱\nWhat the work gives you:" in first.stdout
    assert "Goodbye!" in first.stdout
    second = subprocess.run(
        command, input="/summary\n/restart\n", capture_output=True, text=True, env=env, timeout=WAIT
    )
    assert "You have answered 2 of 8 questions; here is question 3" in second.stdout
    assert "“A trade I am getting better at”, in between" in second.stdout
    assert "“Mainly the pay”, leans towards a job" in second.stdout
    assert "6 questions to go" in second.stdout
    assert "Starting again from the beginning" in second.stdout
    assert answers_in(db) == []


def test_forget_in_the_terminal_asks_first(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "bot.cli", "chat", "--db", str(db), "--user", "cy"]
    kept = subprocess.run(
        command, input="1\n/forget\nno\n", capture_output=True, text=True, env=env, timeout=WAIT
    )
    assert "Nothing was erased." in kept.stdout and len(answers_in(db)) == 1
    gone = subprocess.run(
        command, input="/forget\nyes\n", capture_output=True, text=True, env=env, timeout=WAIT
    )
    assert "everything I stored about you is erased" in gone.stdout
    assert answers_in(db) == []


def test_a_closed_output_ends_the_chat_quietly(tmp_path: Path) -> None:
    """`careerbot chat | head` must not end in a traceback; the answer is kept."""
    db = tmp_path / "chat.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "chat", "--db", str(db), "--user", "dee"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdin is not None
    shown = ""
    while not shown.endswith(PROMPT):  # the first question and its prompt
        shown += proc.stdout.read(1)
    proc.stdout.close()  # the reader goes away, as `head` does
    _, errors = proc.communicate("2\n/why\n/summary\n", timeout=WAIT)
    assert "Traceback" not in errors
    assert proc.returncode == 1
    # Whether the answer was taken depends on which write met the closed pipe first (the
    # echo of the input comes before the turn, its reply after the commit); either way the
    # store holds it whole or not at all.
    assert answers_in(db) in ([], [("work", "trade")])
