"""Loader tests: every kind of content error names the right file:line:col."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dialogs.loader import BUILTIN_CONTENT, DialogError, load_dialogs, load_file, parse_dialog

VALID = """\
id: tiny
version: 1
title: Tiny
intro: Hello.
distinctions:
  - id: value
    title: Value
    question: What do you get?
    choices:
      - {id: pay, label: Pay, leans: job, reflection: Fine.}
      - {id: joy, label: Joy, leans: career, reflection: Nice., synonyms: [fun]}
    explain: {job: J., career: C.}
    why: Because.
outro:
  heading: Profile
  closing: {job: J., mixed: M., career: C.}
"""


def error_of(source: str) -> str:
    with pytest.raises(DialogError) as caught:
        parse_dialog(source, "dialogs/x.yaml")
    return str(caught.value)


def test_valid_minimal_dialog_loads() -> None:
    dialog = parse_dialog(VALID, "dialogs/x.yaml")
    assert dialog.id == "tiny" and dialog.total == 1
    assert dialog.distinctions[0].choices[1].synonyms == ("fun",)


def test_builtin_content_covers_the_eight_distinctions() -> None:
    dialog = load_dialogs(BUILTIN_CONTENT)["job-vs-career"]
    assert [d.id for d in dialog.distinctions] == [
        "work",
        "value",
        "means",
        "duration",
        "hours",
        "innovation",
        "qualify",
        "network",
    ]
    for distinction in dialog.distinctions:
        assert 3 <= len(distinction.choices) <= 4
        assert {c.leans.value for c in distinction.choices} == {"job", "mixed", "career"}


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        (("    why: Because.\n", "    why: Because.\n    colour: red\n"), "14:5", "unknown key 'colour'"),
        (("    why: Because.\n", ""), "6:5", "missing 'why'"),
        (("{id: joy,", "{id: pay,"), "11:9", "duplicate choice id 'pay'"),
        ((" leans: career,", ""), "11:9", "missing 'leans'"),
        (("leans: career", "leans: hobby"), "11:38", "'hobby' is not a lean"),
        (("question: What do you get?", "question: ''"), "8:15", "question is empty"),
        (("intro: Hello.", "intro: " + "x" * 2001), "4:8", "2001 characters long"),
        (("id: value", "id: a-very-long-identifier"), "6:9", "too long for button data"),
        (("id: value", "id: Value!"), "6:9", "not a short id"),
        (("version: 1", "version: one"), "2:10", "not a whole number"),
        (("synonyms: [fun]", "synonyms: [no]"), "11:76", "a synonym is not text"),
        (("title: Tiny\n", "title: Tiny\n  bad: indent\n"), "4:6", "not valid YAML"),
        # Both sides of the difference, always: a missing side is located and named.
        (("{job: J., career: C.}", "{job: J.}"), "12:14", "missing 'career'"),
        (("{job: J., career: C.}", "{career: C.}"), "12:14", "missing 'job'"),
        (("{job: J., career: C.}", "{job: J., mixed: M., career: C.}"), "12:24", "unknown key 'mixed'"),
    ],
)
def test_errors_name_file_line_and_column(change: tuple[str, str], where: str, problem: str) -> None:
    old, new = change
    assert old in VALID
    message = error_of(VALID.replace(old, new, 1))
    assert message.startswith(f"dialogs/x.yaml:{where}: "), message
    assert problem in message
    assert "expected" in message
    assert "\n" not in message


def test_duplicate_distinction_ids(tmp_path: Path) -> None:
    block = VALID[VALID.index("  - id: value") : VALID.index("outro:")]
    source = VALID.replace("outro:", block + "outro:", 1)
    message = error_of(source)
    assert re.match(r"dialogs/x\.yaml:14:5: duplicate distinction id 'value'", message), message


def test_empty_file() -> None:
    assert error_of("") == "dialogs/x.yaml:1:1: the file is empty, expected a dialog mapping"


def test_folder_with_duplicate_dialog_ids(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / "b.yaml").write_text(VALID)
    with pytest.raises(DialogError, match=r"b\.yaml:1:1: duplicate dialog id 'tiny'"):
        load_dialogs(tmp_path)


def test_unreadable_file_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(DialogError, match=r"missing\.yaml:1:1: cannot read the file"):
        load_file(tmp_path / "missing.yaml")


def test_check_command_exit_codes(tmp_path: Path) -> None:
    good = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check"], capture_output=True, text=True, check=False
    )
    assert good.returncode == 0 and "ok: job-vs-career" in good.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text(VALID.replace("leans: career", "leans: hobby"))
    bad = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check", str(broken)], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1
    assert (
        bad.stderr.strip()
        == f"{broken}:11:38: choice leans 'hobby' is not a lean, expected one of: job, mixed, career"
    )


def with_renamed(renamed: str) -> str:
    return VALID.replace("outro:", f"renamed:\n{renamed}\noutro:")


def test_renamed_maps_old_ids_to_new_ones() -> None:
    source = with_renamed("  distinctions: {worth: value}\n  choices:\n    value: {money: pay, glee: joy}")
    dialog = parse_dialog(source, "dialogs/x.yaml")
    assert dialog.renamed.distinction("worth") == "value"
    assert (
        dialog.renamed.choice("value", "money") == "pay" and dialog.renamed.choice("value", "glee") == "joy"
    )
    assert dialog.renamed.choice("value", "pay") == "pay"  # ids in use are themselves
    # A rename is no change of structure: sessions already on the new ids are left alone.
    assert dialog.fingerprint == parse_dialog(VALID, "dialogs/x.yaml").fingerprint


@pytest.mark.parametrize(
    ("renamed", "where", "says"),
    [
        ("  distinctions: {worth: price}", "15:25", "'worth' is renamed to 'price', which does not exist"),
        ("  distinctions: {value: value}", "15:18", "'value' in renamed.distinctions is still in use"),
        ("  choices:\n    nope: {a: pay}", "16:5", "'nope' in renamed.choices is not a distinction"),
        (
            "  choices:\n    value: {money: cash}",
            "16:20",
            "'money' is renamed to 'cash', which does not exist",
        ),
        ("  choices:\n    value: {joy: pay}", "16:13", "'joy' in renamed.choices.value is still in use"),
        ("  choices:\n    value: [pay]", "16:12", "renamed.choices.value is not a mapping"),
        ("  moves: {a: b}", "15:3", "unknown key 'moves' in renamed"),
        ("  distinctions: {Worth: value}", "15:18", "is not a short id"),
    ],
)
def test_a_wrong_renamed_map_names_file_line_and_column(renamed: str, where: str, says: str) -> None:
    error = error_of(with_renamed(renamed))
    assert error.startswith(f"dialogs/x.yaml:{where}: ") and says in error, error
