"""Discord's OpenAPI 3.1 specification, applied to the requests the fake Discord receives.

Rules:
- The spec is ``specs/discord-openapi.json`` (see ``specs/README.md``), read and compiled
  once per process. ``check_request`` returns every reason Discord would refuse the
  request, each naming the route, the field and the rule; an empty list is accepted.
- The route must be one the spec lists for that method (``/messages/@original`` is matched
  before ``/messages/{message_id}``: the literal segment wins); path and query parameters
  are checked against their schemas, and an unknown query parameter is refused.
- A JSON body is validated with jsonschema (draft 2020-12, references resolved with
  ``referencing``) against the route's ``application/json`` schema. A multipart body is
  its ``payload_json`` part validated the same way, plus ``files[n]`` parts: n below 10,
  each named by an ``attachments`` entry with id n, as Discord requires.
- Two readings of the spec make it as strict as Discord: an object schema that lists its
  properties admits no others (the spec leaves ``additionalProperties`` open, Discord
  refuses unknown fields with 50035), and a snowflake may be sent as a string or an
  integer (Discord accepts both; the spec writes only the string form).
"""

from __future__ import annotations

import copy
import functools
import json
import re
import reprlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC = Path(__file__).parent / "specs" / "discord-openapi.json"
_URI = "https://discord.test/openapi.json"
FILE_PART = re.compile(r"files\[(\d+)\]")
# Fields Discord documents and accepts that the OpenAPI request schemas leave out, and
# that discord.py always sends: without them every start-up would "fail".
SPEC_GAPS: dict[str, dict[str, Any]] = {
    # "nsfw?: boolean — indicates whether the command is age-restricted" (Application
    # Commands); the response schema has it, the request schema does not.
    "ApplicationCommandUpdateRequest": {"nsfw": {"type": ["boolean", "null"]}},
    # discord.py's handle_message_parameters puts "tts": false on every message body,
    # edits included; Discord ignores it there. Only that value is let through.
    "IncomingWebhookUpdateRequestPartial": {"tts": {"const": False}},
    "MessageEditRequestPartial": {"tts": {"const": False}},
    "IncomingWebhookUpdateForInteractionCallbackRequestPartial": {"tts": {"const": False}},
}


@dataclass(frozen=True, slots=True)
class Route:
    template: str
    pattern: re.Pattern[str]
    literals: int  # segments without a parameter: more is a better match
    operations: dict[str, Any]
    parameters: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Spec:
    routes: list[Route]
    registry: Registry[Any]

    def route(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        found = [(r, m) for r in self.routes if (m := r.pattern.fullmatch(path))]
        found = [(r, m) for r, m in found if method.lower() in r.operations]
        if not found:
            return None
        route, match = max(found, key=lambda pair: pair[0].literals)
        return route, match.groupdict()

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        return Draft202012Validator(schema, registry=self.registry)

    def check_request(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        files: dict[str, bytes] | None = None,
    ) -> list[str]:
        """Why Discord would refuse ``method path?query`` with this JSON ``body`` (from
        ``payload_json`` for a multipart request, whose ``files[n]`` parts are ``files``)."""
        found = self.route(method, path)
        if found is None:
            return [f"{method} {path}: the spec has no such route"]
        route, values = found
        where = f"{method} {route.template}"
        operation = route.operations[method.lower()]
        problems: list[str] = []
        params = route.parameters + operation.get("parameters", [])
        for param in params:
            if param["in"] == "path":
                problems += self._value(
                    f"{where}: path {param['name']}", param["schema"], values[param["name"]]
                )
        known = {p["name"]: p for p in params if p["in"] == "query"}
        for name, raw in query.items():
            if name not in known:
                problems.append(f"{where}: query {name!r} is not a parameter of this route")
            else:
                problems += self._value(f"{where}: query {name}", known[name]["schema"], _typed(raw))
        content = operation.get("requestBody", {}).get("content", {})
        if body is None:
            if operation.get("requestBody", {}).get("required"):
                problems.append(f"{where}: a body is required")
            return problems
        if "application/json" not in content:
            return [*problems, f"{where}: this route takes no body"]
        problems += self._value(f"{where}: body", content["application/json"]["schema"], body)
        if files:
            problems += _attachments(where, body, files)
        return problems

    def _value(self, where: str, schema: dict[str, Any], value: Any) -> list[str]:
        errors = list(self.validator(schema).iter_errors(value))
        return [f"{where}{_path(e)}: {_message(e)}" for e in map(_cause, errors)]


def _message(error: ValidationError) -> str:
    """jsonschema's message, or for a long value the rule it broke and a glimpse of it."""
    if len(error.message) <= 200:
        return error.message
    return f"{reprlib.repr(error.instance)} fails {error.validator} {error.validator_value!r}"


def _cause(error: ValidationError) -> ValidationError:
    """The error inside a union that says what is wrong: the branch meant (whose ``type``
    discriminator matched, or else with the fewest errors), followed down."""
    while error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        meant = [b for b in branches.values() if not any(_wrong_kind(e) for e in b)] or list(
            branches.values()
        )
        error = min(meant, key=len)[0]
    return error


def _wrong_kind(error: ValidationError) -> bool:
    """An error saying the value is another kind of thing altogether (a union branch not meant)."""
    if not error.relative_path:
        return error.validator in ("type", "enum", "const")
    return list(error.relative_path) == ["type"] and error.validator in ("enum", "const")


def _path(error: ValidationError) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def _typed(raw: str) -> Any:
    """A query string value as the JSON value its schema describes. Discord reads "True",
    "true" and "1" as true, "False", "false" and "0" as false (Reference: boolean query
    strings)."""
    if raw in ("True", "true", "1", "False", "false", "0"):
        return raw in ("True", "true", "1")
    return raw


def _attachments(where: str, body: Any, files: dict[str, bytes]) -> list[str]:
    problems = []
    named = {str(a.get("id")) for a in (body.get("attachments") or []) if isinstance(a, dict)}
    for part in files:
        index = FILE_PART.fullmatch(part)
        if index is None or int(index.group(1)) >= 10:
            problems.append(f"{where}: file part {part!r} is not files[0] to files[9]")
        elif index.group(1) not in named:
            problems.append(f"{where}: file part {part!r} has no attachments entry with id {index.group(1)}")
    return problems


def _strict(node: Any) -> Any:
    """The spec with every object schema that lists its properties closed to others."""
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


def _route(template: str, item: dict[str, Any]) -> Route:
    segments = template.strip("/").split("/")
    regex = "/" + "/".join(f"(?P<{s[1:-1]}>[^/]+)" if s.startswith("{") else re.escape(s) for s in segments)
    operations = {k: v for k, v in item.items() if k != "parameters"}
    literals = sum(not s.startswith("{") for s in segments)
    return Route(template, re.compile(regex), literals, operations, item.get("parameters", []))


@functools.cache
def spec() -> Spec:
    """Discord's spec, read once per process."""
    data = json.loads(SPEC.read_text(encoding="utf-8"))
    schemas = data["components"]["schemas"]
    snowflake = copy.deepcopy(schemas["SnowflakeType"])
    schemas["SnowflakeType"] = {"anyOf": [snowflake, {"type": "integer", "minimum": 0}]}
    for schema, fields in SPEC_GAPS.items():
        schemas[schema]["properties"].update(fields)
    document = _strict(data)
    resource = Resource(contents=document, specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_URI, resource)
    routes = []
    for template, item in document["paths"].items():
        resolved = _resolve_refs(item, _URI)
        routes.append(_route(template, resolved))
    return Spec(routes, registry)


def _resolve_refs(node: Any, base: str) -> Any:
    """Local ``#/...`` references made absolute, so a schema taken out of the document
    still resolves through the registry."""
    if isinstance(node, dict):
        return {
            k: (
                base + v
                if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else _resolve_refs(v, base)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_resolve_refs(item, base) for item in node]
    return node
