"""The person's language on Telegram: their app's ``language_code``, /language, /forget.

Runs the real Application against the fake Bot API with the built-in content (English,
and Spanish from dialogs/content/es)."""

from __future__ import annotations

from bot.conversations import Conversations
from bot.pictures import draw
from bot.render import TELEGRAM_HTML, reply_text
from dialogs.content import Dialog
from dialogs.i18n import ENGLISH, messages, speaking
from dialogs.profile import profile_of
from dialogs.state import Phase
from storage.keys import SessionKey
from tests.fakes.telegram_api import BOT_USERNAME, Chat, FakeTelegram, User, private, visible
from tests.telegram.conftest import Bot
from tests.telegram.helpers import asked, question, sent_since, vote_buttons, vote_question

LUCIA = User(2001, "Lucía", language_code="es")
ANA = User(2002, "Ana", language_code="en")


def key_of(user: User) -> SessionKey:
    return SessionKey("telegram", str(user.id), str(user.id))


async def test_a_spanish_telegram_has_the_whole_conversation_in_spanish(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    spanish = dialog.in_language("es")
    chat = private(LUCIA)
    await bot.do(tg.say(chat, LUCIA, "/start"))
    assert tg.texts(chat.id)[0] == spanish.intro
    for number, distinction in enumerate(spanish.distinctions, 1):
        shown = question(tg, chat.id)
        assert f"Pregunta {number} de {spanish.total}" in visible(shown["text"])
        assert distinction.question in visible(shown["text"])
        labels = [b["text"] for row in shown["reply_markup"]["inline_keyboard"] for b in row]
        assert "Saltar ▶" in labels and "¿Por qué?" in labels
        choice = distinction.choices[0]
        mark = len(tg.calls)
        await bot.do(tg.press(LUCIA, shown, choice.label))
        explanation = visible(sent_since(tg, mark)[0]["text"])
        assert choice.reflection in explanation
        assert distinction.explain.job in explanation and distinction.explain.career in explanation
        assert "En un empleo" in explanation and "En una carrera" in explanation
    turn = await conversations.current(key_of(LUCIA))
    assert turn is not None and turn.state.phase is Phase.DONE
    with speaking(spanish.messages):
        profile = profile_of(spanish, turn.state)
        words = visible(reply_text(profile, TELEGRAM_HTML))
        picture = draw(profile)
    assert spanish.outro.heading in words and "Tus 8 respuestas se inclinan todas hacia un empleo." in words
    assert tg.texts(chat.id)[-2] == words
    # The picture is the Spanish chart (its scale reads Empleo / A medio camino / Carrera).
    sent = tg.photo(tg.last(chat.id))
    assert sent == picture
    with speaking(ENGLISH):
        assert draw(profile) != sent
    await bot.do(tg.say(chat, LUCIA, "/help"))
    assert tg.texts(chat.id)[-1] == spanish.messages.values["HELP"]
    assert "/language: elegir el idioma en que hablo" in tg.texts(chat.id)[-1]


async def test_a_regional_spanish_finds_spanish_and_an_unknown_language_the_default(
    tg: FakeTelegram, bot: Bot, dialog: Dialog
) -> None:
    mexico = User(2003, "Ximena", language_code="es-419")
    nowhere = User(2004, "Xu", language_code="xx")
    await bot.do(tg.say(private(mexico), mexico, "/start"))
    await bot.do(tg.say(private(nowhere), nowhere, "/start"))
    assert tg.texts(mexico.id)[0] == dialog.in_language("es").intro
    assert tg.texts(nowhere.id)[0] == dialog.intro
    assert "Question 1 of 8" in visible(question(tg, nowhere.id)["text"])


async def test_language_switches_mid_way_keeping_the_answers_and_forget_erases_it(
    tg: FakeTelegram, bot: Bot, conversations: Conversations, dialog: Dialog
) -> None:
    spanish = dialog.in_language("es")
    chat = private(ANA)
    await bot.do(tg.say(chat, ANA, "/start"))
    for _ in range(2):
        shown = question(tg, chat.id)
        await bot.do(tg.press(ANA, shown, dialog.distinctions[asked(shown).turn - 1].choices[1].label))
    english_question = question(tg, chat.id)
    assert asked(english_question).distinction == dialog.distinctions[2].id
    await bot.do(tg.say(chat, ANA, "/language"))
    offer = tg.last(chat.id)
    assert visible(offer["text"]) == messages.LANGUAGE_CHOOSE
    names = [b["text"] for row in offer["reply_markup"]["inline_keyboard"] for b in row]
    assert names == ["English", "Español"]
    mark = len(tg.calls)
    await bot.do(tg.press(ANA, offer, "Español"))
    said = [visible(m["text"]) for m in sent_since(tg, mark)]
    assert said[0].startswith("A partir de ahora te hablo en español.")
    shown = question(tg, chat.id)
    assert spanish.distinctions[2].question in visible(shown["text"])
    assert "Pregunta 3 de 8" in visible(shown["text"])
    turn = await conversations.current(key_of(ANA))
    assert turn is not None and [a.choice for a in turn.state.answers] == [
        dialog.distinctions[0].choices[1].id,
        dialog.distinctions[1].choices[1].id,
    ]
    # The English question's buttons still answer it; the reply is in Spanish.
    mark = len(tg.calls)
    await bot.do(tg.press(ANA, english_question, dialog.distinctions[2].choices[0].label))
    assert spanish.distinctions[2].choices[0].reflection in visible(sent_since(tg, mark)[0]["text"])
    # The choice beats the app's language, and is kept with the sessions until /forget.
    assert await conversations.store.language("telegram", str(ANA.id)) == "es"
    await bot.do(tg.say(chat, ANA, "/mydata"))
    shown = visible(tg.last(chat.id)["text"])
    assert shown.startswith("Todo lo que guardo sobre ti en Telegram:")
    assert "El idioma que elegiste: Español" in shown and spanish.distinctions[0].title in shown
    await bot.do(tg.say(chat, ANA, "/forget"))
    await bot.do(tg.press(ANA, tg.last(chat.id), "Sí, bórralo"))
    assert await conversations.store.language("telegram", str(ANA.id)) is None
    await bot.do(tg.say(chat, ANA, "/start"))
    assert tg.texts(chat.id)[-2] == dialog.intro


async def test_language_with_a_code_chooses_at_once_and_an_unknown_one_is_answered(
    tg: FakeTelegram, bot: Bot, dialog: Dialog
) -> None:
    chat = private(ANA)
    await bot.do(tg.say(chat, ANA, "/language fr"))
    assert tg.texts(chat.id)[-1] == messages.LANGUAGE_UNKNOWN.format(language="fr", known="en, es")
    await bot.do(tg.say(chat, ANA, "/language es"))
    # Nothing was started yet: the conversation begins, in Spanish.
    said = tg.texts(chat.id)[-3:]
    assert said[:2] == ["A partir de ahora te hablo en español.", dialog.in_language("es").intro]
    assert "Pregunta 1 de 8" in said[2]


async def test_a_workshop_speaks_its_facilitators_language_or_the_one_named(
    tg: FakeTelegram, bot: Bot, dialog: Dialog
) -> None:
    spanish = dialog.in_language("es")
    group = Chat(-100900, "supergroup", title="Taller")
    await bot.do(tg.say(group, LUCIA, f"/workshop@{BOT_USERNAME}"))
    question = vote_question(tg, group.id)
    assert spanish.distinctions[0].question in visible(question["text"])
    labels = [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
    assert "📊 Mostrar" in labels
    # An English member's vote counts; the workshop's words stay Spanish.
    await bot.do(tg.press(ANA, question, vote_buttons(question)[0]["text"]))
    assert spanish.intro in tg.texts(group.id)
    other = Chat(-100901, "supergroup", title="Workshop")
    await bot.do(tg.say(other, ANA, f"/workshop@{BOT_USERNAME} es"))
    assert spanish.distinctions[0].question in visible(vote_question(tg, other.id)["text"])
    third = Chat(-100902, "supergroup", title="Workshop")
    await bot.do(tg.say(third, LUCIA, f"/workshop@{BOT_USERNAME} job-vs-career en"))
    assert dialog.distinctions[0].question in visible(vote_question(tg, third.id)["text"])
