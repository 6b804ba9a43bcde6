"""A Telegram group whose stored workshop row was damaged while the bot was stopped: the
real Application against the fake Bot API, before and after a restart on the same file."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from dialogs import messages
from dialogs.content import Dialog
from tests.fakes.telegram_api import Chat, FakeTelegram, User
from tests.telegram.conftest import a_process
from tests.telegram.helpers import answers_to, vote_question

FAY = User(5201, "Fay")
ANA, BEN = User(5301, "Ana"), User(5302, "Ben")
GROUP = Chat(-100900, "supergroup", title="Careers evening")


async def test_a_damaged_workshop_ends_and_the_group_starts_another(
    tg: FakeTelegram,
    db_path: Path,
    dialogs: dict[str, Dialog],
    dialog: Dialog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = dialog.distinctions[0]
    async with a_process(tg, db_path, dialogs, count_interval=0.05) as (bot, _services):
        await bot.do(tg.say(GROUP, FAY, "/workshop"))
        question = vote_question(tg, GROUP.id)  # a snapshot, pressed after the restart
        await bot.do(tg.press(ANA, question, first.choices[0].label))
    with sqlite3.connect(db_path) as raw:  # a broken tool wrote the running workshop's row
        assert raw.execute("UPDATE workshops SET done = '[\"work\",' WHERE number = 1").rowcount == 1

    async with a_process(tg, db_path, dialogs, count_interval=0.05) as (bot, _services):
        with caplog.at_level(logging.WARNING):
            # A press on its question is answered as stale; nothing is recorded.
            await bot.do(tg.press(BEN, question, first.choices[1].label))
            assert answers_to(tg)[-1]["text"] == messages.VOTE_NO_WORKSHOP
            # The facilitator is told it has ended, once.
            await bot.do(tg.say(GROUP, FAY, "/reveal"))
            assert tg.texts(GROUP.id)[-1] == f"{FAY.first_name}\n{messages.WORKSHOP_DAMAGED}"
            await bot.do(tg.say(GROUP, FAY, "/reveal"))
            assert tg.texts(GROUP.id)[-1] == f"{FAY.first_name}\n{messages.WORKSHOP_NONE}"
            # And can start the next one, whose buttons count.
            await bot.do(tg.say(GROUP, FAY, "/workshop"))
            second = vote_question(tg, GROUP.id)
            assert second["message_id"] != question["message_id"]
            await bot.do(tg.press(BEN, second, first.choices[1].label))
            assert answers_to(tg)[-1]["text"] == messages.VOTE_RECORDED.format(label=first.choices[1].label)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert f"telegram/{GROUP.id}" in warnings[0].getMessage() and warnings[0].exc_info is None
    with sqlite3.connect(db_path) as raw:
        rows = raw.execute("SELECT number, phase FROM workshops ORDER BY number").fetchall()
        votes = raw.execute(
            "SELECT w.number, v.member FROM workshop_votes v JOIN workshops w ON w.id = v.workshop_id"
        ).fetchall()
    assert rows == [(1, "ended"), (2, "asking")]
    assert sorted(votes) == [(1, str(ANA.id)), (2, str(BEN.id))]
