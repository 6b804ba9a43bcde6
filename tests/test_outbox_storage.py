"""The outbox on a real SQLite file: owed with the turn, in order per chat, removed once;
kept in memory once a sender started, so what a turn owes is handed over without reading
it back, and the file stays the copy a restart delivers from."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from dialogs.state import Phase, SessionState
from dialogs.workshop import WorkshopState
from storage.keys import SessionKey, WorkshopKey
from storage.outbox import OutboxStore, Owed, OwedRow
from storage.sessions import SessionStore, VersionConflict
from storage.workshops import TallyCounts, WorkshopStore

ANA = SessionKey("telegram", "100", "100")
BEN = SessionKey("telegram", "200", "200")
# Ana and Cy in the same group chat: their replies share the chat's order.
ANA_IN_GROUP = SessionKey("telegram", "-500", "100")
CY_IN_GROUP = SessionKey("telegram", "-500", "300")


def asking(turn: int) -> SessionState:
    return SessionState("job-vs-career", Phase.ASKING, turn)


async def test_a_conflicting_turn_owes_nothing(store: SessionStore) -> None:
    outbox = OutboxStore.on(store)
    try:
        await store.commit_turn(ANA, 0, asking(1), (), (Owed("100", "first"),))
        with pytest.raises(VersionConflict):
            await store.commit_turn(ANA, 0, asking(2), (), (Owed("100", "lost race"),))
        assert [row.payload for row in await outbox.owed("telegram", "100")] == ["first"]
    finally:
        await outbox.close()


async def test_owed_replies_survive_a_restart(db_path: Path) -> None:
    first = await SessionStore.open(db_path)
    await first.commit_turn(ANA, 0, asking(1), (), (Owed("100", "owed"),))
    await first.close()
    second = await SessionStore.open(db_path)
    outbox = OutboxStore.on(second)
    try:
        assert await outbox.owed_chats("telegram") == ["100"]
        [row] = await outbox.owed("telegram", "100")
        assert row.payload == "owed" and row.created_at > 0
    finally:
        await outbox.close()
        await second.close()


async def test_concurrent_removals_share_transactions(store: SessionStore) -> None:
    outbox = OutboxStore.on(store)
    try:
        await store.owe(ANA, tuple(Owed("100", str(i)) for i in range(50)))
        rows = await outbox.owed("telegram", "100", limit=50)
        await asyncio.gather(*(outbox.remove(row.id) for row in rows))
        assert await outbox.count("telegram") == 0
        assert 1 <= outbox.batches < len(rows)
    finally:
        await outbox.close()


def in_file(db_path: Path) -> list[tuple[int, str, str]]:
    """What the file owes, read apart from the store: (id, chat, payload) in id order."""
    with sqlite3.connect(db_path) as conn:
        return [
            (int(i), str(c), str(p))
            for i, c, p in conn.execute("SELECT id, chat, payload FROM outbox ORDER BY id")
        ]


@asynccontextmanager
async def reads_of_the_outbox(store: SessionStore) -> AsyncIterator[list[str]]:
    """Every statement the connection runs that reads owed rows, while inside."""
    statements: list[str] = []

    def trace(sql: str) -> None:
        if sql.lstrip().startswith("SELECT") and "FROM outbox" in sql:
            statements.append(sql)

    await store.connection.set_trace_callback(trace)
    try:
        yield statements
    finally:
        await store.connection.set_trace_callback(None)


def as_rows(rows: list[OwedRow]) -> list[tuple[int, str, str]]:
    return [(row.id, row.chat, row.payload) for row in rows]


async def test_once_a_sender_started_a_turns_replies_are_handed_over_without_a_read(
    store: SessionStore, db_path: Path
) -> None:
    outbox = OutboxStore.on(store)
    try:
        assert await outbox.owed_chats("telegram") == []  # what a sender does first
        async with reads_of_the_outbox(store) as reads:
            await store.commit_turn(ANA, 0, asking(1), (), (Owed("100", "intro"), Owed("100", "question")))
            await store.owe(BEN, (Owed("200", "help"),))
            ana = await outbox.owed("telegram", "100")
            ben = await outbox.owed("telegram", "200")
        assert reads == []
        # The very rows the file holds, ids and all.
        assert as_rows(ana) + as_rows(ben) == in_file(db_path)
        assert [row.payload for row in ana] == ["intro", "question"]
        await outbox.remove(ana[0].id)
        assert as_rows(await outbox.owed("telegram", "100")) == as_rows(ana[1:])
        assert await outbox.holds(ana[1].id) and not await outbox.holds(ana[0].id)
        assert in_file(db_path) == as_rows(ana[1:]) + as_rows(ben)
    finally:
        await outbox.close()


async def test_a_reply_handed_over_and_never_sent_is_owed_after_a_crash(db_path: Path) -> None:
    first = await SessionStore.open(db_path)
    outbox = OutboxStore.on(first)
    await outbox.owed_chats("telegram")
    await first.commit_turn(ANA, 0, asking(1), (), (Owed("100", "owed"),))
    [handed] = await outbox.owed("telegram", "100")
    # The process dies here: nothing of it is closed. The next one opens the same file.
    second = await SessionStore.open(db_path)
    restarted = OutboxStore.on(second)
    try:
        assert await restarted.owed_chats("telegram") == ["100"]
        assert await restarted.owed("telegram", "100") == [handed]
    finally:
        await restarted.close()
        await second.close()
        await outbox.close()
        await first.close()


async def test_what_the_last_run_left_owed_goes_before_what_a_new_turn_owes(db_path: Path) -> None:
    first = await SessionStore.open(db_path)
    await first.commit_turn(ANA, 0, asking(1), (), (Owed("100", "left"),))
    await first.close()
    store = await SessionStore.open(db_path)
    outbox = OutboxStore.on(store)
    try:
        assert await outbox.owed_chats("telegram") == ["100"]
        await store.commit_turn(ANA, 1, asking(2), (), (Owed("100", "new"),))
        await store.owe(BEN, (Owed("200", "elsewhere"),))
        assert [row.payload for row in await outbox.owed("telegram", "100")] == ["left", "new"]
        assert [row.payload for row in await outbox.owed("telegram", "200")] == ["elsewhere"]
        # Read once, that chat is kept in memory too.
        async with reads_of_the_outbox(store) as reads:
            await store.commit_turn(ANA, 2, asking(3), (), (Owed("100", "newer"),))
            owed = await outbox.owed("telegram", "100")
        assert reads == [] and [row.payload for row in owed] == ["left", "new", "newer"]
        assert as_rows(owed) == [row for row in in_file(db_path) if row[1] == "100"]
    finally:
        await outbox.close()
        await store.close()


async def test_forget_erases_replies_handed_over_but_not_yet_sent(store: SessionStore) -> None:
    outbox = OutboxStore.on(store)
    try:
        await outbox.owed_chats("telegram")
        await store.owe(ANA_IN_GROUP, (Owed("-500", "to ana"),))
        await store.owe(CY_IN_GROUP, (Owed("-500", "to cy"),))
        await store.owe(ANA, (Owed("100", "to ana, privately"),))
        handed = await outbox.owed("telegram", "-500")
        assert [row.payload for row in handed] == ["to ana", "to cy"]
        await store.forget("telegram", "100")
        assert [row.payload for row in await outbox.owed("telegram", "-500")] == ["to cy"]
        assert await outbox.owed("telegram", "100") == []
        assert not await outbox.holds(handed[0].id) and await outbox.holds(handed[1].id)
        assert await outbox.count("telegram") == 1
    finally:
        await outbox.close()


async def test_retention_erases_replies_handed_over_but_not_yet_sent(store: SessionStore) -> None:
    outbox = OutboxStore.on(store)
    try:
        await outbox.owed_chats("telegram")
        await store.owe(ANA, (Owed("100", "old"),))
        [old] = await outbox.owed("telegram", "100")
        erased = await store.erase_older_than(old.created_at + 1)
        assert erased.owed == 1
        assert await outbox.owed("telegram", "100") == [] and not await outbox.holds(old.id)
    finally:
        await outbox.close()


async def test_a_workshops_posts_are_handed_over_after_the_chats_other_replies(
    store: SessionStore, db_path: Path
) -> None:
    outbox = OutboxStore.on(store)
    workshops = WorkshopStore.on(store)
    group = WorkshopKey("telegram", "-500")

    def decide(state: WorkshopState, tallies: TallyCounts) -> tuple[WorkshopState, None, tuple[Owed, ...]]:
        return state, None, (Owed("-500", "post"), Owed("-500", "lead"))

    try:
        await outbox.owed_chats("telegram")
        await store.owe(ANA_IN_GROUP, (Owed("-500", "to ana"),))
        async with reads_of_the_outbox(store) as reads:
            await workshops.steer(group, decide)
            owed = await outbox.owed("telegram", "-500")
        assert reads == [] and [row.payload for row in owed] == ["to ana", "post", "lead"]
        assert as_rows(owed) == in_file(db_path)
    finally:
        await workshops.close()
        await outbox.close()
