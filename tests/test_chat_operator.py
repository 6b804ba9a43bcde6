"""``careerbot chat`` from the outside: what an operator or a person can get wrong."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_chat_e2e import Chat, answers_in

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


NOT_SAVED = "Sorry, I could not save that just now, so nothing was recorded."


def test_a_database_held_by_another_process_is_waited_for_then_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "held.db"
    monkeypatch.setenv("CAREERBOT_BUSY_TIMEOUT", "0.2")
    person = Chat(db, "ana")
    person.wait_for_prompts(1)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process takes the write lock and keeps it
    person.send("1")
    assert NOT_SAVED in person.wait_for_prompts(2)
    assert answers_in(db) == []
    other.execute("COMMIT")
    other.close()
    person.send("1")
    assert "What the work gives you" in person.wait_for_prompts(3)
    assert person.close_input() == 0
    assert answers_in(db) == [("work", "role")]
    assert person.proc.stderr is not None and "Traceback" not in person.proc.stderr.read()


def test_a_full_disk_mid_conversation_is_reported_and_the_chat_goes_on(tmp_path: Path) -> None:
    db = tmp_path / "full.db"
    assert chat(["--db", str(db), "--user", "ana"], "/quit\n", tmp_path).returncode == 0
    room = db.stat().st_size + 4096  # the journal may grow to about one page past the file

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--db", str(db), "--user", "ana"],
        input="1\n" * 8 + "/restart\n1\n" * 10,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"},
        preexec_fn=small_disk,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 0
    assert NOT_SAVED in done.stdout
    assert "Traceback" not in done.stderr
    assert done.stdout.rstrip().endswith("run me again to carry on.")


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping: milk, eggs\n")
    notes.chmod(0o644)
    done = chat(["--db", "notes.txt", "--user", "ana"], "", tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "careerbot: --db: cannot use the database notes.txt: it is not an SQLite database, "
        "expected a careerbot database or the name of a new file"
    ]
    assert stat.S_IMODE(notes.stat().st_mode) == 0o644
    assert notes.read_text() == "shopping: milk, eggs\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_database_folder_that_does_not_exist_is_refused_naming_the_setting(tmp_path: Path) -> None:
    given = chat(["--db", "typo/c.db", "--user", "ana"], "", tmp_path)
    from_env = chat(["--user", "ana"], "", tmp_path, {"CAREERBOT_DB": "typo/c.db"})
    for done, setting in ((given, "--db"), (from_env, "CAREERBOT_DB")):
        assert done.returncode == 2
        assert done.stderr.splitlines() == [
            f"careerbot: {setting}: cannot open the database typo/c.db: the folder typo does not exist, "
            "expected an existing folder"
        ]
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_dialog_or_a_user_that_is_not_utf8_exits_2_in_one_line(tmp_path: Path) -> None:
    nope = chat(["--db", "c.db", "--dialog", "nope"], "", tmp_path)
    assert nope.returncode == 2
    assert nope.stderr.splitlines() == [
        "careerbot: --dialog='nope' is not a loaded dialog, expected one of: job-vs-career"
    ]
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "j.yaml").write_text((ROOT / "dialogs/content/job_vs_career.yaml").read_text())
    replaced = chat(["--db", "c.db", "--dialog", "nope"], "", tmp_path, {"CAREERBOT_DIALOGS": "mine"})
    assert replaced.returncode == 2
    assert replaced.stderr.splitlines() == [
        "careerbot: --dialog='nope' is not a loaded dialog, the CAREERBOT_DIALOGS folder mine has: "
        "job-vs-career (instead of the built-in ones)"
    ]
    odd = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "chat",
            "--db",
            "c.db",
            b"--user=\xff\xfe".decode(errors="surrogateescape"),
        ],
        input="",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)},
        timeout=WAIT,
        check=False,
    )
    assert odd.returncode == 2
    assert odd.stderr.splitlines() == [
        "careerbot: --user is not UTF-8 text, expected a name such as --user ana"
    ]
    assert not (tmp_path / "c.db").exists()
