"""Shared fixtures: the real built-in content and a real SQLite file per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.conversations import Conversations
from dialogs.content import Dialog
from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID, load_dialogs
from storage.sessions import SessionStore

# The terminal speaks the locale's language when it is loaded (bot.language): the tests,
# and the `careerbot chat` processes they start, read English whatever the machine's locale
# (a test of another language sets its own).
for _locale in ("LC_ALL", "LC_MESSAGES", "LANG"):
    os.environ[_locale] = "C"


@pytest.fixture(scope="session")
def dialogs() -> dict[str, Dialog]:
    return load_dialogs(BUILTIN_CONTENT)


@pytest.fixture(scope="session")
def dialog(dialogs: dict[str, Dialog]) -> Dialog:
    return dialogs[DEFAULT_DIALOG_ID]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "careerbot.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SessionStore]:
    opened = await SessionStore.open(db_path)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def conversations(store: SessionStore, dialogs: dict[str, Dialog]) -> Conversations:
    return Conversations(store, dialogs, DEFAULT_DIALOG_ID)
