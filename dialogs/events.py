"""Events: what a person (or a facilitator) did, as the engines see it.

Rules:
- Events are frozen values; adapters build them from platform updates and never add
  platform objects to them.
- ``Choose`` carries the turn at which its question was shown, so a stale or repeated
  press is recognised instead of recorded.
- Workshop events carry who sent them and whether that person may steer the workshop.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Start:
    """Open the conversation, or offer to resume it; ``dialog`` None means the default."""

    dialog: str | None = None


@dataclass(frozen=True, slots=True)
class Resume:
    """Show the current question again."""


@dataclass(frozen=True, slots=True)
class Choose:
    distinction: str
    choice: str
    turn: int


@dataclass(frozen=True, slots=True)
class FreeText:
    """Typed words. ``turn`` is set when the words answer a known question (a form opened
    from it): if the conversation has moved on since, they are stale, like an old button."""

    text: str
    turn: int | None = None


@dataclass(frozen=True, slots=True)
class Confirm:
    """The answer to a ``Confirmation``: ``yes`` records what was read (or skips), no asks
    again. ``turn`` is the turn the confirmation was shown at; an older one is stale."""

    yes: bool
    turn: int | None = None


@dataclass(frozen=True, slots=True)
class Back:
    pass


@dataclass(frozen=True, slots=True)
class Skip:
    pass


@dataclass(frozen=True, slots=True)
class Restart:
    pass


@dataclass(frozen=True, slots=True)
class Why:
    pass


@dataclass(frozen=True, slots=True)
class Summary:
    pass


@dataclass(frozen=True, slots=True)
class Help:
    pass


Event = Start | Resume | Choose | FreeText | Confirm | Back | Skip | Restart | Why | Summary | Help

# The commands a person can type, by name, mapped to the event they send.
COMMANDS: dict[str, Event] = {
    "start": Start(),
    "resume": Resume(),
    "back": Back(),
    "skip": Skip(),
    "restart": Restart(),
    "why": Why(),
    "summary": Summary(),
    "help": Help(),
}


# --- workshop events ----------------------------------------------------------------------
# They are not part of ``Event`` (the personal engine's table covers exactly that union);
# ``dialogs.workshop.step`` takes a ``WorkshopEvent``. ``user`` is the sender's platform id;
# ``admin`` is set by the adapter when the sender is a group admin (Telegram) or has Manage
# Server (Discord). The engine adds "is the facilitator" itself, so an adapter never needs
# the workshop state to build an event.


@dataclass(frozen=True, slots=True)
class Open:
    """Start a workshop; ``force`` ends a running one first (the answer to the prompt)."""

    user: str
    admin: bool = False
    dialog: str | None = None
    force: bool = False
    language: str | None = None  # None: the language the facilitator is spoken to in


@dataclass(frozen=True, slots=True)
class Vote:
    """A member pressed a choice button; the button names the workshop and the question."""

    user: str
    workshop: int
    distinction: str
    choice: str
    admin: bool = False


@dataclass(frozen=True, slots=True)
class Reveal:
    user: str
    admin: bool = False


@dataclass(frozen=True, slots=True)
class Next:
    user: str
    admin: bool = False


@dataclass(frozen=True, slots=True)
class End:
    user: str
    admin: bool = False


WorkshopEvent = Open | Vote | Reveal | Next | End
