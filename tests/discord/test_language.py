"""The person's language on Discord: the client's ``locale``, /career language, /forget."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from bot.pictures import draw
from dialogs.content import Dialog
from dialogs.i18n import ENGLISH, speaking
from dialogs.profile import profile_of
from tests.discord.conftest import Bot
from tests.fakes.discord_api import FakeDiscord, Person, button_labels

LUCIA = Person(300_000_000_000_000_011, "Lucía", locale="es-ES")
ANA = Person(300_000_000_000_000_012, "Ana", locale="en-GB")


def newest(fake: FakeDiscord) -> dict[str, Any]:
    return fake.messages[max(fake.messages)]


async def test_a_spanish_discord_client_has_the_whole_conversation_in_spanish(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    spanish = dialog.in_language("es")
    bot: Bot = await launch(fake)
    await bot.act(fake.slash(LUCIA, "start"))
    assert any(spanish.intro.split("\n")[0][:60] in m["content"] for m in fake.messages.values())
    for number, distinction in enumerate(spanish.distinctions, 1):
        question = newest(fake)
        assert distinction.question in question["content"]
        assert f"Pregunta {number} de {spanish.total}" in question["content"]
        labels = button_labels(question)
        assert "Saltar" in labels and "Responder con mis palabras" in labels
        mark = max(fake.messages)
        await bot.act(fake.press(LUCIA, question, labels[distinction.choices[0].label]))
        said = "\n".join(m["content"] for n, m in fake.messages.items() if n > mark)
        assert "En un empleo" in said and distinction.explain.career[:50] in said
    turn = await bot.conversations.current(bot.key(LUCIA))
    assert turn is not None
    with speaking(spanish.messages):
        profile = profile_of(spanish, turn.state)
        picture = draw(profile)
    assert any(spanish.outro.heading in m["content"] for m in fake.messages.values())
    headline = "Tus 8 respuestas se inclinan todas hacia un empleo."
    assert any(headline in m["content"] for m in fake.messages.values())
    sent = fake.attachment(newest(fake))
    assert sent == picture
    with speaking(ENGLISH):
        assert draw(profile) != sent
    with Image.open(io.BytesIO(sent)) as image:
        assert image.format == "PNG"
    await bot.act(fake.slash(LUCIA, "help"))
    assert newest(fake)["content"].startswith("Te hago una pregunta sobre cada diferencia")
    assert fake.unexpected == []


async def test_career_language_switches_mid_way_keeping_the_answers(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    spanish = dialog.in_language("es")
    bot: Bot = await launch(fake)
    await bot.act(fake.slash(ANA, "start"))
    first = newest(fake)
    await bot.act(fake.press(ANA, first, button_labels(first)[dialog.distinctions[0].choices[1].label]))
    english_question = newest(fake)
    assert dialog.distinctions[1].question in english_question["content"]
    await bot.act(fake.slash(ANA, "language"))
    offer = newest(fake)
    assert offer["content"] == "Which language shall I speak? Your answers are kept."
    await bot.act(fake.press(ANA, offer, button_labels(offer)["Español"]))
    shown = newest(fake)
    assert spanish.distinctions[1].question in shown["content"] and "Pregunta 2 de 8" in shown["content"]
    said = [m["content"] for m in fake.messages.values()]
    assert any(text.startswith("A partir de ahora te hablo en español.") for text in said)
    assert await bot.answers(ANA) == 1
    # The option chooses at once; the English question's buttons still answer it.
    await bot.act(fake.slash(ANA, "language", language="en"))
    assert dialog.distinctions[1].question in newest(fake)["content"]
    english_labels = button_labels(english_question)
    await bot.act(fake.press(ANA, english_question, english_labels[dialog.distinctions[1].choices[0].label]))
    assert await bot.answers(ANA) == 2
    assert await bot.conversations.store.language("discord", str(ANA.id)) == "en"
    assert fake.unexpected == []


async def test_an_unknown_locale_speaks_the_default(fake: FakeDiscord, launch: Any, dialog: Dialog) -> None:
    polish = Person(300_000_000_000_000_013, "Zofia", locale="pl")
    bot: Bot = await launch(fake)
    await bot.act(fake.slash(polish, "start"))
    assert dialog.distinctions[0].question in newest(fake)["content"]
    assert "Question 1 of 8" in newest(fake)["content"]


async def test_a_workshop_speaks_the_language_named_or_the_facilitators(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    spanish = dialog.in_language("es")
    bot: Bot = await launch(fake)
    await bot.act(fake.slash(ANA, "start", group="workshop", language="es"))
    question = newest(fake)
    assert spanish.distinctions[0].question in question["content"]
    await bot.act(fake.slash(ANA, "end", group="workshop"))
    await bot.act(fake.slash(LUCIA, "start", group="workshop"))
    assert spanish.distinctions[0].question in newest(fake)["content"]
    assert fake.unexpected == []
