"""Sending, editing and answering button presses, with Telegram's harmless errors swallowed.

Rules:
- Flood limits are the Application's rate limiter's job (see ``adapter``): it spaces the
  messages and, on a 429, waits ``retry_after`` and sends again. Should a ``RetryAfter``
  still come through, it is waited out here and the message sent again: a reply to a turn
  that is already committed is never dropped.
- "message is not modified" and "query is too old" are races, not faults: logged at DEBUG
  and otherwise ignored. Any other failed edit is logged and reported as ``False`` so the
  caller can send a new message instead.
- All text is sent as HTML (``parse_mode``), built by ``view``; link previews are off.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from dataclasses import dataclass

from telegram import Bot, CallbackQuery, LinkPreviewOptions, MaybeInaccessibleMessage, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.telegram.view import Outgoing

log = logging.getLogger(__name__)
# ``send`` and ``edit_by_id`` call ``do_api_request`` on purpose (see there); PTB suggests the
# typed methods, which would parse every answer into a ``Message`` that we never read.
warnings.filterwarnings(
    "ignore",
    r"Please use 'Bot\.(sendMessage|editMessageText|editMessageReplyMarkup)' instead of",
    PTBUserWarning,
)
# PTB's own rate limiter reads ``RetryAfter.retry_after``, which warns while its type moves
# from seconds to a timedelta; nothing here can act on that warning.
warnings.filterwarnings("ignore", "Deprecated since version v22.2", PTBDeprecationWarning)

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_HARMLESS = ("message is not modified", "query is too old", "query id is invalid")
# How often a message is offered again after 429s that got past the rate limiter's own retries.
_SEND_ATTEMPTS = 5
# Telegram shows at most 200 characters of a callback answer's text.
ANSWER_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Place:
    """Where a member's messages go: the chat, and the forum topic when there is one."""

    chat_id: int
    thread_id: int | None = None

    @classmethod
    def of(cls, message: MaybeInaccessibleMessage) -> Place:
        if isinstance(message, Message) and message.is_topic_message:
            return cls(message.chat.id, message.message_thread_id)
        return cls(message.chat.id)


def harmless(error: BadRequest) -> bool:
    return any(phrase in error.message.lower() for phrase in _HARMLESS)


async def send(bot: Bot, place: Place, message: Outgoing) -> int:
    """Send a message; returns its message id."""
    for attempt in range(1, _SEND_ATTEMPTS + 1):
        try:
            # The raw call (no ``return_type``): PTB would otherwise parse Telegram's answer
            # into a full ``Message`` that nobody reads, the costliest step of a turn here.
            sent = await bot.do_api_request(
                "sendMessage",
                {
                    "chat_id": place.chat_id,
                    "text": message.text,
                    "parse_mode": ParseMode.HTML,
                    "reply_markup": message.markup,
                    "message_thread_id": place.thread_id,
                    "link_preview_options": _NO_PREVIEW,
                },
            )
            return int(sent["message_id"])
        except RetryAfter as exc:
            if attempt == _SEND_ATTEMPTS:
                raise
            seconds = retry_after_of(exc)
            log.warning("Telegram asked to wait %.1f s before sending; waiting", seconds)
            await asyncio.sleep(seconds)
    raise AssertionError("unreachable")  # the loop returns or raises


async def send_private(bot: Bot, user_id: int, outgoing: list[Outgoing]) -> bool:
    """Send ``outgoing`` to a person's private chat with the bot. False when Telegram refuses
    because they never started that chat (or blocked the bot): only they can open it."""
    try:
        for message in outgoing:
            await send(bot, Place(user_id), message)
    except Forbidden as exc:
        log.info("could not write to a person privately: %s", exc.message)
        return False
    return True


async def send_photo(bot: Bot, place: Place, png: bytes) -> None:
    """Send a picture (the profile's chart). It goes with a text already sent, so a failure
    is logged and not raised: the person has their profile in words either way."""
    try:
        await bot.send_photo(place.chat_id, photo=png, message_thread_id=place.thread_id)
    except TelegramError as exc:
        log.warning("could not send the profile picture: %s", exc.message)


async def send_document(bot: Bot, place: Place, data: bytes, filename: str) -> None:
    """Send a file (a workshop report's CSV); like ``send_photo``, a failure is logged only."""
    try:
        await bot.send_document(
            place.chat_id, document=data, filename=filename, message_thread_id=place.thread_id
        )
    except TelegramError as exc:
        log.warning("could not send the file %s: %s", filename, exc.message)


async def edit(bot: Bot, target: MaybeInaccessibleMessage, message: Outgoing) -> bool:
    """Replace a message's text and keyboard; False when Telegram would not allow it."""
    return await edit_by_id(bot, target.chat.id, target.message_id, message)


async def edit_by_id(bot: Bot, chat_id: int, message_id: int, message: Outgoing) -> bool:
    """``edit`` for a message known only by its ids (e.g. remembered across a restart)."""
    try:
        # Raw, like ``send``: the edited message that Telegram returns is not needed.
        await bot.do_api_request(
            "editMessageText",
            {
                "chat_id": chat_id,
                "message_id": message_id,
                "text": message.text,
                "parse_mode": ParseMode.HTML,
                "reply_markup": message.markup,
                "link_preview_options": _NO_PREVIEW,
            },
        )
    except BadRequest as exc:
        return _tolerate("edit", exc)
    return True


async def clear_keyboard(bot: Bot, target: MaybeInaccessibleMessage) -> None:
    """Take the buttons off a message whose question has moved on."""
    try:
        await bot.edit_message_reply_markup(chat_id=target.chat.id, message_id=target.message_id)
    except BadRequest as exc:
        _tolerate("remove the buttons of", exc)


async def answer(query: CallbackQuery, alert: str | None = None) -> None:
    """Acknowledge a press (Telegram shows a spinner until then); ``alert`` pops up a box.
    Best effort: a press can be answered only for a few seconds, so a failure (Telegram
    unreachable) is logged and not retried; the turn's replies are owed regardless."""
    try:
        await query.answer(alert and alert[:ANSWER_LIMIT], show_alert=alert is not None)
    except BadRequest as exc:
        _tolerate("answer", exc)
    except TelegramError as exc:
        log.warning("could not answer a press: %s", exc.message)


async def notify(query: CallbackQuery, text: str) -> None:
    """Acknowledge a press with a short notification only the presser sees (no alert box);
    best effort, as ``answer``."""
    try:
        await query.answer(text[:ANSWER_LIMIT], show_alert=False)
    except BadRequest as exc:
        _tolerate("answer", exc)
    except TelegramError as exc:
        log.warning("could not answer a press: %s", exc.message)


def retry_after_of(exc: RetryAfter) -> float:
    # PTB 22 stores a timedelta; the public ``retry_after`` warns while it moves from int to
    # timedelta, so read the stored value as PTB's own rate limiter does.
    return exc._retry_after.total_seconds()


def _tolerate(what: str, exc: BadRequest) -> bool:
    if harmless(exc):
        log.debug("could not %s a message (harmless): %s", what, exc.message)
        return True
    log.warning("could not %s a message: %s", what, exc.message)
    return False
