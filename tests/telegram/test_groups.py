"""Groups: one session per member (and per forum topic), privacy-mode friendly input,
foreign presses refused with the owner's name, names escaped."""

from __future__ import annotations

from bot.buttons import FORGET_NO, AnswerButton, CommandButton, encode
from bot.conversations import Conversations
from dialogs import messages
from dialogs.content import Dialog
from storage.keys import SessionKey
from tests.fakes.telegram_api import BOT_USERNAME, Chat, FakeTelegram, User, escaped, visible
from tests.telegram.conftest import Bot
from tests.telegram.helpers import asked, question

ANA = User(2001, "Ana")
BEN = User(2002, "Ben")
GROUP = Chat(-100500, "supergroup", title="Careers club")
FORUM = Chat(-100600, "supergroup", title="Careers forum", is_forum=True)


def key(user: User, chat: str = str(GROUP.id)) -> SessionKey:
    return SessionKey("telegram", chat, str(user.id))


async def answers(conversations: Conversations, user: User, chat: str = str(GROUP.id)) -> list[str | None]:
    turn = await conversations.current(key(user, chat))
    assert turn is not None
    return [answer.choice for answer in turn.state.answers]


async def test_two_members_answer_interleaved_without_touching(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    first, second = dialog.distinctions[0], dialog.distinctions[1]
    await bot.do(tg.say(GROUP, ANA, f"/start@{BOT_USERNAME}"))
    await bot.do(tg.say(GROUP, BEN, "/start"))
    ana_q, ben_q = question(tg, GROUP.id, ANA.id), question(tg, GROUP.id, BEN.id)
    assert ana_q["message_id"] != ben_q["message_id"]
    # Each question is addressed to its member, by a mention.
    assert ana_q["text"].startswith(f'<a href="tg://user?id={ANA.id}">Ana</a>\n')
    assert ben_q["text"].startswith(f'<a href="tg://user?id={BEN.id}">Ben</a>\n')
    await bot.do(tg.press(ANA, ana_q, first.choices[0].label))
    await bot.do(tg.press(BEN, ben_q, first.choices[2].label))
    # Ana answers her second question by replying to it (privacy mode lets the bot see replies).
    await bot.do(tg.say(GROUP, ANA, "1", reply_to=question(tg, GROUP.id, ANA.id)))
    await bot.do(tg.press(BEN, question(tg, GROUP.id, BEN.id), messages.TELEGRAM_BUTTONS["skip"]))
    assert await answers(conversations, ANA) == [first.choices[0].id, second.choices[0].id]
    assert await answers(conversations, BEN) == [first.choices[2].id, None]
    assert asked(question(tg, GROUP.id, ANA.id)).distinction == dialog.distinctions[2].id
    assert asked(question(tg, GROUP.id, BEN.id)).distinction == dialog.distinctions[2].id
    # Each member's answered questions show their own answers.
    marked = [visible(m["text"]) for m in tg.chat_messages(GROUP.id) if "✓" in m["text"]]
    assert f"Ana\n{first.question}\n✓ {first.choices[0].label}" in marked
    assert f"Ben\n{first.question}\n✓ {first.choices[2].label}" in marked


async def test_a_press_on_someone_elses_question_is_refused(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    await bot.do(tg.say(GROUP, ANA, "/start"))
    ana_q = question(tg, GROUP.id, ANA.id)
    sent_before = len(tg.called("sendMessage"))
    await bot.do(tg.press(BEN, ana_q, dialog.distinctions[0].choices[1].label))
    [alert] = tg.called("answerCallbackQuery")
    assert alert["text"] == messages.FOREIGN_BUTTON.format(name="Ana")
    assert alert["show_alert"] == "true"
    # Nothing recorded, nothing sent, Ana's question untouched, and Ben has no session.
    assert await answers(conversations, ANA) == []
    assert await conversations.current(key(BEN)) is None
    assert len(tg.called("sendMessage")) == sent_before
    assert tg.messages[(GROUP.id, ana_q["message_id"])] == ana_q
    # Ana's own press still works.
    await bot.do(tg.press(ANA, ana_q, dialog.distinctions[0].choices[1].label))
    assert await answers(conversations, ANA) == [dialog.distinctions[0].choices[1].id]


async def test_data_naming_the_presser_on_someone_elses_message_edits_nothing(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    # A modified client can send any callback data with a press; here Ben's own data
    # (a /start and a forget button of his) arrives on Ana's question.
    await bot.do(tg.say(GROUP, ANA, "/start"))
    await bot.do(tg.say(GROUP, BEN, "/start"))
    ana_q = question(tg, GROUP.id, ANA.id)
    mark = len(tg.calls)
    ben_asked = asked(question(tg, GROUP.id, BEN.id))
    forged = [
        encode(AnswerButton(str(BEN.id), ben_asked.distinction, dialog.distinctions[0].choices[0].id, 1)),
        encode(CommandButton(str(BEN.id), "skip")),
        encode(CommandButton(str(BEN.id), FORGET_NO)),
    ]
    for data in forged:
        await bot.do(tg.press(BEN, ana_q, data))
    # Ana's question is as it was, and neither session moved.
    assert tg.messages[(GROUP.id, ana_q["message_id"])] == ana_q
    assert not [c for c in tg.calls[mark:] if c.method.startswith("edit")]
    alerts = [c.params["text"] for c in tg.calls[mark:] if c.method == "answerCallbackQuery"]
    assert alerts == [messages.FOREIGN_BUTTON.format(name="Ana")] * len(forged)
    assert await answers(conversations, ANA) == [] and await answers(conversations, BEN) == []


async def test_foreign_forget_button_erases_nothing(
    tg: FakeTelegram, bot: Bot, conversations: Conversations
) -> None:
    await bot.do(tg.say(GROUP, ANA, "/start"))
    await bot.do(tg.say(GROUP, ANA, "/forget"))
    confirm = tg.last(GROUP.id)
    await bot.do(tg.press(BEN, confirm, messages.TELEGRAM_BUTTONS["forget-yes"]))
    assert tg.called("answerCallbackQuery")[-1]["text"] == messages.FOREIGN_BUTTON.format(name="Ana")
    assert await conversations.current(key(ANA)) is not None


async def test_group_chatter_is_ignored_and_commands_must_be_addressed(tg: FakeTelegram, bot: Bot) -> None:
    await bot.do(tg.say(GROUP, ANA, "hello everyone, 2"))
    await bot.do(tg.say(GROUP, ANA, "/dance"))
    await bot.do(tg.say(GROUP, ANA, "/start@some_other_bot"))
    assert tg.called("sendMessage") == []
    await bot.do(tg.say(GROUP, ANA, f"/dance@{BOT_USERNAME}"))
    [reply] = tg.texts(GROUP.id)
    assert reply.endswith(messages.UNKNOWN_COMMAND.format(command=f"/dance@{BOT_USERNAME}"))


async def test_html_in_a_members_name_is_escaped(tg: FakeTelegram, bot: Bot, dialog: Dialog) -> None:
    mallory = User(2003, "<b>Mal</b> & <i>co")
    await bot.do(tg.say(GROUP, mallory, "/start"))
    shown = question(tg, GROUP.id, mallory.id)
    assert escaped(mallory.first_name) in shown["text"]
    assert visible(shown["text"]).startswith(f"{mallory.first_name}\n")
    await bot.do(tg.press(BEN, shown, dialog.distinctions[0].choices[0].label))
    # An alert is plain text: the name appears as the person wrote it.
    assert tg.called("answerCallbackQuery")[-1]["text"] == messages.FOREIGN_BUTTON.format(
        name=mallory.first_name
    )


async def test_forum_topics_keep_separate_sessions(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    await bot.do(tg.say(FORUM, ANA, "/start", thread=7))
    await bot.do(tg.say(FORUM, ANA, "/start", thread=9))
    in_seven = [m for m in tg.chat_messages(FORUM.id) if m.get("message_thread_id") == 7]
    assert len(in_seven) == 2 and len(tg.chat_messages(FORUM.id)) == 4
    await bot.do(tg.press(ANA, in_seven[-1], dialog.distinctions[0].choices[0].label))
    assert await answers(conversations, ANA, f"{FORUM.id}/7") == [dialog.distinctions[0].choices[0].id]
    assert await answers(conversations, ANA, f"{FORUM.id}/9") == []
    assert all(call["message_thread_id"] in ("7", "9") for call in tg.called("sendMessage"))


async def test_a_foreign_press_without_a_known_owner_gets_a_generic_alert(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    await bot.do(tg.say(GROUP, ANA, "/start"))
    tg.fail_next("getChatMember", 400, "Bad Request: user not found")
    await bot.do(tg.press(BEN, question(tg, GROUP.id, ANA.id), dialog.distinctions[0].choices[0].label))
    assert tg.called("answerCallbackQuery")[-1]["text"] == messages.FOREIGN_BUTTON_UNNAMED
    assert await answers(conversations, ANA) == []
