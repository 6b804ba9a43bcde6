"""Fixtures for the Telegram adapter: the fake Bot API, and the real Application on it.

Rules:
- Nothing of ours is mocked: the real ``build_application`` and ``run_application`` run
  against ``tests.fakes.telegram_api`` with the real ``Services`` (conversations and
  workshops) on a SQLite file.
- A probe handler in a later handler group marks each update once the bot has handled it,
  so ``Bot.do`` waits for exactly that update, and then for the outbox to have delivered
  what it owes, instead of sleeping.
- Every error the Application reports is collected; a test that ends with one fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.app import Services
from bot.config import CoreSettings, TelegramSettings
from bot.conversations import Conversations
from bot.telegram.adapter import App, build_application, run_application, sender_of
from bot.telegram.limiter import TelegramRateLimiter
from bot.workshops import open_workshops
from dialogs.content import Dialog
from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID
from storage.outbox import OutboxStore
from storage.sessions import SessionStore
from tests.fakes.telegram_api import TOKEN, FakeTelegram

# Generous enough that a stuck bot fails the test instead of hanging it; never reached
# when things work, and nothing asserts on how long anything took.
DEADLINE = 20


def settings_for(tg: FakeTelegram, **changes: Any) -> TelegramSettings:
    settings = TelegramSettings(
        token=TOKEN,
        api_base_url=tg.base_url,
        webhook_url=None,
        webhook_secret=None,
        webhook_listen="127.0.0.1",
        webhook_port=8443,
    )
    return replace(settings, **changes)


@dataclass
class Bot:
    """A running Application, and a way to wait until it has handled an update."""

    app: App
    handled: set[int] = field(default_factory=set)
    errors: list[BaseException] = field(default_factory=list)
    _news: asyncio.Event = field(default_factory=asyncio.Event)

    async def do(self, update_id: int, delivered: bool = True) -> None:
        """Wait until the bot has handled ``update_id`` (its turn committed) and, unless
        ``delivered`` is False, until the outbox has delivered everything it owes."""

        async def handled() -> None:
            while update_id not in self.handled:
                self._news.clear()
                await self._news.wait()

        await asyncio.wait_for(handled(), DEADLINE)
        if delivered:
            await self.delivered()

    async def delivered(self) -> None:
        """Wait until the outbox has delivered (or given up) everything it owes."""
        await asyncio.wait_for(sender_of(self.app).idle(), DEADLINE)

    async def _mark(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        self.handled.add(update.update_id)
        self._news.set()

    async def _error(self, _update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        self.errors.append(context.error)


def relaxed_limiter() -> TelegramRateLimiter:
    """Our limiter with a group allowance a test conversation cannot exhaust (the real
    20-a-minute would make a group test wait on purpose)."""
    return TelegramRateLimiter(max_retries=3, group_per_minute=10_000)


@asynccontextmanager
async def services_on(conversations: Conversations, db_path: Path) -> AsyncIterator[Services]:
    """The real services on ``conversations``' store (on ``db_path``), as
    ``bot.app.open_service`` builds them."""
    settings = CoreSettings(db_path, BUILTIN_CONTENT, conversations.default_dialog, "WARNING")
    outbox = OutboxStore.on(conversations.store)
    try:
        async with open_workshops(conversations) as workshops:
            yield Services(conversations, workshops, settings, outbox)
    finally:
        await outbox.close()


@asynccontextmanager
async def running(services: Services, settings: TelegramSettings, **build: Any) -> AsyncIterator[Bot]:
    app = build_application(services, settings, **build)
    bot = Bot(app)
    app.add_handler(TypeHandler(Update, bot._mark), group=1)
    app.add_error_handler(bot._error)
    stop = asyncio.Event()
    task = asyncio.create_task(run_application(app, settings, stop))

    async def started() -> None:
        while not (app.running and app.updater is not None and app.updater.running):
            if task.done():
                task.result()  # start-up failed: raise its error here
            await asyncio.sleep(0.01)

    await asyncio.wait_for(started(), DEADLINE)
    try:
        yield bot
    finally:
        stop.set()
        await asyncio.wait_for(task, DEADLINE)
    assert bot.errors == []


@asynccontextmanager
async def a_process(
    tg: FakeTelegram, db_path: Path, dialogs: dict[str, Dialog], **build: Any
) -> AsyncIterator[tuple[Bot, Services]]:
    """What one ``careerbot telegram`` process holds: its own store on ``db_path``, its
    services and Application against ``tg``. A restart is a second one on the same file."""
    store = await SessionStore.open(db_path)
    try:
        conversations = Conversations(store, dialogs, DEFAULT_DIALOG_ID)
        async with (
            services_on(conversations, db_path) as services,
            running(services, settings_for(tg), rate_limiter=relaxed_limiter(), **build) as bot,
        ):
            yield bot, services
    finally:
        await store.close()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake
    # Any request Telegram would have refused fails the test that made it.
    assert fake.violations == []


@pytest.fixture
async def services(conversations: Conversations, db_path: Path) -> AsyncIterator[Services]:
    async with services_on(conversations, db_path) as opened:
        yield opened


@pytest.fixture
async def bot(tg: FakeTelegram, services: Services) -> AsyncIterator[Bot]:
    async with running(services, settings_for(tg), rate_limiter=relaxed_limiter()) as started:
        yield started
