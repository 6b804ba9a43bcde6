"""The bot's own sentences in the person's language.

Rules:
- ``dialogs/messages.py`` is the source: the English text of every sentence. Code reads a
  sentence as ``messages.NAME`` through ``dialogs.i18n.messages``, which answers in the
  language being spoken; the English text stays the ``msgid`` a translator sees.
- A language's sentences are a standard gettext catalog (``messages.po``, opened with any
  .po editor) read with Babel. Each entry's ``msgctxt`` names the constant (``NAME``, or
  ``NAME.key`` for one entry of a table); a list of words or a (one, many) pair is one
  entry with its items separated by `` | ``.
- A sentence about a count (a ``Plural``) is a gettext plural entry: the English one/other
  forms are ``msgid``/``msgid_plural``, the translation gives ``msgstr[0..n-1]``, one per
  form of the catalog's ``Plural-Forms`` rule, which then picks the form for a count (so
  Polish or Russian need no code). Each form may name the English fields or leave the
  count out (as "1 question" does).
- A translation keeps every ``{placeholder}`` of the English, no more and no fewer (the
  loader refuses a catalog that does not: a wrong field would fail when the sentence is
  said). A missing or empty entry falls back to the English and ``careerbot check``
  names it, so a sentence added in English never stops the bot.
- Which language is spoken is a context variable: ``speaking(catalog)`` for a block
  (the engines speak their dialog's language for one step), ``speak(catalog)`` for the rest
  of the current task (an adapter's update, after ``Conversations`` chose the language).
  asyncio gives every task its own copy of the context, so two people never mix.
- A percentage is written by ``percent``: CLDR's pattern for the language spoken, read with
  Babel ("45%" in English, "45 %" in Spanish), not by each template.
- Nothing here reads files at import; ``load_catalog`` reads one when asked (at start).
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from dialogs import messages as _english
from dialogs.plurals import ENGLISH_RULE, Plural, valid_rule

DEFAULT_LANGUAGE = "en"
CATALOG_FILE = "messages.po"
ITEM_SEPARATOR = " | "


@dataclass(frozen=True, slots=True)
class Entry:
    """One translatable unit: its context (``NAME`` or ``NAME.key``) and English text."""

    context: str
    msgid: str
    plural: str = ""  # the English plural form (``msgid_plural``) of a Plural, else empty


@dataclass(frozen=True, slots=True, eq=False)
class Catalog:
    """Every constant of ``dialogs.messages`` in one language (``values`` by name); compared
    and hashed by identity, so what is derived from a catalog can be cached by it."""

    language: str
    values: dict[str, object] = field(repr=False)
    missing: tuple[Entry, ...] = ()  # entries that fell back to the English


def _constants() -> dict[str, object]:
    return {
        name: value
        for name, value in vars(_english).items()
        if name.isupper() and not name.startswith("_") and isinstance(value, str | dict | tuple | Plural)
    }


def _joined(items: tuple[str, ...]) -> str:
    return ITEM_SEPARATOR.join(items)


def _entry(context: str, value: object) -> Entry:
    if isinstance(value, Plural):
        return Entry(context, value.forms[0], value.forms[-1])
    if isinstance(value, tuple):
        return Entry(context, _joined(value))
    return Entry(context, str(value))


def entries() -> list[Entry]:
    """Every translatable entry, in the order ``dialogs/messages.py`` defines them."""
    found: list[Entry] = []
    for name, value in _constants().items():
        if isinstance(value, dict):
            found.extend(_entry(f"{name}.{key}", text) for key, text in value.items())
        else:
            found.append(_entry(name, value))
    return found


def placeholders(text: str) -> set[str]:
    """The ``{fields}`` a template fills in (an unreadable template has none we can name)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"<unbalanced braces>"}


ENGLISH = Catalog(DEFAULT_LANGUAGE, _constants())


def build_catalog(
    language: str, translated: Mapping[str, str | tuple[str, ...]], plural_rule: str = ENGLISH_RULE
) -> Catalog:
    """A catalog from translations keyed by entry context (a plural entry's value is its
    forms, in the order of ``plural_rule``); what is missing stays English."""
    values: dict[str, object] = {}
    missing: list[Entry] = []

    def pick(context: str, english: object) -> object:
        text = translated.get(context, "")
        forms = tuple(form.strip() for form in text) if isinstance(text, tuple) else (text.strip(),)
        if not all(forms) or isinstance(english, Plural) != isinstance(text, tuple):
            missing.append(_entry(context, english))
            return english
        if isinstance(english, Plural):
            return Plural(forms, plural_rule)
        if isinstance(english, tuple):
            return tuple(item.strip() for item in forms[0].split("|"))
        return forms[0]

    for name, value in _constants().items():
        if isinstance(value, dict):
            values[name] = {key: pick(f"{name}.{key}", text) for key, text in value.items()}
        else:
            values[name] = pick(name, value)
    return Catalog(language, values, tuple(missing))


class CatalogError(ValueError):
    """A catalog file is wrong; the message is one line naming the file and line."""


def load_catalog(path: Path, language: str) -> Catalog:
    """Read a gettext catalog; a changed placeholder is refused with ``file:line:col``."""
    from babel.messages.pofile import read_po  # only when a translation is loaded

    try:
        with path.open("rb") as source:
            po = read_po(source, locale=None, ignore_obsolete=True)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CatalogError(f"{path}:1:1: cannot read the catalog ({exc}), expected a .po file") from None
    rule = po.plural_expr
    if not valid_rule(rule):
        raise CatalogError(f"{path}:1:1: gettext cannot read the Plural-Forms expression {rule}")
    known = {entry.context: entry for entry in entries()}
    translated: dict[str, str | tuple[str, ...]] = {}
    for message in po:
        if not message.id or message.fuzzy:
            continue
        context = message.context or ""
        entry = known.get(context)
        if entry is None:
            continue  # an entry the English no longer has: harmless, check names it
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        forms = tuple(str(form or "") for form in strings)
        wanted_fields = placeholders(entry.msgid) | placeholders(entry.plural)
        for form in forms:
            # A plural form may leave the count out ("1 question"), never add a field.
            found_fields = placeholders(form)
            fits = found_fields <= wanted_fields if entry.plural else found_fields == wanted_fields
            if form and not fits:
                found = ", ".join(sorted(found_fields)) or "none"
                wanted = ", ".join(sorted(wanted_fields)) or "none"
                raise CatalogError(
                    f"{path}:{message.lineno}:1: the translation of {context} has the placeholders "
                    f"{found}, expected the English ones: {wanted}"
                )
        translated[context] = forms if entry.plural else forms[0]
    return build_catalog(language, translated, rule)


_speaking: ContextVar[Catalog] = ContextVar("careerbot_language", default=ENGLISH)


def current() -> Catalog:
    """The catalog being spoken in this context."""
    return _speaking.get()


def speak(catalog: Catalog) -> None:
    """Speak ``catalog`` for the rest of the current task (an adapter's update)."""
    _speaking.set(catalog)


def enter(catalog: Catalog) -> Token[Catalog]:
    """Speak ``catalog`` until ``leave(token)``: ``speaking`` without a generator, for the
    engines, which do it on every step."""
    return _speaking.set(catalog)


def leave(token: Token[Catalog]) -> None:
    _speaking.reset(token)


@contextmanager
def speaking(catalog: Catalog) -> Iterator[Catalog]:
    """Speak ``catalog`` inside the block, then the language spoken before."""
    token = _speaking.set(catalog)
    try:
        yield catalog
    finally:
        _speaking.reset(token)


@cache
def _percent_locale(language: str) -> str:
    from babel import Locale, UnknownLocaleError  # only when a percentage is written

    try:
        return str(Locale.parse(language.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return DEFAULT_LANGUAGE  # a language CLDR does not know is written the English way


def percent(whole: int) -> str:
    """``whole`` percent (0 to 100) as the language being spoken writes a percentage."""
    from babel.numbers import format_percent

    return format_percent(whole / 100, locale=_percent_locale(_speaking.get().language))


class _Spoken:
    """``messages.NAME`` in the language being spoken (see the module's rules)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> object:
        try:
            return _speaking.get().values[name]
        except KeyError:
            raise AttributeError(f"dialogs.messages has no {name}") from None


if TYPE_CHECKING:
    # Type checkers see the English module, so every name and type is checked as before.
    from dialogs import messages as messages
else:
    messages = _Spoken()
