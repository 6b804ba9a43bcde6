"""A workshop's public posts are owed in the outbox with the step that made them: through an
outage of the Bot API the group sees every post once and in order, and the question that
voting closed on is edited once its post has been delivered (its id noted as a receipt)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import Services
from bot.telegram.adapter import workshop_counts
from dialogs import messages
from dialogs.content import Dialog
from dialogs.workshop import count_text
from storage.keys import WorkshopKey
from tests.fakes.telegram_api import BOT_USERNAME, Chat, FakeTelegram, User, visible
from tests.telegram.conftest import Bot, relaxed_limiter, running, settings_for
from tests.telegram.helpers import vote_buttons, vote_question
from tests.telegram.test_outbox import through_an_outage, until

FAY = User(4201, "Fay")  # the facilitator
MEMBERS = [User(4301, "Ana"), User(4302, "Ben")]
CALM = Chat(-100801, "supergroup", title="Workshop without an outage")
STORMY = Chat(-100802, "supergroup", title="Workshop through an outage")
STEPS = ("/reveal", "/next", "/reveal")  # each one's posts are owed while the API is away


@pytest.fixture
async def bot(tg: FakeTelegram, services: Services) -> AsyncIterator[Bot]:
    tg.opened.add(FAY.id)
    async with running(services, settings_for(tg), rate_limiter=relaxed_limiter(), count_interval=0.01) as b:
        yield b


def seen(tg: FakeTelegram, group: Chat) -> list[tuple[str, list[str]]]:
    """What the group sees: every bot message's text and buttons, oldest first."""
    return [(visible(m["text"]), tg.buttons(m)) for m in tg.chat_messages(group.id)]


async def opened_with_votes(tg: FakeTelegram, bot: Bot, group: Chat, dialog: Dialog) -> dict[str, Any]:
    """Fay opens a workshop and every member votes on its first question."""
    await bot.do(tg.say(group, FAY, f"/workshop@{BOT_USERNAME}"))
    question = vote_question(tg, group.id)
    for member in MEMBERS:
        await bot.do(tg.press(member, question, dialog.distinctions[0].choices[0].label))
    await workshop_counts(bot.app).drain()
    return question


@pytest.mark.parametrize("outage", ["502", "refused"])
async def test_a_workshop_through_an_outage_shows_every_post_once_in_order(
    tg: FakeTelegram, bot: Bot, services: Services, dialog: Dialog, outage: str
) -> None:
    # The same workshop without an outage, for what the group should see.
    await opened_with_votes(tg, bot, CALM, dialog)
    for command in STEPS:
        await bot.do(tg.say(CALM, FAY, command))

    question = await opened_with_votes(tg, bot, STORMY, dialog)
    before = len(tg.chat_messages(STORMY.id))
    # The first reveal's results hang, so the outage begins with every step committed and
    # none of their posts delivered.
    tg.stall("sendMessage")
    for command in STEPS:
        await bot.do(tg.say(STORMY, FAY, command), delivered=False)
    await until(lambda: tg.stalled == 1)
    assert len(tg.chat_messages(STORMY.id)) == before
    await through_an_outage(tg, bot, outage)

    assert seen(tg, STORMY) == seen(tg, CALM)
    # The first question was closed by the reveal: its final count, no buttons.
    closed = tg.messages[(STORMY.id, question["message_id"])]
    assert "reply_markup" not in closed
    assert visible(closed["text"]).endswith(count_text(len(MEMBERS)))
    # The second question was posted once, and its results (revealed) follow it.
    asked = [text for text, _ in seen(tg, STORMY) if f"Question 2 of {dialog.total}" in text]
    assert len(asked) == 1
    assert await services.outbox.count("telegram") == 0


async def test_the_closing_edit_waits_for_the_question_it_closes(
    tg: FakeTelegram, bot: Bot, services: Services, dialog: Dialog
) -> None:
    await opened_with_votes(tg, bot, STORMY, dialog)
    # The next question's post hangs; a reveal meanwhile closes a question whose message
    # does not exist yet: the edit is owed after the post and finds its id once it is sent.
    tg.stall("sendMessage")
    await bot.do(tg.say(STORMY, FAY, "/next"), delivered=False)
    await until(lambda: tg.stalled == 1)
    await bot.do(tg.say(STORMY, FAY, "/reveal"), delivered=False)
    tg.release("sendMessage")
    await bot.delivered()
    second = next(
        m for m in tg.chat_messages(STORMY.id) if f"Question 2 of {dialog.total}" in visible(m["text"])
    )
    assert vote_buttons(second) == []
    assert visible(second["text"]).endswith(count_text(0))
    noted = await services.workshops.message(
        WorkshopKey("telegram", str(STORMY.id)), 1, dialog.distinctions[1].id
    )
    assert noted == str(second["message_id"])


async def test_a_refusal_in_a_private_chat_is_owed_to_its_sender(
    tg: FakeTelegram, bot: Bot, services: Services
) -> None:
    private_chat = Chat(FAY.id, "private")
    await bot.do(tg.say(private_chat, FAY, "/workshop"))
    assert tg.texts(FAY.id) == [messages.TELEGRAM_WORKSHOP_PRIVATE]
    assert await services.outbox.count("telegram") == 0
