"""A fake Discord REST API and gateway on 127.0.0.1, for driving a real discord.py client.

Rules:
- It speaks just enough of Discord's API v10 for a bot that uses slash commands, buttons
  and modals: login (``/users/@me``, ``/oauth2/applications/@me``), ``/gateway/bot``,
  application command PUT/GET, interaction callbacks, followup webhooks, ``@original``
  edits, channel messages (create, and edit as the bot) and DM channel creation; and a
  gateway websocket speaking HELLO, HEARTBEAT/ACK, IDENTIFY -> READY + GUILD_CREATE, then
  whatever dispatches a test injects.
- Shards as on Discord: a connection that identifies with ``shard: [id, count]`` gets a
  READY carrying that ``shard`` and listing, like its GUILD_CREATEs, only the guilds on it;
  a guild's events and interactions go only to the connection(s) of shard
  ``(guild_id >> 22) % count``, DMs to shard 0; an unsharded connection gets everything.
  A shard id outside ``0..count-1`` is a violation, and closes with 4010 as on Discord.
  ``other_guilds`` adds guilds beside the default one (guild id -> its text channel id);
  ``/gateway/bot`` answers ``recommended_shards``.
- Every REST call is recorded (``calls``), and every message the bot made or edited is
  kept (``messages``), so tests assert on what a person saw. A route the fake does not know
  is recorded in ``unexpected`` and answered 404, so tests can assert it stayed empty.
- Every REST request is checked against Discord's own OpenAPI spec (``discord_spec``):
  the route, its parameters, and the body against the route's JSON schema, unknown fields
  refused. A request Discord would refuse is answered 400 (code 50035, as Discord does)
  AND kept in ``violations``, which the fixtures assert is empty when a test ends.
- A multipart request (``payload_json`` and ``files[n]``, how discord.py sends a message
  with attachments) is accepted wherever JSON is; the files become the message's
  ``attachments``, and ``files`` keeps their bytes by attachment id.
- JSON responses carry ``Content-Type: application/json`` exactly: discord.py parses a body
  only then (aiohttp's ``json_response`` would add a charset).
- Builders (``slash``, ``autocomplete``, ``press``, ``submit``) make INTERACTION_CREATE
  payloads the way Discord does; an interaction takes one callback, a second is refused
  with 40060 as on Discord (so a duplicate delivery can be tested); each says what the bot
  may do in its channel (``app_permissions``); ``interact``
  dispatches one to the gateway connections of its shard. A guild member has Send Messages; the ids in
  ``managers`` also have Manage Server. A channel id in ``read_only`` refuses the bot's
  channel messages (403), as without Send Messages.
- ``webhooks_down`` answers every followup and ``@original`` edit 503, as during an outage;
  ``channels_down`` the bot's channel messages (posts and edits) likewise.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from tests.fakes import discord_spec

API_PREFIX = "/api/v10"
EPHEMERAL = 64
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS, ATTACH_FILES, READ_MESSAGE_HISTORY = (
    1 << 10,
    1 << 11,
    1 << 14,
    1 << 15,
    1 << 16,
)
DISCORD_EPOCH_MS = 1_420_070_400_000
TIMESTAMP = "2026-01-01T00:00:00.000000+00:00"

# Discord's interaction and callback types (only the ones used here).
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT, MODAL = (
    4,
    5,
    6,
    7,
    8,
    9,
)


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str  # without the /api/v10 prefix
    body: Any
    query: dict[str, str]


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    locale: str = "en-US"  # the language of their Discord client, sent with each interaction

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
        }


@dataclass(slots=True)
class _Pending:
    """What the fake remembers about an interaction token (as Discord does for 15 minutes)."""

    channel_id: int
    message_id: int | None  # the message a component was pressed on, or the reply made
    ephemeral: bool = False
    acknowledged: bool = False  # an interaction takes one callback; a second gets 40060


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=json.dumps(data).encode(), content_type="application/json")


@dataclass
class FakeDiscord:
    token: str
    bot: Person = field(default_factory=lambda: Person(900_000_000_000_000_001, "careerbot"))
    application_id: int = 900_000_000_000_000_002
    guild_id: int = 900_000_000_000_000_003
    guild_channel_id: int = 900_000_000_000_000_004
    calls: list[Call] = field(default_factory=list)
    unexpected: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)  # requests Discord would refuse
    files: dict[str, bytes] = field(default_factory=dict)  # attachment id -> its bytes
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # "global" or guild id
    other_guilds: dict[int, int] = field(default_factory=dict)  # more guilds: guild id -> channel id
    recommended_shards: int = 1  # what /gateway/bot answers
    identified_tokens: list[str] = field(default_factory=list)
    identified_shards: list[list[int] | None] = field(default_factory=list)  # [id, count] per IDENTIFY
    delivered: list[tuple[str, list[int] | None]] = field(default_factory=list)  # (event, shard) per send
    gateway_queries: list[dict[str, str]] = field(default_factory=list)  # discord.py appends ?v=...
    managers: set[int] = field(default_factory=set)  # members with Manage Server
    read_only: set[int] = field(default_factory=set)  # channels where the bot may not post
    close_on_identify: int | None = None  # a close code to answer IDENTIFY with (4014: intents)
    webhooks_down: bool = False  # interaction followups and edits answered 503 (an outage)
    channels_down: bool = False  # the bot's channel messages answered 503 (an outage)
    _last_id: int = 0
    _pending: dict[str, _Pending] = field(default_factory=dict)
    _sockets: dict[web.WebSocketResponse, list[int] | None] = field(default_factory=dict)  # -> its shard
    _sequence: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _attachment_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_000_001))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None
    port: int = 0

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def next_id(self) -> int:
        """A fresh snowflake: the time now (so discord.py sees a fresh interaction), increasing."""
        self._last_id = max(self._last_id + 1, (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22)
        return self._last_id

    # --- what tests look at ------------------------------------------------------------

    def calls_to(self, method: str, prefix: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.startswith(prefix)]

    def edits_of(self, message_id: int | str) -> list[Call]:
        """Every PATCH of one message, through the channel endpoint or a webhook."""
        return [c for c in self.calls if c.method == "PATCH" and c.path.endswith(f"/messages/{message_id}")]

    def command_puts(self) -> list[Call]:
        return [c for c in self.calls if c.method == "PUT" and c.path.endswith("/commands")]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- gateway -----------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        self.gateway_queries.append(dict(request.query))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45_000}, "s": None, "t": None}))
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                if data["op"] == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif data["op"] == 2 and self.close_on_identify is not None:
                    await ws.close(code=self.close_on_identify)
                elif data["op"] == 2:
                    shard = data["d"].get("shard")
                    self.identified_tokens.append(data["d"]["token"])
                    self.identified_shards.append(shard)
                    if shard is not None and not 0 <= shard[0] < shard[1]:
                        self.violations.append(f"IDENTIFY with shard {shard}: Invalid shard")
                        await self._notify()
                        await ws.close(code=4010)
                        continue
                    self._sockets[ws] = shard
                    guilds = [g for g in self.guild_channels if self._on_shard(g, shard)]
                    await self._send(ws, "READY", self._ready(guilds, shard))
                    for guild_id in guilds:
                        await self._send(ws, "GUILD_CREATE", self._guild(guild_id))
                    await self._notify()
        finally:
            self._sockets.pop(ws, None)
        return ws

    @property
    def guild_channels(self) -> dict[int, int]:
        """Every guild the bot is in, with its one text channel."""
        return {self.guild_id: self.guild_channel_id, **self.other_guilds}

    @staticmethod
    def _on_shard(guild_id: int | None, shard: list[int] | None) -> bool:
        """Whether Discord sends a guild's events (``None``: a DM's) to a connection on ``shard``."""
        if shard is None:
            return True
        shard_id, count = shard
        return (0 if guild_id is None else (guild_id >> 22) % count) == shard_id

    async def _send(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._sequence), "d": data}))

    def _ready(self, guilds: list[int], shard: list[int] | None) -> dict[str, Any]:
        return {
            "v": 10,
            "user": {**self.bot.payload(), "bot": True},
            "guilds": [{"id": str(guild_id), "unavailable": True} for guild_id in guilds],
            **({"shard": shard} if shard is not None else {}),
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }

    def _guild(self, guild_id: int) -> dict[str, Any]:
        return {
            "id": str(guild_id),
            "name": "Careers club",
            "owner_id": "1",
            "roles": [
                {
                    "id": str(guild_id),
                    "name": "@everyone",
                    "permissions": "0",
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                }
            ],
            "emojis": [],
            "stickers": [],
            "features": [],
            "channels": [
                {
                    "id": str(self.guild_channels[guild_id]),
                    "type": 0,
                    "name": "general",
                    "position": 0,
                    "permission_overwrites": [],
                }
            ],
            "members": [],
            "threads": [],
            "member_count": 3,
            "large": False,
        }

    @property
    def connected(self) -> int:
        return len(self._sockets)

    async def interact(self, payload: dict[str, Any]) -> None:
        """Dispatch one INTERACTION_CREATE to the gateway connections of its shard."""
        await self.dispatch("INTERACTION_CREATE", payload)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send one gateway event to every identified connection of its guild's shard."""
        guild_id = int(data["guild_id"]) if "guild_id" in data else None
        for ws, shard in list(self._sockets.items()):
            if self._on_shard(guild_id, shard):
                self.delivered.append((event, shard))
                await self._send(ws, event, data)

    # --- interaction builders ----------------------------------------------------------

    def _app_permissions(self, channel: int, in_guild: bool) -> int:
        """What the bot may do where the interaction was made, as Discord says in each one:
        in a server, view, read and post (not in a ``read_only`` channel), attach and embed."""
        if not in_guild:
            return 0
        granted = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
        return granted & ~SEND_MESSAGES if channel in self.read_only else granted

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        user: Person,
        channel_id: int | None,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        interaction_id, token = self.next_id(), f"itoken-{self.next_id()}"
        channel = channel_id or self.guild_channel_id
        guild_id = next((g for g, c in self.guild_channels.items() if c == channel), None)
        in_guild = guild_id is not None
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "token": token,
            "version": 1,
            "channel_id": str(channel),
            "app_permissions": str(self._app_permissions(channel, in_guild)),
            "locale": user.locale,
            "entitlements": [],
            "attachment_size_limit": 10_000_000,
            "authorizing_integration_owners": {"0": str(guild_id)} if in_guild else {"1": str(user.id)},
        }
        if in_guild:
            payload |= {
                "guild_id": str(guild_id),
                "guild_locale": "en-US",
                "context": 0,
                "channel": {
                    "id": str(channel),
                    "type": 0,
                    "guild_id": str(guild_id),
                    "name": "general",
                    "position": 0,
                    "permission_overwrites": [],
                },
                "member": {
                    "user": user.payload(),
                    "roles": [],
                    "joined_at": TIMESTAMP,
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "permissions": str(2048 | (MANAGE_GUILD if user.id in self.managers else 0)),
                },
            }
        else:
            payload |= {
                "context": 1,
                "channel": {"id": str(channel), "type": 1, "recipients": [user.payload()]},
                "user": user.payload(),
            }
        if message is not None:
            payload["message"] = message
        self._pending[token] = _Pending(channel, int(message["id"]) if message is not None else None)
        return payload

    def slash(
        self, user: Person, sub: str, channel_id: int | None = None, *, group: str = "career", **options: str
    ) -> dict[str, Any]:
        """``/<group> <sub> [options]`` as Discord sends it; ``channel_id`` None: the guild channel."""
        sub_options = [{"type": 3, "name": k, "value": v} for k, v in options.items()]
        data = {
            "id": str(self.next_id()),
            "name": group,
            "type": 1,
            "options": [{"type": 1, "name": sub, "options": sub_options}],
        }
        return self._interaction(APPLICATION_COMMAND, data, user, channel_id)

    def autocomplete(
        self, user: Person, sub: str, option: str, typed: str, *, group: str = "career"
    ) -> dict[str, Any]:
        """Discord asking for suggestions while ``user`` types ``typed`` into ``option``."""
        focused = {"type": 3, "name": option, "value": typed, "focused": True}
        data = {
            "id": str(self.next_id()),
            "name": group,
            "type": 1,
            "options": [{"type": 1, "name": sub, "options": [focused]}],
        }
        return self._interaction(AUTOCOMPLETE, data, user, None)

    def press(self, user: Person, message: dict[str, Any], custom_id: str) -> dict[str, Any]:
        """A press of the button ``custom_id`` on ``message`` (which must carry it)."""
        assert custom_id in button_ids(message), f"{custom_id!r} is not on that message"
        data = {"custom_id": custom_id, "component_type": 2}
        return self._interaction(MESSAGE_COMPONENT, data, user, int(message["channel_id"]), message)

    def submit(
        self, user: Person, custom_id: str, values: dict[str, str], channel_id: int | None = None
    ) -> dict[str, Any]:
        """A modal submit: ``values`` maps each text input's custom_id to what was typed."""
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()
        ]
        data = {"custom_id": custom_id, "components": rows}
        return self._interaction(MODAL_SUBMIT, data, user, channel_id)

    def dm_channel(self, user: Person) -> int:
        """A stable DM channel id per person."""
        return user.id + 7

    # --- REST --------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        uploads: dict[str, tuple[str, bytes]] = {}
        if request.content_type == "multipart/form-data":
            body, uploads = await _multipart(request)
        else:
            body = await request.json() if request.can_read_body else None
        call = Call(request.method, path, body, dict(request.query))
        self.calls.append(call)
        problems = discord_spec.spec().check_request(
            request.method, path, dict(request.query), body, {k: v for k, (_, v) in uploads.items()}
        )
        if problems:
            self.violations.extend(problems)
            await self._notify()
            errors = {"_errors": [{"code": "SPEC", "message": p} for p in problems]}
            return _json({"message": "Invalid Form Body", "code": 50035, "errors": errors}, status=400)
        if uploads:
            # The routes read the call's body: it carries the files as attachments.
            call = Call(request.method, path, self._attach(body, uploads), dict(request.query))
            self.calls[-1] = call
        if (self.webhooks_down and path.startswith("/webhooks/")) or (
            self.channels_down and path.startswith("/channels/")
        ):
            await self._notify()
            return _json({"message": "503: Service Unavailable", "code": 0}, status=503)
        # Interaction callbacks and webhooks authenticate by their token in the path; every
        # other route needs the bot token, as on Discord.
        if (
            not path.startswith(("/interactions/", "/webhooks/"))
            and request.headers.get("Authorization") != f"Bot {self.token}"
        ):
            await self._notify()
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        try:
            response = self._route(call)
        finally:
            await self._notify()
        if response is None:
            self.unexpected.append(call)
            return _json({"message": "Unknown route", "code": 0}, status=404)
        return response

    def _route(self, call: Call) -> web.Response | None:
        parts = call.path.strip("/").split("/")
        method = call.method
        if (method, call.path) == ("GET", "/users/@me"):
            return _json({**self.bot.payload(), "bot": True})
        if (method, call.path) == ("GET", "/oauth2/applications/@me"):
            return _json(
                {
                    "id": str(self.application_id),
                    "name": "careerbot",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "verify_key": "00",
                    "owner": {"id": "1", "username": "owner", "discriminator": "0", "avatar": None},
                    "flags": 0,
                }
            )
        if method == "GET" and call.path in ("/gateway", "/gateway/bot"):
            return _json(
                {
                    "url": self.gateway_url,
                    "shards": self.recommended_shards,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 1000,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if parts[0] == "applications" and parts[-1] == "commands":
            return self._commands(method, parts, call.body)
        if parts[0] == "interactions" and parts[-1] == "callback" and method == "POST":
            return self._callback(parts[2], call.body)
        if parts[0] == "webhooks" and len(parts) >= 3:
            return self._webhook(method, parts[2], parts[3:], call.body)
        if len(parts) >= 3 and parts[0] == "channels" and parts[2] == "messages":
            return self._channel_messages(method, int(parts[1]), parts[3:], call.body)
        if (method, call.path) == ("POST", "/users/@me/channels"):
            user_id = int(call.body["recipient_id"])
            return _json(
                {
                    "id": str(user_id + 7),
                    "type": 1,
                    "last_message_id": None,
                    "recipients": [
                        {"id": str(user_id), "username": "someone", "discriminator": "0", "avatar": None}
                    ],
                }
            )
        return None

    def _attach(self, body: dict[str, Any], uploads: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        """The body with each uploaded file as an attachment of the message (bytes kept)."""
        attached = []
        for entry in body.get("attachments") or []:
            upload = uploads.get(f"files[{entry['id']}]")
            if upload is None:
                continue
            # Its own counter: message ids stay consecutive, which tests rely on.
            attachment_id = str(next(self._attachment_ids))
            filename = entry.get("filename") or upload[0]
            self.files[attachment_id] = upload[1]
            attached.append(
                {
                    "id": attachment_id,
                    "filename": filename,
                    "size": len(upload[1]),
                    "url": f"{self.api_base_url}/attachments/{attachment_id}/{filename}",
                    "proxy_url": f"{self.api_base_url}/attachments/{attachment_id}/{filename}",
                }
            )
        return {**body, "attachments": attached}

    def attachment(self, message: dict[str, Any], index: int = 0) -> bytes:
        """The bytes of ``message``'s attachment number ``index``."""
        return self.files[message["attachments"][index]["id"]]

    def _channel_messages(
        self, method: str, channel_id: int, rest: list[str], body: Any
    ) -> web.Response | None:
        if channel_id in self.read_only and method in ("POST", "PATCH"):
            return _json({"message": "Missing Permissions", "code": 50013}, status=403)
        if method == "POST" and not rest:
            return _json(self._create_message(channel_id, body, ephemeral=False))
        if method == "PATCH" and len(rest) == 1 and rest[0].isdigit():
            message = self.messages.get(int(rest[0]))
            if message is None or message["channel_id"] != str(channel_id) or message["flags"] & EPHEMERAL:
                return _json({"message": "Unknown Message", "code": 10008}, status=404)
            return _json(self._edit_message(int(rest[0]), body))
        return None

    def _commands(self, method: str, parts: list[str], body: Any) -> web.Response | None:
        scope = parts[3] if len(parts) == 5 and parts[2] == "guilds" else "global"
        if method == "PUT":
            self.commands[scope] = [
                {
                    **c,
                    "id": str(self.next_id()),
                    "application_id": str(self.application_id),
                    "version": "1",
                    **({"guild_id": scope} if scope != "global" else {}),
                }
                for c in body
            ]
            return _json(self.commands[scope])
        if method == "GET":
            return _json(self.commands.get(scope, []))
        return None

    def _callback(self, token: str, body: dict[str, Any]) -> web.Response | None:
        pending = self._pending.get(token)
        if pending is None:
            return _json({"message": "Unknown interaction", "code": 10062}, status=404)
        if pending.acknowledged:
            return _json({"message": "Interaction has already been acknowledged.", "code": 40060}, status=400)
        pending.acknowledged = True
        kind, data = body["type"], body.get("data") or {}
        interaction: dict[str, Any] = {"id": str(self.next_id()), "type": kind}
        result: dict[str, Any] = {"interaction": interaction}
        if kind in (CHANNEL_MESSAGE, DEFERRED_MESSAGE):
            ephemeral = bool(int(data.get("flags", 0)) & EPHEMERAL)
            content = data if kind == CHANNEL_MESSAGE else {"content": "", "flags": data.get("flags", 0)}
            message = self._create_message(
                pending.channel_id, content, ephemeral=ephemeral, loading=kind == DEFERRED_MESSAGE
            )
            pending.message_id, pending.ephemeral = int(message["id"]), ephemeral
            interaction |= {
                "response_message_id": message["id"],
                "response_message_ephemeral": ephemeral,
                "response_message_loading": kind == DEFERRED_MESSAGE,
            }
            result["resource"] = {"type": kind, "message": message}
        elif kind == UPDATE_MESSAGE and pending.message_id is not None:
            message = self._edit_message(pending.message_id, data)
            result["resource"] = {"type": kind, "message": message}
        elif kind not in (DEFERRED_UPDATE, MODAL, AUTOCOMPLETE_RESULT):
            return None
        return _json(result)

    def _webhook(self, method: str, token: str, rest: list[str], body: Any) -> web.Response | None:
        pending = self._pending.get(token)
        if pending is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, status=404)
        if method == "POST" and not rest:
            ephemeral = bool(int(body.get("flags", 0)) & EPHEMERAL)
            return _json(self._create_message(pending.channel_id, body, ephemeral=ephemeral))
        if rest and rest[0] == "messages" and len(rest) == 2:
            target = pending.message_id if rest[1] == "@original" else int(rest[1])
            if target is None or target not in self.messages:
                return _json({"message": "Unknown Message", "code": 10008}, status=404)
            if method == "PATCH":
                return _json(self._edit_message(target, body))
            if method == "GET":
                return _json(self.messages[target])
        return None

    def _create_message(
        self, channel_id: int, body: dict[str, Any], *, ephemeral: bool, loading: bool = False
    ) -> dict[str, Any]:
        message_id = self.next_id()
        flags = int(body.get("flags", 0)) | (EPHEMERAL if ephemeral else 0) | (128 if loading else 0)
        message = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "type": 0,
            "content": body.get("content") or "",
            "author": {**self.bot.payload(), "bot": True},
            "attachments": body.get("attachments") or [],
            "embeds": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "flags": flags,
            "components": body.get("components") or [],
        }
        self.messages[message_id] = message
        return message

    def _edit_message(self, message_id: int, body: dict[str, Any]) -> dict[str, Any]:
        message = self.messages[message_id]
        if "content" in body:
            message["content"] = body["content"] or ""
        if "components" in body:
            message["components"] = body["components"] or []
        if "attachments" in body:
            message["attachments"] = body["attachments"] or []
        message["flags"] = int(message["flags"]) & ~128
        message["edited_timestamp"] = TIMESTAMP
        return message


async def _multipart(request: web.Request) -> tuple[Any, dict[str, tuple[str, bytes]]]:
    """A multipart body's ``payload_json`` and its file parts (name -> filename, bytes)."""
    payload: Any = None
    uploads: dict[str, tuple[str, bytes]] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        assert isinstance(part, BodyPartReader)
        data = await part.read()
        if part.name == "payload_json":
            payload = json.loads(data)
        else:
            uploads[part.name or ""] = (part.filename or "", bytes(data))
    return payload, uploads


def button_ids(message: dict[str, Any]) -> list[str]:
    return [
        c["custom_id"]
        for row in message.get("components", [])
        for c in row.get("components", [])
        if "custom_id" in c
    ]


def button_labels(message: dict[str, Any]) -> dict[str, str]:
    """Label -> custom_id of every button on a message."""
    return {
        c["label"]: c["custom_id"]
        for row in message.get("components", [])
        for c in row.get("components", [])
        if "custom_id" in c
    }
