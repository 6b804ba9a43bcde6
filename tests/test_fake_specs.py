"""The fakes' spec checks: a request the platform would refuse is refused, a good one passes.

The checks run on every request a fake receives (``tests/fakes/telegram_spec.py``,
``tests/fakes/discord_spec.py``); here each rule is shown refusing one bad request, through
the fake's HTTP front door where it matters, so a silent checker cannot pass unnoticed.
"""

from __future__ import annotations

import json

import aiohttp
import pytest

from tests.fakes import discord_spec, telegram_spec
from tests.fakes.discord_api import FakeDiscord, Person
from tests.fakes.telegram_api import TOKEN, Chat, FakeTelegram, User

KEYBOARD = {"inline_keyboard": [[{"text": "Yes", "callback_data": "1:c:5:yes"}]]}


def telegram(method: str, **form: object) -> list[str]:
    raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in form.items()}
    return telegram_spec.spec().check_call(method, raw, {})


def test_a_good_telegram_call_passes() -> None:
    assert telegram("sendMessage", chat_id="5", text="<b>R&amp;D</b> &lt;3", parse_mode="HTML") == []
    assert telegram("sendMessage", chat_id="-100", text="hi", reply_markup=KEYBOARD) == []
    assert telegram("setMyCommands", commands=[{"command": "start", "description": "Begin"}]) == []
    assert telegram("setMyCommands", commands=[], scope={"type": "all_group_chats"}) == []
    assert telegram("answerCallbackQuery", callback_query_id="9", text="x" * 200, show_alert="true") == []


@pytest.mark.parametrize(
    ("method", "form", "expected"),
    [
        ("sendMesage", {"chat_id": "5", "text": "hi"}, "sendMesage: no such Bot API method"),
        ("sendMessage", {"text": "hi"}, "sendMessage.chat_id: required, missing"),
        ("sendMessage", {"chat_id": "5", "text": "hi", "colour": "red"}, "sendMessage.colour: not a field"),
        ("sendMessage", {"chat_id": "5", "text": "hi", "message_thread_id": "x"}, "'x' is not an integer"),
        ("sendMessage", {"chat_id": "5", "text": "x" * 4097}, "sendMessage.text: 4097 characters"),
        ("sendMessage", {"chat_id": "5", "text": ""}, "sendMessage.text: 0 characters"),
        (
            "sendMessage",
            {
                "chat_id": "5",
                "text": "hi",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "data": "b"}]]},
            },
            "reply_markup.inline_keyboard[0][0].data: not a field of InlineKeyboardButton",
        ),
        (
            "sendMessage",
            {
                "chat_id": "5",
                "text": "a",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "é" * 33}]]},
            },
            "callback_data: 66 bytes, the spec allows 1-64",
        ),
        ("answerCallbackQuery", {"callback_query_id": "9", "text": "x" * 201}, "text: 201 characters"),
        ("setMyCommands", {"commands": [{"command": "start"}]}, "description: required in BotCommand"),
        (
            "setMyCommands",
            {"commands": [{"command": "Start", "description": "Begin"}]},
            "commands[0].command: 'Start' breaks the rule",
        ),
        ("setWebhook", {"url": "https://x.test/h", "secret_token": "no spaces"}, "secret_token: 'no spaces'"),
        ("setMyCommands", {"commands": [], "scope": {"type": "everyone"}}, "must have type"),
    ],
)
def test_a_bad_telegram_call_is_refused(method: str, form: dict[str, object], expected: str) -> None:
    problems = telegram(method, **form)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("R&D", "a '&' at offset 1 starts no entity"),
        ("R&am", "a '&' at offset 1 starts no entity"),
        ("&nbsp;", "unsupported named entity &nbsp;"),
        ("<p>a</p>", "unsupported tag <p>"),
        ("<b>a</i>", "unexpected end tag </i>"),
        ("<b>a", "tag <b> is never closed"),
        ("a <b", "a '<' at offset 2 starts no tag"),
        ("1 > 0", "a '>' at offset 2 outside a tag"),
        ('<b class="x">a</b>', "tag <b> at offset 0 cannot carry 'class'"),
        ("<b></b>" + "x" * 4097, "4097 characters after entities parsing"),
    ],
)
def test_telegram_html_rules(text: str, expected: str) -> None:
    problems = telegram("sendMessage", chat_id="5", text=text, parse_mode="HTML")
    assert any(expected in p for p in problems), problems


def test_telegram_limits_count_what_is_shown_in_utf16() -> None:
    # 4096 characters as shown: the tags and entities cost nothing extra...
    assert telegram("sendMessage", chat_id="5", text="<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML") == []
    # ...and an emoji outside the BMP counts twice, as Telegram counts UTF-16 code units.
    assert telegram("sendMessage", chat_id="5", text="🙂" * 2049)


async def test_the_fake_bot_api_answers_400_and_records_the_violation() -> None:
    async with FakeTelegram() as tg, aiohttp.ClientSession() as http:
        tg.opened.add(5)  # person 5 has written to the bot, so it may write to them
        url = f"{tg.base_url}{TOKEN}/sendMessage"
        async with http.post(url, data={"chat_id": "5", "text": "R&D", "parse_mode": "HTML"}) as bad:
            assert bad.status == 400 and "can't parse entities" in (await bad.json())["description"]
        async with http.post(url, data={"chat_id": "5", "text": "R&amp;D", "parse_mode": "HTML"}) as good:
            assert good.status == 200
        assert len(tg.violations) == 1 and "sendMessage.text" in tg.violations[0]
        tg.violations.clear()


async def test_the_fake_bot_api_refuses_to_open_a_private_chat() -> None:
    async with FakeTelegram() as tg, aiohttp.ClientSession() as http:
        url = f"{tg.base_url}{TOKEN}/sendMessage"
        async with http.post(url, data={"chat_id": "6", "text": "hello"}) as refused:
            assert refused.status == 403
            assert (await refused.json())[
                "description"
            ] == "Forbidden: bot can't initiate conversation with a user"
        tg.say(Chat(6), User(6, "Six"), "/start")
        async with http.post(url, data={"chat_id": "6", "text": "hello"}) as sent:
            assert sent.status == 200


async def test_the_fake_bot_api_takes_a_photo_upload() -> None:
    async with FakeTelegram() as tg, aiohttp.ClientSession() as http:
        tg.opened.add(5)
        form = aiohttp.FormData({"chat_id": "5", "caption": "<b>You</b>", "parse_mode": "HTML"})
        form.add_field("photo", b"\x89PNG...", filename="profile.png", content_type="image/png")
        async with http.post(f"{tg.base_url}{TOKEN}/sendPhoto", data=form) as sent:
            assert sent.status == 200
            message = (await sent.json())["result"]
        assert tg.photo(message) == b"\x89PNG..." and tg.texts(5) == ["You"]
        # A file where the spec takes none is refused.
        form = aiohttp.FormData({"chat_id": "5"})
        form.add_field("text", b"hi", filename="a.txt")
        async with http.post(f"{tg.base_url}{TOKEN}/sendMessage", data=form) as bad:
            assert bad.status == 400
        assert tg.violations == ["sendMessage.text: a file was uploaded, but the field takes String"]
        tg.violations.clear()


# --- Discord -------------------------------------------------------------------------

BUTTON = {"type": 2, "style": 1, "label": "Yes", "custom_id": "1:a"}
CALLBACK = "/interactions/123/token/callback"


def discord(method: str, path: str, body: object, query: dict[str, str] | None = None) -> list[str]:
    return discord_spec.spec().check_request(method, path, query or {}, body)


def test_a_good_discord_request_passes() -> None:
    message = {"content": "hi", "flags": 64, "components": [{"type": 1, "components": [BUTTON]}]}
    assert discord("POST", CALLBACK, {"type": 4, "data": message}, {"with_response": "1"}) == []
    assert discord("POST", CALLBACK, {"type": 6}) == []
    assert discord("PATCH", "/webhooks/1/token/messages/@original", {"content": "x", "components": []}) == []
    assert discord("POST", "/channels/5/messages", {"content": "x", "allowed_mentions": {"parse": []}}) == []


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("POST", "/channels/5/mesages", {"content": "x"}, "the spec has no such route"),
        ("DELETE", "/users/@me/channels", None, "the spec has no such route"),
        ("POST", "/channels/abc/messages", {"content": "x"}, "path channel_id: 'abc' does not match"),
        ("POST", CALLBACK, {"data": {"content": "x"}}, "'type' is a required property"),
        ("POST", CALLBACK, {"type": 4, "data": {"content": "x" * 2001}}, "body.data.content: 'xxxx"),
        ("POST", CALLBACK, {"type": 4, "data": {"content": "x", "colour": 1}}, "'colour' was unexpected"),
        (
            "POST",
            CALLBACK,
            {"type": 4, "data": {"components": [{"type": 1, "components": [{**BUTTON, "label": "x" * 81}]}]}},
            "body.data.components[0].components[0].label",
        ),
        (
            "POST",
            CALLBACK,
            {"type": 9, "data": {"custom_id": "a", "title": "t"}},
            "'components' is a required",
        ),
        ("PATCH", "/channels/5/messages/6", {"content": 5}, "body.content: 5 is not of type"),
    ],
)
def test_a_bad_discord_request_is_refused(method: str, path: str, body: object, expected: str) -> None:
    problems = discord(method, path, body)
    assert any(expected in p for p in problems), problems


def test_an_unknown_query_parameter_is_refused() -> None:
    problems = discord("POST", "/webhooks/1/token", {"content": "x"}, {"wait": "true", "colour": "red"})
    assert problems == [
        "POST /webhooks/{webhook_id}/{webhook_token}: query 'colour' is not a parameter of this route"
    ]


def test_files_must_be_named_by_an_attachment() -> None:
    body = {"content": "x", "attachments": [{"id": 0, "filename": "a.png"}]}
    check = discord_spec.spec().check_request
    assert check("POST", "/webhooks/1/token", {}, body, {"files[0]": b"png"}) == []
    [problem] = check("POST", "/webhooks/1/token", {}, body, {"files[0]": b"png", "files[1]": b"png"})
    assert "'files[1]' has no attachments entry with id 1" in problem


async def test_the_fake_discord_answers_400_and_records_the_violation() -> None:
    fake = FakeDiscord(token="t")
    await fake.start()
    try:
        async with aiohttp.ClientSession() as http:
            url = f"{fake.api_base_url}/interactions/1/some-token/callback"
            async with http.post(url, json={"type": 4, "data": {"content": "x" * 2001}}) as bad:
                assert bad.status == 400 and (await bad.json())["code"] == 50035
        assert len(fake.violations) == 1 and "maxLength 2000" in fake.violations[0]
        fake.violations.clear()
    finally:
        await fake.stop()


async def test_the_fake_discord_takes_a_message_with_an_attachment() -> None:
    fake = FakeDiscord(token="t")
    await fake.start()
    try:
        token = fake.slash(Person(1, "Ana"), "start")["token"]
        payload = {"content": "Your profile", "attachments": [{"id": 0, "filename": "profile.png"}]}
        form = aiohttp.FormData()
        form.add_field("payload_json", json.dumps(payload), content_type="application/json")
        form.add_field("files[0]", b"\x89PNG...", filename="profile.png", content_type="image/png")
        async with aiohttp.ClientSession() as http:
            url = f"{fake.api_base_url}/webhooks/{fake.application_id}/{token}?wait=true"
            async with http.post(url, data=form) as sent:
                assert sent.status == 200
                message = await sent.json()
        assert message["attachments"][0]["filename"] == "profile.png"
        assert fake.attachment(fake.messages[int(message["id"])]) == b"\x89PNG..."
        assert fake.violations == []
    finally:
        await fake.stop()
