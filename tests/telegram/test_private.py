"""A private chat with the real Application on the fake Bot API: buttons, free text,
commands, deep links, /forget, stale presses, HTML escaping and long messages."""

from __future__ import annotations

import io
import sqlite3
from dataclasses import replace
from pathlib import Path

from PIL import Image

from bot.conversations import Conversations
from bot.render import TELEGRAM_HTML, reply_text
from dialogs import messages
from dialogs.content import Dialog
from dialogs.profile import profile_of
from dialogs.state import Phase
from storage.keys import SessionKey
from storage.sessions import SessionStore
from tests.fakes.telegram_api import MESSAGE_LIMIT, FakeTelegram, User, escaped, private, visible
from tests.telegram.conftest import Bot, relaxed_limiter, running, services_on, settings_for
from tests.telegram.helpers import Message, answer_buttons, answers_to, asked, question, sent_since

ANA = User(1001, "Ana")
BEN = User(1002, "Ben")
CHAT = private(ANA)
KEY = SessionKey("telegram", str(ANA.id), str(ANA.id))


async def test_start_registers_the_command_menu(tg: FakeTelegram, bot: Bot) -> None:
    everywhere, groups, everywhere_es, groups_es = tg.called("setMyCommands")
    assert "language_code" not in everywhere and "language_code" not in groups
    names = [command["command"] for command in everywhere["commands"]]
    assert "scope" not in everywhere  # the default scope: private chats see these
    assert names == list(messages.TELEGRAM_COMMANDS)
    assert {"start", "resume", "back", "skip", "restart", "summary", "why", "help", "forget"} <= set(names)
    # Groups also get the workshop commands, after the personal ones.
    assert groups["scope"] == {"type": "all_group_chats"}
    in_groups = [command["command"] for command in groups["commands"]]
    assert in_groups == [*names, "workshop", "reveal", "next", "endworkshop"]
    # The same menus, in Spanish, for people whose Telegram is in Spanish.
    assert everywhere_es["language_code"] == groups_es["language_code"] == "es"
    assert [command["command"] for command in everywhere_es["commands"]] == names
    assert groups_es["scope"] == {"type": "all_group_chats"}
    spanish = {command["command"]: command["description"] for command in groups_es["commands"]}
    assert spanish["start"] == "Empezar, o seguir donde lo dejaste"
    assert spanish["language"] == "Elegir el idioma en que hablo"
    assert spanish["workshop"] == "Empezar un taller para todo el grupo"


async def test_whole_conversation_by_buttons_ends_with_the_profile(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    await bot.do(tg.say(CHAT, ANA, "/start"))
    assert tg.texts(CHAT.id)[0] == dialog.intro
    for number, distinction in enumerate(dialog.distinctions, 1):
        shown = question(tg, CHAT.id)
        assert f"Question {number} of {dialog.total}" in visible(shown["text"])
        assert asked(shown).distinction == distinction.id
        choice = distinction.choices[-1]
        mark = len(tg.calls)
        await bot.do(tg.press(ANA, shown, choice.label))
        # The press is answered first, then the explanation and the next step are sent,
        # then (a courtesy, as nobody else waits) the question is edited to show the
        # answer without buttons.
        methods = [call.method for call in tg.calls[mark:] if call.method != "getUpdates"]
        assert methods[:2] == ["answerCallbackQuery", "sendMessage"]
        assert methods.index("editMessageText") == len(methods) - 1  # once, after every send
        edited = tg.messages[(CHAT.id, shown["message_id"])]
        assert "reply_markup" not in edited
        assert visible(edited["text"]) == f"{distinction.question}\n✓ {choice.label}"
        explanation = visible(sent_since(tg, mark)[0]["text"])
        assert choice.reflection in explanation
        # Both sides of the difference, whatever was chosen.
        assert distinction.explain.job in explanation and distinction.explain.career in explanation
    turn = await conversations.current(KEY)
    assert turn is not None and turn.state.phase is Phase.DONE
    assert [a.choice for a in turn.state.answers] == [d.choices[-1].id for d in dialog.distinctions]
    profile = reply_text(profile_of(dialog, turn.state), TELEGRAM_HTML)
    # The profile in words, then its picture: a real PNG, phone-wide.
    picture = tg.last(CHAT.id)
    assert tg.texts(CHAT.id)[-2] == visible(profile) and "photo" in picture
    with Image.open(io.BytesIO(tg.photo(picture))) as image:
        assert image.format == "PNG" and image.width == 1080
    assert len(tg.called("sendPhoto")) == 1
    assert dialog.outro.heading in tg.texts(CHAT.id)[-2]
    assert len(tg.called("answerCallbackQuery")) == dialog.total


async def test_free_text_answers_in_a_private_chat(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    first, second = dialog.distinctions[0], dialog.distinctions[1]
    await bot.do(tg.say(CHAT, ANA, "/start"))
    mark = len(tg.calls)
    await bot.do(tg.say(CHAT, ANA, "2"))
    # One message: the answer as understood, the explanation, and the next question.
    (reply,) = sent_since(tg, mark)
    assert visible(reply["text"]).startswith(f"{first.question}\n✓ {first.choices[1].label}\n\n{first.title}")
    assert sent_since(tg, mark, "editMessageText") == []
    assert asked(question(tg, CHAT.id)).distinction == second.id
    await bot.do(tg.say(CHAT, ANA, "zzz qqq"))
    assert messages.FIRST_MISS.format(count=len(second.choices)) in tg.texts(CHAT.id)[-1]
    # Replying to the question message answers it and marks that very message.
    shown = question(tg, CHAT.id)
    await bot.do(tg.say(CHAT, ANA, "1", reply_to=shown))
    edited = tg.messages[(CHAT.id, shown["message_id"])]
    assert visible(edited["text"]).endswith(f"✓ {second.choices[0].label}")
    turn = await conversations.current(KEY)
    assert turn is not None
    assert [(a.distinction, a.choice) for a in turn.state.answers] == [
        (first.id, first.choices[1].id),
        (second.id, second.choices[0].id),
    ]


async def test_commands_map_to_the_engine(tg: FakeTelegram, bot: Bot, dialog: Dialog) -> None:
    await bot.do(tg.say(CHAT, ANA, "/help"))
    assert tg.texts(CHAT.id)[-1] == messages.HELP
    await bot.do(tg.say(CHAT, ANA, "/start"))
    await bot.do(tg.press(ANA, question(tg, CHAT.id), dialog.distinctions[0].choices[0].label))
    await bot.do(tg.say(CHAT, ANA, "/why"))
    assert tg.texts(CHAT.id)[-2] == messages.WHY_HEADING.format(why=dialog.distinctions[1].why)
    await bot.do(tg.say(CHAT, ANA, "/back"))
    assert asked(question(tg, CHAT.id)).distinction == dialog.distinctions[0].id
    await bot.do(tg.say(CHAT, ANA, "/skip"))
    assert messages.SKIPPED.format(title=dialog.distinctions[0].title) in tg.texts(CHAT.id)
    await bot.do(tg.say(CHAT, ANA, "/summary"))
    assert messages.SUMMARY_SO_FAR.format(answered=1, total=dialog.total) in tg.texts(CHAT.id)[-2]
    await bot.do(tg.say(CHAT, ANA, "/resume"))
    assert asked(question(tg, CHAT.id)).distinction == dialog.distinctions[1].id
    await bot.do(tg.say(CHAT, ANA, "/restart"))
    assert tg.texts(CHAT.id)[-2] == messages.RESTARTED


async def test_action_buttons_and_welcome_back(tg: FakeTelegram, bot: Bot, dialog: Dialog) -> None:
    await bot.do(tg.say(CHAT, ANA, "/start"))
    await bot.do(tg.press(ANA, question(tg, CHAT.id), dialog.distinctions[0].choices[0].label))
    shown = question(tg, CHAT.id)
    await bot.do(tg.press(ANA, shown, messages.TELEGRAM_BUTTONS["why"]))
    # The pressed question loses its buttons; the why and the question itself follow.
    assert "reply_markup" not in tg.messages[(CHAT.id, shown["message_id"])]
    assert tg.texts(CHAT.id)[-2] == messages.WHY_HEADING.format(why=dialog.distinctions[1].why)
    await bot.do(tg.press(ANA, question(tg, CHAT.id), messages.TELEGRAM_BUTTONS["back"]))
    assert asked(question(tg, CHAT.id)).distinction == dialog.distinctions[0].id
    await bot.do(tg.say(CHAT, ANA, "/start"))
    welcome = tg.chat_messages(CHAT.id)[-2]
    assert visible(welcome["text"]) == messages.WELCOME_BACK.format(
        title=dialog.title, answered=1, total=dialog.total, position=1
    )
    assert tg.buttons(welcome) == [messages.TELEGRAM_BUTTONS["restart"]]
    await bot.do(tg.press(ANA, welcome, messages.TELEGRAM_BUTTONS["restart"]))
    assert messages.RESTARTED in tg.texts(CHAT.id)


async def test_deep_link_payload_names_the_dialog(tg: FakeTelegram, bot: Bot, dialog: Dialog) -> None:
    await bot.do(tg.say(CHAT, ANA, f"/start {dialog.id}"))
    assert tg.texts(CHAT.id)[0] == dialog.intro
    await bot.do(tg.say(CHAT, ANA, "/start no-such-dialog"))
    assert tg.texts(CHAT.id)[-1] == messages.UNKNOWN_DIALOG.format(dialog="no-such-dialog", known=dialog.id)


async def answered_first(tg: FakeTelegram, bot: Bot) -> Message:
    """Ana starts and answers the first question (its first choice); the question as
    it was shown, buttons and all."""
    await bot.do(tg.say(CHAT, ANA, "/start"))
    first = question(tg, CHAT.id)
    await bot.do(tg.press(ANA, first, answer_buttons(first)[0]["text"]))
    return first


async def test_a_press_on_an_answered_question_gets_a_notification_and_no_message(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    first = await answered_first(tg, bot)
    before = await conversations.current(KEY)
    # The person presses another choice on the first question (as shown before the edit,
    # which is what they see when the edit was skipped at Telegram's ceiling).
    mark, shown = len(tg.calls), len(tg.texts(CHAT.id))
    await bot.do(tg.press(ANA, first, dialog.distinctions[0].choices[2].label))
    after = await conversations.current(KEY)
    assert before is not None and after is not None and after.state == before.state
    # The press is answered with a notification (not an alert box) saying what to do...
    answered = answers_to(tg, mark)
    assert [(a["text"], a.get("show_alert", "false")) for a in answered] == [
        (messages.ALREADY_ANSWERED, "false")
    ]
    # ... and costs no message: nothing sent, nothing edited.
    methods = {call.method for call in tg.calls[mark:]} - {"getUpdates"}
    assert methods == {"answerCallbackQuery"}
    assert len(tg.texts(CHAT.id)) == shown
    assert asked(question(tg, CHAT.id)).distinction == dialog.distinctions[1].id
    # The first question keeps showing the answer that was recorded.
    edited = tg.messages[(CHAT.id, first["message_id"])]
    assert visible(edited["text"]).endswith(dialog.distinctions[0].choices[0].label)


async def test_a_press_on_an_answered_question_is_told_in_the_persons_language(
    tg: FakeTelegram, bot: Bot, dialog: Dialog
) -> None:
    await bot.do(tg.say(CHAT, ANA, "/language es"))
    first = await answered_first(tg, bot)
    mark = len(tg.calls)
    await bot.do(tg.press(ANA, first, answer_buttons(first)[1]["text"]))
    told = answers_to(tg, mark)[0]["text"]
    assert told == "Ya has respondido a esta pregunta. Para cambiar tu respuesta, vuelve a ella con /back."


async def test_someone_elses_left_over_button_still_records_nothing_for_them(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    first = await answered_first(tg, bot)
    # Ben presses Ana's answered question (a forwarded or shared message): the foreign
    # alert, as before, and nothing recorded or sent for either.
    mark = len(tg.calls)
    await bot.do(tg.press(BEN, first, dialog.distinctions[0].choices[1].label))
    answered = answers_to(tg, mark)
    assert len(answered) == 1 and answered[0]["show_alert"] == "true"
    assert answered[0]["text"] != messages.ALREADY_ANSWERED
    assert not {"sendMessage", "editMessageText", "editMessageReplyMarkup"} & {
        c.method for c in tg.calls[mark:]
    }
    assert await conversations.current(SessionKey("telegram", str(CHAT.id), str(BEN.id))) is None


async def test_garbage_button_data_is_answered_as_expired(tg: FakeTelegram, bot: Bot) -> None:
    await bot.do(tg.say(CHAT, ANA, "/start"))
    await bot.do(tg.press(ANA, question(tg, CHAT.id), "not-our-data"))
    [*_, expired] = tg.called("answerCallbackQuery")
    assert expired["text"] == messages.BUTTON_EXPIRED
    assert expired["show_alert"] == "true"


async def test_forget_asks_first_then_erases(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    await bot.do(tg.say(CHAT, ANA, "/start"))
    await bot.do(tg.press(ANA, question(tg, CHAT.id), dialog.distinctions[0].choices[0].label))
    await bot.do(tg.say(CHAT, ANA, "/forget"))
    confirm = tg.last(CHAT.id)
    assert visible(confirm["text"]) == messages.FORGET_CONFIRM
    assert tg.buttons(confirm) == [
        messages.TELEGRAM_BUTTONS["forget-yes"],
        messages.TELEGRAM_BUTTONS["forget-no"],
    ]
    await bot.do(tg.press(ANA, confirm, messages.TELEGRAM_BUTTONS["forget-no"]))
    assert visible(tg.messages[(CHAT.id, confirm["message_id"])]["text"]) == messages.FORGET_CANCELLED
    assert await conversations.current(KEY) is not None
    await bot.do(tg.say(CHAT, ANA, "/forget"))
    confirm = tg.last(CHAT.id)
    await bot.do(tg.press(ANA, confirm, messages.TELEGRAM_BUTTONS["forget-yes"]))
    done = tg.messages[(CHAT.id, confirm["message_id"])]
    assert visible(done["text"]) == messages.FORGOTTEN
    assert "reply_markup" not in done
    assert await conversations.current(KEY) is None


async def test_text_from_a_person_is_escaped(tg: FakeTelegram, bot: Bot) -> None:
    # The fake refuses HTML that Telegram could not parse, so an unescaped "<b" fails the send.
    command = "/dance<b>&</i>"
    await bot.do(tg.say(CHAT, ANA, command))
    sent = tg.last(CHAT.id)["text"]
    assert escaped(command) in sent
    assert visible(sent) == messages.UNKNOWN_COMMAND.format(command=command)


async def test_a_message_over_4096_characters_is_split(
    tg: FakeTelegram, store: SessionStore, dialog: Dialog, db_path: Path
) -> None:
    paragraph = "A long introduction & <more>. " * 40
    long_intro = "\n".join([paragraph] * 8)
    assert len(long_intro) > MESSAGE_LIMIT
    conversations = Conversations(store, {dialog.id: replace(dialog, intro=long_intro)}, dialog.id)
    async with (
        services_on(conversations, db_path) as services,
        running(services, settings_for(tg), rate_limiter=relaxed_limiter()) as bot,
    ):
        await bot.do(tg.say(CHAT, ANA, "/start"))
    # Telegram's limit counts what a person sees, not the HTML.
    assert len(tg.texts(CHAT.id)) > 2 and all(len(text) <= MESSAGE_LIMIT for text in tg.texts(CHAT.id))
    # The parts, read in order, are the whole intro; the question follows with its buttons.
    assert "\n".join(tg.texts(CHAT.id)[:-1]) == long_intro
    assert answer_buttons(tg.last(CHAT.id))


async def test_a_long_message_is_never_split_inside_an_entity(
    tg: FakeTelegram, store: SessionStore, dialog: Dialog, db_path: Path
) -> None:
    # No line break and no space to cut at, and every character escaped: a cut by the
    # length of the HTML lands inside an "&amp;", which Telegram refuses to parse.
    long_intro = "&" * (MESSAGE_LIMIT + 500)
    conversations = Conversations(store, {dialog.id: replace(dialog, intro=long_intro)}, dialog.id)
    async with (
        services_on(conversations, db_path) as services,
        running(services, settings_for(tg), rate_limiter=relaxed_limiter()) as bot,
    ):
        await bot.do(tg.say(CHAT, ANA, "/start"))
    assert tg.violations == []
    parts = tg.texts(CHAT.id)[:-1]
    assert "".join(parts) == long_intro and all(len(part) <= MESSAGE_LIMIT for part in parts)


async def test_a_press_is_answered_only_after_its_answer_is_stored(
    tg: FakeTelegram, bot: Bot, db_path: Path, dialog: Dialog
) -> None:
    """The callback answer is an acknowledgement: when it goes out, the answer is on disk."""
    stored_when_answered: list[int] = []

    def count_stored(_params: dict[str, object]) -> None:
        with sqlite3.connect(db_path) as raw:
            stored_when_answered.append(raw.execute("SELECT count(*) FROM answers").fetchone()[0])

    tg.watchers["answerCallbackQuery"] = count_stored
    await bot.do(tg.say(CHAT, ANA, "/start"))
    for distinction in dialog.distinctions[:3]:
        await bot.do(tg.press(ANA, question(tg, CHAT.id), distinction.choices[0].label))
    assert stored_when_answered == [1, 2, 3]


async def test_words_the_bot_is_not_sure_of_are_confirmed_with_buttons(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    await bot.do(tg.say(CHAT, ANA, "/start"))
    await bot.do(tg.say(CHAT, ANA, "it is a role i do for the salary but i also like the trade"))
    asking = tg.last(CHAT.id)
    labels = [b["text"] for row in asking["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == [messages.CONFIRM_BUTTONS["yes"], messages.CONFIRM_BUTTONS["no"]]
    turn = await conversations.current(KEY)
    assert turn is not None and turn.state.answers == () and turn.state.pending is not None
    await bot.do(tg.press(ANA, asking, messages.CONFIRM_BUTTONS["yes"]))
    turn = await conversations.current(KEY)
    assert turn is not None and [a.choice for a in turn.state.answers] == [turn.state.answers[0].choice]
    assert turn.state.position_in(dialog) == 1 and turn.state.pending is None


async def test_a_reply_to_a_question_already_answered_on_another_device_is_not_moved_on(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    """The phone and the laptop both show question 1. The phone answers it with a button;
    the laptop, still showing question 1, replies "3" to it: that is not an answer to
    question 2, which the laptop has not shown. The person sees where they are now."""
    first, second = dialog.distinctions[0], dialog.distinctions[1]
    await bot.do(tg.say(CHAT, ANA, "/start"))
    on_the_laptop = question(tg, CHAT.id)
    await bot.do(tg.press(ANA, question(tg, CHAT.id), first.choices[0].label))
    await bot.do(tg.say(CHAT, ANA, "3", reply_to=on_the_laptop))
    assert tg.texts(CHAT.id)[-2] == messages.STALE_TEXT
    assert asked(question(tg, CHAT.id)).distinction == second.id
    turn = await conversations.current(KEY)
    assert turn is not None and [(a.distinction, a.choice) for a in turn.state.answers] == [
        (first.id, first.choices[0].id)
    ]
    # Replying "3" to question 2 answers it.
    await bot.do(tg.say(CHAT, ANA, "3", reply_to=question(tg, CHAT.id)))
    turn = await conversations.current(KEY)
    assert turn is not None and turn.state.answer_for(second.id) is not None
