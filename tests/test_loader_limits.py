"""Dialog files an operator should be told about in one line, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogs.loader import MAX_DEPTH, MAX_FILE_BYTES, DialogError, load_file, parse_dialog
from tests.test_loader import VALID


def error_of(source: str) -> str:
    with pytest.raises(DialogError) as caught:
        parse_dialog(source, "dialogs/x.yaml")
    message = str(caught.value)
    assert "\n" not in message and "expected" in message
    return message


def test_a_file_nested_50000_deep_is_refused_where_it_gets_too_deep() -> None:
    message = error_of("intro: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert message == (
        f"dialogs/x.yaml:1:{8 + MAX_DEPTH - 1}: the file is nested more than {MAX_DEPTH} levels deep here, "
        "expected a dialog a few levels deep"
    )


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    huge.write_text(VALID + "#" * MAX_FILE_BYTES)
    with pytest.raises(
        DialogError, match=r"huge\.yaml:1:1: the file is [\d,]+ bytes, expected at most 1,000,000"
    ):
        load_file(huge)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "synonyms: [fun]",
            "synonyms: [no]",
            'dialogs/x.yaml:11:76: a synonym is not text: YAML read `no` as false; quote it, expected "no"',
        ),
        (
            "label: Pay,",
            "label: on,",
            'dialogs/x.yaml:10:26: choice label is not text: YAML read `on` as true; quote it, expected "on"',
        ),
    ],
)
def test_yaml_booleans_are_named_as_such(old: str, new: str, message: str) -> None:
    assert error_of(VALID.replace(old, new, 1)) == message


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "title: Tiny\n",
            "title: Tiny\n  bad: indent\n",
            "dialogs/x.yaml:4:6: the file is not valid YAML: a ': ' in a value starts a new key, "
            "expected the value in quotes",
        ),
        (
            "    why: Because.\n",
            "    why: Because.\n   stray: x\n",
            "dialogs/x.yaml:14:4: the file is not valid YAML: this line is indented unlike the lines "
            "around it, expected it lined up",
        ),
        (
            "intro: Hello.",
            "intro:\tHello.\n\tmore: x",
            "dialogs/x.yaml:4:7: the file is not valid YAML: a tab is used for indenting, expected spaces",
        ),
    ],
)
def test_yaml_syntax_errors_read_as_sentences(old: str, new: str, message: str) -> None:
    assert error_of(VALID.replace(old, new, 1)) == message
