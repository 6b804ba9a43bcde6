"""The workshop report on Telegram: whoever ends a workshop gets the group's chart (a PNG),
how many took part and a CSV of the aggregate, in their private chat, or through a link."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from bot.app import Services
from dialogs import messages
from dialogs.content import Dialog
from tests.fakes.telegram_api import BOT_USERNAME, Chat, FakeTelegram, User, private, visible
from tests.telegram.conftest import Bot, relaxed_limiter, running, settings_for
from tests.telegram.helpers import vote_question

FAY = User(5001, "Fay")
MEMBERS = [User(5100 + i, f"M{i}") for i in range(6)]
GROUP = Chat(-100800, "supergroup", title="Careers workshop")


@pytest.fixture
async def bot(tg: FakeTelegram, services: Services) -> AsyncIterator[Bot]:
    async with running(
        services, settings_for(tg), rate_limiter=relaxed_limiter(), count_interval=0.05
    ) as started:
        yield started


async def run_workshop(tg: FakeTelegram, bot: Bot, dialog: Dialog) -> None:
    """Six members answer the first question (four the first choice, two the last), the
    facilitator reveals it and ends the workshop."""
    await bot.do(tg.say(GROUP, FAY, f"/workshop@{BOT_USERNAME}"))
    question = vote_question(tg, GROUP.id)
    first = dialog.distinctions[0]
    for i, member in enumerate(MEMBERS):
        await bot.do(tg.press(member, question, first.choices[0 if i < 4 else -1].label))
    await bot.do(tg.say(GROUP, FAY, "/reveal"))
    await bot.do(tg.say(GROUP, FAY, "/endworkshop"))


def check_report(tg: FakeTelegram, chat_id: int, dialog: Dialog) -> None:
    text, photo, document = tg.chat_messages(chat_id)[-3:]
    people = len(MEMBERS)
    expected = messages.REPORT_TEXT.say(people, number=1, title=dialog.title, participants=people)
    assert visible(text["text"]) == expected
    with Image.open(io.BytesIO(tg.photo(photo))) as image:
        assert image.format == "PNG" and image.width == 1080
    name, data = tg.document(document)
    assert name == "workshop-1.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert len(rows) == sum(len(d.choices) for d in dialog.distinctions)
    first = dialog.distinctions[0]
    mine = {r["choice"]: (int(r["votes"]), int(r["percent"])) for r in rows if r["question"] == first.id}
    assert mine[first.choices[0].id] == (4, 67) and mine[first.choices[-1].id] == (2, 33)
    assert {int(r["votes"]) for r in rows if r["question"] != first.id} == {0}
    assert not any(str(m.id) in data.decode() or m.first_name in data.decode() for m in MEMBERS)


async def test_the_facilitator_gets_the_report_in_their_private_chat(
    tg: FakeTelegram, bot: Bot, dialog: Dialog
) -> None:
    await bot.do(tg.say(private(FAY), FAY, "/help"))  # Fay has opened a private chat
    await run_workshop(tg, bot, dialog)
    check_report(tg, FAY.id, dialog)
    assert not any(messages.REPORT_LINK_BUTTON in tg.buttons(m) for m in tg.chat_messages(GROUP.id))
    assert tg.violations == []


async def test_without_a_private_chat_a_link_opens_one_for_the_facilitator_only(
    tg: FakeTelegram, bot: Bot, dialog: Dialog
) -> None:
    await run_workshop(tg, bot, dialog)
    assert FAY.id not in {chat for chat, _ in tg.messages}  # Telegram refused: never opened
    link_message = tg.last(GROUP.id)
    assert visible(link_message["text"]) == f"{FAY.first_name}\n{messages.REPORT_LINK.format(number=1)}"
    [[button]] = link_message["reply_markup"]["inline_keyboard"]
    [payload] = parse_qs(urlsplit(button["url"]).query)["start"]
    member = MEMBERS[0]
    await bot.do(tg.say(private(member), member, f"/start {payload}"))
    assert tg.texts(member.id) == [messages.REPORT_NOT_YOURS]
    await bot.do(tg.say(private(FAY), FAY, f"/start {payload}"))
    check_report(tg, FAY.id, dialog)
    # A group admin may have it too.
    admin = User(5999, "Ada")
    tg.set_status(GROUP, admin, "administrator")
    await bot.do(tg.say(private(admin), admin, f"/start {payload}"))
    check_report(tg, admin.id, dialog)
