"""Languages from files: a folder per language beside the dialogs, checked against them.

Rules:
- A dialog's structure (ids, leans, order, ``renamed``) is written once, in its dialog file.
  A language is a sub-folder of the dialogs' folder named by its code (``es``, ``pt-BR``)
  holding ``messages.po`` (the bot's own sentences, ``dialogs.i18n``) and one file per
  dialog with the same ids, giving only text: titles, intro, questions, labels, synonyms,
  reflections, both sides of every explanation, why, the outro. Leans are never there.
- Adding a language is adding such a folder; no code names a language.
- Every translation is checked against its dialog; the first problem stops the load with
  ``file:line:col``: an id the dialog does not have, an id it has that is missing, empty
  text, text over the platform limits, a label over 80 characters, a ``{placeholder}`` that
  differs from the English, a dialog with no translation, a folder with no ``messages.po``.
- The translated dialog is the dialog with its words replaced (``dataclasses.replace``):
  its structure and fingerprint are the original's, so a session keeps its answers when
  the person changes language.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from yaml.nodes import MappingNode, Node

from dialogs.content import Choice, Dialog, Distinction, Lean, Outro, Sides
from dialogs.i18n import CATALOG_FILE, CatalogError, load_catalog, placeholders
from dialogs.loader import MAX_LABEL_LENGTH, MAX_TEXT_LENGTH, DialogError, _Reader, compose, read_source

# A language code as Babel and the platforms write it: "es", "es-419", "pt-BR", "pt_BR".
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


def language_folders(path: Path) -> list[Path]:
    """The language folders beside the dialogs (none when ``path`` is a single file)."""
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if p.is_dir() and LANGUAGE_PATTERN.match(p.name))


class _Translator:
    """Reads one translation file against the dialog it translates."""

    def __init__(self, path: str) -> None:
        self.r = _Reader(path)

    def text(self, node: Node, what: str, english: str, limit: int = MAX_TEXT_LENGTH) -> str:
        value = self.r.text(node, what, limit)
        if placeholders(value) != placeholders(english):
            wanted = ", ".join(sorted(placeholders(english))) or "none"
            raise self.r.where.fail(
                node, f"{what} changes the placeholders, expected the English ones: {wanted}"
            )
        return value

    def by_id(self, node: Node, what: str, ids: list[str]) -> dict[str, Node]:
        """A mapping keyed by exactly ``ids``: an extra or a missing one is an error."""
        if not isinstance(node, MappingNode):
            raise self.r.where.fail(node, f"{what} is not a mapping, expected the ids: {', '.join(ids)}")
        found: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key not in ids:
                raise self.r.where.fail(
                    key_node,
                    f"'{key}' in {what} is not an id of the dialog, expected one of: {', '.join(ids)}",
                )
            if key in found:
                raise self.r.where.fail(key_node, f"duplicate id '{key}' in {what}, expected it once")
            found[key] = value_node
        missing = [i for i in ids if i not in found]
        if missing:
            raise self.r.where.fail(node, f"{what} has no translation of '{missing[0]}', expected every id")
        return found

    def choice(self, node: Node, english: Choice, where: str) -> Choice:
        fields = self.r.mapping(node, f"choice {where}", {"label", "reflection"}, {"synonyms"})
        synonyms = english.synonyms
        if "synonyms" in fields:
            items = self.r.sequence(fields["synonyms"][1], "synonyms")
            synonyms = tuple(self.r.text(item, "a synonym", MAX_LABEL_LENGTH).lower() for item in items)
        return replace(
            english,
            label=self.text(fields["label"][1], f"{where}.label", english.label, MAX_LABEL_LENGTH),
            reflection=self.text(fields["reflection"][1], f"{where}.reflection", english.reflection),
            synonyms=synonyms,
        )

    def distinction(self, node: Node, english: Distinction) -> Distinction:
        d = english.id
        fields = self.r.mapping(node, f"distinction {d}", {"title", "question", "choices", "explain", "why"})
        nodes = self.by_id(fields["choices"][1], f"{d}.choices", [c.id for c in english.choices])
        explain = self.r.mapping(fields["explain"][1], f"{d}.explain", {"job", "career"})
        return replace(
            english,
            title=self.text(fields["title"][1], f"{d}.title", english.title, MAX_LABEL_LENGTH),
            question=self.text(fields["question"][1], f"{d}.question", english.question),
            choices=tuple(self.choice(nodes[c.id], c, f"{d}.{c.id}") for c in english.choices),
            explain=Sides(
                job=self.text(explain["job"][1], f"{d}.explain.job", english.explain.job),
                career=self.text(explain["career"][1], f"{d}.explain.career", english.explain.career),
            ),
            why=self.text(fields["why"][1], f"{d}.why", english.why),
        )

    def outro(self, node: Node, english: Outro) -> Outro:
        fields = self.r.mapping(node, "outro", {"heading", "closing"})
        closing = self.r.mapping(fields["closing"][1], "outro.closing", {lean.value for lean in Lean})
        return Outro(
            heading=self.text(fields["heading"][1], "outro.heading", english.heading, MAX_LABEL_LENGTH),
            closing={
                Lean(k): self.text(v, f"outro.closing.{k}", english.closing[Lean(k)])
                for k, (_, v) in closing.items()
            },
        )

    def dialog(self, root: Node, english: Dialog) -> Dialog:
        fields = self.r.mapping(root, "the translation", {"id", "title", "intro", "distinctions", "outro"})
        nodes = self.by_id(fields["distinctions"][1], "distinctions", [d.id for d in english.distinctions])
        return replace(
            english,
            title=self.text(fields["title"][1], "title", english.title, MAX_LABEL_LENGTH),
            intro=self.text(fields["intro"][1], "intro", english.intro),
            distinctions=tuple(self.distinction(nodes[d.id], d) for d in english.distinctions),
            outro=self.outro(fields["outro"][1], english.outro),
        )


def _translation_id(root: Node, path: str) -> str:
    r = _Reader(path)
    if not isinstance(root, MappingNode):
        raise r.where.fail(root, "the translation is not a mapping, expected id, title, intro, ...")
    for key_node, value_node in root.value:
        if key_node.value == "id":
            return r.text(value_node, "dialog id")
    raise r.where.fail(root, "the translation has no 'id', expected the id of the dialog it translates")


def _load_language(folder: Path, dialogs: dict[str, Dialog]) -> dict[str, Dialog]:
    language = folder.name.replace("_", "-")
    po = folder / CATALOG_FILE
    if not po.is_file():
        raise DialogError(
            f"{po}:1:1: missing, expected the bot's sentences in {language} (a gettext catalog)"
        )
    try:
        catalog = load_catalog(po, language)
    except CatalogError as exc:
        raise DialogError(str(exc)) from None
    translated: dict[str, Dialog] = {}
    for file in sorted(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"}):
        root = compose(read_source(file), str(file))
        if root is None:
            raise DialogError(f"{file}:1:1: the file is empty, expected a translation of a dialog")
        dialog_id = _translation_id(root, str(file))
        if dialog_id not in dialogs:
            raise _Reader(str(file)).where.fail(
                root, f"'{dialog_id}' is not a dialog, expected one of: {', '.join(sorted(dialogs))}"
            )
        if dialog_id in translated:
            raise DialogError(f"{file}:1:1: a second translation of '{dialog_id}', expected one per dialog")
        english = dialogs[dialog_id]
        translated[dialog_id] = replace(_Translator(str(file)).dialog(root, english), messages=catalog)
    for dialog_id in sorted(dialogs.keys() - translated.keys()):
        raise DialogError(
            f"{folder}:1:1: no translation of the dialog '{dialog_id}', expected a file with id: {dialog_id}"
        )
    return translated


def with_translations(dialogs: dict[str, Dialog], path: Path) -> dict[str, dict[str, Dialog]]:
    """Every dialog in every language found beside it: language -> dialog id -> dialog.
    The dialogs themselves are the source language's (English)."""
    languages: dict[str, dict[str, Dialog]] = {dialogs[next(iter(dialogs))].language: dialogs}
    for folder in language_folders(path):
        languages[folder.name.replace("_", "-")] = _load_language(folder, dialogs)
    return languages
