"""The outbox on a real SQLite file: owed with the turn, in order per chat, removed once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dialogs.state import Phase, SessionState
from storage.keys import SessionKey
from storage.outbox import OutboxStore, Owed
from storage.sessions import SessionStore, VersionConflict

ANA = SessionKey("telegram", "100", "100")
BEN = SessionKey("telegram", "200", "200")


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
