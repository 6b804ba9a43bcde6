"""Two ``careerbot telegram`` processes in webhook mode on one PostgreSQL database, the test
standing in for the load balancer: one person's updates alternate between them, one is
killed with SIGKILL half-way (between turns), and the other carries on. Every answer is stored once, every
reply sent once and in order per chat."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from dialogs.content import Dialog
from storage.contract import open_store
from storage.keys import SessionKey
from tests.fakes.telegram_api import TOKEN, FakeTelegram, User, private
from tests.telegram.helpers import answer_buttons, asked, question
from tests.telegram.test_running import free_port

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # generous: a loaded CI machine must not turn into a false failure
SECRET = "replica-secret_7"
PEOPLE = [User(4101 + i, f"R{i}") for i in range(4)]
ANSWERED = 3  # questions each person answers


async def until(condition: Callable[[], bool]) -> None:
    async def check() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(check(), WAIT)


class Replica:
    """One ``careerbot telegram`` process taking webhook calls on its own port."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str) -> None:
        self.proc, self.url = proc, url

    async def post(self, http: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with http.post(self.url, json=update, headers=headers) as response:
            assert response.status == 200


@asynccontextmanager
async def replica(tg: FakeTelegram, db: str, folder: Path) -> AsyncIterator[Replica]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    ours = ("CAREERBOT_", "TELEGRAM_", "DISCORD_")
    env = {name: value for name, value in os.environ.items() if not name.startswith(ours)}
    env |= {
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "TELEGRAM_WEBHOOK_URL": url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "TELEGRAM_WEBHOOK_PORT": str(port),
        "CAREERBOT_DB": db,
        "CAREERBOT_LOG_LEVEL": "WARNING",
    }
    hooks = len(tg.called("setWebhook"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "telegram", env=env, cwd=folder
    )
    try:
        await until(lambda: len(tg.called("setWebhook")) > hooks or proc.returncode is not None)
        assert proc.returncode is None, "careerbot telegram did not start"
        await listening(port)
        yield Replica(proc, url)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), WAIT)


async def listening(port: int) -> None:
    for _ in range(int(WAIT / 0.05)):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"nothing listens on port {port}")


async def until_delivered(db: str) -> None:
    store = await open_store(db)
    try:
        for _ in range(int(WAIT / 0.05)):
            if await store.outbox().count("telegram") == 0:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("replies stay owed")
    finally:
        await store.close()


def at_question(tg: FakeTelegram, dialog: Dialog, user: User, index: int) -> Callable[[], bool]:
    """Whether ``user`` is now asked question ``index`` (0 after /start)."""

    def check() -> bool:
        try:
            return asked(question(tg, private(user).id)).distinction == dialog.distinctions[index].id
        except AssertionError:
            return False

    return check


async def test_two_replicas_on_one_database_store_and_send_everything_once(
    tg: FakeTelegram, pg_uri: str, tmp_path: Path, dialog: Dialog
) -> None:
    async with AsyncExitStack() as stack, aiohttp.ClientSession() as http:
        one = await stack.enter_async_context(replica(tg, pg_uri, tmp_path))
        two = await stack.enter_async_context(replica(tg, pg_uri, tmp_path))
        replicas = [one, two]

        async def step(index: int, person: User, update: dict[str, Any]) -> None:
            # Each of a person's updates goes to the other process than the one before.
            await replicas[(index + person.id) % len(replicas)].post(http, update)
            await until(at_question(tg, dialog, person, index))

        async def answer(index: int, person: User) -> None:
            shown = question(tg, private(person).id)
            await step(index, person, tg.press_update(person, shown, answer_buttons(shown)[0]["text"]))

        await asyncio.gather(*(step(0, p, tg.message_update(private(p), p, "/start")) for p in PEOPLE))
        await asyncio.gather(*(answer(1, p) for p in PEOPLE))
        # The first process dies without a word, between turns (a reply the platform took
        # but whose removal was not committed yet would be sent again once its claim runs
        # out: delivery is at least once); the balancer sends everything to the other.
        await until_delivered(pg_uri)
        one.proc.send_signal(signal.SIGKILL)
        await one.proc.wait()
        replicas.remove(one)
        for index in range(2, ANSWERED + 1):
            await asyncio.gather(*(answer(index, p) for p in PEOPLE))

    store = await open_store(pg_uri)
    try:
        for person in PEOPLE:
            key = SessionKey("telegram", str(private(person).id), str(person.id))
            loaded = await store.load(key)
            assert loaded is not None and len(loaded.state.answers) == ANSWERED
            data = await store.person_data("telegram", str(person.id))
            assert len([a for s in data.sessions for a in s.answers]) == ANSWERED
            texts = tg.texts(private(person).id)
            # Every question once, in the order asked; nothing sent twice.
            where = [[i for i, t in enumerate(texts) if d.question in t] for d in dialog.distinctions]
            assert all(len(found) == 1 for found in where[: ANSWERED + 1]), texts
            assert [found[0] for found in where[: ANSWERED + 1]] == sorted(
                found[0] for found in where[: ANSWERED + 1]
            )
            assert len(texts) == len(set(texts)), texts
        assert await store.outbox().count("telegram") == 0
    finally:
        await store.close()
