"""``careerbot check --db``: what an edit will do to the stored sessions, before deploying it.
Also the whole story from the outside: ``careerbot chat`` before and after the edit."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from bot.cli import main
from dialogs import messages
from dialogs.content import Dialog
from dialogs.edits import notice
from dialogs.loader import load_dialogs
from tests.dialog_yaml import write_dialog
from tests.test_chat_e2e import ROOT, WAIT
from tests.test_edits import EDITS, Edit, _first_half, _inserted, pick
from tests.test_workshop_edits import EDITS as WORKSHOP_EDITS
from tests.test_workshop_edits import WorkshopEdit
from tests.test_workshop_edits import _first_half as workshop_first_half


def test_a_dialog_written_out_loads_back_the_same(dialog: Dialog, tmp_path: Path) -> None:
    (loaded,) = load_dialogs(write_dialog(tmp_path, dialog)).values()
    assert loaded == dialog and loaded.fingerprint == dialog.fingerprint


@pytest.mark.parametrize("case", EDITS, ids=lambda e: e.name)
async def test_check_reports_what_an_edit_does_to_stored_sessions(
    db_path: Path, dialog: Dialog, case: Edit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _first_half(db_path, dialog)
    before = db_path.read_bytes()
    edited = case.edit(dialog)
    folder = write_dialog(tmp_path / "edited", edited)
    assert main(["check", "--db", str(db_path), str(folder)]) == 0  # affected is no error
    lines = capsys.readouterr().out.splitlines()
    c = case.change
    expected = messages.CHECK_AFFECTED.format(dialog=dialog.id, stored=1, affected=1, **asdict(c))
    assert lines == [f"ok: {edited.id} v{edited.version}, {edited.total} distinctions", expected]
    assert db_path.read_bytes() == before  # the check changed nothing


async def test_check_of_the_content_sessions_were_written_against(
    db_path: Path, dialog: Dialog, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _first_half(db_path, dialog)
    with sqlite3.connect(db_path) as raw:  # one more stored session, damaged; one of a dialog gone
        raw.execute(
            "INSERT INTO sessions (platform, chat, user, dialog, phase, turn, misses, version, updated_at)"
            " VALUES ('console', 'terminal', 'bo', ?, 'pondering', 1, 0, 1, 0),"
            " ('console', 'terminal', 'cy', 'retired', 'asking', 1, 0, 1, 0)",
            (dialog.id,),
        )
    assert main(["check", "--db", str(db_path), str(write_dialog(tmp_path / "same", dialog))]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        messages.CHECK_NONE_AFFECTED.format(dialog=dialog.id, stored=2),
        messages.CHECK_DAMAGED.format(dialog=dialog.id, damaged=1),
        messages.CHECK_GONE.format(dialog="retired", stored=1),
    ]


def test_check_tells_content_errors_and_database_errors_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.yaml").write_text("id: x\n", encoding="utf-8")
    assert main(["check", "--db", str(tmp_path / "none.db"), str(broken)]) == 1
    assert "x.yaml:1:1" in capsys.readouterr().err
    assert main(["check", "--db", str(tmp_path / "none.db")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("careerbot: --db: the database") and "does not exist" in err


def _chat(db: Path, dialogs: Path | None, lines: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CAREERBOT_DIALOGS", None)
    if dialogs is not None:
        env["CAREERBOT_DIALOGS"] = str(dialogs)
    command = [sys.executable, "-m", "bot.cli", "chat", "--db", str(db), "--user", "ana"]
    done = subprocess.run(
        command, input="\n".join(lines) + "\n", capture_output=True, text=True, env=env, timeout=WAIT
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_terminal_after_a_question_is_inserted_at_the_front(tmp_path: Path, dialog: Dialog) -> None:
    """From the outside: 4 of 8 answered, a question inserted at the front, come back."""
    db = tmp_path / "chat.db"

    def number(distinction_id: str, within: Dialog) -> str:
        distinction = next(d for d in within.distinctions if d.id == distinction_id)
        return str(distinction.choices.index(pick(distinction)) + 1)

    _chat(db, None, [number(d.id, dialog) for d in dialog.distinctions[:4]] + ["/quit"])
    edited = replace(_inserted(dialog), id=dialog.id)
    folder = write_dialog(tmp_path / "edited", edited)
    later = [number(d, edited) for d in ["fresh", *(d.id for d in dialog.distinctions[4:])]]
    output = _chat(db, folder, later)
    assert notice(EDITS[4].change) in output
    assert f"Question 1 of {edited.total}" in output  # the new question is asked first
    assert f"Question 9 of {edited.total}" in output and f"Question 5 of {edited.total}" not in output
    assert "Your job-or-career profile" in output
    with sqlite3.connect(db) as raw:
        stored = dict(raw.execute("SELECT distinction, choice FROM answers").fetchall())
    assert stored == {d.id: pick(d).id for d in edited.distinctions}


@pytest.mark.parametrize("case", WORKSHOP_EDITS, ids=lambda e: e.name)
async def test_check_reports_running_workshops_an_edit_affects(
    db_path: Path, dialog: Dialog, case: WorkshopEdit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await workshop_first_half(db_path, dialog)
    folder = write_dialog(tmp_path / "edited", case.edit(dialog))
    assert main(["check", "--db", str(db_path), str(folder)]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        messages.CHECK_WORKSHOPS.format(dialog=dialog.id, workshops=1, workshops_affected=1)
    ]
    assert main(["check", "--db", str(db_path), str(write_dialog(tmp_path / "same", dialog))]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        messages.CHECK_WORKSHOPS.format(dialog=dialog.id, workshops=1, workshops_affected=0)
    ]


async def test_check_counts_damaged_workshops_of_each_chat(
    db_path: Path, dialog: Dialog, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A chat's latest workshop is what its next step reads: damaged there, it is counted
    (running or not); damaged in an older workshop of the chat, it is never read again."""
    await workshop_first_half(db_path, dialog)  # one running workshop, readable
    more = [  # chat, number, phase, done
        ("-1002", 1, "asking", "not json"),  # running, damaged
        ("-1003", 1, "pondering", "[]"),  # no phase at all
        ("-1004", 1, "pondering", "[]"),  # damaged, but a newer workshop followed it
        ("-1004", 2, "ended", "[]"),
        ("-1005", "x", "ended", "[]"),  # a number that is not one: the only workshop there
        ("-1006", 1, "ended", "[]"),  # ... and beside a readable one, which comes first
        ("-1006", "x", "asking", "[]"),
    ]
    with sqlite3.connect(db_path) as raw:
        raw.executemany(
            "INSERT INTO workshops (platform, chat, number, dialog, facilitator, phase, position, done,"
            " version, opened_at, updated_at) VALUES ('telegram', ?, ?, ?, 'fay', ?, 0, ?, 1, 0, 0)",
            [(chat, number, dialog.id, phase, done) for chat, number, phase, done in more],
        )
    before = db_path.read_bytes()
    assert main(["check", "--db", str(db_path), str(write_dialog(tmp_path / "same", dialog))]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        messages.CHECK_WORKSHOPS.format(dialog=dialog.id, workshops=1, workshops_affected=0),
        messages.CHECK_WORKSHOPS_DAMAGED.format(dialog=dialog.id, workshops_damaged=3),
    ]
    assert db_path.read_bytes() == before  # the check changed nothing
