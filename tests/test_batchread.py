"""Reads asked for at once are made together: one query answers every load (or every
language read) of a pass of the event loop, each answer the one a read alone would give;
and a dialog's structure asked to be kept by many turns at once is written once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dialogs.state import Answer, Phase, RecordAnswer, SessionState
from storage.batchread import BatchedReads
from storage.keys import SessionKey
from storage.sessions import SessionStore


def _state(dialog: str, turn: int, *answers: Answer) -> SessionState:
    return SessionState(dialog, Phase.ASKING, turn, 0, answers)


async def test_loads_and_languages_asked_at_once_are_one_query_each_as_if_alone(tmp_path: Path) -> None:
    now = [1000.0]
    store = await SessionStore.open(tmp_path / "b.db", clock=lambda: now[0])
    try:
        ana, bo, cy = (SessionKey("telegram", str(n), str(n)) for n in (1, 2, 3))
        answered = _state("job-vs-career", 1, Answer("work", "role"))
        await store.commit_turn(ana, 0, answered, (RecordAnswer("work", "role", 0),))
        now[0] += 1
        await store.commit_turn(ana, 0, _state("other", 4), ())  # ana's latest is "other"
        now[0] += 1
        await store.commit_turn(bo, 0, _state("job-vs-career", 2), ())
        await store.choose_language("telegram", "2", "es")
        asks = [(ana, None), (ana, "job-vs-career"), (ana, "missing"), (bo, None), (cy, None)]
        alone = [await store.load(key, dialog) for key, dialog in asks]
        languages_alone = [await store.language("telegram", user) for user in ("1", "2", "3")]
        before = store.read_batches
        together = await asyncio.gather(*(store.load(key, dialog) for key, dialog in asks))
        languages = await asyncio.gather(*(store.language("telegram", user) for user in ("1", "2", "3")))
        assert store.read_batches == before + 2
        assert list(together) == alone
        assert [loaded.state.dialog if loaded else None for loaded in together] == [
            "other",
            "job-vs-career",
            None,
            "job-vs-career",
            None,
        ]
        assert together[1] is not None and together[1].state.answers == (Answer("work", "role"),)
        assert list(languages) == languages_alone == [None, "es", None]
    finally:
        await store.close()


async def test_a_failed_batch_tells_every_asker_and_a_cancelled_one_does_not_stop_the_others() -> None:
    async def broken(requests: list[int]) -> list[int]:
        raise RuntimeError(f"cannot read {len(requests)}")

    reads = BatchedReads(broken)
    results = await asyncio.gather(reads.ask(1), reads.ask(2), return_exceptions=True)
    assert [str(r) for r in results] == ["cannot read 2", "cannot read 2"]

    async def doubled(requests: list[int]) -> list[int]:
        await asyncio.sleep(0)
        return [2 * r for r in requests]

    reads = BatchedReads(doubled)
    gone = reads.ask(1)
    kept = reads.ask(2)
    gone.cancel()
    assert await kept == 4
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert reads.batches == 1


async def test_a_structure_asked_to_be_kept_by_many_at_once_is_written_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID, load_dialogs

    dialog = load_dialogs(BUILTIN_CONTENT)[DEFAULT_DIALOG_ID]
    store = await SessionStore.open(tmp_path / "r.db")
    begun: list[str] = []
    execute = type(store.connection).execute

    def counting(self: object, sql: str, *args: object) -> object:
        if sql.startswith("BEGIN"):
            begun.append(sql)
        return execute(self, sql, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(type(store.connection), "execute", counting)
    try:
        await asyncio.gather(*(store.remember(dialog) for _ in range(50)))
        assert len(begun) == 1
        assert await store.structure(dialog.fingerprint) == dialog.structure
        await store.remember(dialog)  # known now: nothing written
        assert len(begun) == 1
    finally:
        monkeypatch.undo()
        await store.close()


async def test_work_asked_for_while_it_runs_is_done_once_and_a_failure_is_retried_next_time() -> None:
    from storage.singleflight import SingleFlight

    flights = SingleFlight()
    started: list[str] = []
    release = asyncio.Event()

    async def write() -> None:
        started.append("write")
        await release.wait()
        if len(started) == 1:
            raise RuntimeError("disk full")

    waiting = [asyncio.ensure_future(flights.run("x", write)) for _ in range(3)]
    await asyncio.sleep(0)
    waiting[0].cancel()  # one caller gives up: the others still get the run's outcome
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert started == ["write"]
    assert isinstance(results[0], asyncio.CancelledError)
    assert [str(r) for r in results[1:]] == ["disk full", "disk full"]
    await flights.run("x", write)  # failed before: tried again, and succeeds
    assert started == ["write", "write"]
