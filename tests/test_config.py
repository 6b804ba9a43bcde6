"""Configuration: every mistake names its variable; tokens never appear."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import (
    ConfigError,
    CoreSettings,
    DiscordSettings,
    TelegramSettings,
    misspelt,
    read_env_file,
)

TG_TOKEN = "123456789:" + "A" * 35
DC_TOKEN = "M" * 24 + ".Gabcde." + "x" * 27


def test_core_defaults() -> None:
    settings = CoreSettings.from_env({})
    assert settings.db_path == Path("careerbot.db") == settings.database
    assert settings.default_dialog == "job-vs-career"


def test_a_postgresql_uri_is_kept_whole() -> None:
    uri = "postgresql://careerbot:secret@db:5432/careerbot"
    settings = CoreSettings.from_env({"CAREERBOT_DB": uri})
    assert settings.database == uri  # a Path would have folded its "//"
    assert CoreSettings.from_env({"CAREERBOT_DB": "data/x.db"}).database == Path("data/x.db")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "nonsense"}, "TELEGRAM_BOT_TOKEN is malformed"),
        ({"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_WEBHOOK_URL": "https://x"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_API_BASE_URL": "ftp://x"}, "TELEGRAM_API_BASE_URL"),
        ({"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_WEBHOOK_PORT": "80a"}, "TELEGRAM_WEBHOOK_PORT"),
        ({"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_CONCURRENT_UPDATES": "0"}, "TELEGRAM_CONCURRENT_UPDATES"),
        ({"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_CONCURRENT_UPDATES": "x"}, "TELEGRAM_CONCURRENT_UPDATES"),
        ({"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_CONNECTION_POOL": "5000"}, "TELEGRAM_CONNECTION_POOL"),
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
        ({"DISCORD_BOT_TOKEN": DC_TOKEN, "DISCORD_SHARD_COUNT": "two"}, "DISCORD_SHARD_COUNT"),
        ({"DISCORD_BOT_TOKEN": DC_TOKEN, "DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT"),
        ({"DISCORD_BOT_TOKEN": DC_TOKEN, "DISCORD_SHARD_IDS": "0"}, "DISCORD_SHARD_IDS"),
        (
            {"DISCORD_BOT_TOKEN": DC_TOKEN, "DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0,2"},
            "DISCORD_SHARD_IDS",
        ),
    ],
)
def test_discord_errors_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        DiscordSettings.from_env(env)


def test_telegram_concurrency_and_pool_have_bounded_defaults_and_can_be_set() -> None:
    default = TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": TG_TOKEN})
    assert (default.concurrent_updates, default.connection_pool) == (16, 16)
    chosen = TelegramSettings.from_env(
        {"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_CONCURRENT_UPDATES": "4", "TELEGRAM_CONNECTION_POOL": "2"}
    )
    assert (chosen.concurrent_updates, chosen.connection_pool) == (4, 2)


def test_settings_repr_hides_tokens() -> None:
    assert TG_TOKEN not in repr(TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": TG_TOKEN}))
    discord = DiscordSettings.from_env({"DISCORD_BOT_TOKEN": DC_TOKEN, "DISCORD_EPHEMERAL": "false"})
    assert DC_TOKEN not in repr(discord) and discord.ephemeral is False


def test_env_file_parsing(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(
        "\ufeff# comment\n\nCAREERBOT_DB='x.db'\nexport CAREERBOT_LOG_LEVEL=debug # why: tracing\n"
        'TELEGRAM_WEBHOOK_SECRET="a # b"\nDISCORD_GUILD_ID = 42 \nCAREERBOT_DIALOGS=${HOME}/d\n'.encode()
    )
    assert read_env_file(env_file) == {
        "CAREERBOT_DB": "x.db",  # the BOM is not part of the first name
        "CAREERBOT_LOG_LEVEL": "debug",
        "TELEGRAM_WEBHOOK_SECRET": "a # b",
        "DISCORD_GUILD_ID": "42",
        "CAREERBOT_DIALOGS": "${HOME}/d",  # taken literally
    }


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (f"CAREERBOT_DB=x.db\nTELEGRAM_BOT_TOKEN {TG_TOKEN}\n", ":2: TELEGRAM_BOT_TOKEN is not NAME=value"),
        (f"{TG_TOKEN}\n", ":1: is not NAME=value"),
        (f"{DC_TOKEN}\n", ":1: is not NAME=value"),
        ("DISCORD_BOT_TOKEN\n", ":1: DISCORD_BOT_TOKEN is not NAME=value"),
        (f"CAREERBOT_DB=x\nTELEGRAM_BOT_TOKEN='{TG_TOKEN}\n", ":2: TELEGRAM_BOT_TOKEN is not NAME=value"),
    ],
)
def test_a_bad_env_line_is_named_by_number_and_never_shown(tmp_path: Path, content: str, error: str) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(content)
    with pytest.raises(ConfigError, match=error) as caught:
        read_env_file(env_file)
    message = str(caught.value)
    assert "\n" not in message
    assert TG_TOKEN[10:20] not in message and DC_TOKEN[:8] not in message


def test_an_env_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"CAREERBOT_DB=x.db\nCAREERBOT_DIALOGS=caf\xe9\n")
    with pytest.raises(ConfigError, match=r"\.env:2: is not UTF-8 text"):
        read_env_file(env_file)


def test_misspelt_names_get_the_nearest_setting() -> None:
    env = {"CAREERBOT_DATABASE": "x", "TELEGRAM_TOKEN": "y", "DISCORD_GUILD": "1", "CAREERBOT_DB": "x"}
    assert misspelt({**env, "PATH": "/bin", "TELEGRAMS": "z"}) == [
        "CAREERBOT_DATABASE is not a setting and is ignored; did you mean CAREERBOT_DB?",
        "DISCORD_GUILD is not a setting and is ignored; did you mean DISCORD_GUILD_ID?",
        "TELEGRAM_TOKEN is not a setting and is ignored; did you mean TELEGRAM_BOT_TOKEN?",
    ]


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


def test_cli_reads_env_with_real_variables_winning_and_warns_of_typos(tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parents[1])
    (tmp_path / ".env").write_text("CAREERBOT_DEFAULT_DIALOG=from-the-file\nCAREERBOT_LOG_LEVL=debug\n")
    real = {"PYTHONPATH": root, "CAREERBOT_DEFAULT_DIALOG": "from-the-environment"}
    done = run_cli(["chat", "--user", "x"], real, tmp_path)
    assert done.stderr.splitlines() == [
        "careerbot: warning: CAREERBOT_LOG_LEVL is not a setting and is ignored; "
        "did you mean CAREERBOT_LOG_LEVEL?",
        "careerbot: CAREERBOT_DEFAULT_DIALOG='from-the-environment' is not a loaded dialog, "
        "expected one of: job-vs-career",
    ]
    assert done.returncode == 2


def test_cli_names_a_bad_env_line_in_one_line(tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parents[1])
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN: {TG_TOKEN}\n")
    done = run_cli(["chat"], {"PYTHONPATH": root}, tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("careerbot: .env:1: TELEGRAM_BOT_TOKEN is not NAME=value")
    assert TG_TOKEN.split(":")[1] not in done.stderr
