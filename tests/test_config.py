"""Configuration: every mistake names its variable; tokens never appear."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, CoreSettings, DiscordSettings, TelegramSettings, read_env_file

TG_TOKEN = "123456789:" + "A" * 35
DC_TOKEN = "M" * 24 + ".Gabcde." + "x" * 27


def test_core_defaults() -> None:
    settings = CoreSettings.from_env({})
    assert settings.db_path == Path("careerbot.db")
    assert settings.default_dialog == "job-vs-career"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "nonsense"}, "TELEGRAM_BOT_TOKEN is malformed"),
        ({"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_WEBHOOK_URL": "https://x"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_API_BASE_URL": "ftp://x"}, "TELEGRAM_API_BASE_URL"),
        ({"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_WEBHOOK_PORT": "80a"}, "TELEGRAM_WEBHOOK_PORT"),
    ],
)
def test_telegram_errors_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable) as caught:
        TelegramSettings.from_env(env)
    assert TG_TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "DISCORD_BOT_TOKEN is not set"),
        ({"DISCORD_BOT_TOKEN": "abc"}, "DISCORD_BOT_TOKEN is malformed"),
        ({"DISCORD_BOT_TOKEN": DC_TOKEN, "DISCORD_EPHEMERAL": "maybe"}, "DISCORD_EPHEMERAL"),
        ({"DISCORD_BOT_TOKEN": DC_TOKEN, "DISCORD_GUILD_ID": "guild"}, "DISCORD_GUILD_ID"),
        ({"DISCORD_BOT_TOKEN": DC_TOKEN, "DISCORD_GATEWAY_URL": "https://x"}, "DISCORD_GATEWAY_URL"),
    ],
)
def test_discord_errors_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        DiscordSettings.from_env(env)


def test_settings_repr_hides_tokens() -> None:
    assert TG_TOKEN not in repr(TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": TG_TOKEN}))
    discord = DiscordSettings.from_env({"DISCORD_BOT_TOKEN": DC_TOKEN, "DISCORD_EPHEMERAL": "false"})
    assert DC_TOKEN not in repr(discord) and discord.ephemeral is False


def test_env_file_parsing(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# comment\n\nCAREERBOT_DB='x.db'\nexport CAREERBOT_LOG_LEVEL=debug\n")
    assert read_env_file(env_file) == {"CAREERBOT_DB": "x.db", "CAREERBOT_LOG_LEVEL": "debug"}
    env_file.write_text("NOT A SETTING\n")
    with pytest.raises(ConfigError, match=r"\.env:1: expected NAME=value"):
        read_env_file(env_file)


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=cwd,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_cli_fails_with_one_line_for_operator_mistakes(tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parents[1])
    base = {"PYTHONPATH": root}
    missing = run_cli(["telegram"], base, tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        "careerbot: TELEGRAM_BOT_TOKEN is not set, expected the token @BotFather gave you"
    ]
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    bad_db = run_cli(["chat", "--user", "x"], {**base, "CAREERBOT_DB": str(blocker / "c.db")}, tmp_path)
    assert bad_db.returncode == 2
    assert len(bad_db.stderr.strip().splitlines()) == 1 and "CAREERBOT_DB" in bad_db.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nversion: 1\n")
    bad_yaml = run_cli(["chat"], {**base, "CAREERBOT_DIALOGS": str(broken)}, tmp_path)
    assert bad_yaml.returncode == 2
    assert bad_yaml.stderr.strip() == (
        f"careerbot: {broken}:1:1: the dialog is missing 'distinctions', "
        "expected keys ['distinctions', 'id', 'intro', 'outro', 'title', 'version']"
    )
    nothing = run_cli(["run"], base, tmp_path)
    assert nothing.returncode == 2 and "TELEGRAM_BOT_TOKEN" in nothing.stderr
