"""A finished profile's picture on Telegram goes through the outbox as its chart's input
(a few hundred bytes), drawn when it is delivered; a photo owed by an earlier version,
stored as the PNG itself, is still delivered after an upgrade."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
from pathlib import Path

from bot.chart import chart_of, render_png
from bot.conversations import Conversations
from bot.pictures import draw
from dialogs.content import Dialog
from dialogs.profile import profile_of
from dialogs.replies import Profile, ProfileLine
from storage.keys import SessionKey
from storage.outbox import Owed
from storage.sessions import SessionStore
from tests.fakes.telegram_api import FakeTelegram, User, private
from tests.telegram.conftest import DEADLINE, Bot, a_process
from tests.telegram.helpers import question

ANA = User(1301, "Ana")
KEY = SessionKey("telegram", str(ANA.id), str(ANA.id))
# Far more than the chart's input, far less than the ~150 KB of a chart as base64 PNG.
SMALL = 5_000


async def stalled(tg: FakeTelegram) -> None:
    while tg.stalled == 0:
        await asyncio.sleep(0.01)


def owed_payloads(db_path: Path) -> list[dict[str, object]]:
    with sqlite3.connect(db_path) as conn:
        return [json.loads(payload) for (payload,) in conn.execute("SELECT payload FROM outbox ORDER BY id")]


async def test_a_profiles_photo_is_owed_as_its_chart_and_drawn_when_delivered(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog, db_path: Path
) -> None:
    chat = private(ANA)
    await bot.do(tg.say(chat, ANA, "/start"))
    *first, last = dialog.distinctions
    for distinction in first:
        await bot.do(tg.press(ANA, question(tg, chat.id), distinction.choices[0].label))
    tg.stall("sendPhoto")
    await bot.do(tg.press(ANA, question(tg, chat.id), last.choices[-1].label), delivered=False)
    await asyncio.wait_for(stalled(tg), DEADLINE)  # the photo is on its way: drawn, still owed
    [owed] = [payload for payload in owed_payloads(db_path) if payload["method"] == "sendPhoto"]
    assert "photo" not in owed and "chart" in owed
    assert len(json.dumps(owed)) < SMALL
    tg.release("sendPhoto")
    await bot.delivered()
    turn = await conversations.current(KEY)
    assert turn is not None
    profile = profile_of(dialog, turn.state)
    assert isinstance(profile, Profile) and profile.finished
    assert tg.photo(tg.last(chat.id)) == draw(profile)
    assert owed_payloads(db_path) == []


async def test_a_photo_owed_as_a_png_by_an_earlier_version_is_delivered_after_the_upgrade(
    tg: FakeTelegram, db_path: Path, dialogs: dict[str, Dialog], dialog: Dialog
) -> None:
    lines = [ProfileLine(d.title, d.choices[0].label, d.choices[0].leans) for d in dialog.distinctions]
    png = render_png(chart_of("Your profile", lines))
    earlier = {"method": "sendPhoto", "params": {"chat_id": ANA.id}, "photo": base64.b64encode(png).decode()}
    async with a_process(tg, db_path, dialogs) as (bot, _):
        await bot.do(tg.say(private(ANA), ANA, "/start"))
    # What the earlier version left owed: the same file, a photo stored as its PNG.
    store = await SessionStore.open(db_path)
    await store.owe(KEY, (Owed(str(ANA.id), json.dumps(earlier)),))
    await store.close()
    async with a_process(tg, db_path, dialogs) as (bot, _):
        await bot.delivered()
    assert tg.photo(tg.last(ANA.id)) == png
    assert owed_payloads(db_path) == []
