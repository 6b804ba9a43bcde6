"""Discord's part of reply delivery: owed messages as interaction responses, and what errors mean.

Rules:
- An owed message (``storage.outbox``) is one response to the interaction that caused the
  turn, stored as JSON with what delivering it needs (``Via``: the application id, the
  interaction token, when the interaction was made, its channel, whether it is private):
  ``original`` replaces the "thinking" placeholder, ``followup`` is a further message,
  ``pressed`` edits the message whose button was pressed (its text, and no buttons), and
  ``picture`` is a followup with the profile chart (base64).
- Discord accepts an interaction token for 15 minutes; it is trusted for 14 (as
  ``respond``). Past that a ``pressed`` edit is skipped (its buttons stay, and the engine
  recognises them as stale), a public reply becomes a new channel message, and a private
  (ephemeral) one is given up, since only the token can show it.
- Delivering a row twice is harmless for ``original`` and ``pressed`` (an edit to the same
  content); a followup delivered twice shows twice.
- ``classify``: 403, 404 (no access, the interaction or channel gone) and 400 are dropped;
  5xx, network errors and timeouts are retried (discord.py itself waits out 429s).
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp
import discord
from discord.http import Route, handle_message_parameters

from bot import pictures
from bot.discord.layout import Outgoing
from bot.discord.respond import TOKEN_LIFETIME, fresh_for
from bot.outbox import Delivered, Drop, Outcome, Retry
from storage.outbox import Owed, OwedRow

PLATFORM = "discord"
EPHEMERAL = 64  # the message flag that shows a followup to the one person only
_NO_PINGS: dict[str, list[str]] = {"parse": []}
_ORIGINAL = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
_FOLLOWUP = "/webhooks/{webhook_id}/{webhook_token}"
_CHANNEL = "/channels/{channel_id}/messages"
Call = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Via:
    """The interaction a turn's replies answer, as much of it as delivering them needs."""

    application: int
    token: str
    at: float  # when the interaction was made (its snowflake), in seconds
    channel: int
    ephemeral: bool

    @classmethod
    def of(cls, interaction: discord.Interaction[Any], ephemeral: bool) -> Via:
        return cls(
            interaction.application_id,
            interaction.token,
            interaction.created_at.timestamp(),
            interaction.channel_id or 0,
            ephemeral,
        )


def _message(out: Outgoing) -> dict[str, Any]:
    view = out.view()
    components = view.to_components() if view is not None else []
    return {"content": out.content, "components": components, "allowed_mentions": _NO_PINGS}


def original(via: Via, out: Outgoing) -> Call:
    return {"op": "original", "via": asdict(via), "body": _message(out)}


def followup(via: Via, out: Outgoing) -> Call:
    return {"op": "followup", "via": asdict(via), "body": _message(out)}


def pressed(via: Via, content: str | None) -> Call:
    """Take the buttons off the pressed message, and replace its text if given."""
    body: dict[str, Any] = {"components": []}
    if content is not None:
        body |= {"content": content, "allowed_mentions": _NO_PINGS}
    return {"op": "pressed", "via": asdict(via), "body": body}


def picture(via: Via, png: bytes) -> Call:
    return {"op": "picture", "via": asdict(via), "png": base64.b64encode(png).decode()}


def owed(chat: str, calls: Iterable[Call]) -> tuple[Owed, ...]:
    """The calls as rows owed to ``chat`` (the outbox's ordering key), in order."""
    return tuple(Owed(chat, json.dumps(call, separators=(",", ":"))) for call in calls)


class DiscordCourier:
    """Delivers owed interaction responses through discord.py's HTTP client."""

    platform = PLATFORM

    def __init__(self, http: discord.http.HTTPClient, clock: Callable[[], float] = time.time) -> None:
        self._http = http
        self._clock = clock

    async def deliver(self, row: OwedRow) -> Outcome:
        call: Call = json.loads(row.payload)
        via = Via(**call["via"])
        op = call["op"]
        token: dict[str, Any] = {"webhook_id": via.application, "webhook_token": via.token}
        if fresh_for(via.at, self._clock()):
            if op in ("original", "pressed"):
                await self._http.request(Route("PATCH", _ORIGINAL, **token), json=call["body"])
            else:
                flags = EPHEMERAL if via.ephemeral else 0
                await self._post(Route("POST", _FOLLOWUP, **token), call, flags, params={"wait": "true"})
            return Delivered()
        if op == "pressed":
            return Delivered()  # its buttons stay; a press on them is recognised as stale
        if via.ephemeral:
            minutes = TOKEN_LIFETIME / 60
            return Drop(f"a private reply needs its interaction token, which expires after {minutes:.0f} min")
        await self._post(Route("POST", _CHANNEL, channel_id=via.channel), call, 0)
        return Delivered()

    async def _post(self, route: Route, call: Call, flags: int, **options: Any) -> None:
        if call["op"] != "picture":
            await self._http.request(
                route, json=call["body"] | ({"flags": flags} if flags else {}), **options
            )
            return
        file = discord.File(io.BytesIO(base64.b64decode(call["png"])), filename=pictures.FILENAME)
        if flags:
            params = handle_message_parameters(file=file, flags=discord.MessageFlags._from_value(flags))
        else:
            params = handle_message_parameters(file=file)
        with params:
            await self._http.request(route, files=params.files, form=params.multipart, **options)

    def classify(self, error: Exception) -> Outcome:
        if isinstance(error, discord.DiscordServerError):
            return Retry(f"Discord answered {error.status}")
        if isinstance(error, discord.HTTPException):  # 400, 403, 404: it will never be taken
            return Drop(f"Discord refused it: {error.status} {error.text}")
        if isinstance(error, aiohttp.ClientError | OSError | TimeoutError):
            return Retry(type(error).__name__)
        return Drop(f"{type(error).__name__}: {error}")
