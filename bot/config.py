"""Configuration from the environment (and an optional ``.env`` file).

Rules:
- Every setting is read here and nowhere else; ``.env.example`` lists them all.
- A wrong or missing setting raises ``ConfigError`` whose message is one line naming the
  variable, what is wrong and what was expected. Token values never appear in messages.
- ``.env`` is read from the working directory if present; real environment variables win.
  (A tiny parser instead of python-dotenv: KEY=VALUE lines, '#' comments, optional quotes.)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID

_TELEGRAM_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,64}$")
_DISCORD_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")


class ConfigError(ValueError):
    """An operator's configuration mistake; the message names the variable."""


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not name.strip().isidentifier():
            raise ConfigError(f"{path}:{number}: expected NAME=value, got {raw.split('=')[0]!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def environment(env_file: Path = Path(".env")) -> dict[str, str]:
    """The effective environment: ``.env`` values overridden by real variables."""
    merged = read_env_file(env_file)
    merged.update(os.environ)
    return merged


def _optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = _optional(env, name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r} is not a yes/no value, expected true or false")


def _integer(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    value = _optional(env, name)
    if value is None:
        return default
    if not value.isdigit():
        raise ConfigError(f"{name}={value!r} is not a whole number, expected digits only")
    return int(value)


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    value = _optional(env, name)
    if value is not None and not value.startswith(tuple(f"{s}://" for s in schemes)):
        raise ConfigError(f"{name}={value!r} is not a URL, expected it to start with {schemes[0]}://")
    return value


@dataclass(frozen=True, slots=True)
class CoreSettings:
    db_path: Path
    dialogs_path: Path
    default_dialog: str
    log_level: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CoreSettings:
        log_level = (_optional(env, "CAREERBOT_LOG_LEVEL") or "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError(
                f"CAREERBOT_LOG_LEVEL={log_level!r} is not a level, expected DEBUG, INFO, WARNING or ERROR"
            )
        return cls(
            db_path=Path(_optional(env, "CAREERBOT_DB") or "careerbot.db"),
            dialogs_path=Path(_optional(env, "CAREERBOT_DIALOGS") or BUILTIN_CONTENT),
            default_dialog=_optional(env, "CAREERBOT_DEFAULT_DIALOG") or DEFAULT_DIALOG_ID,
            log_level=log_level,
        )


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    token: str
    api_base_url: str | None
    webhook_url: str | None
    webhook_secret: str | None
    webhook_listen: str
    webhook_port: int

    def __repr__(self) -> str:  # never print the token
        return f"TelegramSettings(webhook_url={self.webhook_url!r}, api_base_url={self.api_base_url!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TelegramSettings:
        token = _optional(env, "TELEGRAM_BOT_TOKEN")
        if token is None:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set, expected the token @BotFather gave you")
        if not _TELEGRAM_TOKEN.match(token):
            raise ConfigError("TELEGRAM_BOT_TOKEN is malformed, expected the form 123456:ABC-DEF...")
        webhook_url = _url(env, "TELEGRAM_WEBHOOK_URL", ("https", "http"))
        secret = _optional(env, "TELEGRAM_WEBHOOK_SECRET")
        if webhook_url and not secret:
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET is not set, expected a secret when TELEGRAM_WEBHOOK_URL is set"
            )
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET is malformed, expected 1-256 of A-Z, a-z, 0-9, _ and -"
            )
        return cls(
            token=token,
            api_base_url=_url(env, "TELEGRAM_API_BASE_URL", ("https", "http")),
            webhook_url=webhook_url,
            webhook_secret=secret,
            webhook_listen=_optional(env, "TELEGRAM_WEBHOOK_LISTEN") or "0.0.0.0",
            webhook_port=_integer(env, "TELEGRAM_WEBHOOK_PORT", 8443) or 8443,
        )


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    token: str
    guild_id: int | None
    ephemeral: bool
    api_base_url: str | None
    gateway_url: str | None

    def __repr__(self) -> str:  # never print the token
        return f"DiscordSettings(guild_id={self.guild_id!r}, ephemeral={self.ephemeral!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DiscordSettings:
        token = _optional(env, "DISCORD_BOT_TOKEN")
        if token is None:
            raise ConfigError(
                "DISCORD_BOT_TOKEN is not set, expected the bot token from the Discord developer portal"
            )
        if not _DISCORD_TOKEN.match(token):
            raise ConfigError("DISCORD_BOT_TOKEN is malformed, expected three dot-separated parts")
        return cls(
            token=token,
            guild_id=_integer(env, "DISCORD_GUILD_ID", None),
            ephemeral=_flag(env, "DISCORD_EPHEMERAL", True),
            api_base_url=_url(env, "DISCORD_API_BASE_URL", ("https", "http")),
            gateway_url=_url(env, "DISCORD_GATEWAY_URL", ("wss", "ws")),
        )
