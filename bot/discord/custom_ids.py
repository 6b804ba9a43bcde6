"""custom_id formats of the Discord adapter: the shared button data plus two of its own.

Rules:
- Answer and command buttons use ``bot.buttons`` (``<version>:a:...`` and ``<version>:c:...``);
  this module only adds the templates discord.py's ``DynamicItem`` matches them with.
- The "answer in my own words" button (``t``) and the modal it opens (``m``) carry the owner,
  the question and the turn it was shown at, in the same versioned, colon-separated shape,
  so a stale modal is recognised even after a restart.
- Workshop vote buttons use ``bot.buttons.VoteButton`` (``<version>:w:<workshop>:...``). The
  workshop's own controls carry the workshop number they were shown for: "show my profile"
  (``wp``), "end it and start a new one" (``wo``, with the dialog to open) and "keep it
  running" (``wk``), so a control left over from an earlier workshop is recognised.
- Anything that does not parse is ``None``; callers answer it as an expired button.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.buttons import VERSION

_F = r"[A-Za-z0-9_-]{1,32}"
_V = re.escape(VERSION)
ANSWER_TEMPLATE = rf"{_V}:a:{_F}:{_F}:{_F}:[0-9]{{1,9}}"
COMMAND_TEMPLATE = rf"{_V}:c:{_F}:{_F}"
CONFIRM_TEMPLATE = rf"{_V}:k:{_F}:{_F}:[yn]:[0-9]{{1,9}}"
OWN_WORDS_TEMPLATE = rf"{_V}:t:(?P<owner>{_F}):(?P<distinction>{_F}):(?P<turn>[0-9]{{1,9}})"
MODAL_TEMPLATE = rf"{_V}:m:(?P<owner>{_F}):(?P<distinction>{_F}):(?P<turn>[0-9]{{1,9}})"
_N = "[0-9]{1,9}"
VOTE_TEMPLATE = rf"{_V}:w:{_N}:{_F}:{_F}"
PROFILE_TEMPLATE = rf"{_V}:wp:(?P<workshop>{_N})"
REPLACE_TEMPLATE = rf"{_V}:wo:(?P<workshop>{_N}):(?P<dialog>{_F})"
KEEP_TEMPLATE = rf"{_V}:wk:(?P<workshop>{_N})"
CONTROL_TEMPLATE = rf"{_V}:(?:wp:{_N}|wo:{_N}:{_F}|wk:{_N})"  # any of the three, for the DynamicItem
TEMPLATES = (
    ANSWER_TEMPLATE,
    COMMAND_TEMPLATE,
    CONFIRM_TEMPLATE,
    OWN_WORDS_TEMPLATE,
    VOTE_TEMPLATE,
    CONTROL_TEMPLATE,
)

# The one text input of the own-words modal.
ANSWER_FIELD = "answer"


@dataclass(frozen=True, slots=True)
class OwnWords:
    """Whose question it is, which one, and the turn at which it was shown."""

    owner: str
    distinction: str
    turn: int


def own_words_button(data: OwnWords) -> str:
    return _encode("t", data)


def own_words_modal(data: OwnWords) -> str:
    return _encode("m", data)


def parse_own_words(custom_id: str) -> OwnWords | None:
    """Either the button's or the modal's id."""
    match = re.fullmatch(OWN_WORDS_TEMPLATE, custom_id) or re.fullmatch(MODAL_TEMPLATE, custom_id)
    if match is None:
        return None
    return OwnWords(match["owner"], match["distinction"], int(match["turn"]))


def parse_modal(custom_id: str) -> OwnWords | None:
    match = re.fullmatch(MODAL_TEMPLATE, custom_id)
    return None if match is None else OwnWords(match["owner"], match["distinction"], int(match["turn"]))


def is_ours(custom_id: str) -> bool:
    """Whether a component's id is one this adapter's ``DynamicItem`` templates handle."""
    return any(re.fullmatch(t, custom_id) for t in TEMPLATES)


def _encode(kind: str, data: OwnWords) -> str:
    custom_id = f"{VERSION}:{kind}:{data.owner}:{data.distinction}:{data.turn}"
    if not re.fullmatch(MODAL_TEMPLATE if kind == "m" else OWN_WORDS_TEMPLATE, custom_id):
        raise ValueError(f"custom_id {custom_id!r} does not fit the {kind!r} format")
    return custom_id


@dataclass(frozen=True, slots=True)
class WorkshopControl:
    """A workshop button other than a vote: ``kind`` is ``wp`` (my profile), ``wo`` (end
    the running workshop ``workshop`` and open ``dialog``) or ``wk`` (keep it running)."""

    kind: str
    workshop: int
    dialog: str = ""


_CONTROL_TEMPLATES = {"wp": PROFILE_TEMPLATE, "wo": REPLACE_TEMPLATE, "wk": KEEP_TEMPLATE}


def workshop_control(data: WorkshopControl) -> str:
    custom_id = f"{VERSION}:{data.kind}:{data.workshop}" + (f":{data.dialog}" if data.kind == "wo" else "")
    template = _CONTROL_TEMPLATES.get(data.kind)
    if template is None or not re.fullmatch(template, custom_id):
        raise ValueError(f"custom_id {custom_id!r} does not fit the {data.kind!r} format")
    return custom_id


def parse_workshop_control(custom_id: str) -> WorkshopControl | None:
    for kind, template in _CONTROL_TEMPLATES.items():
        match = re.fullmatch(template, custom_id)
        if match is not None:
            dialog = match["dialog"] if kind == "wo" else ""
            return WorkshopControl(kind, int(match["workshop"]), dialog)
    return None
