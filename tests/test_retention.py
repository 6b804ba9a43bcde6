"""Retention: what is untouched for longer than CAREERBOT_RETENTION_DAYS is erased, exactly
that, on a real SQLite file filled through the services with an injected clock."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import cli
from bot.conversations import Conversations
from bot.retention import DAY, Retention
from bot.workshops import Workshops
from dialogs.content import Dialog
from dialogs.events import Choose, End, Open, Resume, Start, Vote
from dialogs.replies import Question, Reply
from storage.keys import SessionKey, WorkshopKey
from storage.outbox import Owed
from storage.sessions import SessionStore
from storage.workshops import WorkshopStore

NOW = 1_800_000_000.0
LIMIT = 365
OLD = NOW - LIMIT * DAY - 1  # one second past the limit
EDGE = NOW - LIMIT * DAY  # exactly at it: not older, so it stays
RECENT = NOW - 10 * DAY


@dataclass(slots=True)
class Clock:
    now: float = NOW

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True, slots=True)
class World:
    clock: Clock
    conversations: Conversations
    workshops: Workshops
    db_path: Path


@pytest.fixture
async def world(db_path: Path, dialogs: dict[str, Dialog], dialog: Dialog) -> AsyncIterator[World]:
    clock = Clock()
    store = await SessionStore.open(db_path, clock=clock)
    workshop_store = WorkshopStore.on(store, clock=clock)
    try:
        yield World(
            clock,
            Conversations(store, dialogs, dialog.id),
            Workshops(workshop_store, dialogs, dialog.id),
            db_path,
        )
    finally:
        await workshop_store.close()
        await store.close()


async def answer_first(conversations: Conversations, key: SessionKey) -> None:
    await conversations.handle(key, Start())
    question = (await conversations.handle(key, Resume())).replies[-1]
    assert isinstance(question, Question)
    await conversations.handle(key, Choose(question.distinction, question.choices[0].id, question.turn))


async def vote(workshops: Workshops, key: WorkshopKey, member: str) -> None:
    state = await workshops.current(key)
    d = workshops.dialogs[state.dialog].distinctions[state.position]
    turn = await workshops.vote(key, Vote(member, state.number, d.id, d.choices[0].id))
    assert turn.replies and type(turn.replies[0]).__name__ == "VoteRecorded"


def owe_one(chat: str) -> Callable[[tuple[Reply, ...]], Awaitable[tuple[Owed, ...]]]:
    """A renderer that owes one message to ``chat`` for a turn, as an adapter's would."""

    async def render(replies: tuple[Reply, ...]) -> tuple[Owed, ...]:
        return (Owed(chat, json.dumps({"replies": len(replies)})),)

    return render


def counts(db_path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(db_path) as raw:
        return {
            "sessions": sorted(r[0] for r in raw.execute("SELECT user FROM sessions")),
            "answers": sorted(
                r[0]
                for r in raw.execute("SELECT s.user FROM answers a JOIN sessions s ON s.id = a.session_id")
            ),
            "workshops": sorted(r[0] for r in raw.execute("SELECT chat FROM workshops")),
            "votes": sorted(r[0] for r in raw.execute("SELECT member FROM workshop_votes")),
            "owed": sorted(r[0] for r in raw.execute("SELECT chat FROM outbox")),
        }


async def test_exactly_what_is_older_than_the_limit_is_erased(world: World) -> None:
    c, w, clock = world.conversations, world.workshops, world.clock
    for when, user in ((OLD, "old"), (EDGE, "edge"), (RECENT, "recent")):
        clock.now = when
        key = SessionKey("telegram", user, user)
        await answer_first(c, key)
        await c.handle(key, Resume(), owe_one(key.chat))  # a reply owed, never delivered
    # a workshop that ran and ended long ago, and one still open with an old and a new vote
    ended, open_ = WorkshopKey("telegram", "-1"), WorkshopKey("telegram", "-2")
    clock.now = OLD
    await w.open(ended, Open("fac"))
    await vote(w, ended, "m1")
    await w.end(ended, End("fac"))
    await w.open(open_, Open("fac"))
    await vote(w, open_, "m2")
    clock.now = RECENT
    await vote(w, open_, "m3")
    clock.now = NOW

    erased = await Retention(c, w, LIMIT, clock).erase_now()

    assert (erased.sessions, erased.answers, erased.workshops, erased.votes, erased.owed) == (1, 1, 1, 2, 1)
    assert counts(world.db_path) == {
        "sessions": ["edge", "recent"],
        "answers": ["edge", "recent"],
        "workshops": ["-2"],
        "votes": ["m3"],
        "owed": ["edge", "recent"],
    }
    # Nothing erased is served from the caches: the old person starts afresh.
    assert await c.current(SessionKey("telegram", "old", "old")) is None
    assert (await w.current(ended)).number == 0
    # A second pass a day later finds the edge case now old, and nothing else.
    clock.now = NOW + DAY
    again = await Retention(c, w, LIMIT, clock).erase_now()
    assert (again.sessions, again.answers, again.workshops, again.votes, again.owed) == (1, 1, 0, 0, 1)


async def test_it_runs_daily_while_the_bot_runs(world: World) -> None:
    c, w, clock = world.conversations, world.workshops, world.clock
    await answer_first(c, SessionKey("telegram", "ana", "ana"))
    clock.now = NOW + 2 * DAY  # two days later, with a limit of one day
    daily = asyncio.create_task(Retention(c, w, 1, clock).daily(every=0.01))
    try:
        for _ in range(200):
            if not counts(world.db_path)["sessions"]:
                break
            await asyncio.sleep(0.01)
    finally:
        daily.cancel()
    assert counts(world.db_path)["sessions"] == []


def test_every_command_erases_at_start_up(
    db_path: Path, dialogs: dict[str, Dialog], dialog: Dialog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fill() -> None:  # three days ago, by the store's clock
        store = await SessionStore.open(db_path, clock=lambda: time.time() - 3 * DAY)
        await answer_first(Conversations(store, dialogs, dialog.id), SessionKey("console", "t", "ana"))
        await store.close()

    asyncio.run(fill())
    monkeypatch.setenv("CAREERBOT_RETENTION_DAYS", "2")
    out = tmp_path / "answers.csv"
    assert cli.main(["export", "--anonymous", "--db", str(db_path), str(out)]) == 0
    assert len(out.read_text().splitlines()) == 1  # the header only
    assert counts(db_path)["sessions"] == []


def test_a_bad_limit_is_refused_at_start_up(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CAREERBOT_RETENTION_DAYS", "a year")
    assert cli.main(["stats", "--db", str(db_path)]) == 2
    assert "CAREERBOT_RETENTION_DAYS='a year' is not a number of days" in capsys.readouterr().err
