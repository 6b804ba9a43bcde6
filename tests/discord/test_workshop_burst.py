"""300 members press a workshop's vote buttons at once, against the fake Discord.

The coalescer's rest is a gate the test opens once the burst has been handled, so "the
count is edited only a few times" is checked by counting REST calls, never by the clock.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from dialogs import messages
from dialogs.content import Dialog
from tests.discord.conftest import ANA, Bot
from tests.discord.test_workshop import VOTE_PREFIX, question_message, workshop
from tests.fakes.discord_api import EPHEMERAL, FakeDiscord, Person, button_ids

MEMBERS = [Person(400_000_000_000_000_000 + n, f"member{n}") for n in range(300)]
MAX_EDITS = 5

_log = logging.getLogger(__name__)


async def test_300_presses_are_each_recorded_once_and_edit_the_count_a_few_times(
    fake: FakeDiscord, launch: Any, db_path: Path, dialog: Dialog
) -> None:
    rested = asyncio.Event()

    async def rest(_seconds: float) -> None:
        await rested.wait()

    bot: Bot = await launch(fake, vote_sleep=rest)
    await workshop(bot, ANA, "start")
    question = question_message(fake)
    ids = [i for i in button_ids(question) if i.startswith(VOTE_PREFIX)]
    # Everyone presses at once; then a third of them change their mind (last press wins).
    # Two waves, because presses handled concurrently have no order between them.
    first = [fake.press(m, question, ids[n % len(ids)]) for n, m in enumerate(MEMBERS)]
    second = [fake.press(m, question, ids[0]) for m in MEMBERS[::3]]
    presses = first + second
    edits_before = len(fake.edits_of(question["id"]))

    began = time.perf_counter()
    await bot.act_all(first)
    await bot.act_all(second)
    handled = time.perf_counter() - began
    rested.set()
    await bot.client.workshop_router.coalescer.drain()
    edits = fake.edits_of(question["id"])[edits_before:]
    _log.warning("%d presses handled in %.2f s; %d count edits", len(presses), handled, len(edits))

    # Every member's vote is in SQLite exactly once, with their last choice.
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT member, choice, count(*) FROM workshop_votes GROUP BY member").fetchall()
    choices = [c.id for c in dialog.distinctions[0].choices]
    expected = {
        str(m.id): choices[0] if n % 3 == 0 else choices[n % len(choices)] for n, m in enumerate(MEMBERS)
    }
    assert {member: choice for member, choice, _ in rows} == expected
    assert all(count == 1 for _, _, count in rows)

    # Each press got its own private confirmation.
    confirmations = [
        m
        for m in fake.messages.values()
        if m["flags"] & EPHEMERAL and m["content"].startswith(messages.VOTE_RECORDED.split('"')[0])
    ]
    assert len(confirmations) == len(presses)

    # The public count was edited only a few times, as the bot, and shows everyone.
    assert 1 <= len(edits) <= MAX_EDITS, len(edits)
    assert all(e.path.startswith("/channels/") for e in edits)
    assert messages.VOTE_COUNT.say(300, voters=300) in fake.messages[int(question["id"])]["content"]
    assert fake.unexpected == []
