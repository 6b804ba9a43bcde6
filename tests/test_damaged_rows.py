"""A stored session row that does not decode restarts that person's session, politely.

Each case damages one person's row by hand (as a bad migration, a manual edit or a bug in
another version could), then that person and someone else take a turn: the damaged one is
told and starts again, the log has one warning naming the key and no traceback, and the
other person carries on untouched.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot.conversations import Conversations
from dialogs import messages
from dialogs.content import Dialog
from dialogs.events import FreeText, Start
from dialogs.replies import Question, Text
from storage.keys import SessionKey
from storage.sessions import SessionStore

ANA = SessionKey("telegram", "42", "7")
BO = SessionKey("telegram", "43", "8")
ANA_ROW = "platform = 'telegram' AND chat = '42' AND user = '7'"
ANA_ANSWERS = f"session_id = (SELECT id FROM sessions WHERE {ANA_ROW})"

DAMAGE = {
    "a phase that does not exist": f"UPDATE sessions SET phase = 'pondering' WHERE {ANA_ROW}",
    "a turn that is not a number": f"UPDATE sessions SET turn = 'three' WHERE {ANA_ROW}",
    "a miss count that is not whole": f"UPDATE sessions SET misses = 1.5 WHERE {ANA_ROW}",
    "an answer to an unknown choice": f"UPDATE answers SET choice = 'gold' WHERE {ANA_ANSWERS}",
    "an answer to an unknown question": f"UPDATE answers SET distinction = 'luck' WHERE {ANA_ANSWERS}",
    "a pending reading that is no choice": f"UPDATE sessions SET pending = 'gold' WHERE {ANA_ROW}",
    "a cursor on an unknown question": f"UPDATE sessions SET revisit = 'luck' WHERE {ANA_ROW}",
    "a finished phase with questions open": f"UPDATE sessions SET phase = 'done' WHERE {ANA_ROW}",
    "a version that is not a number": f"UPDATE sessions SET version = 'seven' WHERE {ANA_ROW}",
    "a version that is not whole": f"UPDATE sessions SET version = 2.5 WHERE {ANA_ROW}",
}


async def _two_people_part_way(db_path: Path, dialogs: dict[str, Dialog], dialog: Dialog) -> None:
    store = await SessionStore.open(db_path)
    try:
        conversations = Conversations(store, dialogs, dialog.id)
        for key in (ANA, BO):
            await conversations.handle(key, Start())
            await conversations.handle(key, FreeText("1"))
    finally:
        await store.close()


@pytest.mark.parametrize("damage", list(DAMAGE), ids=str)
async def test_a_damaged_row_restarts_only_that_person(
    db_path: Path, dialogs: dict[str, Dialog], dialog: Dialog, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    await _two_people_part_way(db_path, dialogs, dialog)
    with sqlite3.connect(db_path) as raw:
        assert raw.execute(DAMAGE[damage]).rowcount == 1
    store = await SessionStore.open(db_path)
    try:
        conversations = Conversations(store, dialogs, dialog.id)
        with caplog.at_level(logging.WARNING):
            turn = await conversations.handle(ANA, FreeText("2"))
            again = await conversations.handle(ANA, FreeText("2"))
            other = await conversations.handle(BO, FreeText("2"))
        notice, intro, first = turn.replies
        assert isinstance(notice, Text) and notice.text == messages.DAMAGED_RESTARTED
        assert isinstance(intro, Text) and intro.text == dialog.intro
        assert isinstance(first, Question) and first.distinction == dialog.distinctions[0].id
        assert first.progress.answered == 0
        # The restart was saved: the next words answer the first question, with no notice.
        assert [a.distinction for a in again.state.answers] == [dialog.distinctions[0].id]
        assert not any(isinstance(r, Text) and r.text == messages.DAMAGED_RESTARTED for r in again.replies)
        # Someone else is not affected.
        assert [a.distinction for a in other.state.answers] == [d.id for d in dialog.distinctions[:2]]
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
        assert "telegram/42/7" in warnings[0].getMessage() and warnings[0].exc_info is None
        with sqlite3.connect(db_path) as raw:
            rows = raw.execute(f"SELECT count(*) FROM answers WHERE {ANA_ANSWERS}").fetchone()
        assert rows == (1,)
    finally:
        await store.close()
