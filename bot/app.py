"""Wiring shared by every command: settings, content, storage and the service.

Rules:
- Start-up fails fast with one line (``StartupError``) naming the setting, or the file
  and line, that is wrong; nothing is half-started.
- Platform libraries are imported only by the commands that need them, so the terminal
  chat starts without loading telegram or discord.
- Every command that opens the database first erases what is older than
  ``CAREERBOT_RETENTION_DAYS`` (``bot.retention``); the bot does it again once a day.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.config import ConfigError, CoreSettings
from bot.conversations import Conversations
from bot.retention import Retention
from bot.workshops import Workshops, open_workshops
from dialogs.i18n import speak
from dialogs.loader import BUILTIN_CONTENT, DialogError, load_dialogs
from storage.contract import OutboxContract, open_store
from storage.sessions import StorageError

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """An operator's mistake found at start-up; the message is one line."""


def core_settings(env: Mapping[str, str]) -> CoreSettings:
    try:
        return CoreSettings.from_env(env)
    except ConfigError as exc:
        raise StartupError(str(exc)) from None


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and Telegram URLs contain the bot token.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class Services:
    """What every adapter is given: the personal conversations, the group workshops, the
    outbox of replies owed (all on one database) and the core settings they were opened with."""

    conversations: Conversations
    workshops: Workshops
    settings: CoreSettings
    outbox: OutboxContract


def _loaded(settings: CoreSettings, dialogs: Mapping[str, object]) -> str:
    known = ", ".join(sorted(dialogs))
    if settings.dialogs_path == BUILTIN_CONTENT:
        return f"expected one of: {known}"
    # CAREERBOT_DIALOGS replaces the built-in dialogs rather than adding to them.
    folder = settings.dialogs_path
    return f"the CAREERBOT_DIALOGS folder {folder} has: {known} (instead of the built-in ones)"


@asynccontextmanager
async def open_service(
    settings: CoreSettings, db_named: str = "CAREERBOT_DB", dialog: str | None = None
) -> AsyncIterator[Services]:
    """``db_named``: how the operator gave the database path, for the error that names it;
    ``dialog``: the one ``--dialog`` asked for, refused like a wrong default if not loaded."""
    try:
        dialogs = load_dialogs(settings.dialogs_path)
    except DialogError as exc:
        raise StartupError(str(exc)) from None
    languages = next(iter(dialogs.values())).translations
    if settings.language not in languages:
        raise StartupError(
            f"CAREERBOT_LANGUAGE={settings.language!r} is not a language the dialogs have, "
            f"expected one of: {', '.join(sorted(languages))}"
        )
    dialogs = {name: d.in_language(settings.language) for name, d in dialogs.items()}
    # Whatever is said outside a person's turn (the counsellor's commands, start-up notes)
    # is in the default language; tasks started from here on inherit it.
    speak(next(iter(dialogs.values())).messages)
    for name, wanted in (("CAREERBOT_DEFAULT_DIALOG", settings.default_dialog), ("--dialog", dialog)):
        if wanted is not None and wanted not in dialogs:
            raise StartupError(f"{name}={wanted!r} is not a loaded dialog, {_loaded(settings, dialogs)}")
    try:
        store = await open_store(settings.database, busy_timeout=settings.busy_timeout)
    except StorageError as exc:
        raise StartupError(f"{db_named}: {exc}") from None
    try:
        conversations = Conversations(store, dialogs, settings.default_dialog)
        outbox = store.outbox()
        try:
            async with open_workshops(conversations) as workshops:
                retention = Retention(conversations, workshops, settings.retention_days)
                try:
                    await retention.erase_now()
                # Busy, full or unreachable: not worth refusing to start.
                except (sqlite3.OperationalError, StorageError) as exc:
                    log.warning("could not erase old data at start-up, trying again tomorrow: %s", exc)
                daily = asyncio.create_task(retention.daily(), name="careerbot-retention")
                try:
                    yield Services(conversations, workshops, settings, outbox)
                finally:
                    daily.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await daily
        finally:
            await outbox.close()
    finally:
        await store.close()
