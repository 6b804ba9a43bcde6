"""Configuration from the environment (and an optional ``.env`` file).

Rules:
- Every setting is read here and nowhere else; ``.env.example`` lists them all.
- A wrong or missing setting raises ``ConfigError`` whose message is one line naming the
  variable, what is wrong and what was expected. Token values never appear in messages.
- ``.env`` is read from the working directory if present; real environment variables win.
  python-dotenv parses it (quotes, inline comments, ``export``, a BOM); values are taken
  literally (no ``${VAR}`` expansion). A line that is not ``NAME=value`` or a file that is
  not UTF-8 is a ``ConfigError`` naming the line, and never showing its text: a pasted
  token must not reach a terminal or a log.
- A ``CAREERBOT_*``, ``TELEGRAM_*`` or ``DISCORD_*`` name that is not a setting (a typo
  silently ignored is the worst kind) gets a one-line warning naming the nearest setting.
"""

from __future__ import annotations

import difflib
import io
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv.parser import parse_stream

from dialogs.i18n import DEFAULT_LANGUAGE
from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID
from storage.contract import is_postgres

_TELEGRAM_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,64}$")
_DISCORD_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")


REPLY_TTL = 24 * 3600.0  # a reply not delivered within a day would arrive out of context


class ConfigError(ValueError):
    """An operator's configuration mistake; the message names the variable."""


# Every setting the program reads; ``.env.example`` documents exactly these (a test checks).
SETTINGS = (
    "CAREERBOT_DB",
    "CAREERBOT_DIALOGS",
    "CAREERBOT_DEFAULT_DIALOG",
    "CAREERBOT_LANGUAGE",
    "CAREERBOT_LOG_LEVEL",
    "CAREERBOT_BUSY_TIMEOUT",
    "CAREERBOT_RETENTION_DAYS",
    "CAREERBOT_REPLY_TTL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_WEBHOOK_LISTEN",
    "TELEGRAM_WEBHOOK_PORT",
    "TELEGRAM_CONCURRENT_UPDATES",
    "TELEGRAM_CONNECTION_POOL",
    "DISCORD_BOT_TOKEN",
    "DISCORD_GUILD_ID",
    "DISCORD_EPHEMERAL",
    "DISCORD_API_BASE_URL",
    "DISCORD_GATEWAY_URL",
    "DISCORD_SHARD_COUNT",
    "DISCORD_SHARD_IDS",
)
_OUR_PREFIXES = ("CAREERBOT_", "TELEGRAM_", "DISCORD_")


def _nearest(name: str) -> str:
    return (difflib.get_close_matches(name, SETTINGS, n=1, cutoff=0.0) or [SETTINGS[0]])[0]


def read_env_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")  # -sig: a BOM some editors write is not part of a name
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: is not UTF-8 text, expected the file saved as UTF-8") from None
    values: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.key is not None and binding.value is not None and not binding.error:
            values[binding.key] = binding.value
            continue
        if binding.key is None and not binding.error:
            continue  # blank lines and comments
        # Name the variable only when it is surely a name: the line may be a pasted secret.
        word = re.match(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)", binding.original.string)
        named = f"{word.group(1)} " if word and word.group(1) in SETTINGS else ""
        raise ConfigError(
            f"{path}:{binding.original.line}: {named}is not NAME=value, expected a line like "
            "CAREERBOT_DB=careerbot.db (the line is not shown: it may hold a secret)"
        )
    return values


def misspelt(names: Iterable[str]) -> list[str]:
    """One warning line for each of our prefixes' names that is not a setting."""
    return [
        f"{name} is not a setting and is ignored; did you mean {_nearest(name)}?"
        for name in sorted(set(names))
        if name.startswith(_OUR_PREFIXES) and name not in SETTINGS
    ]


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


def _count(env: Mapping[str, str], name: str, default: int, most: int) -> int:
    value = _integer(env, name, default)
    if value is None or not 1 <= value <= most:
        raise ConfigError(
            f"{name}={env.get(name)!r} is out of range, expected a whole number from 1 to {most}"
        )
    return value


def _seconds(env: Mapping[str, str], name: str, default: float, most: float = 3600) -> float:
    value = _optional(env, name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= most:
        raise ConfigError(
            f"{name}={value!r} is not a number of seconds, expected e.g. 5 or 0.5, up to {most:.0f}"
        )
    return seconds


def _days(env: Mapping[str, str], name: str, default: int) -> int:
    value = _optional(env, name)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 36_500:
        expected = "expected a whole number from 1 to 36500"
        raise ConfigError(f"{name}={value!r} is not a number of days, {expected}")
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
    busy_timeout: float = 5.0  # seconds to wait for another process holding the database
    retention_days: int = 365  # what is untouched for longer is erased
    reply_ttl: float = REPLY_TTL  # seconds a reply stays owed before it is given up
    language: str = DEFAULT_LANGUAGE  # spoken when the person and their platform name none loaded
    # CAREERBOT_DB as a postgresql:// URI (a Path would fold its "//"); None: the SQLite file
    db_url: str | None = None

    @property
    def database(self) -> str | Path:
        """What ``storage.contract.open_store`` opens: the PostgreSQL URI or the SQLite file."""
        return self.db_url if self.db_url is not None else self.db_path

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CoreSettings:
        log_level = (_optional(env, "CAREERBOT_LOG_LEVEL") or "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError(
                f"CAREERBOT_LOG_LEVEL={log_level!r} is not a level, expected DEBUG, INFO, WARNING or ERROR"
            )
        db = _optional(env, "CAREERBOT_DB") or "careerbot.db"
        db_url = db if is_postgres(db) else None
        return cls(
            # With PostgreSQL, files that would sit beside the database sit in the working folder.
            db_path=Path("careerbot.db" if db_url else db),
            db_url=db_url,
            dialogs_path=Path(_optional(env, "CAREERBOT_DIALOGS") or BUILTIN_CONTENT),
            default_dialog=_optional(env, "CAREERBOT_DEFAULT_DIALOG") or DEFAULT_DIALOG_ID,
            log_level=log_level,
            busy_timeout=_seconds(env, "CAREERBOT_BUSY_TIMEOUT", 5.0),
            retention_days=_days(env, "CAREERBOT_RETENTION_DAYS", 365),
            reply_ttl=_seconds(env, "CAREERBOT_REPLY_TTL", REPLY_TTL, most=7 * 24 * 3600),
            language=_optional(env, "CAREERBOT_LANGUAGE") or DEFAULT_LANGUAGE,
        )


# Updates handled at once, and HTTP connections to the Bot API (bench part w measured
# these against python-telegram-bot's 256/256; README, Benchmark).
DEFAULT_CONCURRENT_UPDATES = 16
DEFAULT_CONNECTION_POOL = 16
_MOST_AT_ONCE = 1024


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    token: str
    api_base_url: str | None
    webhook_url: str | None
    webhook_secret: str | None
    webhook_listen: str
    webhook_port: int
    concurrent_updates: int = DEFAULT_CONCURRENT_UPDATES
    connection_pool: int = DEFAULT_CONNECTION_POOL

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
            concurrent_updates=_count(
                env, "TELEGRAM_CONCURRENT_UPDATES", DEFAULT_CONCURRENT_UPDATES, _MOST_AT_ONCE
            ),
            connection_pool=_count(env, "TELEGRAM_CONNECTION_POOL", DEFAULT_CONNECTION_POOL, _MOST_AT_ONCE),
        )


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    token: str
    guild_id: int | None
    ephemeral: bool
    api_base_url: str | None
    gateway_url: str | None
    shard_count: int | None = None  # None: one unsharded connection
    shard_ids: tuple[int, ...] | None = None  # None with a count: every shard in this process

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
        shard_count, shard_ids = _shards(env)
        return cls(
            token=token,
            guild_id=_integer(env, "DISCORD_GUILD_ID", None),
            ephemeral=_flag(env, "DISCORD_EPHEMERAL", True),
            api_base_url=_url(env, "DISCORD_API_BASE_URL", ("https", "http")),
            gateway_url=_url(env, "DISCORD_GATEWAY_URL", ("wss", "ws")),
            shard_count=shard_count,
            shard_ids=shard_ids,
        )


def _shards(env: Mapping[str, str]) -> tuple[int | None, tuple[int, ...] | None]:
    """``DISCORD_SHARD_COUNT`` and ``DISCORD_SHARD_IDS``, checked together: the ids this
    process runs must be shards of that count (Discord closes an IDENTIFY with any other)."""
    count = _integer(env, "DISCORD_SHARD_COUNT", None)
    text = _optional(env, "DISCORD_SHARD_IDS")
    if count is not None and count < 1:
        raise ConfigError(f"DISCORD_SHARD_COUNT={count!r} is out of range, expected a whole number from 1")
    if text is None:
        return count, None
    if count is None:
        raise ConfigError("DISCORD_SHARD_IDS is set without DISCORD_SHARD_COUNT, expected both or neither")
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() and int(part) < count for part in parts):
        raise ConfigError(
            f"DISCORD_SHARD_IDS={text!r} is not a list of shard ids, "
            f"expected comma-separated whole numbers from 0 to {count - 1}"
        )
    return count, tuple(sorted({int(part) for part in parts}))
