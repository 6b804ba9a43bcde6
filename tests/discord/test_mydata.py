"""/career mydata through a real discord.py client and the fake Discord: only the member
sees it (even where replies are public), with the buttons to erase it."""

from __future__ import annotations

from typing import Any

from dialogs import messages
from dialogs.content import Dialog
from tests.discord.conftest import ANA, BEN, Bot
from tests.fakes.discord_api import EPHEMERAL, FakeDiscord, button_labels


def newest(fake: FakeDiscord) -> dict[str, Any]:
    return fake.messages[max(fake.messages)]


async def test_mydata_is_private_lists_the_answers_and_erases_on_yes(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    bot: Bot = await launch(fake, ephemeral=False)  # public replies: mydata stays private
    first = dialog.distinctions[0]
    for person, choice in ((ANA, first.choices[0]), (BEN, first.choices[2])):
        await bot.act(fake.slash(person, "start"))
        await bot.act(fake.press(person, newest(fake), button_labels(newest(fake))[choice.label]))
    await bot.act(fake.slash(ANA, "mydata"))
    shown = newest(fake)
    assert shown["flags"] & EPHEMERAL
    assert shown["content"].startswith(f"**{messages.MYDATA_HEADING.format(platform='Discord')}**")
    assert f"{first.title}: {first.choices[0].label}" in shown["content"]
    assert first.choices[2].label not in shown["content"] and str(BEN.id) not in shown["content"]
    labels = button_labels(shown)
    assert set(labels) == {messages.DISCORD_FORGET_YES, messages.DISCORD_FORGET_NO}
    await bot.act(fake.press(BEN, shown, labels[messages.DISCORD_FORGET_YES]))
    assert await bot.answers(ANA) == 1  # only Ana can erase Ana
    await bot.act(fake.press(ANA, shown, labels[messages.DISCORD_FORGET_YES]))
    assert fake.messages[int(shown["id"])]["content"] == messages.FORGOTTEN
    assert await bot.answers(ANA) == -1 and await bot.answers(BEN) == 1
    await bot.act(fake.slash(ANA, "mydata"))
    assert newest(fake)["content"] == messages.MYDATA_NOTHING.format(platform="Discord")
    assert fake.unexpected == []
