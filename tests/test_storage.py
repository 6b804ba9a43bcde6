"""Storage tests on a real SQLite file: round trips, resume, conflicts, migrations, privacy."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

import pytest

from dialogs.state import Answer, ClearAnswers, Phase, RecordAnswer, SessionState
from storage.keys import SessionKey
from storage.schema import SCHEMA_VERSION
from storage.sessions import SessionStore, StorageError, VersionConflict

ANA = SessionKey("console", "terminal", "ana")


def asking(turn: int, *answers: Answer) -> SessionState:
    return SessionState("job-vs-career", Phase.ASKING, turn, 0, answers)


async def test_round_trip(store: SessionStore) -> None:
    assert await store.load(ANA) is None
    state = asking(2, Answer("work", "role"))
    version = await store.commit_turn(ANA, 0, state, (RecordAnswer("work", "role", 1),))
    assert version == 1
    loaded = await store.load(ANA)
    assert loaded is not None
    assert loaded.state == state and loaded.version == 1
    assert await store.load(ANA, "job-vs-career") == loaded
    assert await store.load(ANA, "other-dialog") is None


async def test_resume_after_closing_and_reopening(db_path: Path) -> None:
    first = await SessionStore.open(db_path)
    await first.commit_turn(ANA, 0, asking(1, Answer("work", "path")), (RecordAnswer("work", "path", 1),))
    await first.close()
    second = await SessionStore.open(db_path)
    try:
        loaded = await second.load(ANA)
        assert loaded is not None and loaded.state.answers == (Answer("work", "path"),)
    finally:
        await second.close()


async def test_version_conflict_applies_nothing(store: SessionStore) -> None:
    await store.commit_turn(ANA, 0, asking(1), ())
    await store.commit_turn(ANA, 1, asking(2, Answer("work", "role")), (RecordAnswer("work", "role", 1),))
    with pytest.raises(VersionConflict):
        # A second writer that loaded version 1 too must not apply its turn.
        await store.commit_turn(
            ANA, 1, asking(2, Answer("work", "path")), (RecordAnswer("work", "path", 1),)
        )
    loaded = await store.load(ANA)
    assert loaded is not None and loaded.version == 2
    assert loaded.state.answers == (Answer("work", "role"),)


async def test_creating_a_session_twice_conflicts(store: SessionStore) -> None:
    await store.commit_turn(ANA, 0, asking(1), ())
    with pytest.raises(VersionConflict):
        await store.commit_turn(ANA, 0, asking(1), ())


async def test_a_conflict_in_a_batch_fails_only_that_turn(store: SessionStore) -> None:
    await store.commit_turn(ANA, 0, asking(1), ())
    others = [SessionKey("console", "terminal", f"p{i}") for i in range(20)]
    results = await asyncio.gather(
        store.commit_turn(ANA, 0, asking(1), ()),  # stale: ANA is at version 1
        *(store.commit_turn(key, 0, asking(1), ()) for key in others),
        return_exceptions=True,
    )
    assert isinstance(results[0], VersionConflict)
    assert results[1:] == [1] * len(others)
    assert await store.count_sessions() == 21


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


async def test_answers_are_upserted_and_cleared(store: SessionStore, db_path: Path) -> None:
    await store.commit_turn(ANA, 0, asking(1), (RecordAnswer("work", "role", 0),))
    await store.commit_turn(ANA, 1, asking(3), (RecordAnswer("work", "path", 2),))
    with sqlite3.connect(db_path) as raw:
        rows = raw.execute("SELECT distinction, choice, turn FROM answers").fetchall()
        assert rows == [("work", "path", 2)]
        answered_at = raw.execute("SELECT answered_at FROM answers").fetchone()[0]
        assert answered_at > 1_600_000_000
    await store.commit_turn(ANA, 2, asking(4), (ClearAnswers(),))
    loaded = await store.load(ANA)
    assert loaded is not None and loaded.state.answers == ()


async def test_skipped_answer_round_trips(store: SessionStore) -> None:
    await store.commit_turn(ANA, 0, asking(1, Answer("work", None)), (RecordAnswer("work", None, 0),))
    loaded = await store.load(ANA)
    assert loaded is not None and loaded.state.answers == (Answer("work", None),)


async def test_keys_keep_sessions_apart(store: SessionStore) -> None:
    dm = SessionKey("telegram", "42", "7")
    group = SessionKey("telegram", "-100", "7")
    await store.commit_turn(dm, 0, asking(3), ())
    await store.commit_turn(group, 0, asking(1), ())
    dm_loaded, group_loaded = await store.load(dm), await store.load(group)
    assert dm_loaded is not None and dm_loaded.state.turn == 3
    assert group_loaded is not None and group_loaded.state.turn == 1


async def test_forget_erases_every_session_of_the_person(store: SessionStore, db_path: Path) -> None:
    mine = [SessionKey("telegram", chat, "7") for chat in ("42", "-100", "-200")]
    theirs = SessionKey("telegram", "-100", "8")
    for key in [*mine, theirs]:
        await store.commit_turn(key, 0, asking(1), (RecordAnswer("work", "role", 0),))
    assert await store.forget("telegram", "7") == 3
    assert all([await store.load(key) is None for key in mine])
    assert await store.load(theirs) is not None
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT count(*) FROM answers").fetchone()[0] == 1


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
