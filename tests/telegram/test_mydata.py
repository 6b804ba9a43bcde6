"""/mydata on Telegram through the real Application and the fake Bot API: shown only in
the person's private chat, with the buttons to erase it."""

from __future__ import annotations

from bot.conversations import Conversations
from dialogs import messages
from dialogs.content import Dialog
from storage.keys import SessionKey
from tests.fakes.telegram_api import BOT_USERNAME, Chat, FakeTelegram, User, private, visible
from tests.telegram.conftest import Bot
from tests.telegram.helpers import question, sent_since

ANA = User(3001, "Ana")
BEN = User(3002, "Ben")
GROUP = Chat(-100700, "supergroup", title="Careers club")


async def test_mydata_in_private_shows_it_and_erases_on_yes(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    chat = private(ANA)
    await bot.do(tg.say(chat, ANA, "/start"))
    choice = dialog.distinctions[0].choices[1]
    await bot.do(tg.press(ANA, question(tg, chat.id), choice.label))
    await bot.do(tg.say(chat, ANA, "/mydata"))
    shown = tg.last(chat.id)
    text = visible(shown["text"])
    assert text.startswith(messages.MYDATA_HEADING.format(platform="Telegram"))
    assert f"{dialog.distinctions[0].title}: {choice.label}" in text and messages.MYDATA_FORGET in text
    assert tg.buttons(shown) == [
        messages.TELEGRAM_BUTTONS["forget-yes"],
        messages.TELEGRAM_BUTTONS["forget-no"],
    ]
    await bot.do(tg.press(ANA, shown, messages.TELEGRAM_BUTTONS["forget-yes"]))
    assert visible(tg.messages[(chat.id, shown["message_id"])]["text"]) == messages.FORGOTTEN
    assert await conversations.current(SessionKey("telegram", str(ANA.id), str(ANA.id))) is None


async def test_mydata_in_a_group_goes_to_the_private_chat_or_says_how_to_open_it(
    tg: FakeTelegram, bot: Bot, dialog: Dialog
) -> None:
    await bot.do(tg.say(private(ANA), ANA, "/help"))  # Ana has opened a private chat; Ben has not
    for member in (ANA, BEN):
        await bot.do(tg.say(GROUP, member, f"/start@{BOT_USERNAME}"))
        await bot.do(
            tg.press(member, question(tg, GROUP.id, member.id), dialog.distinctions[0].choices[0].label)
        )
    in_group = len(tg.chat_messages(GROUP.id))
    mark = len(tg.calls)
    await bot.do(tg.say(GROUP, ANA, "/mydata"))
    privately = visible(tg.last(ANA.id)["text"])
    assert "in chat -100700" in privately and str(BEN.id) not in privately
    assert messages.MYDATA_IN_PRIVATE in tg.texts(GROUP.id)[-1]
    # The group sees one line, and nothing of the data.
    assert len(tg.chat_messages(GROUP.id)) == in_group + 1
    assert dialog.distinctions[0].choices[0].label not in tg.texts(GROUP.id)[-1]

    await bot.do(tg.say(GROUP, BEN, "/mydata"))
    refused = [p for p in sent_since(tg, mark) if str(p["chat_id"]) == str(BEN.id)]
    assert refused  # tried his private chat, which Telegram refused: he never opened it
    assert BEN.id not in {chat for chat, _ in tg.messages}
    note = tg.texts(GROUP.id)[-1]
    assert f"t.me/{BOT_USERNAME}" in note and "/mydata" in note
    assert dialog.distinctions[0].title not in note
