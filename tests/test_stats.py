"""Statistics and the anonymous export, on a database filled by real turns through the
Conversations service (no row is inserted by hand)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.conversations import Conversations
from bot.export import HEADER, export, pseudonym
from bot.stats import as_csv, as_json, as_table, gather
from dialogs import messages
from dialogs.content import Dialog
from dialogs.events import Choose, Resume, Skip, Start
from dialogs.replies import Question
from dialogs.stats import SMALL_GROUP
from storage.keys import SessionKey
from storage.sessions import SessionStore
from storage.stats import Filters, StatsStore

FEWER = messages.STATS_FEWER.format(limit=SMALL_GROUP)


async def answer(conversations: Conversations, key: SessionKey, choice: int | None) -> None:
    """Answer the current question with choice number ``choice`` (None: skip it)."""
    turn = await conversations.handle(key, Resume())
    question = turn.replies[-1]
    assert isinstance(question, Question)
    if choice is None:
        await conversations.handle(key, Skip())
    else:
        await conversations.handle(
            key, Choose(question.distinction, question.choices[choice].id, question.turn)
        )


async def play(conversations: Conversations, key: SessionKey, choices: list[int | None]) -> None:
    await conversations.handle(key, Start())
    for choice in choices:
        await answer(conversations, key, choice)


def everyone(dialog: Dialog) -> dict[str, tuple[list[SessionKey], list[int | None]]]:
    """Who plays what: six finish (one of them in two chats), five answer, skip, answer and
    stop at question 4, two open the first question and go no further."""
    finishers = [SessionKey("telegram", f"77700{i}", f"77700{i}") for i in range(6)]
    finishers.append(SessionKey("telegram", "-100555", "777000"))  # the first one, in a group
    stoppers = [SessionKey("discord", f"88800{i}", f"88800{i}") for i in range(5)]
    lookers = [SessionKey("telegram", "-100555", f"99900{i}") for i in range(2)]
    return {
        "finish": (finishers, [0] * dialog.total),
        "stop": (stoppers, [1, None, 0]),
        "look": (lookers, []),
    }


@pytest.fixture
async def played(conversations: Conversations, dialog: Dialog) -> Conversations:
    for keys, choices in everyone(dialog).values():
        for key in keys:
            await play(conversations, key, choices)
    return conversations


async def test_the_funnel_matches_the_conversations_played(played: Conversations, dialog: Dialog) -> None:
    (stats,) = await gather(StatsStore.on(played.store), [dialog], Filters())
    q = stats.questions
    assert (stats.started, stats.finished) == (13, 6)  # 777000 counts once in two chats
    assert (q[0].reached, q[0].answered, q[0].skipped, q[0].left_here) == (13, 11, None, None)
    assert [c.people for c in q[0].choices] == [6, 5, None]
    assert [c.percent for c in q[0].choices] == [55, 45, None]
    assert (q[1].reached, q[1].answered, q[1].skipped, q[1].left_here) == (11, 6, 5, None)
    assert (q[2].answered, q[3].reached, q[3].answered, q[3].left_here) == (11, 11, 6, 5)
    assert [s.people for s in q[2].leans] == [11, None, None]  # every first choice leans job
    assert stats.left_most == dialog.distinctions[3].title
    assert stats.skipped_most == dialog.distinctions[1].title


async def test_filters_by_platform_dialog_and_date(played: Conversations, dialog: Dialog) -> None:
    store = StatsStore.on(played.store)
    (discord,) = await gather(store, [dialog], Filters(platform="discord"))
    assert (discord.started, discord.finished, discord.questions[3].left_here) == (5, None, 5)
    (telegram,) = await gather(store, [dialog], Filters(platform="telegram"))
    assert (telegram.started, telegram.finished) == (8, 6)
    assert await gather(store, [dialog], Filters(dialog="another")) == ()
    (future,) = await gather(store, [dialog], Filters(since=4_000_000_000))
    assert future.started is None and future.questions[0].reached is None


def _people_values(stats_csv: str, stats_json: str) -> list[Any]:
    values: list[Any] = [row["people"] for row in csv.DictReader(io.StringIO(stats_csv))]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"people", "started", "finished", "reached", "answered", "skipped", "stopped_here"}:
                    values.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(stats_json))
    return values


async def test_no_group_under_five_is_ever_counted(played: Conversations, dialog: Dialog) -> None:
    store = StatsStore.on(played.store)
    for filters in (Filters(), Filters(platform="discord"), Filters(platform="telegram")):
        stats = await gather(store, [dialog], filters)
        values = _people_values(as_csv(stats), as_json(stats))
        assert values and FEWER in values
        for value in values:
            assert value == FEWER or int(value) >= SMALL_GROUP
    table = as_table(await gather(store, [dialog], Filters()))
    assert "reached 13, answered 11, skipped fewer than 5, stopped here fewer than 5" in table
    for small in range(1, SMALL_GROUP):
        assert f"reached {small}," not in table and f": {small}\n" not in table


async def test_a_small_dialog_shows_nothing_but_that_it_is_small(
    conversations: Conversations, dialog: Dialog
) -> None:
    for i in range(SMALL_GROUP - 1):
        await play(conversations, SessionKey("telegram", str(i), str(i)), [0] * dialog.total)
    stats = await gather(StatsStore.on(conversations.store), [dialog], Filters())
    assert stats[0].started is None and stats[0].finished is None
    table = as_table(stats)
    assert messages.STATS_TOO_FEW.format(limit=SMALL_GROUP) in table
    assert dialog.distinctions[0].choices[0].label not in table
    assert all(v == FEWER for v in _people_values(as_csv(stats), as_json(stats)))


async def test_the_export_is_anonymous_and_its_pseudonyms_stable(
    played: Conversations, dialogs: dict[str, Dialog], dialog: Dialog, tmp_path: Path, db_path: Path
) -> None:
    store = StatsStore.on(played.store)
    with sqlite3.connect(db_path) as raw:
        chose = raw.execute(
            "SELECT platform, user FROM sessions JOIN answers ON answers.session_id = sessions.id LIMIT 1"
        ).fetchone()
    await played.store.choose_language(chose[0], chose[1], "es")  # the others chose nothing
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    written = await export(store, dialogs, Filters(), first, played.store.language, "en")
    await export(store, dialogs, Filters(), second, played.store.language, "en")
    with sqlite3.connect(db_path) as raw:
        stored = raw.execute("SELECT count(*) FROM answers").fetchone()[0]
        chats, users = zip(*raw.execute("SELECT chat, user FROM sessions").fetchall(), strict=True)
    assert written == stored == 7 * dialog.total + 5 * 3
    text = first.read_text()
    for identifier in {*chats, *users}:
        assert identifier.lstrip("-") not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == HEADER
    spanish = pseudonym(await store.pseudonym_key(), chose[0], chose[1])
    assert {r["language"] for r in rows if r["person"] == spanish} == {"es"}
    assert {r["language"] for r in rows if r["person"] != spanish} == {"en"}
    assert second.read_text() == text  # the same people get the same ids in a new export
    people = {r["person"] for r in rows}
    assert len(people) == 6 + 5  # 777000's two conversations are one person; lookers answered nothing
    skipped = [r for r in rows if r["choice"] == ""]
    assert len(skipped) == 5 and {r["lean"] for r in skipped} == {"skipped"}
    assert {r["lean"] for r in rows} == {"job", "mixed", "skipped"}
    assert oct(first.stat().st_mode & 0o777) == "0o600"


async def test_a_new_person_gets_a_new_pseudonym_and_old_ones_stay(
    played: Conversations, dialogs: dict[str, Dialog], tmp_path: Path
) -> None:
    store = StatsStore.on(played.store)
    before, after = tmp_path / "before.csv", tmp_path / "after.csv"
    await export(store, dialogs, Filters(), before, played.store.language, "en")
    await play(played, SessionKey("console", "terminal", "ana"), [2])
    await export(store, dialogs, Filters(), after, played.store.language, "en")
    old = {r["person"] for r in csv.DictReader(before.open())}
    new = {r["person"] for r in csv.DictReader(after.open())}
    assert old < new and len(new - old) == 1


async def test_the_key_is_made_once_and_kept(db_path: Path) -> None:
    store = await SessionStore.open(db_path)
    key = await StatsStore.on(store).pseudonym_key()
    await store.close()
    store = await SessionStore.open(db_path)
    try:
        assert await StatsStore.on(store).pseudonym_key() == key and len(key) == 32
    finally:
        await store.close()


def test_the_commands_on_a_played_database(
    played: Conversations, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["stats", "--db", str(db_path), "--format", "json", "--platform", "discord"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["dialogs"][0]["started"] == 5
    out = tmp_path / "answers.csv"
    assert cli.main(["export", "--anonymous", "--since", "2020-01-01", "--db", str(db_path), str(out)]) == 0
    assert len(out.read_text().splitlines()) == 1 + 7 * 8 + 5 * 3
    assert cli.main(["export", "--db", str(db_path), str(out)]) == 2
    assert "--anonymous" in capsys.readouterr().err
    assert cli.main(["stats", "--db", str(db_path), "--since", "last week"]) == 2
    assert "--since 'last week' is not a date" in capsys.readouterr().err
