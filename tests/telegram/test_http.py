"""The aiohttp request class under the real python-telegram-bot, against the fake Bot API:
requests arrive as Telegram takes them, and every failure comes out as PTB's own httpx
layer gives it (same error class, same outbox outcome), so the courier treats them alike.

(The rest of the Telegram suite runs through it too: ``build_application`` uses it by
default.)"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import certifi
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from bot.outbox import Drop, Retry, WaitOut
from bot.telegram import http
from bot.telegram.courier import TelegramCourier
from bot.telegram.http import AiohttpRequest
from tests.fakes.telegram_api import TOKEN, FakeTelegram, User, private

ANA = User(4201, "Ana")
LAYERS: dict[str, Callable[[], BaseRequest]] = {
    "httpx": lambda: HTTPXRequest(connection_pool_size=4),
    "aiohttp": lambda: AiohttpRequest(connection_pool_size=4),
}


@asynccontextmanager
async def bot_on(tg: FakeTelegram, layer: str) -> AsyncIterator[Bot]:
    """A real PTB ``Bot`` on the fake, sending through ``layer``; Ana has written to it."""
    tg.say(private(ANA), ANA, "hello")  # a bot may only message people who wrote first
    async with Bot(TOKEN, base_url=tg.base_url, request=LAYERS[layer]()) as bot:
        yield bot


async def test_calls_arrive_as_telegram_takes_them(tg: FakeTelegram) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="q1:yes")]])
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40  # binary, as a chart is
    async with bot_on(tg, "aiohttp") as bot:
        sent = await bot.send_message(ANA.id, "<b>Ça</b> marche", parse_mode="HTML", reply_markup=keyboard)
        await bot.edit_message_text("Changed", chat_id=ANA.id, message_id=sent.message_id)
        photo = await bot.send_photo(ANA.id, photo=png)
    assert bot.username == "careerbot_test_bot"  # getMe answered through it at start-up
    [message] = tg.called("sendMessage")
    assert message["text"] == "<b>Ça</b> marche"
    assert message["reply_markup"] == {"inline_keyboard": [[{"text": "Yes", "callback_data": "q1:yes"}]]}
    assert tg.texts(ANA.id) == ["Changed", ""]
    assert tg.photo(tg.chat_messages(ANA.id)[1]) == png  # the upload (multipart) arrived intact
    assert photo.chat.id == ANA.id


async def test_calls_in_flight_share_the_pool_and_all_arrive(tg: FakeTelegram) -> None:
    async with bot_on(tg, "aiohttp") as bot:
        await asyncio.gather(*(bot.send_message(ANA.id, f"message {n}") for n in range(40)))
    assert sorted(call["text"] for call in tg.called("sendMessage")) == sorted(
        f"message {n}" for n in range(40)
    )


async def test_no_more_connections_than_the_pool_size(tg: FakeTelegram) -> None:
    tg.stall("sendMessage")
    tg.say(private(ANA), ANA, "hello")
    async with Bot(TOKEN, base_url=tg.base_url, request=AiohttpRequest(connection_pool_size=2)) as bot:
        sends = asyncio.gather(*(bot.send_message(ANA.id, f"message {n}", pool_timeout=30) for n in range(5)))
        while tg.stalled < 2:
            await asyncio.sleep(0.01)
        for _ in range(20):  # the other three wait for a connection instead of arriving
            await asyncio.sleep(0.01)
            assert tg.stalled == 2
        tg.release("sendMessage")
        await sends
    assert len(tg.called("sendMessage")) == 5


# What a failure came out as: the error class, what the courier makes of it, and (for
# Telegram's own answers) its message, which PTB takes from Telegram's description.
Seen = tuple[type[BaseException], type[object], str]


async def failure_through(layer: str, tg: FakeTelegram, provoke: Callable[[Bot], Awaitable[Any]]) -> Seen:
    async with bot_on(tg, layer) as bot:
        with pytest.raises(TelegramError) as caught:
            await provoke(bot)
    error = caught.value
    outcome = TelegramCourier(bot).classify(error)
    telegram_said = "" if type(error) in (NetworkError, TimedOut) else error.message
    return type(error), type(outcome), telegram_said


def send(bot: Bot, read_timeout: float | None = None) -> Awaitable[Any]:
    if read_timeout is None:
        return bot.send_message(ANA.id, "hi")
    return bot.send_message(ANA.id, "hi", read_timeout=read_timeout)


ANSWERS = {
    "429": ((429, "Too Many Requests: retry after 7", 7), WaitOut),
    "400": ((400, "Bad Request: chat not found", None), Drop),
    "403": ((403, "Forbidden: bot was blocked by the user", None), Drop),
    "409": ((409, "Conflict: terminated by other getUpdates request", None), Retry),
    "502": ((502, "Bad Gateway", None), Retry),
}


@pytest.mark.parametrize("answer", ANSWERS)
async def test_telegram_refusals_come_out_as_with_httpx(answer: str) -> None:
    (status, description, retry_after), outcome = ANSWERS[answer]
    seen = {}
    for layer in LAYERS:
        async with FakeTelegram() as tg:
            tg.fail_next("sendMessage", status, description, retry_after)
            seen[layer] = await failure_through(layer, tg, send)
    assert seen["aiohttp"] == seen["httpx"]
    assert seen["aiohttp"][1] is outcome


async def test_a_refused_connection_is_a_network_error_without_the_token() -> None:
    seen, messages = {}, {}
    for layer in LAYERS:
        async with FakeTelegram() as tg:

            async def refused(bot: Bot, tg: FakeTelegram = tg) -> Any:
                await tg.go_down()
                return await send(bot)

            seen[layer] = await failure_through(layer, tg, refused)
    assert seen["aiohttp"] == seen["httpx"] == (NetworkError, Retry, "")
    async with FakeTelegram() as tg, bot_on(tg, "aiohttp") as bot:
        await tg.go_down()
        with pytest.raises(NetworkError) as caught:
            await send(bot)
        messages["aiohttp"] = caught.value.message
    assert messages["aiohttp"].startswith("aiohttp.")
    assert TOKEN not in messages["aiohttp"] and TOKEN.split(":")[1] not in messages["aiohttp"]


async def test_no_answer_in_time_is_timed_out_as_with_httpx() -> None:
    seen = {}
    for layer in LAYERS:
        async with FakeTelegram() as tg:
            tg.stall("sendMessage")
            seen[layer] = await failure_through(layer, tg, lambda bot: send(bot, read_timeout=0.2))
            tg.release("sendMessage")
    assert seen["aiohttp"] == seen["httpx"] == (TimedOut, Retry, "")


async def test_a_dropped_connection_is_a_network_error_as_with_httpx() -> None:
    seen = {}
    for layer in LAYERS:
        async with FakeTelegram() as tg:

            async def dropped(bot: Bot, tg: FakeTelegram = tg) -> Any:
                tg.down = True  # the open connection is aborted unanswered
                return await send(bot)

            seen[layer] = await failure_through(layer, tg, dropped)
    assert seen["aiohttp"] == seen["httpx"] == (NetworkError, Retry, "")


async def test_a_wrong_token_is_refused_as_with_httpx() -> None:
    seen = {}
    for layer in LAYERS:
        async with FakeTelegram() as tg:
            bot = Bot("1:wrong", base_url=tg.base_url, request=LAYERS[layer]())
            with pytest.raises(TelegramError) as caught:
                await bot.initialize()
            await bot.shutdown()
            seen[layer] = type(caught.value)
    assert seen["aiohttp"] is seen["httpx"]
    assert not issubclass(seen["aiohttp"], BadRequest)


async def test_it_must_be_initialised_and_can_be_again(tg: FakeTelegram) -> None:
    request = AiohttpRequest()
    bot = Bot(TOKEN, base_url=tg.base_url, request=request)
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{tg.base_url}{TOKEN}/getMe", "POST")
    for _ in range(2):  # shut down, then started again (PTB allows it)
        async with bot:
            assert (await bot.get_me()).id == 123456789
    assert AiohttpRequest(read_timeout=7).read_timeout == 7
    with pytest.raises(ValueError, match="connection_pool_size"):
        AiohttpRequest(connection_pool_size=0)


def test_tls_trusts_what_httpx_trusts() -> None:
    # httpx checks certificates against certifi's bundle; so does ours, whatever the host has.
    context = http._trusting_certifi()
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    bundle = Path(certifi.where()).read_text().count("BEGIN CERTIFICATE")
    assert bundle > 50 and len(context.get_ca_certs()) == bundle
