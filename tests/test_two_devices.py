"""One person, two clients: typed words never count for a question that client has not shown.

Two services on one file stand for two processes (two terminals, two bot instances);
``careerbot chat`` is also run as two real processes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.conversations import Conversations
from dialogs import messages
from dialogs.content import Dialog
from dialogs.events import FreeText, Start
from dialogs.replies import Question, Text
from storage.keys import SessionKey
from storage.sessions import SessionStore
from tests.test_chat_e2e import Chat, answers_in

ANA = SessionKey("console", "terminal", "ana")


async def test_words_typed_at_an_old_question_are_not_moved_to_the_new_one(
    db_path: Path, dialogs: dict[str, Dialog], dialog: Dialog
) -> None:
    """A shows question 1 (and caches it); B answers it; A's "3" was meant for question 1:
    the version check refuses A's turn, and the re-run must not record "3" for question 2."""
    store_a, store_b = await SessionStore.open(db_path), await SessionStore.open(db_path)
    a, b = Conversations(store_a, dialogs, dialog.id), Conversations(store_b, dialogs, dialog.id)
    try:
        await a.handle(ANA, Start())
        await b.handle(ANA, FreeText("1"))
        late = await a.handle(ANA, FreeText("3"))
        stale, current = late.replies
        assert isinstance(stale, Text) and stale.text == messages.STALE_TEXT
        assert isinstance(current, Question) and current.distinction == dialog.distinctions[1].id
        with sqlite3.connect(db_path) as raw:
            stored = raw.execute("SELECT distinction, choice FROM answers").fetchall()
        assert stored == [(dialog.distinctions[0].id, dialog.distinctions[0].choices[0].id)]
        # Now A has shown question 2: the same words answer it.
        answered = await a.handle(ANA, FreeText("3"))
        assert answered.state.answer_for(dialog.distinctions[1].id) is not None
    finally:
        await store_a.close()
        await store_b.close()


def test_two_terminals_for_one_person(tmp_path: Path, dialog: Dialog) -> None:
    db = tmp_path / "chat.db"
    first, second = Chat(db, "ana"), Chat(db, "ana")
    try:
        first.wait_for_prompts(1)
        second.wait_for_prompts(1)  # both show question 1
        first.send("1")
        first.wait_for_prompts(2)  # question 1 answered in the first terminal
        second.send("3")  # typed while the second terminal still shows question 1
        output = second.wait_for_prompts(2)
        assert messages.STALE_TEXT in output
        assert output.rindex(f"Question 2 of {dialog.total}") > output.index(messages.STALE_TEXT)
        assert answers_in(db) == [(dialog.distinctions[0].id, dialog.distinctions[0].choices[0].id)]
        second.send("3")  # now it shows question 2: this answers it
        second.wait_for_prompts(3)
        assert answers_in(db)[1] == (dialog.distinctions[1].id, dialog.distinctions[1].choices[2].id)
    finally:
        assert first.close_input() == 0 and second.close_input() == 0
