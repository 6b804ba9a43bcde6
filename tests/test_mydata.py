"""/mydata on a real SQLite file filled through the services: everything the database
holds about the person, on their platform, and nothing about anyone else."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.conversations import Conversations
from bot.mydata import mydata_for
from bot.render import PLAIN
from bot.workshops import Workshops, open_workshops
from dialogs import messages
from dialogs.content import Dialog
from dialogs.events import Choose, End, Open, Resume, Skip, Start, Vote
from dialogs.replies import Question
from storage.keys import SessionKey, WorkshopKey

ANA_DM = SessionKey("telegram", "2001", "2001")
ANA_GROUP = SessionKey("telegram", "-100500", "2001")
BEN_GROUP = SessionKey("telegram", "-100500", "2002")
ANA_ON_DISCORD = SessionKey("discord", "4242", "2001")  # the same id on another platform
WORKSHOP = WorkshopKey("telegram", "-100500")


async def choose(conversations: Conversations, key: SessionKey, choice: int) -> None:
    question = (await conversations.handle(key, Resume())).replies[-1]
    assert isinstance(question, Question)
    await conversations.handle(key, Choose(question.distinction, question.choices[choice].id, question.turn))


async def fill(conversations: Conversations, workshops: Workshops, dialog: Dialog) -> None:
    for key in (ANA_DM, ANA_GROUP, BEN_GROUP, ANA_ON_DISCORD):
        await conversations.handle(key, Start())
    await choose(conversations, ANA_DM, 0)
    await conversations.handle(ANA_DM, Skip())
    await choose(conversations, ANA_GROUP, 1)
    await choose(conversations, BEN_GROUP, 2)
    await choose(conversations, ANA_ON_DISCORD, 2)
    await workshops.open(WORKSHOP, Open("2001"))
    first = dialog.distinctions[0]
    await workshops.vote(WORKSHOP, Vote("2001", 1, first.id, first.choices[0].id))
    await workshops.vote(WORKSHOP, Vote("2002", 1, first.id, first.choices[2].id))
    await workshops.end(WORKSHOP, End("2001"))


async def test_mydata_shows_what_is_stored_about_the_person_and_no_one_else(
    conversations: Conversations, dialog: Dialog, db_path: Path
) -> None:
    async with open_workshops(conversations) as workshops:
        await fill(conversations, workshops, dialog)
        text = (await mydata_for(conversations, "telegram", "2001", "2001", PLAIN)).text
        ben = (await mydata_for(conversations, "telegram", "2002", "2002", PLAIN)).text
    first, second = dialog.distinctions[0], dialog.distinctions[1]
    with sqlite3.connect(db_path) as raw:
        held = raw.execute(
            "SELECT s.chat, a.distinction, a.choice FROM answers a JOIN sessions s ON s.id = a.session_id"
            " WHERE s.platform = 'telegram' AND s.user = '2001'"
        ).fetchall()
    assert sorted(held) == [
        ("-100500", "work", first.choices[1].id),
        ("2001", "value", None),
        ("2001", "work", first.choices[0].id),
    ]
    lines = text.splitlines()
    assert lines[0] == messages.MYDATA_HEADING.format(platform="Telegram")
    # Both conversations, where they are, each answer as the person saw it.
    assert sum(1 for line in lines if line.startswith("• ")) == 2 + 1 + 1  # 2 sessions, 1 vote, 1 led
    assert f'"{dialog.title}" in this chat' in text and "in chat -100500" in text
    assert f"{first.title}: {first.choices[0].label}" in text
    assert f"{second.title}: {messages.SKIPPED_ANSWER}" in text
    assert f"{first.title}: {first.choices[1].label}" in text
    assert sum(1 for line in lines if line.startswith("   ◦ ")) == len(held)
    assert messages.MYDATA_VOTE.split("{")[0] + "1" in text
    # Nothing of Ben's (his answer was the third choice) nor of Ana's Discord self.
    assert first.choices[2].label not in text and "2002" not in text and "4242" not in text
    assert first.choices[0].label not in ben and first.choices[1].label not in ben
    assert first.choices[2].label in ben


async def test_after_forget_mydata_says_nothing_is_stored(
    conversations: Conversations, dialog: Dialog
) -> None:
    async with open_workshops(conversations) as workshops:
        await fill(conversations, workshops, dialog)
        await conversations.forget(ANA_DM)
        await workshops.forget_member("telegram", "2001")
        shown = await mydata_for(conversations, "telegram", "2001", "2001", PLAIN)
    assert shown.text == messages.MYDATA_NOTHING.format(platform="Telegram") and not shown.erasable


async def test_the_terminal_prints_it_and_names_forget(conversations: Conversations, dialog: Dialog) -> None:
    import asyncio
    import io

    from bot.console import Console

    lines: asyncio.Queue[str | None] = asyncio.Queue()
    for line in ("1\n", "/mydata\n", "/quit\n"):
        lines.put_nowait(line)
    out = io.StringIO()
    await Console(conversations, "ana", out=out).run(lines, None)
    text = out.getvalue()
    first = dialog.distinctions[0]
    assert messages.MYDATA_HEADING.format(platform="this computer") in text
    assert f"{first.title}: {first.choices[0].label}" in text and messages.MYDATA_FORGET_TERMINAL in text
