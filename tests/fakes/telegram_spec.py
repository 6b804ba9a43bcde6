"""Telegram's Bot API specification, applied to the requests the fake Bot API receives.

Rules:
- The spec is ``specs/telegram-bot-api.json`` (see ``specs/README.md``), read once per
  process. ``check_call(method, form, files)`` returns every reason Telegram would refuse
  or misread the call, each naming the method, the field and the rule; an empty list is a
  call Telegram accepts.
- A form-encoded request carries strings: a field whose spec type is Integer, Float or
  Boolean must parse as one; an object or array field must be a JSON string of a value
  that fits its type, checked field by field (required fields present, no unknown ones).
- A type with subtypes (``BotCommandScope``) takes whichever subtype fits.
- A multipart file part is accepted only where the spec allows an ``InputFile``.
- The limits the spec writes in prose ("1-4096 characters", "1-64 bytes", "can contain
  only lowercase English letters, digits and underscores") are enforced on strings;
  "after entities parsing" measures the text a person sees once the HTML (if
  ``parse_mode`` is HTML) is rendered. Lengths are counted in UTF-16 code units, as
  Telegram measures text for entities: never less than the count of characters, so a
  text that fits here fits Telegram either way.
- HTML in ``text`` and ``caption`` with ``parse_mode=HTML`` follows Telegram's formatting
  rules: only the supported tags and attributes, properly nested and closed, every ``<``,
  ``>`` and ``&`` outside a tag part of a tag or of an entity, and only the named entities
  Telegram knows.
"""

from __future__ import annotations

import functools
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC = Path(__file__).parent / "specs" / "telegram-bot-api.json"

# "1-4096 characters after entities parsing", "0-200 characters", "1-64 bytes".
_LIMIT = re.compile(
    r"(\d+)-(\d+) (characters|bytes)( (?:with at most \d+ line feeds )?after entit(?:y|ies) parsing)?"
)
# The character rules the spec writes in prose, as patterns a whole value must match.
_CHARACTERS = {
    "Only characters A-Z, a-z, 0-9, _ and - are allowed": re.compile(r"[A-Za-z0-9_-]*"),
    "Can contain only lowercase English letters, digits and underscores": re.compile(r"[a-z0-9_]*"),
    "Can contain only English letters, digits and underscores": re.compile(r"[A-Za-z0-9_]*"),
}
_PARSED_FIELDS = {"text": "parse_mode", "caption": "parse_mode", "quote": "quote_parse_mode"}

# Telegram's HTML: tag -> the attributes it may carry.
HTML_TAGS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler"), frozenset()),
    "span": frozenset({"class"}),
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "blockquote": frozenset({"expandable"}),
    "tg-emoji": frozenset({"emoji-id"}),
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'<>=]+))?)*)\s*>"
)
_ATTRIBUTE = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'<>=]+)))?")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|([a-zA-Z]+));")


class HTMLRefused(ValueError):
    """Telegram would answer "can't parse entities"; the message says where and why."""


def render_html(text: str) -> str:
    """What a person reads once Telegram has rendered ``text`` (HTML parse mode), or
    ``HTMLRefused`` saying what Telegram would not parse."""
    shown: list[str] = []
    open_tags: list[str] = []
    at = 0
    while at < len(text):
        char = text[at]
        if char == "<":
            tag = _TAG.match(text, at)
            if tag is None:
                raise HTMLRefused(f"a '<' at offset {at} starts no tag; write &lt;")
            closing, name, attributes = tag.group(1) == "/", tag.group(2).lower(), tag.group(3)
            if name not in HTML_TAGS:
                raise HTMLRefused(f"unsupported tag <{name}> at offset {at}")
            if closing:
                if not open_tags or open_tags.pop() != name:
                    raise HTMLRefused(f"unexpected end tag </{name}> at offset {at}")
            else:
                for found in _ATTRIBUTE.finditer(attributes):
                    if found.group(1).lower() not in HTML_TAGS[name]:
                        raise HTMLRefused(f"tag <{name}> at offset {at} cannot carry {found.group(1)!r}")
                open_tags.append(name)
            at = tag.end()
        elif char == "&":
            entity = _ENTITY.match(text, at)
            if entity is None:
                raise HTMLRefused(f"a '&' at offset {at} starts no entity; write &amp;")
            name = entity.group(1)
            if name is not None:
                if name not in _NAMED_ENTITIES:
                    raise HTMLRefused(f"unsupported named entity &{name}; at offset {at}")
                shown.append(_NAMED_ENTITIES[name])
            else:
                shown.append(html.unescape(entity.group(0)))
            at = entity.end()
        elif char == ">":
            raise HTMLRefused(f"a '>' at offset {at} outside a tag; write &gt;")
        else:
            shown.append(char)
            at += 1
    if open_tags:
        raise HTMLRefused(f"tag <{open_tags[-1]}> is never closed")
    return "".join(shown)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class Spec:
    methods: dict[str, Any]
    types: dict[str, Any]

    def check_call(self, method: str, form: dict[str, str], files: dict[str, Upload]) -> list[str]:
        """Every reason Telegram would refuse ``method`` called with ``form`` and ``files``."""
        found = self.methods.get(method)
        if found is None:
            return [f"{method}: no such Bot API method"]
        fields = {f["name"]: f for f in found.get("fields", [])}
        problems: list[str] = []
        for name in sorted(set(form) | set(files)):
            if name not in fields:
                problems.append(f"{method}.{name}: not a field of {method}")
        for name, field in fields.items():
            where = f"{method}.{name}"
            if name in files:
                if "InputFile" not in field["types"]:
                    problems.append(f"{where}: a file was uploaded, but the field takes {_types(field)}")
                continue
            if name not in form:
                if field["required"]:
                    problems.append(f"{where}: required, missing")
                continue
            problems += self._form_value(where, field, form[name])
            if name in _PARSED_FIELDS and isinstance(form[name], str):
                problems += self._parsed_text(where, field, form[name], form.get(_PARSED_FIELDS[name]))
        return problems

    def _form_value(self, where: str, field: dict[str, Any], raw: str) -> list[str]:
        types = [t for t in field["types"] if t != "InputFile"]
        if "String" in types:
            # Text that is parsed for entities is measured once rendered (``_parsed_text``).
            return [] if where.rsplit(".", 1)[-1] in _PARSED_FIELDS else self._limits(where, field, raw)
        scalar = {"Integer": _int, "Float": _float, "Boolean": _bool}
        results = []
        for kind in types:
            if kind in scalar:
                results.append([] if scalar[kind](raw) else [f"{where}: {raw!r} is not {_a(kind)}"])
                continue
            try:
                value = json.loads(raw)
            except ValueError:
                results.append([f"{where}: not a JSON-serialised {kind}"])
                continue
            results.append(self.check_value(where, kind, value))
        return _best(results)

    def _parsed_text(self, where: str, field: dict[str, Any], text: str, mode: str | None) -> list[str]:
        shown = text
        if mode is not None:
            if mode != "HTML":
                return [f"{where}: only parse_mode HTML is checked here, got {mode!r}"]
            try:
                shown = render_html(text)
            except HTMLRefused as exc:
                return [f"{where}: can't parse entities: {exc}"]
        return self._limits(where, field, shown, parsed=True)

    def check_value(self, where: str, kind: str, value: Any) -> list[str]:
        """Why ``value`` (decoded JSON) is not a valid ``kind`` ("Array of X", a type name)."""
        if kind.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{where}: expected {kind}, got {type(value).__name__}"]
            return [
                p for i, item in enumerate(value) for p in self.check_value(f"{where}[{i}]", kind[9:], item)
            ]
        scalar = {"Integer": int, "Float": (int, float), "Boolean": bool, "String": str}
        if kind in scalar:
            fits = isinstance(value, scalar[kind]) and (kind == "Boolean" or not isinstance(value, bool))
            return [] if fits else [f"{where}: expected {_a(kind)}, got {value!r}"]
        spec = self.types.get(kind)
        if spec is None:
            return [f"{where}: the spec has no type {kind}"]
        if "subtypes" in spec:
            return _best([self.check_value(where, sub, value) for sub in spec["subtypes"]])
        if not isinstance(value, dict):
            return [f"{where}: expected a {kind} object, got {value!r}"]
        fields = {f["name"]: f for f in spec.get("fields", [])}
        problems = [f"{where}.{name}: not a field of {kind}" for name in value if name not in fields]
        for name, field in fields.items():
            if name not in value:
                if field["required"]:
                    problems.append(f"{where}.{name}: required in {kind}, missing")
                continue
            results = [self.check_value(f"{where}.{name}", t, value[name]) for t in field["types"]]
            wrong = _best(results)
            if not wrong and isinstance(value[name], str):
                wrong = self._limits(f"{where}.{name}", field, value[name])
            problems += wrong + _fixed_type(where, kind, field, value[name])
        return problems

    @staticmethod
    def _limits(where: str, field: dict[str, Any], text: str, parsed: bool = False) -> list[str]:
        for rule, allowed in _CHARACTERS.items():
            if rule in field["description"] and not parsed and allowed.fullmatch(text) is None:
                return [f"{where}: {text!r} breaks the rule {rule!r}"]
        for low, high, unit, after in _LIMIT.findall(field["description"]):
            if after and not parsed:
                continue
            size = len(text.encode()) if unit == "bytes" else utf16_length(text)
            if not int(low) <= size <= int(high):
                shown = " after entities parsing" if after else ""
                return [f"{where}: {size} {unit}{shown}, the spec allows {low}-{high}"]
        return []


def _fixed_type(where: str, kind: str, field: dict[str, Any], value: Any) -> list[str]:
    """A subtype's ``type`` field: "Scope type, must be default" names its only value."""
    fixed = re.search(r"must be (\w+)", field["description"]) if field["name"] == "type" else None
    if fixed is not None and value != fixed.group(1):
        return [f"{where}.type: {kind} must have type {fixed.group(1)!r}, got {value!r}"]
    return []


def _best(results: list[list[str]]) -> list[str]:
    """Fine if any alternative fits; otherwise the problems of the closest one."""
    if not results or any(not r for r in results):
        return []
    return min(results, key=len)


def _types(field: dict[str, Any]) -> str:
    return " or ".join(field["types"])


def _a(kind: str) -> str:
    return {"Integer": "an integer", "Float": "a number", "Boolean": "true or false"}.get(kind, f"a {kind}")


def _int(raw: str) -> bool:
    return re.fullmatch(r"-?\d+", raw) is not None


def _float(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True


def _bool(raw: str) -> bool:
    return raw in ("true", "false")


@functools.cache
def spec() -> Spec:
    """The Bot API spec, read once per process."""
    data = json.loads(SPEC.read_text(encoding="utf-8"))
    return Spec(data["methods"], data["types"])
