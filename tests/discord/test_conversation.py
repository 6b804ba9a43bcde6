"""The person's conversation over Discord, driven through a real discord.py client."""

from __future__ import annotations

import io
import time
from typing import Any

from PIL import Image

from dialogs import messages
from dialogs.content import Dialog
from tests.discord.conftest import ANA, BEN, Bot
from tests.fakes.discord_api import (
    CHANNEL_MESSAGE,
    DEFERRED_MESSAGE,
    DEFERRED_UPDATE,
    EPHEMERAL,
    MODAL,
    FakeDiscord,
    button_labels,
)


def callbacks(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [c.body for c in fake.calls_to("POST", "/interactions/")]


async def test_guild_start_to_profile_through_buttons(fake: FakeDiscord, launch: Any, dialog: Dialog) -> None:
    bot: Bot = await launch(fake)
    await bot.act(fake.slash(ANA, "start"))
    assert callbacks(fake)[-1] == {"type": DEFERRED_MESSAGE, "data": {"flags": EPHEMERAL}}
    question = fake.messages[max(fake.messages)]
    assert question["flags"] & EPHEMERAL
    for n, distinction in enumerate(dialog.distinctions):
        assert distinction.title in question["content"], question["content"]
        choice = distinction.choices[0]
        pressed_id = question["id"]
        await bot.act(fake.press(ANA, question, button_labels(question)[choice.label]))
        assert callbacks(fake)[-1]["type"] == DEFERRED_UPDATE
        # The pressed question now shows the answer, without buttons.
        pressed = fake.messages[int(pressed_id)]
        assert "✓" in pressed["content"] and pressed["components"] == []
        assert await bot.answers(ANA) == n + 1
        question = fake.messages[max(fake.messages)]
        assert question["flags"] & EPHEMERAL
    # The profile is long enough to take several messages: its heading opens the first.
    assert any(dialog.outro.heading in m["content"] for m in fake.messages.values())
    # The last message is the profile's picture: a PNG attachment, private like the rest.
    assert question["flags"] & EPHEMERAL and question["attachments"][0]["filename"] == "profile.png"
    with Image.open(io.BytesIO(fake.attachment(question))) as image:
        assert image.format == "PNG" and image.width == 1080
    words = fake.messages[sorted(fake.messages)[-2]]
    assert dialog.outro.closing[dialog.distinctions[0].choices[0].leans] in words["content"]
    assert question["components"] == []
    assert fake.unexpected == []


def newest(fake: FakeDiscord) -> dict[str, Any]:
    return fake.messages[max(fake.messages)]


async def test_dm_start_to_profile_with_ordinary_messages(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    bot: Bot = await launch(fake)
    dm = fake.dm_channel(ANA)
    await bot.act(fake.slash(ANA, "start", channel_id=dm))
    assert callbacks(fake)[-1] == {"type": DEFERRED_MESSAGE}
    for distinction in dialog.distinctions:
        question = newest(fake)
        assert distinction.title in question["content"]
        await bot.act(fake.press(ANA, question, button_labels(question)[distinction.choices[-1].label]))
    assert await bot.answers(ANA, dm) == dialog.total
    assert await bot.answers(ANA) == -1  # the DM session is its own, not the server channel's
    assert all(not m["flags"] & EPHEMERAL for m in fake.messages.values())
    assert all(m["channel_id"] == str(dm) for m in fake.messages.values())
    assert any(dialog.outro.heading in m["content"] for m in fake.messages.values())
    assert newest(fake)["attachments"][0]["filename"] == "profile.png"  # and its picture, in the DM
    assert fake.unexpected == []


async def test_free_text_answer_through_the_modal(fake: FakeDiscord, launch: Any, dialog: Dialog) -> None:
    bot: Bot = await launch(fake)
    await bot.act(fake.slash(ANA, "start"))
    question = newest(fake)
    await bot.act(fake.press(ANA, question, button_labels(question)[messages.DISCORD_OWN_WORDS_BUTTON]))
    modal = callbacks(fake)[-1]
    assert modal["type"] == MODAL and modal["data"]["title"] == messages.DISCORD_OWN_WORDS_TITLE
    assert await bot.answers(ANA) == 0  # opening the form records nothing

    modal_id = modal["data"]["custom_id"]
    field = modal["data"]["components"][0]["components"][0]["custom_id"]
    # Six words are more than one synonym can settle: the bot asks before it records.
    await bot.act(fake.submit(ANA, modal_id, {field: "it is a role, for the salary"}))
    assert await bot.answers(ANA) == 0
    asking = newest(fake)
    assert '"A role I fill to earn a salary"' in asking["content"] and asking["flags"] & EPHEMERAL
    await bot.act(fake.press(ANA, asking, button_labels(asking)[messages.CONFIRM_BUTTONS["yes"]]))
    turn = await bot.conversations.current(bot.key(ANA))
    assert turn is not None and [(a.distinction, a.choice) for a in turn.state.answers] == [("work", "role")]
    reply = newest(fake)
    assert dialog.distinctions[1].title in reply["content"]
    assert reply["flags"] & EPHEMERAL

    # The same form sent again belongs to a question already answered: nothing is recorded.
    await bot.act(fake.submit(ANA, modal_id, {field: "my own path"}))
    assert await bot.answers(ANA) == 1
    assert messages.STALE_TEXT in newest(fake)["content"]
    assert dialog.distinctions[1].title in newest(fake)["content"]


async def test_old_buttons_work_after_the_bot_restarts(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    first: Bot = await launch(fake)
    await first.act(fake.slash(ANA, "start"))
    stale = newest(fake)  # question 1, turn 1
    await first.act(fake.slash(ANA, "skip"))  # a command, so question 1 keeps its buttons
    current = newest(fake)  # question 2, sent by the first process
    assert dialog.distinctions[1].title in current["content"]
    await first.shut_down()

    second: Bot = await launch(fake)  # a new client and a new connection to the same file
    assert fake.identified_tokens == [first.client.http.token, second.client.http.token]
    choice = dialog.distinctions[1].choices[0]
    await second.act(fake.press(ANA, current, button_labels(current)[choice.label]))
    turn = await second.conversations.current(second.key(ANA))
    assert turn is not None
    assert [(a.distinction, a.choice) for a in turn.state.answers] == [("work", None), ("value", choice.id)]
    assert dialog.distinctions[2].title in newest(fake)["content"]

    # A button from an earlier question records nothing and shows where the person is.
    before = newest(fake)["id"]
    await second.act(fake.press(ANA, stale, button_labels(stale)[dialog.distinctions[0].choices[2].label]))
    assert await second.answers(ANA) == 1
    reply = newest(fake)
    assert reply["id"] != before
    assert messages.STALE_CHOICE in reply["content"] and dialog.distinctions[2].title in reply["content"]
    assert fake.unexpected == []


async def test_someone_elses_button_records_nothing(fake: FakeDiscord, launch: Any) -> None:
    bot: Bot = await launch(fake, ephemeral=False)
    await bot.act(fake.slash(ANA, "start"))
    question = newest(fake)
    assert not question["flags"] & EPHEMERAL  # public mode: everyone sees Ana's question
    count = len(fake.messages)
    await bot.act(fake.press(BEN, question, next(iter(button_labels(question).values()))))
    reply = callbacks(fake)[-1]
    assert reply["type"] == CHANNEL_MESSAGE and reply["data"]["flags"] == EPHEMERAL
    assert reply["data"]["content"] == messages.DISCORD_FOREIGN_BUTTON.format(owner=f"<@{ANA.id}>")
    assert "/career start" in reply["data"]["content"]
    assert reply["data"]["allowed_mentions"]["parse"] == []
    assert await bot.answers(ANA) == 0 and await bot.answers(BEN) == -1
    assert len(fake.messages) == count + 1 and fake.messages[int(question["id"])] == question


async def test_forget_asks_first_then_erases(fake: FakeDiscord, launch: Any, dialog: Dialog) -> None:
    bot: Bot = await launch(fake)
    await bot.act(fake.slash(ANA, "start"))
    question = newest(fake)
    await bot.act(fake.press(ANA, question, button_labels(question)[dialog.distinctions[0].choices[0].label]))
    assert await bot.answers(ANA) == 1

    await bot.act(fake.slash(ANA, "forget"))
    prompt = newest(fake)
    assert prompt["content"] == messages.FORGET_CONFIRM and prompt["flags"] & EPHEMERAL
    await bot.act(fake.press(ANA, prompt, button_labels(prompt)[messages.DISCORD_FORGET_NO]))
    assert fake.messages[int(prompt["id"])]["content"] == messages.FORGET_CANCELLED
    assert await bot.answers(ANA) == 1

    await bot.act(fake.slash(ANA, "forget"))
    prompt = newest(fake)
    await bot.act(fake.press(BEN, prompt, button_labels(prompt)[messages.DISCORD_FORGET_YES]))
    assert await bot.answers(ANA) == 1  # only Ana can erase Ana
    await bot.act(fake.press(ANA, prompt, button_labels(prompt)[messages.DISCORD_FORGET_YES]))
    assert fake.messages[int(prompt["id"])]["content"] == messages.FORGOTTEN
    assert fake.messages[int(prompt["id"])]["components"] == []
    assert await bot.answers(ANA) == -1


async def test_command_buttons_and_commands_map_to_the_engine(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    bot: Bot = await launch(fake)
    await bot.act(fake.slash(ANA, "start"))
    question = newest(fake)
    await bot.act(fake.press(ANA, question, button_labels(question)[messages.DISCORD_ACTION_LABELS["skip"]]))
    assert fake.messages[int(question["id"])]["components"] == []  # only the newest question stays live
    assert dialog.distinctions[1].title in newest(fake)["content"]
    question = newest(fake)
    await bot.act(fake.press(ANA, question, button_labels(question)[messages.DISCORD_ACTION_LABELS["back"]]))
    assert dialog.distinctions[0].title in newest(fake)["content"]
    await bot.act(fake.slash(ANA, "why"))
    assert dialog.distinctions[0].why[:40] in newest(fake)["content"]
    await bot.act(fake.slash(ANA, "help"))
    help_text = newest(fake)["content"]
    assert "/career start" in help_text and "/career forget" in help_text  # commands as Discord names them
    await bot.act(fake.slash(ANA, "start", dialog="no-such-dialog"))
    assert "no-such-dialog" in newest(fake)["content"]
    await bot.act(fake.slash(ANA, "restart"))
    assert messages.RESTARTED in newest(fake)["content"]


async def test_unknown_button_is_answered_not_failed(fake: FakeDiscord, launch: Any) -> None:
    bot: Bot = await launch(fake)
    await bot.act(fake.slash(ANA, "start"))
    message = dict(newest(fake))
    message["components"] = [
        {"type": 1, "components": [{"type": 2, "style": 2, "label": "old", "custom_id": "0:x:y"}]}
    ]
    await bot.act(fake.press(ANA, message, "0:x:y"))
    reply = callbacks(fake)[-1]
    assert reply["type"] == CHANNEL_MESSAGE
    assert reply["data"]["content"] == messages.DISCORD_EXPIRED_BUTTON
    assert reply["data"]["flags"] == EPHEMERAL


async def test_expired_token_sends_a_new_message_instead_of_editing(fake: FakeDiscord, launch: Any) -> None:
    # The clock says the interaction is 20 minutes old once it has been acknowledged.
    later = {"offset": 0.0}
    bot: Bot = await launch(fake, clock=lambda: time.time() + later["offset"])
    dm = fake.dm_channel(ANA)
    later["offset"] = 20 * 60.0
    await bot.act(fake.slash(ANA, "start", channel_id=dm))
    assert callbacks(fake)[-1] == {"type": DEFERRED_MESSAGE}  # acknowledged all the same
    assert fake.calls_to("PATCH", "/webhooks/") == [] and fake.calls_to("POST", "/webhooks/") == []
    posted = fake.calls_to("POST", f"/channels/{dm}/messages")
    assert len(posted) == 1 and posted[0].body["components"]


async def test_a_command_that_no_longer_exists_gets_an_apology(fake: FakeDiscord, launch: Any) -> None:
    bot: Bot = await launch(fake)
    await bot.act(fake.slash(ANA, "teleport"))  # still listed by Discord, gone from the bot
    reply = callbacks(fake)[-1]
    assert reply["type"] == CHANNEL_MESSAGE
    assert reply["data"]["content"] == messages.DISCORD_FAILED and reply["data"]["flags"] == EPHEMERAL
