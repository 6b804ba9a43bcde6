"""The workshop report through the Workshops service on a real SQLite file, and the
counsellor's ``careerbot workshops`` and ``careerbot report``."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from PIL import Image

from bot import cli
from bot.conversations import Conversations
from bot.workshop_report import ended_by, text_of
from bot.workshops import Workshops, open_workshops
from dialogs import messages
from dialogs.content import Dialog
from dialogs.events import End, Next, Open, Vote
from dialogs.replies import Profile
from dialogs.workshop import WorkshopPhase, WorkshopState
from storage.keys import WorkshopKey
from storage.sessions import SessionStore

GROUP = WorkshopKey("telegram", "-100900")


async def run(workshops: Workshops, dialog: Dialog) -> None:
    """Two questions: five members on the first, two on the second; then the end."""
    await workshops.open(GROUP, Open("fac"))
    for position, members in enumerate((["a", "b", "c", "d", "e"], ["a", "b"])):
        d = dialog.distinctions[position]
        for i, member in enumerate(members):
            await workshops.vote(GROUP, Vote(member, 1, d.id, d.choices[i % 2].id))
        if position == 0:
            await workshops.next(GROUP, Next("fac"))
    await workshops.end(GROUP, End("fac"))


def test_ended_by_names_the_workshop_a_turn_ended() -> None:
    asking = WorkshopState(3, "d", "fac", WorkshopPhase.ASKING, 2)
    assert ended_by(asking, WorkshopState(3, "d", "fac", WorkshopPhase.ENDED, 2)) == 3
    assert ended_by(asking, WorkshopState(4, "d", "fac", WorkshopPhase.ASKING, 0)) == 3  # replaced
    assert ended_by(asking, WorkshopState(3, "d", "fac", WorkshopPhase.REVEALED, 2)) is None
    assert ended_by(WorkshopState(3, "d", "fac", WorkshopPhase.ENDED, 2), WorkshopState(4, "d", "f")) is None


async def test_the_report_counts_the_group_and_only_its_facilitator_or_an_admin_gets_it(
    conversations: Conversations, dialog: Dialog
) -> None:
    async with open_workshops(conversations) as workshops:
        await run(workshops, dialog)
        report = await workshops.report(GROUP, 1)
        assert report is not None and report.participants == 5
        assert await workshops.report(GROUP, 1, "a") is None
        assert await workshops.report(GROUP, 1, "a", admin=True) == report
        assert await workshops.report(GROUP, 1, "fac") == report
        assert await workshops.report(GROUP, 2) is None
    assert report.text == messages.REPORT_TEXT.say(5, number=1, title=dialog.title, participants=5)
    with Image.open(io.BytesIO(report.png)) as image:
        assert image.format == "PNG" and image.width == 1080
    rows = list(csv.DictReader(io.StringIO(report.csv)))
    by_question: dict[str, int] = {}
    for row in rows:
        by_question[row["question"]] = by_question.get(row["question"], 0) + int(row["votes"])
        assert row["lean"] in {"job", "mixed", "career"}
    assert by_question[dialog.distinctions[0].id] == 5 and by_question[dialog.distinctions[1].id] == 2
    assert sum(by_question.values()) == 7


def test_the_counsellor_lists_workshops_and_redraws_one(
    dialogs: dict[str, Dialog],
    dialog: Dialog,
    db_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def fill() -> None:
        store = await SessionStore.open(db_path)
        try:
            async with open_workshops(Conversations(store, dialogs, dialog.id)) as workshops:
                await run(workshops, dialog)
        finally:
            await store.close()

    asyncio.run(fill())
    assert cli.main(["workshops", "--db", str(db_path)]) == 0
    listed = capsys.readouterr().out
    assert "1  telegram  workshop 1  job-vs-career  ended" in listed and "5 took part" in listed
    assert "-100900" not in listed and "fac" not in listed
    out, table = tmp_path / "w.png", tmp_path / "w.csv"
    assert cli.main(["report", "1", "--out", str(out), "--csv", str(table), "--db", str(db_path)]) == 0
    with Image.open(out) as image:
        assert image.format == "PNG"
    assert table.read_text().startswith("question,title,choice,label,lean,votes,percent")
    assert cli.main(["report", "7", "--out", str(out), "--db", str(db_path)]) == 2
    assert messages.REPORT_UNKNOWN.format(id=7) in capsys.readouterr().err


def test_the_report_text_takes_the_plural_form_of_its_count(dialog: Dialog) -> None:
    one, many = text_of(dialog, 4, 1), text_of(dialog, 4, 2)
    assert one.startswith(f'Your report on workshop 4 ("{dialog.title}"): 1 person took part. ')
    assert many.startswith(f'Your report on workshop 4 ("{dialog.title}"): 2 people took part. ')


async def test_a_spanish_workshop_reports_and_profiles_with_its_spanish_titles(
    conversations: Conversations, dialog: Dialog
) -> None:
    spanish = dialog.in_language("es")
    async with open_workshops(conversations) as workshops:
        await workshops.open(GROUP, Open("fac", language="es"))
        first = dialog.distinctions[0]
        await workshops.vote(GROUP, Vote("a", 1, first.id, first.choices[0].id))
        mine = await workshops.member_profile(GROUP, 1, "a")
        await workshops.end(GROUP, End("fac"))
        report = await workshops.report(GROUP, 1)
    assert isinstance(mine, Profile) and mine.title == spanish.title
    assert mine.lines[0].title == spanish.distinctions[0].title != first.title
    assert report is not None and f"(«{spanish.title}»)" in report.text
    titles = {row["title"] for row in csv.DictReader(io.StringIO(report.csv))}
    assert spanish.distinctions[0].title in titles and first.title not in titles
