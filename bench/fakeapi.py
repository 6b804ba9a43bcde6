"""An in-process Bot API: a ``telegram.request.BaseRequest`` that answers without sockets.

Rules:
- The request is serialised as PTB's ``HTTPXRequest`` sends it (the form-encoded
  ``json_parameters``), parsed back as a server would, and answered with canned JSON
  ``{"ok": true, "result": ...}`` and status 200.
- Each call is counted by method. Per chat it remembers the last inline keyboard sent or
  edited in, so a simulated person can press one of the buttons they were shown, and it
  wakes whoever waits for a chat's next message; a press carries that message (its text
  and keyboard) back, as Telegram's ``callback_query.message`` does.
- ``on_call`` (optional) is told of every call, so a crash-test process can print an
  acknowledgement line the moment a reply goes out.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from telegram.request import BaseRequest, RequestData

BOT_ID = 4242
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "careerbot", "username": "careerbot_bench_bot"}
TOKEN = "123456:" + "A" * 35


@dataclass(slots=True)
class ChatLog:
    """What one chat has been sent: a sequence number and the last keyboard."""

    sent: int = 0
    edits: int = 0  # of ``sent``, how many were edits of a message sent before
    keyboards: int = 0  # how many messages with buttons were sent or edited in
    keyboard_message: int = 0
    keyboard_text: str = ""
    keyboard_markup: dict[str, object] = field(default_factory=dict)
    buttons: tuple[str, ...] = ()
    changed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    chat_id: int | None
    params: dict[str, str]


def _buttons(reply_markup: str | None) -> tuple[str, ...]:
    if not reply_markup:
        return ()
    markup = json.loads(reply_markup)
    rows = markup.get("inline_keyboard", [])
    return tuple(b["callback_data"] for row in rows for b in row if "callback_data" in b)


def _message(chat_id: int, message_id: int, content: dict[str, object]) -> dict[str, object]:
    """A sent message as the Bot API returns it."""
    chat = {"id": chat_id, "type": "private", "first_name": f"p{chat_id}"}
    return {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": BOT_USER} | content


class FakeBotApi(BaseRequest):
    """Answers Bot API calls in-process; see the module rules."""

    def __init__(self, on_call: Callable[[Call], None] | None = None) -> None:
        self.calls: Counter[str] = Counter()
        self.bytes_in = 0  # request bodies, as they would go over the wire
        self.edited: list[tuple[int, int]] = []  # (chat, message) of every edit, in order
        self.chats: dict[int, ChatLog] = {}
        self.on_call = on_call
        self._next_message_id = 1

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def chat(self, chat_id: int) -> ChatLog:
        log = self.chats.get(chat_id)
        if log is None:
            log = self.chats[chat_id] = ChatLog()
        return log

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        body = request_data.url_encoded_parameters().encode() if request_data else b""
        self.bytes_in += len(body)
        params = dict(parse_qsl(body.decode()))
        name = url.rsplit("/", 1)[-1]
        self.calls[name] += 1
        result = self._answer(name, params)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _answer(self, name: str, params: dict[str, str]) -> object:
        chat_id = int(params["chat_id"]) if "chat_id" in params else None
        if self.on_call is not None:
            self.on_call(Call(name, chat_id, params))
        if name == "getMe":
            return BOT_USER
        if name in {"sendMessage", "editMessageText", "editMessageReplyMarkup"} and chat_id is not None:
            if name == "sendMessage":
                message_id = self._next_message_id
                self._next_message_id += 1
            else:
                message_id = int(params.get("message_id", "0"))
                self.edited.append((chat_id, message_id))
            log = self.chat(chat_id)
            log.sent += 1
            log.edits += name != "sendMessage"
            buttons = _buttons(params.get("reply_markup"))
            if buttons:
                log.keyboards += 1
                log.keyboard_message, log.buttons = message_id, buttons
                log.keyboard_text = params.get("text", "")
                log.keyboard_markup = json.loads(params["reply_markup"])
            elif message_id == log.keyboard_message:
                log.buttons = ()  # the keyboard was edited away
            log.changed.set()
            return _message(chat_id, message_id, {"text": params.get("text", "")})
        if name == "sendPhoto" and chat_id is not None:  # PTB reads the photo's Message back
            self._next_message_id += 1
            return _message(chat_id, self._next_message_id - 1, {"photo": []})
        if name == "getUpdates":
            return []
        return True
