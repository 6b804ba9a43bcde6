"""The workshop report on Discord: whoever ends a workshop gets, privately, the group's
chart as a PNG, how many took part, and the aggregate as a CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from PIL import Image

from dialogs import messages
from dialogs.content import Dialog
from tests.discord.conftest import ANA, BEN, CLEO, DAN, Bot
from tests.discord.test_workshop import no_rest, public, vote, workshop
from tests.fakes.discord_api import EPHEMERAL, FakeDiscord


async def test_the_facilitator_gets_the_report_privately(
    fake: FakeDiscord, launch: Any, dialog: Dialog
) -> None:
    bot: Bot = await launch(fake, vote_sleep=no_rest)
    await workshop(bot, ANA, "start")
    for person, choice in ((BEN, 0), (CLEO, 0), (DAN, 1)):
        await vote(bot, person, choice)
    await workshop(bot, ANA, "reveal")
    await workshop(bot, ANA, "end")
    report = fake.messages[max(fake.messages)]
    assert report["flags"] & EPHEMERAL and not public(report)
    expected = messages.REPORT_TEXT.say(3, number=1, title=dialog.title, participants=3)
    assert report["content"] == expected
    names = [a["filename"] for a in report["attachments"]]
    assert names == ["workshop-1.png", "workshop-1.csv"]
    with Image.open(io.BytesIO(fake.attachment(report, 0))) as image:
        assert image.format == "PNG" and image.width == 1080
    table = fake.attachment(report, 1).decode()
    rows = list(csv.DictReader(io.StringIO(table)))
    first = dialog.distinctions[0]
    votes = {r["choice"]: int(r["votes"]) for r in rows if r["question"] == first.id}
    assert votes == {first.choices[0].id: 2, first.choices[1].id: 1, **{c.id: 0 for c in first.choices[2:]}}
    for person in (ANA, BEN, CLEO, DAN):
        assert str(person.id) not in table and person.name not in table
    assert fake.unexpected == []
