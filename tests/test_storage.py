"""SQLite-only storage tests: group commit, the file itself, migrations, privacy. What both
stores must do is in the contract suite (``test_store_contract``)."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

import pytest

from dialogs.state import Answer, Phase, RecordAnswer, SessionState
from storage.keys import SessionKey
from storage.schema import SCHEMA_VERSION
from storage.sessions import SessionStore, StorageError

ANA = SessionKey("console", "terminal", "ana")


def asking(turn: int, *answers: Answer) -> SessionState:
    return SessionState("job-vs-career", Phase.ASKING, turn, 0, answers)


async def test_concurrent_turns_are_group_committed(store: SessionStore) -> None:
    keys = [SessionKey("telegram", "1", str(i)) for i in range(200)]
    versions = await asyncio.gather(
        *(
            store.commit_turn(k, 0, asking(1, Answer("work", "role")), (RecordAnswer("work", "role", 0),))
            for k in keys
        )
    )
    assert versions == [1] * len(keys)
    assert store.batches < len(keys) / 4  # many turns shared each transaction
    for key in keys[:5]:
        loaded = await store.load(key)
        assert loaded is not None and loaded.state.answers == (Answer("work", "role"),)


async def test_migrates_an_empty_file_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    path.touch(mode=0o644)
    store = await SessionStore.open(path)
    await store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sessions", "answers"} <= tables


async def test_reopening_does_not_migrate_twice(db_path: Path) -> None:
    for _ in range(2):
        store = await SessionStore.open(db_path)
        await store.close()
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_a_newer_schema_is_refused(db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StorageError, match="newer than this program"):
        await SessionStore.open(db_path)


async def test_a_newer_schema_is_refused_before_anything_changes(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE from_the_future (x)")
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    path.chmod(0o640)
    with pytest.raises(StorageError, match="newer than this program"):
        await SessionStore.open(path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["newer.db"]


async def test_unwritable_location_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="cannot open the database"):
        await SessionStore.open(blocker / "careerbot.db")


async def test_a_file_that_is_not_sqlite_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database, just some text " * 200)
    with pytest.raises(StorageError, match="cannot use the database"):
        await SessionStore.open(path)


async def test_close_finishes_pending_turns(db_path: Path) -> None:
    store = await SessionStore.open(db_path)
    keys = [SessionKey("console", "t", str(i)) for i in range(50)]
    pending = [asyncio.ensure_future(store.commit_turn(k, 0, asking(1), ())) for k in keys]
    await asyncio.sleep(0)
    await store.close()
    assert [await p for p in pending] == [1] * 50
    reopened = await SessionStore.open(db_path)
    try:
        assert await reopened.count_sessions() == 50
    finally:
        await reopened.close()
