"""Discord's part of reply delivery: owed messages as interaction responses, and what errors mean.

Rules:
- An owed message (``storage.outbox``) is one response to the interaction that caused the
  turn, stored as JSON with what delivering it needs (``Via``: the application id, the
  interaction token, when the interaction was made, its channel, whether it is private):
  ``original`` replaces the "thinking" placeholder, ``followup`` is a further message,
  ``pressed`` edits the message whose button was pressed (its text, and no buttons), and
  ``picture`` is a followup with the profile chart (its input, ``bot.pictures.owed_chart``,
  drawn when it is delivered; a row owed by an earlier version holds the PNG in base64),
  ``files`` a followup with several attachments (a workshop report's chart and CSV).
- A workshop's public messages are the bot's own channel messages, never sent with an
  interaction token (so they can be edited much later): ``post`` creates one, and may be
  noted (``noted``: its message id is kept under a receipt name, ``storage.outbox``);
  ``edit`` changes a message named by such a receipt, read back just before it is
  delivered (after the post, by the channel's order). Nothing noted under the name (the
  post was given up): nothing to edit, and the row is done.
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
from bot.outbox import Delivered, Drop, Outcome, Receipts, Retry, owed_calls
from storage.outbox import Owed, OwedRow

PLATFORM = "discord"
# Discord's global limit on requests from one bot: 50 a second.
RATE = 50.0
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


def picture(via: Via, chart: dict[str, Any]) -> Call:
    """A followup with the profile chart ``bot.pictures.owed_chart`` gave, drawn when delivered."""
    return {"op": "picture", "via": asdict(via), "chart": chart}


def files(via: Via, content: str, attached: Iterable[tuple[str, bytes]]) -> Call:
    """A followup with ``content`` and the named files attached."""
    named = [[name, base64.b64encode(data).decode()] for name, data in attached]
    return {"op": "files", "via": asdict(via), "body": {"content": content}, "files": named}


def post(channel: int, out: Outgoing) -> Call:
    """A message in ``channel`` as the bot itself."""
    return {"op": "post", "channel": channel, "body": _message(out)}


def edit(channel: int, receipt: str, content: str | None) -> Call:
    """Take the buttons off the bot's message noted as ``receipt``, and replace its text if given."""
    body: dict[str, Any] = {"components": []}
    if content is not None:
        body |= {"content": content, "allowed_mentions": _NO_PINGS}
    return {"op": "edit", "channel": channel, "message_of": receipt, "body": body}


def owed(chat: str, calls: Iterable[Call]) -> tuple[Owed, ...]:
    """The calls as rows owed to ``chat`` (the outbox's ordering key), in order."""
    return owed_calls(chat, calls)


class DiscordCourier:
    """Delivers owed interaction responses through discord.py's HTTP client."""

    platform = PLATFORM
    rate = RATE

    def __init__(
        self,
        http: discord.http.HTTPClient,
        clock: Callable[[], float] = time.time,
        receipts: Receipts | None = None,
    ) -> None:
        self._http = http
        self._clock = clock
        self._receipts = receipts

    async def deliver(self, row: OwedRow) -> Outcome:
        call: Call = json.loads(row.payload)
        if call["op"] in ("post", "edit"):
            return await self._as_bot(call)
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

    async def _as_bot(self, call: Call) -> Outcome:
        """A workshop's channel message: posted (its id returned to be noted) or edited."""
        channel = call["channel"]
        if call["op"] == "post":
            route = Route("POST", _CHANNEL, channel_id=channel)
            sent = await self._http.request(route, json=call["body"])
            return Delivered(str(sent["id"]) if isinstance(sent, dict) and "id" in sent else None)
        noted = await self._receipts.receipt(PLATFORM, call["message_of"]) if self._receipts else None
        # A reference remembered before receipts were noted reads "<distinction>:<id>".
        message = (noted or "").rpartition(":")[2]
        if not message.isdigit():
            return Delivered()  # the message was never posted: there is nothing to edit
        route = Route("PATCH", _CHANNEL + "/{message_id}", channel_id=channel, message_id=int(message))
        await self._http.request(route, json=call["body"])
        return Delivered()

    async def _post(self, route: Route, call: Call, flags: int, **options: Any) -> None:
        if call["op"] == "picture" and "chart" in call:
            attached = [(pictures.FILENAME, await pictures.png_of(call["chart"]))]
        elif call["op"] == "picture":
            attached = [(pictures.FILENAME, base64.b64decode(call["png"]))]
        elif call["op"] == "files":
            attached = [(name, base64.b64decode(data)) for name, data in call["files"]]
        else:
            await self._http.request(
                route, json=call["body"] | ({"flags": flags} if flags else {}), **options
            )
            return
        content = call.get("body", {}).get("content", discord.utils.MISSING)
        uploads = [discord.File(io.BytesIO(data), filename=name) for name, data in attached]
        if flags:
            params = handle_message_parameters(
                content, files=uploads, flags=discord.MessageFlags._from_value(flags)
            )
        else:
            params = handle_message_parameters(content, files=uploads)
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
