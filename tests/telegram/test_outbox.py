"""Replies owed in the outbox: delivered once and in order through outages, a blocked chat
given up without holding up others, and presses acknowledged before earlier replies go."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace

import pytest

from bot.app import Services
from bot.telegram.adapter import sender_of
from dialogs.content import Dialog
from tests.fakes.telegram_api import FakeTelegram, User, private, visible
from tests.telegram.conftest import DEADLINE, Bot, relaxed_limiter, running, settings_for
from tests.telegram.helpers import asked, question

ANA = User(3101, "Ana")
BEN = User(3102, "Ben")


async def until(condition: Callable[[], bool]) -> None:
    async def check() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(check(), DEADLINE)


async def through_an_outage(tg: FakeTelegram, bot: Bot, outage: str) -> None:
    """The Bot API goes down (``outage``: "502" answers, or refused connections) as the
    stalled sendMessage is released; it comes back once the sender has failed twice, and
    this returns when everything owed is delivered."""
    if outage == "502":
        tg.fail_all(502, "Bad Gateway")
    else:
        await tg.go_down()
    tg.release("sendMessage")
    sender = sender_of(bot.app)
    await until(lambda: sender.failures >= 2)
    if outage == "502":
        tg.heal()
    else:
        await tg.come_up()
    await bot.delivered()


async def converse(tg: FakeTelegram, bot: Bot, user: User, dialog: Dialog) -> None:
    """/start, answer the first question, ask for /help: what the outage test runs."""
    chat = private(user)
    await bot.do(tg.say(chat, user, "/start"))
    await bot.do(tg.press(user, question(tg, chat.id), dialog.distinctions[0].choices[1].label))
    await bot.do(tg.say(chat, user, "/help"))


@pytest.mark.parametrize("outage", ["502", "refused"])
async def test_after_an_outage_every_reply_arrives_once_in_order(
    tg: FakeTelegram, bot: Bot, services: Services, dialog: Dialog, outage: str
) -> None:
    chat = private(ANA)
    await bot.do(tg.say(chat, ANA, "/start"))
    # The answer's first reply (the explanation and the next question) hangs, so the
    # outage begins with two turns committed and nothing of them delivered yet.
    tg.stall("sendMessage")
    pressed = tg.press(ANA, question(tg, chat.id), dialog.distinctions[0].choices[1].label)
    await bot.do(pressed, delivered=False)
    await bot.do(tg.say(chat, ANA, "/help"), delivered=False)
    await until(lambda: tg.stalled == 1)
    await through_an_outage(tg, bot, outage)

    # The same conversation without an outage, for what the person should see.
    await converse(tg, bot, BEN, dialog)
    assert tg.texts(chat.id) == tg.texts(private(BEN).id)
    assert asked(question(tg, chat.id)).distinction == dialog.distinctions[1].id
    assert len(tg.texts(chat.id)) == 4  # intro, question answered, explanation + question, help
    assert await services.outbox.count("telegram") == 0


async def test_a_chat_that_blocked_the_bot_is_given_up_and_others_flow(
    tg: FakeTelegram, bot: Bot, dialog: Dialog, caplog: pytest.LogCaptureFixture
) -> None:
    tg.block(private(BEN))
    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        await bot.do(tg.say(private(BEN), BEN, "/start"))
        await bot.do(tg.say(private(ANA), ANA, "/start"))
    assert tg.texts(private(BEN).id) == []
    assert tg.texts(private(ANA).id)[0] == dialog.intro
    assert asked(question(tg, private(ANA).id)).distinction == dialog.distinctions[0].id
    given_up = [r.getMessage() for r in caplog.records if "gave up" in r.getMessage()]
    # One line per reply given up (the intro and the question), naming why.
    assert len(given_up) == 2 and all("blocked" in line for line in given_up)
    await bot.do(tg.say(private(BEN), BEN, "/help"))
    assert tg.texts(private(BEN).id) == []


async def test_a_press_is_acknowledged_before_the_previous_replies_finish(
    tg: FakeTelegram, bot: Bot, dialog: Dialog
) -> None:
    chat = private(ANA)
    await bot.do(tg.say(chat, ANA, "/start"))
    first = question(tg, chat.id)
    tg.stall("sendMessage")
    # The answer: its question is edited at once, its explanation and next question hang.
    await bot.do(tg.press(ANA, first, dialog.distinctions[0].choices[0].label), delivered=False)
    await until(lambda: tg.stalled == 1)
    # A second press (on the same, now answered, question) while those replies hang.
    await bot.do(tg.press(ANA, first, dialog.distinctions[0].choices[2].label), delivered=False)
    assert len(tg.called("answerCallbackQuery")) == 2
    assert tg.stalled == 1  # the first turn's replies are still being sent
    tg.release("sendMessage")
    await bot.delivered()
    assert asked(question(tg, chat.id)).distinction == dialog.distinctions[1].id


async def test_a_reply_older_than_the_ttl_is_given_up_not_sent_out_of_context(
    tg: FakeTelegram, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    short = replace(services, settings=replace(services.settings, reply_ttl=0.3))
    async with running(short, settings_for(tg), rate_limiter=relaxed_limiter()) as bot:
        tg.fail_all(502, "Bad Gateway")
        sender = sender_of(bot.app)
        with caplog.at_level(logging.WARNING, logger="bot.outbox"):
            await bot.do(tg.say(private(ANA), ANA, "/start"), delivered=False)
            await until(lambda: sender.dropped == 2)  # the intro and the question
        tg.heal()
        await bot.do(tg.say(private(ANA), ANA, "/help"))
    assert tg.texts(private(ANA).id) == [visible(tg.called("sendMessage")[-1]["text"])]
    assert await services.outbox.count("telegram") == 0
    assert sum("not delivered within" in r.getMessage() for r in caplog.records) == 2


async def test_a_press_is_acknowledged_while_messages_wait_out_a_429(
    tg: FakeTelegram, bot: Bot, dialog: Dialog
) -> None:
    # Telegram's 429 on a message makes the limiter hold every message for its retry_after;
    # a callback answer is not a message, so Ben's press is acknowledged during that pause.
    await bot.do(tg.say(private(ANA), ANA, "/start"))
    await bot.do(tg.say(private(BEN), BEN, "/start"))
    sends = len(tg.called("sendMessage"))
    tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)
    await bot.do(
        tg.press(ANA, question(tg, private(ANA).id), dialog.distinctions[0].choices[0].label), delivered=False
    )
    await until(lambda: tg.failures.get("sendMessage") == [])  # Ana's reply got the 429
    await bot.do(
        tg.press(BEN, question(tg, private(BEN).id), dialog.distinctions[0].choices[0].label), delivered=False
    )
    assert len(tg.called("answerCallbackQuery")) == 2
    assert len(tg.called("sendMessage")) == sends + 1  # only the refused one: the pause holds
