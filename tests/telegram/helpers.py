"""Small readers over the fake's record, shared by the Telegram tests."""

from __future__ import annotations

import copy
from typing import Any

from bot.buttons import AnswerButton, VoteButton, decode
from tests.fakes.telegram_api import FakeTelegram

Message = dict[str, Any]


def answer_buttons(message: Message) -> list[dict[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b for row in rows for b in row if isinstance(decode(b["callback_data"]), AnswerButton)]


def asked(message: Message) -> AnswerButton:
    """The question a message's keyboard answers (fails when it has no answer buttons)."""
    button = decode(answer_buttons(message)[0]["callback_data"])
    assert isinstance(button, AnswerButton)
    return button


def question(tg: FakeTelegram, chat_id: int, owner: int | None = None) -> Message:
    """The newest message in the chat with live answer buttons (for ``owner``, if given),
    as a snapshot: what a person sees now, unchanged by later edits."""
    for message in reversed(tg.chat_messages(chat_id)):
        if answer_buttons(message) and (owner is None or asked(message).owner == str(owner)):
            return copy.deepcopy(message)
    raise AssertionError(f"no open question in chat {chat_id}: {tg.texts(chat_id)}")


def sent_since(tg: FakeTelegram, mark: int, method: str = "sendMessage") -> list[dict[str, Any]]:
    return [call.params for call in tg.calls[mark:] if call.method == method]


def vote_buttons(message: Message) -> list[dict[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b for row in rows for b in row if isinstance(decode(b.get("callback_data", "")), VoteButton)]


def vote_question(tg: FakeTelegram, chat_id: int) -> Message:
    """The newest workshop question in the chat that still takes votes, as a snapshot."""
    for message in reversed(tg.chat_messages(chat_id)):
        if vote_buttons(message):
            return copy.deepcopy(message)
    raise AssertionError(f"no open workshop question in chat {chat_id}: {tg.texts(chat_id)}")


def answers_to(tg: FakeTelegram, mark: int = 0) -> list[dict[str, Any]]:
    """The callback answers (answerCallbackQuery) since ``mark`` calls."""
    return sent_since(tg, mark, "answerCallbackQuery")
