"""Fixtures for the Discord adapter: a fake Discord, and a real client running ``serve``.

A ``Bot`` runs the real ``bot.discord.adapter.serve`` with a real ``CareerClient`` against
the fake on 127.0.0.1, with the real ``Services`` (conversations and workshops) on a real
SQLite file. ``act`` injects one interaction and waits for the adapter's
``careerbot_handled`` event, so tests never sleep; ``act_all`` does that for a burst.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from bot.app import Services
from bot.config import CoreSettings, DiscordSettings
from bot.conversations import Conversations
from bot.discord.adapter import serve
from bot.discord.client import HANDLED, CareerClient, career_client
from bot.discord.sync import marker_for
from bot.workshops import Workshops
from dialogs.content import Dialog
from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID
from storage.keys import SessionKey, WorkshopKey
from storage.outbox import OutboxStore
from storage.sessions import SessionStore
from storage.workshops import WorkshopStore
from tests.fakes.discord_api import FakeDiscord, Person

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"
ANA = Person(300_000_000_000_000_001, "Ana")
BEN = Person(300_000_000_000_000_002, "Ben")
CLEO = Person(300_000_000_000_000_003, "Cleo")
DAN = Person(300_000_000_000_000_004, "Dan")


@dataclass
class Bot:
    """One running bot process: its client, its service, and how to stop it."""

    client: CareerClient
    conversations: Conversations
    workshops: Workshops
    store: SessionStore
    fake: FakeDiscord
    stop: asyncio.Event
    task: asyncio.Task[None]
    outbox: OutboxStore

    async def act(self, payload: dict[str, Any], delivered: bool = True) -> None:
        """Wait until the bot has handled the interaction and, unless ``delivered`` is False,
        until the outbox has delivered everything it owes."""
        interaction_id = int(payload["id"])
        waiter = asyncio.create_task(
            self.client.wait_for(HANDLED, check=lambda handled: handled == interaction_id, timeout=10)
        )
        await asyncio.sleep(0)  # let the waiter register before the interaction can arrive
        await self.fake.interact(payload)
        await waiter
        if delivered:
            await self.delivered()

    async def delivered(self) -> None:
        """Wait until the outbox has delivered (or given up) everything it owes."""
        await asyncio.wait_for(self.client.sender.idle(), 10)

    async def act_all(self, payloads: list[dict[str, Any]]) -> None:
        """Inject every interaction at once, then wait until each one was handled."""
        waiting = {int(p["id"]) for p in payloads}
        done = asyncio.Event()

        def check(handled: int) -> bool:
            waiting.discard(handled)
            if not waiting:
                done.set()
            return False

        waiter = asyncio.create_task(self.client.wait_for(HANDLED, check=check))
        await asyncio.sleep(0)
        try:
            for payload in payloads:
                await self.fake.interact(payload)
            await asyncio.wait_for(done.wait(), 60)
        finally:
            waiter.cancel()
        await self.delivered()

    def workshop_key(self) -> WorkshopKey:
        return WorkshopKey("discord", str(self.fake.guild_channel_id))

    def key(self, person: Person, channel_id: int | None = None) -> SessionKey:
        return SessionKey("discord", str(channel_id or self.fake.guild_channel_id), str(person.id))

    async def answers(self, person: Person, channel_id: int | None = None) -> int:
        turn = await self.conversations.current(self.key(person, channel_id))
        return -1 if turn is None else len([a for a in turn.state.answers if a.choice is not None])

    async def shut_down(self) -> None:
        if self.stop.is_set():
            return
        self.stop.set()
        await asyncio.wait_for(self.task, 10)
        await self.workshops.store.close()
        await self.outbox.close()
        await self.store.close()


@pytest.fixture
def settings_for() -> Callable[..., DiscordSettings]:
    def make(fake: FakeDiscord, **changes: Any) -> DiscordSettings:
        base = DiscordSettings(
            token=TOKEN,
            guild_id=fake.guild_id,
            ephemeral=True,
            api_base_url=fake.api_base_url,
            gateway_url=fake.gateway_url,
        )
        return replace(base, **changes)

    return make


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord(token=TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    # Any request Discord would have refused fails the test that made it.
    assert server.violations == []


@pytest.fixture
async def launch(
    db_path: Path, dialogs: dict[str, Dialog], settings_for: Callable[..., DiscordSettings]
) -> AsyncIterator[Callable[..., Any]]:
    """Start a bot process against a fake; each call opens the database afresh."""
    running: list[Bot] = []

    async def start(
        fake: FakeDiscord,
        clock: Callable[[], float] | None = None,
        vote_sleep: Callable[[float], Any] | None = None,
        pause: Callable[[int], float] | None = None,
        **changes: Any,
    ) -> Bot:
        settings = settings_for(fake, **changes)
        store = await SessionStore.open(db_path)
        conversations = Conversations(store, dialogs, DEFAULT_DIALOG_ID)
        workshops = Workshops(WorkshopStore.on(store), dialogs, DEFAULT_DIALOG_ID, conversations)
        core = CoreSettings(db_path, BUILTIN_CONTENT, DEFAULT_DIALOG_ID, "INFO")
        outbox = OutboxStore.on(store)
        services = Services(conversations, workshops, core, outbox)
        options: dict[str, Any] = {"guild_ready_timeout": 0.01}
        if clock is not None:
            options["clock"] = clock
        if vote_sleep is not None:
            options["vote_sleep"] = vote_sleep
        client = career_client(services, settings, sync_marker=marker_for(db_path), **options)
        stop = asyncio.Event()
        task = asyncio.create_task(serve(services, settings, stop, client=client, pause=pause))
        for _ in range(1000):
            if client.is_ready() or task.done():
                break
            await asyncio.sleep(0.01)
        if task.done():
            # A start that failed still opened the database: close it, or its connection's
            # worker thread (not a daemon) would keep the test process from exiting.
            await store.close()
            task.result()  # raise whatever stopped it
        assert client.is_ready()
        bot = Bot(client, conversations, workshops, store, fake, stop, task, outbox)
        running.append(bot)
        return bot

    yield start
    for bot in running:
        await bot.shut_down()


def latest(fake: FakeDiscord, predicate: Callable[[dict[str, Any]], bool] = lambda m: True) -> dict[str, Any]:
    """The newest message the bot made that matches ``predicate``."""
    for message in reversed(list(fake.messages.values())):
        if predicate(message):
            return message
    raise AssertionError("no such message")
