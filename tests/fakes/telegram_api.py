"""A fake Telegram Bot API on 127.0.0.1, for driving a real python-telegram-bot Application.

Rules:
- It speaks the Bot API's HTTP shape: ``POST {base_url}{token}/{method}`` with form fields
  (non-string values arrive as JSON strings, see ``JSON_FIELDS``), answered
  ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description"}`` with the
  matching HTTP status. A wrong token gets 401, an unknown method 404.
- ``getUpdates`` honours ``offset`` (updates below it are confirmed and dropped) and
  long-polls for at most ``max_poll`` seconds, whatever timeout the bot asks for, so a
  test never waits long for an idle poll to end.
- Every request is checked against Telegram's own Bot API spec (``telegram_spec``): the
  method exists, required fields are there, no unknown ones, types, the documented limits
  and Telegram's HTML rules. A request Telegram would refuse is answered 400 as Telegram
  does AND kept in ``violations``, which the fixtures assert is empty when a test ends.
- Like Telegram, it also refuses an edit that changes nothing ("message is not modified")
  and a text edit of a photo, so a test sees what a person would.
- ``sendPhoto`` takes an uploaded file (multipart) or a file_id; ``photo(message)`` gives
  the bytes a message shows. ``sendDocument`` takes an upload; ``document(message)`` gives
  its name and bytes.
- Every call is recorded (``calls``) and every message the bot sent is kept with its edits
  (``messages``). ``fail_next`` makes the next call of a method fail (a 429, a 400).
- Like Telegram, a bot cannot start a private chat: sending to a person who never wrote to
  it privately (``say`` in their private chat) is refused 403 ("bot can't initiate
  conversation with a user").
- Outages: ``fail_all`` answers every call but getUpdates with one error (a 502) until
  ``heal``; ``go_down`` refuses connections (and drops open ones) until ``come_up``;
  ``block`` answers 403 to everything sent to one chat, as Telegram does for a person who
  blocked the bot; ``stall`` holds every call of a method unanswered until ``release``
  (``stalled`` counts them), as a connection that hangs.
- ``getChatMember`` answers "member" unless ``set_status`` made someone an administrator
  or the creator of a chat.
- People act through ``say`` (a message, commands get their ``bot_command`` entity),
  ``reply`` and ``press`` (a callback query on a message the bot sent); each queues an
  update and returns its ``update_id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes import telegram_spec
from tests.fakes.telegram_spec import HTMLRefused, Upload

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijklmn"
BOT_ID = 123456789
BOT_USERNAME = "careerbot_test_bot"
DATE = 1_767_225_600  # 2026-01-01; the bot never reads the clock from messages
MESSAGE_LIMIT = 4096
# Fields the Bot API takes as JSON-serialised strings in a form-encoded request.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "commands",
        "reply_parameters",
        "allowed_updates",
        "link_preview_options",
        "entities",
        "caption_entities",
        "scope",
    }
)


@dataclass(frozen=True, slots=True)
class User:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None  # the language of the person's Telegram app

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass(frozen=True, slots=True)
class Chat:
    id: int
    type: str = "private"  # private, group, supergroup
    title: str | None = None
    is_forum: bool = False

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title:
            data["title"] = self.title
        if self.is_forum:
            data["is_forum"] = True
        return data


def private(user: User) -> Chat:
    return Chat(user.id, "private")


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    params: dict[str, Any]


@dataclass(slots=True)
class Failure:
    status: int
    description: str
    retry_after: int | None = None


class TelegramError(Exception):
    """A Bot API error answer: status, description, optional retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.failure = Failure(status, description, retry_after)


def visible(text: str) -> str:
    """What a person reads once Telegram has rendered ``text`` (HTML parse mode)."""
    try:
        return telegram_spec.render_html(text)
    except HTMLRefused as exc:
        raise TelegramError(400, f"Bad Request: can't parse entities: {exc}") from None


@dataclass(slots=True)
class FakeTelegram:
    """The fake server. ``async with FakeTelegram() as tg`` starts it; ``tg.base_url`` is
    what to give PTB as ``base_url`` (the token is appended by PTB)."""

    token: str = TOKEN
    max_poll: float = 0.2
    users: dict[int, User] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    confirmed: int = 0  # the highest offset a getUpdates call has sent
    violations: list[str] = field(default_factory=list)  # requests Telegram would refuse
    files: dict[str, Upload] = field(default_factory=dict)  # file_id -> what was uploaded
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    statuses: dict[tuple[int, int], str] = field(default_factory=dict)  # (chat, user) -> status
    opened: set[int] = field(default_factory=set)  # users who have written to the bot privately
    # method -> a function called with each call's parameters as it arrives, to observe what
    # the bot had done by the time it made that call
    watchers: dict[str, Callable[[dict[str, Any]], None]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _news: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    _site: web.TCPSite | None = None
    port: int = 0
    failing: Failure | None = None  # every call but getUpdates fails so (``fail_all``)
    down: bool = False  # connections are refused and dropped (``go_down``)
    blocked: set[int] = field(default_factory=set)  # chats that blocked the bot
    stalls: dict[str, asyncio.Event] = field(default_factory=dict)  # method -> released
    held: list[web.Request] = field(default_factory=list)  # calls held by a stall right now

    async def __aenter__(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await self._site.start()
        server = self._site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def go_down(self) -> None:
        """Refuse new connections and drop every request on an open one, until ``come_up``."""
        self.down = True
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def come_up(self) -> None:
        """Listen again, on the same port."""
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await self._site.start()
        self.down = False

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def bot(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Careerbot",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,  # privacy mode on
            "supports_inline_queries": False,
        }

    # --- what tests inspect ---------------------------------------------------------------

    def called(self, method: str) -> list[dict[str, Any]]:
        return [call.params for call in self.calls if call.method == method]

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat, oldest first, as they read now (after edits)."""
        return [m for (chat, _), m in sorted(self.messages.items()) if chat == chat_id]

    def texts(self, chat_id: int) -> list[str]:
        """What each bot message in a chat reads now (a photo's caption)."""
        return [visible(m.get("text", m.get("caption", ""))) for m in self.chat_messages(chat_id)]

    def photo(self, message: dict[str, Any]) -> bytes:
        """The bytes of the photo ``message`` shows (as uploaded by sendPhoto)."""
        return self.files[message["photo"][-1]["file_id"]].data

    def document(self, message: dict[str, Any]) -> tuple[str, bytes]:
        """The file name and bytes of the document ``message`` shows (sendDocument)."""
        upload = self.files[message["document"]["file_id"]]
        return upload.filename, upload.data

    def last(self, chat_id: int) -> dict[str, Any]:
        return self.chat_messages(chat_id)[-1]

    def set_status(self, chat: Chat, user: User, status: str) -> None:
        """What getChatMember says ``user`` is in ``chat`` (default "member"), e.g.
        "administrator" or "creator"."""
        self.users[user.id] = user
        self.statuses[(chat.id, user.id)] = status

    def fail_next(self, method: str, status: int, description: str, retry_after: int | None = None) -> None:
        self.failures.setdefault(method, []).append(Failure(status, description, retry_after))

    def fail_all(self, status: int = 502, description: str = "Bad Gateway") -> None:
        """Answer every call but getUpdates with this error until ``heal``."""
        self.failing = Failure(status, description)

    def heal(self) -> None:
        self.failing = None

    def block(self, chat: Chat) -> None:
        """The person in ``chat`` blocked the bot: whatever is sent there gets a 403."""
        self.blocked.add(chat.id)

    def stall(self, method: str) -> None:
        """Hold every ``method`` call unanswered until ``release``."""
        self.stalls[method] = asyncio.Event()

    def release(self, method: str) -> None:
        self.stalls.pop(method).set()

    @property
    def stalled(self) -> int:
        """How many calls a stall holds right now."""
        return len(self.held)

    def abandoned(self) -> bool:
        """Whether every held call's client has gone away (e.g. the bot was killed)."""
        return all(r.transport is None or r.transport.is_closing() for r in self.held)

    # --- what people do -------------------------------------------------------------------

    def say(
        self,
        chat: Chat,
        user: User,
        text: str,
        reply_to: dict[str, Any] | None = None,
        thread: int | None = None,
    ) -> int:
        """``user`` sends ``text`` in ``chat``; returns the queued update's id."""
        return self.queue(self.message_update(chat, user, text, reply_to, thread))

    def press(self, user: User, message: dict[str, Any], label_or_data: str) -> int:
        """``user`` presses a button on ``message``; returns the queued update's id."""
        return self.queue(self.press_update(user, message, label_or_data))

    def message_update(
        self,
        chat: Chat,
        user: User,
        text: str,
        reply_to: dict[str, Any] | None = None,
        thread: int | None = None,
    ) -> dict[str, Any]:
        """The update for a message; a leading /command gets its ``bot_command`` entity."""
        self.users[user.id] = user
        if chat.type == "private":
            self.opened.add(user.id)
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": DATE,
            "chat": chat.json(),
            "from": user.json(),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if thread is not None:
            message["message_thread_id"] = thread
            message["is_topic_message"] = True
        return {"update_id": next(self._update_ids), "message": message}

    def press_update(self, user: User, message: dict[str, Any], label_or_data: str) -> dict[str, Any]:
        """The update for pressing the button with this label (or this callback data)."""
        self.users[user.id] = user
        data = label_or_data
        for row in message.get("reply_markup", {}).get("inline_keyboard", []):
            for button in row:
                if button["text"] == label_or_data:
                    data = button["callback_data"]
        query = {
            "id": str(next(self._ids)),
            "from": user.json(),
            "chat_instance": f"ci{message['chat']['id']}",
            "data": data,
            "message": copy.deepcopy(message),
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def queue(self, update: dict[str, Any]) -> int:
        """Hand ``update`` to the next getUpdates call."""
        self.updates.append(update)
        self._news.set()
        return int(update["update_id"])

    def buttons(self, message: dict[str, Any]) -> list[str]:
        return [b["text"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]

    # --- the Bot API ----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form: dict[str, str] = {}
        uploads: dict[str, Upload] = {}
        for name, value in (await request.post()).items():
            if isinstance(value, str):
                form[name] = value
            else:
                uploads[name] = Upload(value.filename, value.content_type, value.file.read())
        if request.match_info["token"] != self.token:
            self.calls.append(Call(method, dict(form)))
            return _error(Failure(401, "Unauthorized"))
        problems = telegram_spec.spec().check_call(method, form, uploads)
        params: dict[str, Any] = {**uploads}
        for name, value in form.items():
            params[name] = _decoded(value) if name in JSON_FIELDS else value
        self.calls.append(Call(method, params))
        if problems:
            self.violations.extend(problems)
            return _error(Failure(400, "Bad Request: " + "; ".join(problems)))
        if method in self.watchers:
            self.watchers[method](params)
        if method in self.stalls:
            self.held.append(request)
            try:
                await self.stalls[method].wait()
            finally:
                self.held.remove(request)
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=503)  # the bot went away meanwhile: nothing happened
        if self.down:  # an open connection from before the outage: drop it unanswered
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=503)
        if self.failing is not None and method != "getUpdates":
            return _error(self.failing)
        if method != "getUpdates" and _chat_id(params) in self.blocked:
            return _error(Failure(403, "Forbidden: bot was blocked by the user"))
        queued = self.failures.get(method)
        if queued:
            return _error(queued.pop(0))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(Failure(404, "Not Found: method not found"))
        try:
            result = await handler(params)
        except TelegramError as exc:
            return _error(exc.failure)
        return web.json_response({"ok": True, "result": result})

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return self.bot

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset", 0))
        if offset:
            self.confirmed = max(self.confirmed, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        wait = min(float(params.get("timeout", 0)), self.max_poll)
        if not self.updates and wait > 0:
            self._news.clear()  # no await since the check above, so no update slips past
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._news.wait(), wait)
        limit = int(params.get("limit", 100))
        return self.updates[:limit]

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        chat_id = int(chat_id)
        for message in self.messages.values():
            if message["chat"]["id"] == chat_id:
                return dict(message["chat"])
        for update in self.updates:
            found = update.get("message", {}).get("chat")
            if found and found["id"] == chat_id:
                return dict(found)
        return Chat(chat_id, "private" if chat_id > 0 else "supergroup").json()

    @staticmethod
    def _check_text(params: dict[str, Any]) -> None:
        text = params["text"]
        if not text.strip():
            raise TelegramError(400, "Bad Request: message text is empty")

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        self._check_text(params)
        return self._keep(params, {"text": params["text"]})

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Any:
        photo = params["photo"]
        if isinstance(photo, Upload):
            file_id = f"photo-{next(self._ids)}"
            self.files[file_id] = photo
        elif photo in self.files:
            file_id = photo
        else:
            raise TelegramError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        size = {"file_id": file_id, "file_unique_id": file_id, "width": 640, "height": 480}
        shown: dict[str, Any] = {"photo": [size | {"file_size": len(self.files[file_id].data)}]}
        if params.get("caption"):
            shown["caption"] = params["caption"]
        return self._keep(params, shown)

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:
        document = params["document"]
        if not isinstance(document, Upload):
            raise TelegramError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        file_id = f"document-{next(self._ids)}"
        self.files[file_id] = document
        shown = {"document": {"file_id": file_id, "file_unique_id": file_id, "file_name": document.filename}}
        return self._keep(params, shown)

    def _keep(self, params: dict[str, Any], shown: dict[str, Any]) -> dict[str, Any]:
        """A new bot message in the chat ``params`` names, showing ``shown``."""
        chat = self._chat(params["chat_id"])
        if chat["type"] == "private" and chat["id"] not in self.opened:
            raise TelegramError(403, "Forbidden: bot can't initiate conversation with a user")
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": DATE,
            "chat": chat,
            "from": self.bot,
            **shown,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        if "message_thread_id" in params:
            message["message_thread_id"] = int(params["message_thread_id"])
            message["is_topic_message"] = True
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self.messages:
            raise TelegramError(400, "Bad Request: message to edit not found")
        return self.messages[key]

    def _edit(self, message: dict[str, Any], text: str | None, markup: dict[str, Any] | None) -> Any:
        if text is not None and "text" not in message:
            raise TelegramError(400, "Bad Request: there is no text in the message to edit")
        if text == message.get("text") and markup == message.get("reply_markup"):
            raise TelegramError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        if text is not None:
            message["text"] = text
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._message(params)
        self._check_text(params)
        return self._edit(message, params["text"], params.get("reply_markup"))

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._message(params)
        return self._edit(message, None, params.get("reply_markup"))

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_getChatMember(self, params: dict[str, Any]) -> Any:
        user = self.users.get(int(params["user_id"]))
        if user is None:
            raise TelegramError(400, "Bad Request: user not found")
        status = self.statuses.get((int(params["chat_id"]), user.id), "member")
        member: dict[str, Any] = {"status": status, "user": user.json()}
        if status in ("administrator", "creator"):
            member["is_anonymous"] = False
        if status == "administrator":
            member.update(dict.fromkeys(_ADMIN_RIGHTS, True) | {"can_be_edited": False})
        return member


# The rights every ChatMemberAdministrator object carries (Bot API 9).
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


def _chat_id(params: dict[str, Any]) -> int | None:
    try:
        return int(params["chat_id"])
    except (KeyError, ValueError):
        return None


def _decoded(value: str) -> Any:
    """A JSON field's value; what is not JSON stays as sent (the spec check said why)."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _error(failure: Failure) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": failure.status, "description": failure.description}
    if failure.retry_after is not None:
        body["parameters"] = {"retry_after": failure.retry_after}
    return web.json_response(body, status=failure.status)


def escaped(text: str) -> str:
    """``text`` as it must appear in an HTML message: with <, > and & escaped."""
    return html.escape(text, quote=False)
