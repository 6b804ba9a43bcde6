"""The Conversations service on a real SQLite file: lock, load, step, save."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.conversations import Conversations
from dialogs import messages
from dialogs.content import Dialog
from dialogs.events import Choose, FreeText, Help, Resume, Start
from dialogs.replies import Question, Text
from dialogs.state import Phase
from storage.keys import SessionKey
from storage.sessions import SessionStore

ANA = SessionKey("console", "terminal", "ana")


async def current_question(conversations: Conversations, key: SessionKey) -> Question:
    turn = await conversations.handle(key, Resume())
    question = turn.replies[-1]
    assert isinstance(question, Question)
    return question


async def test_a_whole_conversation_survives_a_restart(
    db_path: Path, dialogs: dict[str, Dialog], dialog: Dialog
) -> None:
    store = await SessionStore.open(db_path)
    conversations = Conversations(store, dialogs, dialog.id)
    await conversations.handle(ANA, Start())
    for distinction in dialog.distinctions[:4]:
        q = await current_question(conversations, ANA)
        await conversations.handle(ANA, Choose(distinction.id, distinction.choices[0].id, q.turn))
    await store.close()

    store = await SessionStore.open(db_path)
    conversations = Conversations(store, dialogs, dialog.id)
    welcome = await conversations.handle(ANA, Start())
    assert isinstance(welcome.replies[0], Text) and "answered 4 of 8" in welcome.replies[0].text
    for distinction in dialog.distinctions[4:]:
        q = await current_question(conversations, ANA)
        await conversations.handle(ANA, Choose(distinction.id, distinction.choices[0].id, q.turn))
    final = await conversations.current(ANA)
    assert final is not None and final.state.phase is Phase.DONE
    assert len(final.state.answers) == dialog.total
    await store.close()


async def test_concurrent_double_press_records_once(conversations: Conversations, db_path: Path) -> None:
    await conversations.handle(ANA, Start())
    q = await current_question(conversations, ANA)
    press = Choose(q.distinction, q.choices[0].id, q.turn)
    first, second = await asyncio.gather(conversations.handle(ANA, press), conversations.handle(ANA, press))
    assert first.state == second.state
    assert isinstance(second.replies[0], Text) and second.replies[0].text == messages.ALREADY_ANSWERED
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT count(*) FROM answers").fetchone()[0] == 1


async def test_a_turn_that_changes_nothing_writes_nothing(conversations: Conversations) -> None:
    await conversations.handle(ANA, Start())
    before = conversations.store.batches
    await conversations.handle(ANA, Help())
    await conversations.handle(ANA, Resume())
    assert conversations.store.batches == before


async def test_unknown_dialog_gets_a_helpful_reply(conversations: Conversations) -> None:
    turn = await conversations.handle(ANA, Start("no-such-dialog"))
    reply = turn.replies[0]
    assert isinstance(reply, Text) and "no-such-dialog" in reply.text and "job-vs-career" in reply.text
    assert await conversations.current(ANA) is None


async def test_forget_erases_and_a_new_start_begins_afresh(conversations: Conversations) -> None:
    await conversations.handle(ANA, Start())
    await conversations.handle(ANA, FreeText("1"))
    assert await conversations.forget(ANA) == 1
    assert await conversations.current(ANA) is None
    turn = await conversations.handle(ANA, Start())
    question = turn.replies[-1]
    assert isinstance(question, Question) and question.progress.position == 1


async def test_many_people_at_once_are_all_saved(conversations: Conversations, dialog: Dialog) -> None:
    people = [SessionKey("telegram", "-1", str(i)) for i in range(100)]
    await asyncio.gather(*(conversations.handle(p, Start()) for p in people))
    await asyncio.gather(*(conversations.handle(p, FreeText("2")) for p in people))
    for person in people[::10]:
        current = await conversations.current(person)
        assert current is not None and current.state.position_in(dialog) == 1
        assert current.state.answers[0].choice == dialog.distinctions[0].choices[1].id


async def test_two_processes_on_one_file_never_apply_a_stale_turn(
    db_path: Path, dialogs: dict[str, Dialog], dialog: Dialog
) -> None:
    """Service A has the session cached; service B (another process) moves it on; A's next
    turn must be refused by the version check and re-run on the fresh state."""
    store_a, store_b = await SessionStore.open(db_path), await SessionStore.open(db_path)
    a, b = Conversations(store_a, dialogs, dialog.id), Conversations(store_b, dialogs, dialog.id)
    try:
        await a.handle(ANA, Start())
        q = await current_question(a, ANA)  # A now holds turn 1 in its cache
        await b.handle(ANA, Choose(q.distinction, q.choices[2].id, q.turn))  # B answers it first
        late = await a.handle(ANA, Choose(q.distinction, q.choices[0].id, q.turn))
        assert isinstance(late.replies[0], Text) and late.replies[0].text == messages.ALREADY_ANSWERED
        assert late.state.answers[0].choice == q.choices[2].id
        with sqlite3.connect(db_path) as raw:
            assert raw.execute("SELECT choice FROM answers").fetchall() == [(q.choices[2].id,)]
    finally:
        await store_a.close()
        await store_b.close()


async def test_forget_also_clears_what_the_service_remembers(conversations: Conversations) -> None:
    other_chat = SessionKey("console", "elsewhere", "ana")
    await conversations.handle(ANA, Start())
    await conversations.handle(other_chat, Start())
    await conversations.handle(other_chat, FreeText("1"))
    assert await conversations.forget(ANA) == 2
    assert await conversations.current(other_chat) is None
