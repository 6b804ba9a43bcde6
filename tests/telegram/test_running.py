"""Running the bot: restarts, flood control, Telegram's harmless errors, webhook mode,
start-up failures, and a token that never reaches a log line."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from bot.app import Services, StartupError
from bot.conversations import Conversations
from bot.telegram.adapter import build_application, run_application, serve
from bot.telegram.http import AiohttpRequest
from dialogs import messages
from dialogs.content import Dialog
from storage.keys import SessionKey
from tests.fakes.telegram_api import TOKEN, FakeTelegram, User, private, visible
from tests.telegram.conftest import (
    DEADLINE,
    Bot,
    a_process,
    relaxed_limiter,
    running,
    settings_for,
)
from tests.telegram.helpers import asked, question

ANA = User(3001, "Ana")
CHAT = private(ANA)
KEY = SessionKey("telegram", str(ANA.id), str(ANA.id))
SECRET = "webhook-secret_42"


async def test_restart_mid_conversation_then_resume(
    tg: FakeTelegram, db_path: Path, dialogs: dict[str, Dialog], dialog: Dialog
) -> None:
    async with a_process(tg, db_path, dialogs) as (bot, services):
        await bot.do(tg.say(CHAT, ANA, "/start"))
        for distinction in dialog.distinctions[:3]:
            await bot.do(tg.press(ANA, question(tg, CHAT.id), distinction.choices[0].label))
        before_restart = question(tg, CHAT.id)
        old_button = question(tg, CHAT.id)  # a snapshot, pressed after the restart

    # A new process: a new store on the same file, a new service, a new Application.
    async with a_process(tg, db_path, dialogs) as (bot, services):
        await bot.do(tg.say(CHAT, ANA, "/start"))
        assert tg.texts(CHAT.id)[-2] == messages.WELCOME_BACK.format(
            title=dialog.title, answered=3, total=dialog.total, position=4
        )
        assert asked(question(tg, CHAT.id)).distinction == dialog.distinctions[3].id
        # The question from before the restart still works: its data names everything.
        await bot.do(tg.press(ANA, before_restart, dialog.distinctions[3].choices[1].label))
        turn = await services.conversations.current(KEY)
        assert turn is not None and len(turn.state.answers) == 4
        # A button from an older turn records nothing and says so in passing.
        shown = len(tg.texts(CHAT.id))
        await bot.do(tg.press(ANA, old_button, dialog.distinctions[3].choices[2].label))
        assert tg.called("answerCallbackQuery")[-1]["text"] == messages.ALREADY_ANSWERED
        assert len(tg.texts(CHAT.id)) == shown
        assert asked(question(tg, CHAT.id)).distinction == dialog.distinctions[4].id
        after = await services.conversations.current(KEY)
        assert after is not None and after.state == turn.state


async def test_a_429_is_waited_out_and_the_message_still_delivered(
    tg: FakeTelegram, services: Services, dialog: Dialog
) -> None:
    # The default rate limiter, as ``serve`` uses it.
    async with running(services, settings_for(tg)) as bot:
        tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        await bot.do(tg.say(CHAT, ANA, "/start"))
    sends = tg.called("sendMessage")
    assert len(sends) == 3  # refused once, then the intro and the question
    assert sends[0]["text"] == sends[1]["text"]
    assert tg.texts(CHAT.id)[0] == dialog.intro
    assert asked(tg.last(CHAT.id)).distinction == dialog.distinctions[0].id


async def test_harmless_telegram_errors_do_not_stop_a_turn(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    await bot.do(tg.say(CHAT, ANA, "/start"))
    tg.fail_next(
        "answerCallbackQuery",
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    await bot.do(tg.press(ANA, question(tg, CHAT.id), dialog.distinctions[0].choices[0].label))
    turn = await conversations.current(KEY)
    assert turn is not None and len(turn.state.answers) == 1
    assert asked(question(tg, CHAT.id)).distinction == dialog.distinctions[1].id
    # ``bot`` fails the test on teardown if the Application reported any error.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_webhook_refuses_a_wrong_secret_and_accepts_the_right_one(
    tg: FakeTelegram, services: Services, dialog: Dialog
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    settings = settings_for(tg, webhook_url=url, webhook_secret=SECRET, webhook_port=port)
    async with running(services, settings, rate_limiter=relaxed_limiter()) as bot:
        [registered] = tg.called("setWebhook")
        assert registered["url"] == url and registered["secret_token"] == SECRET
        assert tg.called("getUpdates") == []
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                update = tg.message_update(CHAT, ANA, "/start")
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
            update = tg.message_update(CHAT, ANA, "/start")
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 200
            await bot.do(update["update_id"])
        assert bot.handled == {update["update_id"]}
    assert tg.texts(CHAT.id)[0] == dialog.intro
    assert len(tg.called("sendMessage")) == 2


async def test_a_refused_token_fails_start_up_with_one_line(tg: FakeTelegram, services: Services) -> None:
    other = "987654321:" + "X" * 35
    settings = settings_for(tg, token=other)
    app = build_application(services, settings)
    with pytest.raises(StartupError) as failure:
        await run_application(app, settings, asyncio.Event())
    assert "TELEGRAM_BOT_TOKEN" in str(failure.value)
    assert other not in str(failure.value) and "\n" not in str(failure.value)


async def test_the_token_never_reaches_a_log_line(
    tg: FakeTelegram, services: Services, dialog: Dialog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(services, settings_for(tg)) as bot:
        tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        await bot.do(tg.say(CHAT, ANA, "/start"))
        tg.fail_next("editMessageText", 400, "Bad Request: message can't be edited")
        await bot.do(tg.press(ANA, question(tg, CHAT.id), dialog.distinctions[0].choices[0].label))
        await bot.do(tg.press(ANA, question(tg, CHAT.id), "garbage"))
    # The refused edit (a courtesy) was given up, not replaced by a message out of place.
    marked = f"✓ {dialog.distinctions[0].choices[0].label}"
    assert not any(marked in visible(sent["text"]) for sent in tg.called("sendMessage"))
    assert len(caplog.records) > 20  # DEBUG logging did capture the run
    secret_part = TOKEN.split(":", 1)[1]
    for record in caplog.records:
        line = record.getMessage() + (caplog.text if record.exc_info else "")
        assert secret_part not in line, f"token in a log line from {record.name}"
    assert secret_part not in caplog.text


def test_an_unclosed_aiohttp_response_is_reported_without_the_token(
    tg: FakeTelegram, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    build_application(services, settings_for(tg))
    # What asyncio logs for an aiohttp response nobody closed: its repr, with the URL.
    logging.getLogger("asyncio").error(
        "Unclosed response\nclient_response: <ClientResponse(%s%s/getMe)>", tg.base_url, TOKEN
    )
    assert "Unclosed response" in caplog.text and TOKEN.split(":", 1)[1] not in caplog.text


async def test_serve_polls_until_stop_then_shuts_down_cleanly(
    tg: FakeTelegram, services: Services, dialog: Dialog
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(services, settings_for(tg), stop))

    async def until(condition: Callable[[], bool]) -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(until(lambda: bool(tg.called("getUpdates"))), DEADLINE)
    assert [call.method for call in tg.calls[:6]] == [
        "getMe",
        *["setMyCommands"] * 4,  # private chats and groups, in English and in Spanish
        "deleteWebhook",
    ]
    update_id = tg.say(CHAT, ANA, "/start")
    await asyncio.wait_for(until(lambda: len(tg.chat_messages(CHAT.id)) == 2), DEADLINE)
    stop.set()
    await asyncio.wait_for(task, DEADLINE)
    assert task.exception() is None
    # The last poll confirmed the update, so a restarted bot does not get it again.
    assert tg.confirmed > update_id
    assert tg.texts(CHAT.id)[0] == dialog.intro


async def test_an_update_that_cannot_be_read_is_skipped_once_and_polling_goes_on(
    tg: FakeTelegram, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # python-telegram-bot cannot build a Message whose chat is not an object.
    broken = tg.message_update(CHAT, ANA, "my private words")
    broken["message"]["chat"] = "not a chat"
    skipped = tg.queue(broken)
    await bot.do(skipped)
    await bot.do(tg.say(CHAT, ANA, "/help"))
    assert tg.texts(CHAT.id) == [messages.HELP]
    assert tg.confirmed > skipped  # the offset moved past it: Telegram will not send it again
    said = [r for r in caplog.records if str(skipped) in r.getMessage() and r.levelno >= logging.WARNING]
    assert len(said) == 1 and "skipped" in said[0].getMessage()
    # Above DEBUG (where PTB logs every answer in full) nothing repeats the person's words.
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert not [line for line in loud if "my private words" in line]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_the_same_update_twice_is_handled_once(tg: FakeTelegram, bot: Bot) -> None:
    update = tg.message_update(CHAT, ANA, "/help")
    tg.queue(update)
    tg.queue(dict(update))  # Telegram delivers it again
    await bot.do(update["update_id"])
    await bot.do(tg.say(CHAT, ANA, "/help"))  # a new one is answered as usual
    assert tg.texts(CHAT.id) == [messages.HELP, messages.HELP]


async def test_the_webhook_secret_never_reaches_a_log_line(
    tg: FakeTelegram, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    settings = settings_for(tg, webhook_url=url, webhook_secret=SECRET, webhook_port=port)
    async with running(services, settings, rate_limiter=relaxed_limiter()):
        assert tg.called("setWebhook")[0]["secret_token"] == SECRET
    assert "setWebhook" in caplog.text  # DEBUG logging did capture the call
    assert SECRET not in caplog.text


async def test_updates_at_once_and_connections_follow_the_settings(
    tg: FakeTelegram, services: Services
) -> None:
    # Fewer of both than PTB's 256: more only costs CPU in bookkeeping. (That the request
    # class keeps to its pool size: tests/telegram/test_http.py.)
    app = build_application(services, settings_for(tg, concurrent_updates=3, connection_pool=2))
    assert app.concurrent_updates == 3
    assert isinstance(app.bot.request, AiohttpRequest)
    assert app.bot.request.connection_pool_size == 2
    default = build_application(services, settings_for(tg))
    assert default.concurrent_updates == 16
    assert isinstance(default.bot.request, AiohttpRequest)
    assert default.bot.request.connection_pool_size == 16
