"""Load dialog YAML into ``dialogs.content`` objects, validating everything first.

Rules:
- The YAML is composed into nodes (not plain Python) so every error can name the exact
  ``path:line:col`` of the offending key or value (line and column are 1-based).
- Every error reads ``<file>:<line>:<col>: <what is wrong>, <what was expected>`` and is
  raised as ``DialogError``; the first error found stops the load.
- Unknown keys, missing keys, duplicate ids, a choice without a lean, empty text, text
  longer than a platform message, and ids unfit for button data are all errors.
- ``renamed:`` (optional) maps ids a counsellor renamed to their new names, so the answers
  stored under the old ones are kept: ``distinctions: {old: new}`` and ``choices:
  {distinction: {old: new}}``. An old id must no longer be in use and a new one must exist.
- The loader reads files and nothing else; it never touches the network or a clock.
- A file over ``MAX_FILE_BYTES`` or nested deeper than ``MAX_DEPTH`` is refused before it
  is composed: a dialog is a few dozen KB and a handful of levels deep, and composing is
  recursive (50,000 levels would end in a ``RecursionError``) and memory-hungry.
- PyYAML's own wording is turned into a sentence a counsellor can act on, and a word YAML
  reads as true/false (``no``, ``yes``, ``on``) where text belongs is named as such.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dialogs.content import Choice, Dialog, Distinction, Lean, Outro, Renamed, Sides

# A Discord message holds 2000 characters, a Telegram one 4096: the smaller one rules.
MAX_TEXT_LENGTH = 2000
# Button labels: Discord caps a button label at 80 characters.
MAX_LABEL_LENGTH = 80
# Ids travel inside button data (Telegram: 64 bytes), with an owner id and a turn.
MAX_ID_LENGTH = 12
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
DIALOG_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MIN_CHOICES, MAX_CHOICES = 2, 5
MAX_FILE_BYTES = 1_000_000
# The built-in dialog is 5 levels deep; 20 leaves room for any sane shape.
MAX_DEPTH = 20
# PyYAML's problems, by the start of their wording, as what a person should do about them.
_YAML_PROBLEMS = (
    ("expected <block end>", "this line is indented unlike the lines around it, expected it lined up"),
    ("mapping values are not allowed", "a ': ' in a value starts a new key, expected the value in quotes"),
    ("could not find expected ':'", "this line is not 'key: value', expected a colon or a closing quote"),
    ("found character '\\t'", "a tab is used for indenting, expected spaces"),
    ("found unexpected end of stream", "a quote or bracket is never closed, expected it closed"),
)

T = TypeVar("T")


class DialogError(ValueError):
    """A dialog file is wrong; the message is one line naming the file, line and column."""


@dataclass(frozen=True, slots=True)
class _Where:
    path: str

    def fail(self, node: Node, problem: str) -> DialogError:
        mark = node.start_mark
        return DialogError(f"{self.path}:{mark.line + 1}:{mark.column + 1}: {problem}")


class _Reader:
    """Typed access to YAML nodes that turns every surprise into a located error."""

    def __init__(self, path: str) -> None:
        self.where = _Where(path)

    def mapping(
        self,
        node: Node,
        what: str,
        required: set[str],
        optional: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> dict[str, tuple[Node, Node]]:
        if not isinstance(node, MappingNode):
            raise self.where.fail(node, f"{what} is not a mapping, expected keys {sorted(required)}")
        found: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key is None:
                raise self.where.fail(key_node, f"{what} has a key that is not text")
            if key in found:
                raise self.where.fail(key_node, f"duplicate key '{key}' in {what}, expected it once")
            if key not in required and key not in optional:
                allowed = ", ".join(sorted(required | optional))
                raise self.where.fail(key_node, f"unknown key '{key}' in {what}, expected one of: {allowed}")
            found[key] = (key_node, value_node)
        missing = sorted(required - found.keys())
        if missing:
            raise self.where.fail(node, f"{what} is missing '{missing[0]}', expected keys {sorted(required)}")
        return found

    def text(self, node: Node, what: str, limit: int = MAX_TEXT_LENGTH) -> str:
        if isinstance(node, ScalarNode) and node.tag.endswith(":bool"):
            read = "true" if node.value.lower() in {"yes", "y", "true", "on"} else "false"
            problem = f"{what} is not text: YAML read `{node.value}` as {read}; quote it"
            raise self.where.fail(node, f'{problem}, expected "{node.value}"')
        if not isinstance(node, ScalarNode) or node.tag.endswith(":null"):
            raise self.where.fail(node, f"{what} is not text, expected a string")
        value = str(node.value).strip()
        if not value:
            raise self.where.fail(node, f"{what} is empty, expected some text")
        if len(value) > limit:
            raise self.where.fail(node, f"{what} is {len(value)} characters long, expected at most {limit}")
        return value

    def identifier(self, node: Node, what: str, pattern: re.Pattern[str] = ID_PATTERN) -> str:
        value = self.text(node, what)
        if len(value) > MAX_ID_LENGTH and pattern is ID_PATTERN:
            raise self.where.fail(
                node,
                f"{what} '{value}' is too long for button data, expected at most {MAX_ID_LENGTH} characters",
            )
        if not pattern.match(value):
            raise self.where.fail(
                node,
                f"{what} '{value}' is not a short id, expected lowercase ASCII letters, digits, '-' or '_'",
            )
        return value

    def integer(self, node: Node, what: str) -> int:
        if not isinstance(node, ScalarNode) or not node.tag.endswith(":int"):
            raise self.where.fail(node, f"{what} is not a whole number, expected e.g. 1")
        return int(node.value)

    def sequence(self, node: Node, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            raise self.where.fail(node, f"{what} is not a list, expected a list")
        return list(node.value)

    def lean(self, node: Node, what: str) -> Lean:
        value = self.text(node, what)
        try:
            return Lean(value)
        except ValueError:
            raise self.where.fail(
                node, f"{what} '{value}' is not a lean, expected one of: job, mixed, career"
            ) from None

    def unique(self, items: list[tuple[Node, T]], key: Callable[[T], str], what: str) -> None:
        seen: set[str] = set()
        for node, item in items:
            ident = key(item)
            if ident in seen:
                raise self.where.fail(node, f"duplicate {what} id '{ident}', expected each id once")
            seen.add(ident)


def _choice(r: _Reader, node: Node) -> Choice:
    fields = r.mapping(node, "a choice", {"id", "label", "leans", "reflection"}, {"synonyms"})
    synonyms: tuple[str, ...] = ()
    if "synonyms" in fields:
        items = r.sequence(fields["synonyms"][1], "synonyms")
        synonyms = tuple(r.text(item, "a synonym", MAX_LABEL_LENGTH).lower() for item in items)
    return Choice(
        id=r.identifier(fields["id"][1], "choice id"),
        label=r.text(fields["label"][1], "choice label", MAX_LABEL_LENGTH),
        leans=r.lean(fields["leans"][1], "choice leans"),
        reflection=r.text(fields["reflection"][1], "choice reflection"),
        synonyms=synonyms,
    )


def _explain(r: _Reader, node: Node) -> Sides:
    # Both sides, always: whatever a person answers, they read the whole difference.
    fields = r.mapping(node, "explain (both sides of the difference)", {"job", "career"})
    return Sides(
        job=r.text(fields["job"][1], "explain.job"), career=r.text(fields["career"][1], "explain.career")
    )


def _distinction(r: _Reader, node: Node) -> Distinction:
    fields = r.mapping(node, "a distinction", {"id", "title", "question", "choices", "explain", "why"})
    choice_nodes = r.sequence(fields["choices"][1], "choices")
    if not MIN_CHOICES <= len(choice_nodes) <= MAX_CHOICES:
        raise r.where.fail(
            fields["choices"][1],
            f"a distinction has {len(choice_nodes)} choices, expected {MIN_CHOICES} to {MAX_CHOICES}",
        )
    choices = [(n, _choice(r, n)) for n in choice_nodes]
    r.unique(choices, lambda c: c.id, "choice")
    return Distinction(
        id=r.identifier(fields["id"][1], "distinction id"),
        title=r.text(fields["title"][1], "title", MAX_LABEL_LENGTH),
        question=r.text(fields["question"][1], "question"),
        choices=tuple(c for _, c in choices),
        explain=_explain(r, fields["explain"][1]),
        why=r.text(fields["why"][1], "why"),
    )


def _renames(r: _Reader, node: Node, what: str, now: list[str]) -> dict[str, str]:
    """``old: new`` pairs: ``old`` no longer in use, ``new`` one of ``now``."""
    if not isinstance(node, MappingNode):
        raise r.where.fail(node, f"{what} is not a mapping, expected old id: new id")
    pairs: dict[str, str] = {}
    for key_node, value_node in node.value:
        old = r.identifier(key_node, f"an old id in {what}")
        new = r.identifier(value_node, f"the new id of '{old}' in {what}")
        if old in pairs:
            raise r.where.fail(key_node, f"duplicate key '{old}' in {what}, expected it once")
        if old in now:
            raise r.where.fail(
                key_node, f"'{old}' in {what} is still in use, expected an id that is no longer there"
            )
        if new not in now:
            raise r.where.fail(
                value_node,
                f"'{old}' is renamed to '{new}', which does not exist, expected one of: {', '.join(now)}",
            )
        pairs[old] = new
    return pairs


def _renamed(r: _Reader, node: Node, distinctions: tuple[Distinction, ...]) -> Renamed:
    """The ``renamed:`` map: old distinction ids, and old choice ids per distinction."""
    fields = r.mapping(node, "renamed", set(), {"distinctions", "choices"})
    ids = [d.id for d in distinctions]
    moved = (
        _renames(r, fields["distinctions"][1], "renamed.distinctions", ids)
        if "distinctions" in fields
        else {}
    )
    choices: dict[str, dict[str, str]] = {}
    if "choices" in fields:
        by_distinction = fields["choices"][1]
        if not isinstance(by_distinction, MappingNode):
            raise r.where.fail(
                by_distinction, "renamed.choices is not a mapping, expected a distinction id: its renames"
            )
        for key_node, value_node in by_distinction.value:
            distinction = r.identifier(key_node, "a distinction id in renamed.choices")
            if distinction not in ids:
                raise r.where.fail(
                    key_node,
                    f"'{distinction}' in renamed.choices is not a distinction, "
                    f"expected one of: {', '.join(ids)}",
                )
            if distinction in choices:
                raise r.where.fail(
                    key_node, f"duplicate key '{distinction}' in renamed.choices, expected it once"
                )
            now = [c.id for c in distinctions[ids.index(distinction)].choices]
            choices[distinction] = _renames(r, value_node, f"renamed.choices.{distinction}", now)
    return Renamed(moved, choices)


def _outro(r: _Reader, node: Node) -> Outro:
    fields = r.mapping(node, "outro", {"heading", "closing"})
    closing = r.mapping(fields["closing"][1], "outro.closing", {lean.value for lean in Lean})
    return Outro(
        heading=r.text(fields["heading"][1], "outro heading", MAX_LABEL_LENGTH),
        closing={Lean(k): r.text(v, f"outro.closing.{k}") for k, (_, v) in closing.items()},
    )


def _yaml_problem(problem: str) -> str:
    for start, sentence in _YAML_PROBLEMS:
        if problem.startswith(start):
            return sentence
    return f"{problem}, expected YAML"


def _check_depth(source: str, path: str) -> None:
    """Walk the event stream (iterative, unlike composing) and refuse a too-deep nesting."""
    depth = 0
    for event in yaml.parse(source, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else f"{path}:1:1"
                raise DialogError(
                    f"{where}: the file is nested more than "
                    f"{MAX_DEPTH} levels deep here, expected a dialog a few levels deep"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def compose(source: str, path: str) -> Node | None:
    """YAML text as nodes (None when empty); a YAML mistake is a located ``DialogError``."""
    try:
        _check_depth(source, path)
        return yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        problem = _yaml_problem(exc.problem or "")
        raise DialogError(f"{where}: the file is not valid YAML: {problem}") from None


def parse_dialog(source: str, path: str) -> Dialog:
    """Parse one dialog from YAML text; ``path`` is only used in error messages."""
    root = compose(source, path)
    r = _Reader(path)
    if root is None:
        raise DialogError(f"{path}:1:1: the file is empty, expected a dialog mapping")
    fields = r.mapping(
        root, "the dialog", {"id", "version", "title", "intro", "distinctions", "outro"}, {"renamed"}
    )
    distinction_nodes = r.sequence(fields["distinctions"][1], "distinctions")
    if not distinction_nodes:
        raise r.where.fail(fields["distinctions"][1], "distinctions is empty, expected at least one")
    distinctions = [(n, _distinction(r, n)) for n in distinction_nodes]
    r.unique(distinctions, lambda d: d.id, "distinction")
    found = tuple(d for _, d in distinctions)
    renamed = _renamed(r, fields["renamed"][1], found) if "renamed" in fields else Renamed()
    return Dialog(
        id=r.identifier(fields["id"][1], "dialog id", DIALOG_ID_PATTERN),
        version=r.integer(fields["version"][1], "version"),
        title=r.text(fields["title"][1], "title", MAX_LABEL_LENGTH),
        intro=r.text(fields["intro"][1], "intro"),
        distinctions=found,
        outro=_outro(r, fields["outro"][1]),
        renamed=renamed,
    )


def load_file(path: Path) -> Dialog:
    return parse_dialog(read_source(path), str(path))


def read_source(path: Path) -> str:
    """A content file's text; too big or unreadable is a ``DialogError`` naming it."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DialogError(
                f"{path}:1:1: the file is {size:,} bytes, expected at most {MAX_FILE_BYTES:,} "
                "(a dialog is a few dozen KB)"
            )
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DialogError(
            f"{path}:1:1: cannot read the file ({exc}), expected a readable UTF-8 file"
        ) from None
    return source


def _dialog_files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"})
    else:
        yield path


def load_dialogs(path: Path, language: str | None = None) -> dict[str, Dialog]:
    """Load a file or every ``*.yaml`` in a folder, with every language folder beside them
    (``dialogs.translations``); dialog ids must be unique. The dialogs come in ``language``
    (default: the files' own, English), each with its ``translations``."""
    from dialogs.translations import with_translations  # it builds on this module

    dialogs = _load_sources(path)
    languages = with_translations(dialogs, path)
    if language is not None and language not in languages:
        raise DialogError(
            f"{path}:1:1: there is no language '{language}' here, expected one of: {', '.join(languages)}"
        )
    spoken: dict[str, Dialog] = {}
    for dialog_id in dialogs:
        shared: dict[str, Dialog] = {}
        for code, by_id in languages.items():
            shared[code] = replace(by_id[dialog_id], translations=shared)
        spoken[dialog_id] = shared[language or next(iter(languages))]
    return spoken


def _load_sources(path: Path) -> dict[str, Dialog]:
    dialogs: dict[str, Dialog] = {}
    for file in _dialog_files(path):
        dialog = load_file(file)
        if dialog.id in dialogs:
            raise DialogError(f"{file}:1:1: duplicate dialog id '{dialog.id}', expected each id once")
        dialogs[dialog.id] = dialog
    if not dialogs:
        raise DialogError(f"{path}:1:1: no dialog files found, expected at least one *.yaml")
    return dialogs


BUILTIN_CONTENT = Path(__file__).parent / "content"
DEFAULT_DIALOG_ID = "job-vs-career"
