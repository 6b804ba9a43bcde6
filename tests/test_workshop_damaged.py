"""A stored workshop row that does not decode ends that workshop, politely; the chat goes on.

Each case damages one group's workshop row by hand (as a bad migration, a manual edit or a
broken tool could) while another group's workshop runs beside it, then a new service (as
after a restart) meets it: a vote on its buttons is answered as stale, the next steering
command is told the workshop has ended and saves it as ended, the log has one warning
naming the chat and no traceback, ``/workshop`` opens the next one, and the other group
carries on untouched. On both stores: text columns (phase, done) can be damaged on
PostgreSQL too; number columns only on SQLite, which keeps whatever was written.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot import cli
from bot.conversations import Conversations
from bot.mydata import mydata_for
from bot.render import PLAIN
from bot.workshops import Workshops, open_workshops
from dialogs import messages
from dialogs.content import Dialog
from dialogs.events import FreeText, Open, Reveal, Vote
from dialogs.loader import DEFAULT_DIALOG_ID
from dialogs.replies import Audience, Tally, Text, VoteQuestion, VoteRecorded
from dialogs.workshop import WorkshopPhase
from storage.contract import WorkshopContract, is_postgres
from storage.keys import SessionKey, WorkshopKey
from storage.sessions import SessionStore

GROUP = WorkshopKey("telegram", "-100555")
OTHER = WorkshopKey("telegram", "-100666")
GROUP_ROW = "platform = 'telegram' AND chat = '-100555'"

# Damage any column type can hold: on both stores.
TEXT_DAMAGE = {
    "a phase that is not a phase": f"UPDATE workshops SET phase = 'pondering' WHERE {GROUP_ROW}",
    "done that is not JSON": f"UPDATE workshops SET done = '[\"work\", ' WHERE {GROUP_ROW}",
    "done that is not a list": f"UPDATE workshops SET done = '{{\"work\": 1}}' WHERE {GROUP_ROW}",
    "done that holds no ids": f"UPDATE workshops SET done = '[1, 2]' WHERE {GROUP_ROW}",
}
# Damage only SQLite can hold: text where a number belongs.
NUMBER_DAMAGE = {
    "a position that is not a number": f"UPDATE workshops SET position = 'first' WHERE {GROUP_ROW}",
    "a position that is not whole": f"UPDATE workshops SET position = 0.5 WHERE {GROUP_ROW}",
    "a content version not a number": f"UPDATE workshops SET content_version = 'v1' WHERE {GROUP_ROW}",
    "a version that is not a number": f"UPDATE workshops SET version = 'seven' WHERE {GROUP_ROW}",
    "a number that is not a number": f"UPDATE workshops SET number = 'one' WHERE {GROUP_ROW}",
}


async def damage(database: str | Path, sql: str) -> None:
    if is_postgres(database):
        conn = await asyncpg.connect(str(database))
        try:
            assert await conn.execute(sql) == "UPDATE 1"
        finally:
            await conn.close()
        return
    raw = sqlite3.connect(database)
    try:
        with raw:
            assert raw.execute(sql).rowcount == 1
    finally:
        raw.close()


async def vote(
    service: Workshops, key: WorkshopKey, member: str, choice: int = 0
) -> tuple[Text | VoteRecorded, ...]:
    state = await service.current(key)
    dialog = service.dialogs[state.dialog]
    d = next(d for d in dialog.distinctions if d.id == state.distinction)
    turn = await service.vote(key, Vote(member, state.number, d.id, d.choices[choice].id))
    return tuple(r for r in turn.replies if isinstance(r, Text | VoteRecorded))


async def meet_the_damage(
    database: str | Path,
    workshops: WorkshopContract,
    dialogs: dict[str, Dialog],
    dialog: Dialog,
    sql: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = Workshops(workshops, dialogs, DEFAULT_DIALOG_ID)
    for key in (GROUP, OTHER):
        await before.open(key, Open("fay"))
        assert isinstance((await vote(before, key, "ana"))[0], VoteRecorded)
    await damage(database, sql)

    # A new service, as after a restart: nothing cached.
    service = Workshops(workshops, dialogs, DEFAULT_DIALOG_ID)
    with caplog.at_level(logging.WARNING):
        stale = await service.vote(
            GROUP, Vote("ben", 1, dialog.distinctions[0].id, dialog.distinctions[0].choices[0].id)
        )
        assert stale.replies == (Text(messages.VOTE_NO_WORKSHOP, audience=Audience.PERSON),)
        told = await service.reveal(GROUP, Reveal("fay"))
        again = await service.reveal(GROUP, Reveal("fay"))
        reopened = await service.open(GROUP, Open("fay"))
        voted = await vote(service, GROUP, "ben")
        other = await service.reveal(OTHER, Reveal("fay"))

    notice = Text(messages.WORKSHOP_DAMAGED, audience=Audience.PERSON)
    none = Text(messages.WORKSHOP_NONE, audience=Audience.PERSON)
    assert told.replies == (notice,)
    # Its number is kept when it can be read (an unreadable one reads as 0: no other here).
    number = 0 if "SET number" in sql else 1
    assert told.state.phase is WorkshopPhase.ENDED and told.state.number == number
    # The ended state was saved: the row reads again, with no notice.
    assert again.replies == (none,)
    assert (await workshops.load(GROUP)).damaged == ""
    # /workshop opens the next one as usual, and its buttons count.
    assert reopened.state.number == number + 1 and reopened.state.phase is WorkshopPhase.ASKING
    assert any(isinstance(r, VoteQuestion) for r in reopened.replies)
    assert notice not in reopened.replies
    assert isinstance(voted[0], VoteRecorded)
    assert await workshops.tallies(GROUP, number + 1) == {
        dialog.distinctions[0].id: {dialog.distinctions[0].choices[0].id: 1}
    }
    # The vote on the damaged workshop's button recorded nothing.
    assert await workshops.member_votes(GROUP, number, "ben") == {}
    # Another group is not affected: its vote before the damage is revealed.
    shown = other.replies[0]
    assert isinstance(shown, Tally) and shown.voters == 1
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "telegram/-100555" in warnings[0].getMessage() and warnings[0].exc_info is None


@pytest.mark.parametrize("case", list(TEXT_DAMAGE), ids=str)
async def test_a_damaged_workshop_ends_and_the_group_goes_on(
    database: str | Path,
    workshops: WorkshopContract,
    dialogs: dict[str, Dialog],
    dialog: Dialog,
    case: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await meet_the_damage(database, workshops, dialogs, dialog, TEXT_DAMAGE[case], caplog)


@pytest.mark.parametrize("case", list(NUMBER_DAMAGE), ids=str)
async def test_a_workshop_with_text_for_a_number_ends_and_the_group_goes_on(
    db_path: Path, dialogs: dict[str, Dialog], dialog: Dialog, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = await SessionStore.open(db_path)
    workshops = store.workshop_store()
    try:
        await meet_the_damage(db_path, workshops, dialogs, dialog, NUMBER_DAMAGE[case], caplog)
    finally:
        await workshops.close()
        await store.close()


async def test_opening_over_a_damaged_running_workshop_ends_it_and_starts_the_next(
    database: str | Path,
    workshops: WorkshopContract,
    dialogs: dict[str, Dialog],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The damaged row was running (phase asking): the next one may open (one active per chat)."""
    await Workshops(workshops, dialogs, DEFAULT_DIALOG_ID).open(GROUP, Open("fay"))
    await damage(database, TEXT_DAMAGE["done that is not JSON"])
    service = Workshops(workshops, dialogs, DEFAULT_DIALOG_ID)
    with caplog.at_level(logging.WARNING):
        opened = await service.open(GROUP, Open("fay"))
    assert opened.replies[0] == Text(messages.WORKSHOP_DAMAGED, audience=Audience.PERSON)
    assert opened.state.number == 2 and opened.state.phase is WorkshopPhase.ASKING
    assert (await workshops.load(GROUP)).number == 2
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1


async def workshops_with_votes(db_path: Path, dialogs: dict[str, Dialog], chats: list[str]) -> None:
    """A workshop in each chat, where two people who also talk to the bot have voted."""
    store = await SessionStore.open(db_path)
    try:
        conversations = Conversations(store, dialogs, DEFAULT_DIALOG_ID)
        async with open_workshops(conversations) as service:
            for chat in chats:
                key = WorkshopKey("telegram", chat)
                await service.open(key, Open("fay"))
                for member in ("ana", "ben"):
                    await conversations.handle(SessionKey("telegram", member, member), FreeText("1"))
                    assert isinstance((await vote(service, key, member))[0], VoteRecorded)
    finally:
        await store.close()


def test_the_counsellors_commands_leave_out_what_cannot_be_read(
    dialogs: dict[str, Dialog], db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """stats, export, workshops and report on a file with damaged workshop rows: every
    command works; a workshop whose number or time is not a number is left out."""
    chats = ["-1", "-2", "-3", "-4"]
    asyncio.run(workshops_with_votes(db_path, dialogs, chats))
    with sqlite3.connect(db_path) as raw:
        for chat, damage in zip(
            chats,
            ["phase = 'pondering'", "done = 'x'", "number = 'two'", "opened_at = 'yesterday'"],
            strict=True,
        ):
            raw.execute(f"UPDATE workshops SET {damage} WHERE chat = ?", (chat,))
    out = tmp_path / "out"
    assert cli.main(["stats", "--db", str(db_path)]) == 0
    assert cli.main(["export", "--anonymous", "--db", str(db_path), str(out.with_suffix(".csv"))]) == 0
    capsys.readouterr()
    assert cli.main(["workshops", "--db", str(db_path)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == ["1", "2"]
    assert "pondering" in listed[0]
    assert cli.main(["report", "2", "--out", str(out.with_suffix(".png")), "--db", str(db_path)]) == 0
    assert out.with_suffix(".png").stat().st_size > 0
    assert cli.main(["report", "3", "--out", str(out.with_suffix(".png")), "--db", str(db_path)]) == 2
    assert messages.REPORT_UNKNOWN.format(id=3) in capsys.readouterr().err


async def test_mydata_still_shows_a_workshop_whose_number_and_times_cannot_be_read(
    conversations: Conversations, dialog: Dialog, db_path: Path
) -> None:
    async with open_workshops(conversations) as service:
        await service.open(GROUP, Open("2001"))
        assert isinstance((await vote(service, GROUP, "2001"))[0], VoteRecorded)
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE workshops SET number = 'one', opened_at = 'noon'")
        raw.execute("UPDATE workshop_votes SET voted_at = 'later'")
    text = (await mydata_for(conversations, "telegram", "2001", "2001", PLAIN)).text
    assert text.splitlines()[0] == messages.MYDATA_HEADING.format(platform="Telegram")
    assert sum(1 for line in text.splitlines() if line.startswith("• ")) == 2  # 1 vote, 1 led
    assert dialog.distinctions[0].choices[0].label in text
