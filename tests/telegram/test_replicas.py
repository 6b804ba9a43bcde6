"""Two ``careerbot telegram`` processes in webhook mode on one PostgreSQL database, the test
standing in for the load balancer: one person's updates alternate between them, one is
killed with SIGKILL half-way (between turns), and the other carries on. Every answer is stored once, every
reply sent once and in order per chat. A group workshop's votes spread over both processes
(one press delivered to both) are each stored once, and the reveal counts all of them."""

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
import asyncpg

from bot.render import TELEGRAM_HTML
from bot.workshop_render import workshop_reply_text
from dialogs import messages
from dialogs.content import Dialog
from dialogs.workshop import count_text, tally
from storage.contract import open_store
from storage.keys import SessionKey
from tests.fakes.telegram_api import BOT_USERNAME, TOKEN, Chat, FakeTelegram, User, private, visible
from tests.telegram.helpers import answer_buttons, answers_to, asked, question, vote_buttons, vote_question
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
        # The last questions are marked answered after the messages that follow them.
        await until_delivered(pg_uri)

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


async def test_a_workshop_voted_through_two_replicas_counts_each_vote_once(
    tg: FakeTelegram, pg_uri: str, tmp_path: Path, dialog: Dialog
) -> None:
    facilitator, members = User(4201, "Fay"), [User(4211 + i, f"M{i}") for i in range(5)]
    group = Chat(-100800, "supergroup", title="Replicated workshop")
    first = dialog.distinctions[0]
    chosen: dict[int, str] = {}  # member -> the choice id of their last press

    def results() -> list[dict[str, Any]]:
        """The group's messages holding a tally (its bars)."""
        return [m for m in tg.chat_messages(group.id) if "█" in m["text"] or "░" in m["text"]]

    async with AsyncExitStack() as stack, aiohttp.ClientSession() as http:
        replicas = [await stack.enter_async_context(replica(tg, pg_uri, tmp_path)) for _ in range(2)]
        await replicas[0].post(http, tg.message_update(group, facilitator, f"/workshop@{BOT_USERNAME}"))
        await until(lambda: bool([m for m in tg.chat_messages(group.id) if vote_buttons(m)]))
        shown = vote_question(tg, group.id)

        def answered(update: dict[str, Any]) -> Callable[[], bool]:
            query = update["callback_query"]["id"]
            return lambda: any(a["callback_query_id"] == query for a in answers_to(tg))

        async def vote(to: list[Replica], member: User, choice: int) -> None:
            update = tg.press_update(member, shown, first.choices[choice].label)
            await asyncio.gather(*(r.post(http, update) for r in to))
            await until(answered(update))
            chosen[member.id] = first.choices[choice].id

        # Each member's presses alternate between the processes, all members at once; the
        # first two change their vote through the other process, and the last member's
        # second press is delivered to both processes at once (a balancer's retry).
        async def member_votes(index: int, member: User) -> None:
            here, there = replicas[index % 2], replicas[(index + 1) % 2]
            await vote([here], member, index % 2)
            if index < 2:
                await vote([there], member, 2)
            if index == len(members) - 1:
                await vote([here, there], member, 1)

        await asyncio.gather(*(member_votes(i, m) for i, m in enumerate(members)))
        reveal = messages.TELEGRAM_WORKSHOP_BUTTONS["reveal"]
        await replicas[1].post(http, tg.press_update(facilitator, shown, reveal))
        await until(lambda: bool(results()))
        await until_delivered(pg_uri)

    conn = await asyncpg.connect(pg_uri)
    try:
        rows = await conn.fetch("SELECT distinction, member, choice FROM workshop_votes ORDER BY member")
    finally:
        await conn.close()
    assert [tuple(r) for r in rows] == [(first.id, str(m.id), chosen[m.id]) for m in members]
    counts: dict[str, int] = {}
    for choice in chosen.values():
        counts[choice] = counts.get(choice, 0) + 1
    [revealed] = results()  # revealed once, by one process
    assert revealed["text"].startswith(workshop_reply_text(tally(first, counts), TELEGRAM_HTML))
    # The question closes with every member counted, whichever process edited it last.
    closed = tg.messages[(group.id, shown["message_id"])]
    assert "reply_markup" not in closed
    assert visible(closed["text"]).endswith(count_text(len(members)))
