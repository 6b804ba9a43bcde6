"""Starting and stopping the Discord adapter: token, command sync, logs, signals."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.app import StartupError
from bot.discord.sync import marker_for
from tests.discord.conftest import ANA, TOKEN, Bot
from tests.fakes.discord_api import FakeDiscord, button_labels

SUBCOMMANDS = {
    *("start", "resume", "back", "skip", "restart", "summary", "why", "help", "language", "mydata", "forget")
}
WORKSHOP_SUBCOMMANDS = {"start", "reveal", "next", "end"}


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TELEGRAM_", "CAREERBOT_"))}
    return env | {"CAREERBOT_DB": str(tmp_path / "bot.db")} | extra


def test_missing_token_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "discord"],
        cwd=tmp_path,  # no .env here
        env=_env(tmp_path, PYTHONPATH=str(Path(__file__).parents[2])),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DISCORD_BOT_TOKEN" in lines[0], result.stderr
    assert not (tmp_path / "bot.db").exists()  # nothing half-started


async def test_rejected_token_is_a_startup_error_without_the_token(fake: FakeDiscord, launch: Any) -> None:
    fake.token = "another." + TOKEN  # the fake now accepts only some other bot's token
    with pytest.raises(StartupError) as caught:
        await launch(fake)
    assert "DISCORD_BOT_TOKEN" in str(caught.value) and TOKEN not in str(caught.value)


async def test_intents_discord_refuses_are_a_startup_error(fake: FakeDiscord, launch: Any) -> None:
    fake.close_on_identify = 4014  # "disallowed intents": a setting of the application, not a glitch
    with pytest.raises(StartupError) as caught:
        await launch(fake)
    assert "intents" in str(caught.value) and "\n" not in str(caught.value)


async def test_commands_are_synced_only_when_they_change(
    fake: FakeDiscord, launch: Any, db_path: Path
) -> None:
    first: Bot = await launch(fake)
    assert first.client.synced is True
    puts = fake.command_puts()
    assert [c.path for c in puts] == [f"/applications/{fake.application_id}/guilds/{fake.guild_id}/commands"]
    career, workshop = puts[0].body
    assert career["name"] == "career" and {o["name"] for o in career["options"]} == SUBCOMMANDS
    start = next(o for o in career["options"] if o["name"] == "start")
    assert [c["value"] for c in start["options"][0]["choices"]] == ["job-vs-career"]
    assert workshop["name"] == "workshop" and {o["name"] for o in workshop["options"]} == WORKSHOP_SUBCOMMANDS
    start = next(o for o in workshop["options"] if o["name"] == "start")
    assert [c["value"] for c in start["options"][0]["choices"]] == ["job-vs-career"]
    # Every description in Spanish for Spanish clients, from Spain and Latin America; names stay.
    assert career["description_localizations"]["es-ES"] == (
        "¿Tu trabajo es un empleo o una carrera? Una conversación guiada y breve."
    )
    assert career["description_localizations"]["es-419"] == career["description_localizations"]["es-ES"]
    assert "es-ES" not in career.get("name_localizations") or {}
    by_name = {o["name"]: o for o in career["options"]}
    assert by_name["start"]["description_localizations"]["es-ES"] == (
        "Empezar la conversación, o seguir donde lo dejaste"
    )
    language = by_name["language"]
    assert [c["value"] for c in language["options"][0]["choices"]] == ["en", "es"]
    assert [c["name"] for c in language["options"][0]["choices"]] == ["English", "Español"]
    assert language["options"][0]["description_localizations"]["es-ES"].startswith("El idioma en que hablar")
    assert workshop["description_localizations"]["es-ES"].startswith("Dirige un taller")
    assert "fr" not in career["description_localizations"]
    marker = marker_for(db_path)
    assert marker is not None and marker.is_file()
    await first.shut_down()

    second: Bot = await launch(fake)  # same commands, same guild: no sync
    assert second.client.synced is False and len(fake.command_puts()) == 1
    await second.shut_down()

    third: Bot = await launch(fake, guild_id=None)  # the target changed: global sync
    assert third.client.synced is True
    assert fake.command_puts()[-1].path == f"/applications/{fake.application_id}/commands"
    assert len(fake.command_puts()) == 2


async def test_token_never_reaches_the_logs(
    fake: FakeDiscord, launch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot: Bot = await launch(fake)
    start = fake.slash(ANA, "start")
    await bot.act(start)
    question = fake.messages[max(fake.messages)]
    press = fake.press(ANA, question, next(iter(button_labels(question).values())))
    await bot.act(press)
    await bot.shut_down()
    assert fake.identified_tokens == [TOKEN]  # it was used...
    assert len(caplog.records) > 20  # ...while discord.py logged at DEBUG...
    assert TOKEN not in caplog.text  # ...and never logged it
    assert TOKEN.split(".")[-1] not in caplog.text
    # Interaction tokens post as the bot for 15 minutes: discord.py's URL logs are redacted.
    assert "/interactions/" in caplog.text
    assert start["token"] not in caplog.text and press["token"] not in caplog.text


async def test_careerbot_run_serves_discord_until_sigterm(fake: FakeDiscord, tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        DISCORD_BOT_TOKEN=TOKEN,
        DISCORD_GUILD_ID=str(fake.guild_id),
        DISCORD_API_BASE_URL=fake.api_base_url,
        DISCORD_GATEWAY_URL=fake.gateway_url,
        CAREERBOT_LOG_LEVEL="DEBUG",
        PYTHONPATH=str(Path(__file__).parents[2]),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for(lambda: fake.connected == 1, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    logs = (out + err).decode()
    assert process.returncode == 0, logs
    assert fake.identified_tokens == [TOKEN] and TOKEN not in logs
    assert fake.gateway_queries[0]["v"] == "10" and fake.gateway_queries[0]["encoding"] == "json"
    assert "Discord adapter stopped" in logs  # it shut down, not died
    assert (tmp_path / "bot.db.discord-commands").is_file()
    assert fake.unexpected == []


async def test_unreachable_discord_is_a_startup_error(fake: FakeDiscord, launch: Any) -> None:
    await fake.stop()  # nothing listens there any more
    with pytest.raises(StartupError, match=r"cannot reach Discord at http://127\.0\.0\.1"):
        await launch(fake)
