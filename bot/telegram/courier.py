"""Telegram's part of reply delivery: owed messages as Bot API calls, and what errors mean.

Rules:
- An owed message (``storage.outbox``) is one Bot API call, stored as JSON
  ``{"method": ..., "params": {...}}`` built here before the turn commits: ``sendMessage``,
  ``editMessageText`` (with the ``sendMessage`` to make instead when Telegram refuses the
  edit, e.g. the message is too old to edit), ``editMessageReplyMarkup`` (taking the buttons
  off a message; refused is fine) and ``sendPhoto`` (the profile chart's input,
  ``bot.pictures.owed_chart``, drawn when it is delivered; a row owed by an earlier
  version holds the PNG itself in base64, and is sent as it is).
- A row may ask to be noted (``bot.outbox.noted``: the sent message's id is kept under a receipt
  name, see ``storage.outbox``), and an edit may name its message by such a name instead
  of an id (``edit_noted``: a workshop's question post, whose id is known only once it
  is sent). The name is read back just before the edit is delivered; when nothing was
  noted under it (the post was given up), there is nothing to edit and the row is done.
- ``mark_answered`` and ``clear_keyboard`` are courtesies (``"courtesy": true``, see
  ``storage.outbox``): they only tidy an older message, so the sender sends them after
  the chat's needed messages and skips them at Telegram's ceiling; a refused courtesy
  edit is not replaced by a send, which would arrive out of place.
- Delivering a row twice is harmless for edits (Telegram answers "message is not modified",
  which counts as delivered); a send delivered twice shows twice, which is why the outbox
  removes a row as soon as Telegram accepted it.
- ``classify``: a 429 is waited out; a network error, a timeout, a 5xx or a 409 is retried;
  403 (the person blocked the bot, the bot left the group), 400 (a chat that is gone, a
  request Telegram will never take), a migrated chat and a refused token are dropped.
  Text sent as HTML (``parse_mode``); link previews are off.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot import pictures
from bot.outbox import Delivered, Drop, Outcome, Receipts, Retry, WaitOut, owed_calls
from bot.telegram.delivery import Place, harmless, retry_after_of
from bot.telegram.view import Outgoing
from storage.outbox import Owed, OwedRow

PLATFORM = "telegram"
# Telegram's limit on messages from one bot: about 30 a second across all chats.
RATE = 30.0
_NO_PREVIEW = {"is_disabled": True}
Call = dict[str, Any]


def _message_params(message: Outgoing) -> dict[str, Any]:
    params: dict[str, Any] = {
        "text": message.text,
        "parse_mode": ParseMode.HTML.value,
        "link_preview_options": _NO_PREVIEW,
    }
    if message.markup is not None:
        params["reply_markup"] = message.markup
    return params


def _place_params(place: Place) -> dict[str, Any]:
    params: dict[str, Any] = {"chat_id": place.chat_id}
    if place.thread_id is not None:
        params["message_thread_id"] = place.thread_id
    return params


def send_message(place: Place, message: Outgoing) -> Call:
    return {"method": "sendMessage", "params": _place_params(place) | _message_params(message)}


def edit_message(chat_id: int, message_id: int, message: Outgoing, otherwise: Place) -> Call:
    """Edit a message; if Telegram refuses the edit, send ``message`` to ``otherwise``."""
    params = {"chat_id": chat_id, "message_id": message_id} | _message_params(message)
    return {"method": "editMessageText", "params": params, "otherwise": send_message(otherwise, message)}


def edit_noted(chat_id: int, receipt: str, message: Outgoing) -> Call:
    """Edit the message that was noted as ``receipt`` (``noted``), once it has been sent."""
    params = {"chat_id": chat_id} | _message_params(message)
    return {"method": "editMessageText", "params": params, "message_of": receipt}


def chat_of(place: Place) -> str:
    """The outbox's ordering key for a place: the chat, or "<chat>/<topic>" in a forum
    topic, so a topic's messages keep their order and other topics do not wait."""
    return str(place.chat_id) if place.thread_id is None else f"{place.chat_id}/{place.thread_id}"


def mark_answered(chat_id: int, message_id: int, message: Outgoing) -> Call:
    """A courtesy: the answered question edited to show the choice (``message``), no buttons."""
    params = {"chat_id": chat_id, "message_id": message_id} | _message_params(message)
    return {"method": "editMessageText", "params": params, "courtesy": True}


def clear_keyboard(chat_id: int, message_id: int) -> Call:
    """A courtesy: the buttons taken off a pressed message."""
    params = {"chat_id": chat_id, "message_id": message_id}
    return {"method": "editMessageReplyMarkup", "params": params, "courtesy": True}


def send_photo(place: Place, chart: dict[str, Any]) -> Call:
    """The profile chart ``bot.pictures.owed_chart`` gave, drawn when it is delivered."""
    return {"method": "sendPhoto", "params": _place_params(place), "chart": chart}


def owed(chat: str, calls: Iterable[Call]) -> tuple[Owed, ...]:
    """The calls as rows owed to ``chat`` (the outbox's ordering key), in order."""
    return owed_calls(chat, calls)


class TelegramCourier:
    """Delivers owed Bot API calls through ``bot`` (and so through its rate limiter)."""

    platform = PLATFORM
    rate = RATE

    def __init__(self, bot: Bot, receipts: Receipts | None = None) -> None:
        self._bot = bot
        self._receipts = receipts

    async def deliver(self, row: OwedRow) -> Outcome:
        call: Call = json.loads(row.payload)
        receipt = call.get("message_of")
        if receipt is not None:
            noted = await self._receipts.receipt(PLATFORM, receipt) if self._receipts else None
            if noted is None or not noted.isdigit():
                return Delivered()  # the message was never sent: there is nothing to edit
            call["params"]["message_id"] = int(noted)
        sent = await self.call(call)
        return Delivered(None if sent is None else str(sent))

    async def call(self, call: Call) -> int | None:
        """Make the call; returns the id of the message it sent, if it sent one."""
        method, params = call["method"], call["params"]
        if method == "sendPhoto":
            photo = (
                await pictures.png_of(call["chart"]) if "chart" in call else base64.b64decode(call["photo"])
            )
            return (await self._bot.send_photo(photo=photo, **params)).message_id
        try:
            # The raw call: PTB would otherwise parse Telegram's answer into a full
            # ``Message`` that nobody reads, the costliest step of a turn here.
            answer = await self._bot.do_api_request(method, params)
        except BadRequest as exc:
            if harmless(exc) or method == "editMessageReplyMarkup":
                return None  # already so, or the buttons are gone with the message
            if "otherwise" not in call:
                raise
            return await self.call(call["otherwise"])
        return int(answer["message_id"]) if isinstance(answer, dict) and "message_id" in answer else None

    def classify(self, error: Exception) -> Outcome:
        if isinstance(error, RetryAfter):
            return WaitOut(retry_after_of(error))
        if isinstance(error, Forbidden | ChatMigrated | InvalidToken):
            return Drop(f"Telegram refused it: {error.message}")
        if isinstance(error, BadRequest):  # before NetworkError, which it subclasses
            return Drop(f"Telegram refused it: {error.message}")
        if isinstance(error, NetworkError):  # also timeouts and 5xx
            return Retry(error.message)
        if isinstance(error, TelegramError):  # 409, an unparsable answer: may pass
            return Retry(f"{type(error).__name__}: {error.message}")
        return Drop(f"{type(error).__name__}: {error}")
