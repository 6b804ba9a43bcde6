"""What only the PostgreSQL store does, on a real server: claims on owed replies shared by
several processes, its schema version, and errors that never show the password."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from bot.app import open_service
from bot.config import CoreSettings
from dialogs.events import Choose, Start
from dialogs.state import Answer, Phase, SessionState
from storage.contract import open_store
from storage.keys import SessionKey
from storage.outbox import Owed
from storage.postgres.health import problem as health_problem
from storage.postgres.outbox import PostgresOutbox
from storage.postgres.schema import SCHEMA_VERSION
from storage.postgres.sessions import PostgresStore, describe
from storage.sessions import StorageError

ANA = SessionKey("telegram", "100", "ana")


def asking(turn: int) -> SessionState:
    return SessionState("job-vs-career", Phase.ASKING, turn)


async def test_one_process_at_a_time_holds_a_chats_owed_replies(pg_uri: str) -> None:
    one, two = await PostgresStore.open(pg_uri), await PostgresStore.open(pg_uri)
    try:
        first, other = PostgresOutbox(one, lease=0.5), PostgresOutbox(two, lease=0.5)
        await one.commit_turn(ANA, 0, asking(1), (), (Owed("100", "a1"), Owed("100", "a2")))
        claims = await asyncio.gather(first.owed("telegram", "100"), other.owed("telegram", "100"))
        winner, loser = sorted(claims, key=len, reverse=True)
        assert [row.payload for row in winner] == ["a1", "a2"] and loser == []
        holder, waiter = (first, other) if claims[0] else (other, first)
        assert await waiter.owed_chats("telegram") == []
        # A reply owed later to the same chat goes to the holder too: order per chat holds.
        await one.owe(ANA, (Owed("100", "a3"),))
        assert await waiter.owed("telegram", "100") == []
        assert [row.payload for row in await holder.owed("telegram", "100")] == ["a1", "a2", "a3"]
        await holder.remove(winner[0].id)
        # The holder dies without removing the rest: once its lease runs out, the other takes over.
        await asyncio.sleep(0.6)
        assert await waiter.owed_chats("telegram") == ["100"]
        assert [row.payload for row in await waiter.owed("telegram", "100")] == ["a2", "a3"]
        assert await holder.owed("telegram", "100") == []
    finally:
        await one.close()
        await two.close()


async def test_two_processes_starting_together_migrate_once(pg_uri: str) -> None:
    stores = await asyncio.gather(*(open_store(pg_uri) for _ in range(3)))
    for store in stores:
        await store.close()
    conn = await asyncpg.connect(pg_uri)
    try:
        assert await conn.fetch("SELECT version FROM careerbot_schema") == [(SCHEMA_VERSION,)]
    finally:
        await conn.close()


async def test_a_newer_schema_is_refused(pg_uri: str) -> None:
    await (await open_store(pg_uri)).close()
    conn = await asyncpg.connect(pg_uri)
    try:
        await conn.execute("UPDATE careerbot_schema SET version = $1", SCHEMA_VERSION + 1)
    finally:
        await conn.close()
    with pytest.raises(StorageError, match="newer than this program's"):
        await open_store(pg_uri)


async def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    uri = "postgresql://careerbot:pa55-w0rd-secret@127.0.0.1:1/careerbot"
    with pytest.raises(StorageError) as raised:
        await open_store(uri, busy_timeout=2.0)
    message = str(raised.value)
    assert "pa55-w0rd-secret" not in message and "\n" not in message
    assert "postgresql://careerbot@127.0.0.1:1/careerbot" in message
    assert describe(uri) == "postgresql://careerbot@127.0.0.1:1/careerbot"


async def test_a_missing_database_is_a_storage_error(pg_uri: str) -> None:
    with pytest.raises(StorageError, match="cannot open the database"):
        await open_store(pg_uri.replace("/careerbot_test_", "/no_such_database_"))


async def test_the_service_runs_a_conversation_on_postgresql(pg_uri: str, tmp_path: Path) -> None:
    """What every command opens (``open_service``), given ``CAREERBOT_DB`` as a URI."""
    settings = CoreSettings.from_env({"CAREERBOT_DB": pg_uri})
    async with open_service(settings) as services:
        conversations = services.conversations
        first = await conversations.handle(ANA, Start())
        assert first.saved and first.state.phase is Phase.ASKING
        question = first.dialog.distinctions[0]
        answered = await conversations.handle(
            ANA, Choose(question.id, question.choices[0].id, first.state.turn)
        )
        assert answered.state.answers[0] == Answer(question.id, question.choices[0].id)
        assert (await conversations.store.person_data("telegram", "ana")).sessions[0].answers[0].choice == (
            question.choices[0].id
        )
    async with open_service(settings) as again:  # another process, later: it resumes
        resumed = await again.conversations.current(ANA)
        assert resumed is not None and resumed.state.answers == answered.state.answers


async def test_health_reads_the_schema_version_and_changes_nothing(pg_uri: str) -> None:
    assert "no careerbot schema yet" in (await health_problem(pg_uri) or "")
    assert "no careerbot schema yet" in (await health_problem(pg_uri) or "")  # it created nothing
    store = await open_store(pg_uri)
    await store.close()
    assert await health_problem(pg_uri) is None
    found = await health_problem("postgresql://bot:s3cret@127.0.0.1:1/careerbot", timeout=2.0)
    assert found is not None and "cannot be reached" in found and "s3cret" not in found


def test_careerbot_health_on_postgresql(pg_uri: str) -> None:
    env = {**os.environ, "CAREERBOT_DB": pg_uri}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "health"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1 and "no careerbot schema yet" in done.stderr
