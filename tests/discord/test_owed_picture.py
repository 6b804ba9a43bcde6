"""A finished profile's picture on Discord goes through the outbox as its chart's input,
drawn when it is delivered; a picture owed by an earlier version, stored as the PNG
itself, is still delivered after an upgrade."""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot import pictures
from bot.discord import courier
from bot.discord.courier import Via
from dialogs.content import Dialog
from dialogs.replies import Profile, ProfileLine
from storage.keys import SessionKey
from storage.sessions import SessionStore
from tests.discord.conftest import ANA, Bot
from tests.fakes.discord_api import FakeDiscord

# Far more than the chart's input, far less than the ~150 KB of a chart as base64 PNG.
SMALL = 5_000


def finished(dialog: Dialog) -> Profile:
    lines = tuple(ProfileLine(d.title, d.choices[0].label, d.choices[0].leans) for d in dialog.distinctions)
    return Profile(dialog.title, dialog.outro.heading, None, lines, (), "A closing line.")


async def delivered_after_a_start(
    db_path: Path, fake: FakeDiscord, launch: Any, call: dict[str, Any]
) -> dict[str, Any]:
    """Leave ``call`` owed in the file, as a run that stopped before delivering it would,
    start the bot, and return the message it made. The interaction's token has expired
    by then, so the picture is posted to the channel as the bot."""
    store = await SessionStore.open(db_path)
    key = SessionKey("discord", str(fake.guild_channel_id), str(ANA.id))
    await store.owe(key, courier.owed(str(fake.guild_channel_id), [call]))
    await store.close()
    bot: Bot = await launch(fake)
    await bot.delivered()
    assert await bot.outbox.count("discord") == 0
    return fake.messages[max(fake.messages)]


def expired(fake: FakeDiscord) -> Via:
    return Via(fake.application_id, "an expired token", 0.0, fake.guild_channel_id, ephemeral=False)


async def test_a_profiles_picture_is_owed_as_its_chart_and_drawn_when_delivered(
    fake: FakeDiscord, launch: Any, db_path: Path, dialog: Dialog
) -> None:
    profile = finished(dialog)
    chart = pictures.owed_chart(profile)
    assert chart is not None
    call = courier.picture(expired(fake), chart)
    assert len(json.dumps(call)) < SMALL
    sent = await delivered_after_a_start(db_path, fake, launch, call)
    assert sent["attachments"][0]["filename"] == pictures.FILENAME
    assert fake.attachment(sent) == pictures.draw(profile)


async def test_a_picture_owed_as_a_png_by_an_earlier_version_is_delivered_after_the_upgrade(
    fake: FakeDiscord, launch: Any, db_path: Path, dialog: Dialog
) -> None:
    png = pictures.draw(finished(dialog))
    earlier = {"op": "picture", "via": asdict(expired(fake)), "png": base64.b64encode(png).decode()}
    sent = await delivered_after_a_start(db_path, fake, launch, earlier)
    assert sent["attachments"][0]["filename"] == pictures.FILENAME
    assert fake.attachment(sent) == png
