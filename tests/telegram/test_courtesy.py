"""Courtesy edits (marking an answered question) give way to needed messages: at
Telegram's ceiling they are skipped, so an answer costs one message; when the bot is idle
the answered question is marked as before; a left-over button is answered in passing."""

from __future__ import annotations

import asyncio

from telegram.ext import AIORateLimiter

from bot.app import Services
from bot.telegram.adapter import sender_of
from bot.telegram.limiter import TelegramRateLimiter
from dialogs import messages
from dialogs.content import Dialog
from tests.fakes.telegram_api import FakeTelegram, User, private, visible
from tests.telegram.conftest import Bot, running, settings_for
from tests.telegram.helpers import Message, answer_buttons, answers_to, asked, question
from tests.telegram.test_outbox import until

PEOPLE = [User(5001 + i, f"P{i}") for i in range(90)]
ANSWERING = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto"}


async def test_at_the_ceiling_courtesy_edits_are_skipped_and_needed_messages_arrive_in_order(
    tg: FakeTelegram, services: Services, dialog: Dialog
) -> None:
    # Everyone starts first, with PTB's limiter off so that this part is quick.
    unlimited = AIORateLimiter(overall_max_rate=0, group_max_rate=0)
    async with running(services, settings_for(tg), rate_limiter=unlimited) as bot:
        started = [tg.say(private(p), p, "/start") for p in PEOPLE]
        await asyncio.gather(*(bot.do(update) for update in started))
    firsts = {p.id: question(tg, private(p).id) for p in PEOPLE}
    # Then, as deployed (PTB's limiter: 30 messages/s), everyone answers while Telegram
    # holds the sends: far more needed messages are owed than it takes in a second.
    settings = settings_for(tg, connection_pool=len(PEOPLE) + 8)  # waits are the limiter's
    async with running(services, settings, rate_limiter=TelegramRateLimiter(max_retries=3)) as bot:
        tg.stall("sendMessage")
        mark = len(tg.calls)
        pressed = [tg.press(p, firsts[p.id], answer_buttons(firsts[p.id])[0]["text"]) for p in PEOPLE]
        await asyncio.gather(*(bot.do(update, delivered=False) for update in pressed))
        tg.release("sendMessage")
        await bot.delivered()
        await _after_the_burst(tg, bot, dialog, firsts, mark)


async def _after_the_burst(
    tg: FakeTelegram, bot: Bot, dialog: Dialog, firsts: dict[int, Message], mark: int
) -> None:
    sender = sender_of(bot.app)
    # A question was marked answered only while what Telegram had just taken and what was
    # owed fitted in a second at 30 messages/s; at the ceiling the edits were skipped.
    edits = [c for c in tg.calls[mark:] if c.method == "editMessageText"]
    assert sender.skipped >= 1 and len(edits) + sender.skipped == len(PEOPLE)
    answering = [c for c in tg.calls[mark:] if c.method in ANSWERING]
    assert len(answering) / len(PEOPLE) <= 1.5  # Bot API messages per answered question
    for person in PEOPLE:
        chat = private(person).id
        texts = tg.texts(chat)
        # Every needed message arrived once, in order: the intro, the first question
        # (marked or not), then the explanation with the second question.
        assert len(texts) == 3 and texts[0] == dialog.intro
        assert dialog.distinctions[0].question in texts[1]
        assert dialog.distinctions[0].title in texts[2] and dialog.distinctions[1].question in texts[2]
        assert asked(question(tg, chat)).distinction == dialog.distinctions[1].id
    # Each edit came after its chat's needed message.
    sent_at = {c.params["chat_id"]: i for i, c in enumerate(tg.calls) if c.method == "sendMessage"}
    assert all(tg.calls.index(edit) > sent_at[edit.params["chat_id"]] for edit in edits)

    # A person whose first question kept its buttons presses one of them: a notification
    # says it was answered before, and no message is spent on it.
    marked = {int(edit.params["chat_id"]) for edit in edits}
    left = next(p for p in PEOPLE if private(p).id not in marked)
    first = firsts[left.id]
    assert answer_buttons(tg.messages[(private(left).id, first["message_id"])])  # still live
    mark = len(tg.calls)
    await bot.do(tg.press(left, first, answer_buttons(first)[1]["text"]))
    assert [a["text"] for a in answers_to(tg, mark)] == [messages.ALREADY_ANSWERED]
    assert not ANSWERING & {c.method for c in tg.calls[mark:]}

    # Once the bot is idle (the last second's messages behind it), their next answer marks
    # its question, as it always did.
    await until(lambda: sender.pace == 0)
    second = question(tg, private(left).id)
    choice = dialog.distinctions[1].choices[2]
    await bot.do(tg.press(left, second, choice.label))
    now = tg.messages[(private(left).id, second["message_id"])]
    assert visible(now["text"]) == f"{dialog.distinctions[1].question}\n✓ {choice.label}"
    assert "reply_markup" not in now
    assert sender.skipped == len(PEOPLE) - len(edits)
