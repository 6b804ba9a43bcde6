"""Shared fixtures: the real built-in content, a real SQLite file per test, and a real
PostgreSQL server per test session (started by the tests themselves, in a temporary folder;
a server that does not start fails the tests that need it) with a fresh database per test."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pgserver
import pytest

from bot.conversations import Conversations
from dialogs.content import Dialog
from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID, load_dialogs
from storage.contract import Store, WorkshopContract, open_store
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


_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.PostgresServer]:
    """A PostgreSQL 16 server for the whole run. Its folder is not under pytest's: run as
    root, the server runs as its own user, who must be able to reach the folder."""
    folder = tempfile.mkdtemp(prefix="careerbot-postgres-")
    server = pgserver.get_server(folder, cleanup_mode="stop")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def database_uri(server_uri: str, name: str) -> str:
    """The server's URI with another database name."""
    parts = urlsplit(server_uri)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


@pytest.fixture
def pg_uri(pg_server: pgserver.PostgresServer) -> str:
    """A new, empty database on the test server."""
    name = f"careerbot_test_{next(_databases)}"
    pg_server.psql(f"CREATE DATABASE {name};")  # a name of our own making, not input
    return database_uri(str(pg_server.get_uri()), name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """What ``CAREERBOT_DB`` would say, for each store the contract suite runs against."""
    if request.param == "sqlite":
        return tmp_path / "careerbot.db"
    uri: str = request.getfixturevalue("pg_uri")
    return uri


@pytest.fixture
async def any_store(database: str | Path) -> AsyncIterator[Store]:
    opened = await open_store(database)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def workshops(any_store: Store) -> AsyncIterator[WorkshopContract]:
    """The workshops of ``any_store`` (a module may define its own on the SQLite store)."""
    opened = any_store.workshop_store()
    try:
        yield opened
    finally:
        await opened.close()
