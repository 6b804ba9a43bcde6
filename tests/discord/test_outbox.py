"""Replies owed in the outbox on Discord: an outage of the interaction webhooks in the
middle of a conversation loses nothing, and the replies arrive once and in order; /forget
during one erases what was still owed to that person."""

from __future__ import annotations

import asyncio
from typing import Any

from dialogs import messages
from dialogs.content import Dialog
from tests.discord.conftest import ANA, BEN, Bot
from tests.fakes.discord_api import FakeDiscord, button_labels

DEADLINE = 20


async def test_after_a_webhook_outage_every_reply_arrives_once_in_order(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    bot: Bot = await launch(fake)

    async def conversation(person: Any) -> list[str]:
        """/career start, then the first answer; what the person's messages read after."""
        mark = max(fake.messages, default=0)
        await bot.act(fake.slash(person, "start"))
        question = fake.messages[max(fake.messages)]
        await bot.act(
            fake.press(person, question, button_labels(question)[dialog.distinctions[0].choices[1].label])
        )
        return [m["content"] for key, m in sorted(fake.messages.items()) if key > mark]

    fake.webhooks_down = True
    # The start is acknowledged and committed; its reply cannot be delivered yet.
    start = fake.slash(ANA, "start")
    waiter = asyncio.create_task(bot.act(start))
    sender = bot.client.sender

    async def failing() -> None:
        while sender.failures < 2:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(failing(), DEADLINE)
    assert await bot.answers(ANA) == 0  # the session exists: the turn committed
    fake.webhooks_down = False
    await asyncio.wait_for(waiter, DEADLINE)
    question = fake.messages[max(fake.messages)]
    await bot.act(fake.press(ANA, question, button_labels(question)[dialog.distinctions[0].choices[1].label]))
    ana = [m["content"] for _, m in sorted(fake.messages.items())]
    # The same conversation without an outage, for what the person should see.
    assert await conversation(BEN) == ana
    assert await bot.answers(ANA) == 1


async def test_forget_erases_the_replies_still_owed_and_its_outcome_is_owed_after(
    fake: FakeDiscord, launch: Any
) -> None:
    bot: Bot = await launch(fake)
    await bot.act(fake.slash(ANA, "start"))
    await bot.act(fake.slash(ANA, "forget"))
    prompt = fake.messages[max(fake.messages)]
    assert prompt["content"] == messages.FORGET_CONFIRM
    shown = len(fake.messages)
    fake.webhooks_down = True
    # Ana's /career help is committed and owed; its reply cannot be delivered yet.
    helping = asyncio.create_task(bot.act(fake.slash(ANA, "help")))
    sender = bot.client.sender

    async def failing() -> None:
        while sender.failures < 1:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(failing(), DEADLINE)
    # Yes, forget me: the help still owed to her goes with her answers.
    forgetting = asyncio.create_task(
        bot.act(fake.press(ANA, prompt, button_labels(prompt)[messages.DISCORD_FORGET_YES]))
    )
    await asyncio.sleep(0.2)
    fake.webhooks_down = False
    await asyncio.wait_for(asyncio.gather(helping, forgetting), DEADLINE)
    assert fake.messages[int(prompt["id"])]["content"] == messages.FORGOTTEN
    # Only the help's "thinking" placeholder appeared, never its text.
    new = [m for key, m in sorted(fake.messages.items())][shown:]
    assert len(new) == 1 and new[0]["content"] == ""
    assert await bot.answers(ANA) == -1
    assert await bot.outbox.count("discord") == 0
