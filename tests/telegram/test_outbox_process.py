"""``careerbot telegram`` as a real process against the fake Bot API: killed between the
commit and the send (of a person's turn, or of a workshop's step), or stopped with SIGTERM
under a backlog, it owes what it had not sent and delivers it after a restart. (Its sender
holds those replies in memory, handed over at the commit: the file is what survives.)"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from dialogs.content import Dialog
from dialogs.workshop import count_text
from storage.outbox import OutboxStore
from storage.sessions import SessionStore
from tests.fakes.telegram_api import BOT_USERNAME, TOKEN, Chat, FakeTelegram, User, private, visible
from tests.telegram.helpers import asked, question, vote_question

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # generous: a loaded CI machine must not turn into a false failure
PEOPLE = [User(3201 + i, f"P{i}") for i in range(5)]


async def until(condition: Callable[[], bool]) -> None:
    async def check() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(check(), WAIT)


@asynccontextmanager
async def careerbot(tg: FakeTelegram, db: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """``careerbot telegram`` on ``db``, polling ``tg``; yielded once it polls. Killed on
    the way out if the test has not ended it."""
    ours = ("CAREERBOT_", "TELEGRAM_", "DISCORD_")
    env = {name: value for name, value in os.environ.items() if not name.startswith(ours)}
    env |= {
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "CAREERBOT_DB": str(db),
        "CAREERBOT_LOG_LEVEL": "WARNING",
    }
    polls = len(tg.called("getUpdates"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "telegram", env=env, cwd=db.parent
    )
    try:
        await until(lambda: len(tg.called("getUpdates")) > polls or proc.returncode is not None)
        assert proc.returncode is None, "careerbot telegram did not start"
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def owed(db: Path) -> int:
    store = await SessionStore.open(db)
    outbox = OutboxStore.on(store)
    try:
        return await outbox.count("telegram")
    finally:
        await outbox.close()
        await store.close()


def started(tg: FakeTelegram, dialog: Dialog, user: User) -> bool:
    """Whether ``user`` has the intro and the first question."""
    texts = tg.texts(private(user).id)
    return len(texts) == 2 and texts[0] == dialog.intro


async def test_killed_between_commit_and_send_delivers_the_reply_after_a_restart(
    tg: FakeTelegram, db_path: Path, dialog: Dialog
) -> None:
    ana = PEOPLE[0]
    async with careerbot(tg, db_path) as bot:
        tg.stall("sendMessage")
        update = tg.say(private(ana), ana, "/start")
        await until(lambda: tg.stalled == 1)  # the turn is committed, its first reply hangs
        await until(lambda: tg.confirmed > update)  # so the restart is not given it again
        bot.kill()
        await bot.wait()
    await until(tg.abandoned)
    tg.release("sendMessage")  # the hung call never reached Telegram
    assert tg.texts(private(ana).id) == []
    assert await owed(db_path) == 2

    async with careerbot(tg, db_path) as bot:
        await until(lambda: started(tg, dialog, ana))
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.wait(), WAIT) == 0
    assert asked(question(tg, private(ana).id)).distinction == dialog.distinctions[0].id
    assert await owed(db_path) == 0


async def test_sigterm_under_a_backlog_exits_0_and_the_backlog_is_delivered_after_restart(
    tg: FakeTelegram, db_path: Path, dialog: Dialog
) -> None:
    async with careerbot(tg, db_path) as bot:
        tg.stall("sendMessage")
        updates = [tg.say(private(person), person, "/start") for person in PEOPLE]
        await until(lambda: tg.stalled == len(PEOPLE))  # every turn committed, nothing sent
        await until(lambda: tg.confirmed > max(updates))  # so the restart is not given them again
        bot.send_signal(signal.SIGTERM)
        # It does not wait for the hung sends: what it had not sent stays owed.
        assert await asyncio.wait_for(bot.wait(), WAIT) == 0
    await until(tg.abandoned)
    tg.release("sendMessage")
    assert await owed(db_path) == 2 * len(PEOPLE)

    async with careerbot(tg, db_path) as bot:
        await until(lambda: all(started(tg, dialog, person) for person in PEOPLE))
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.wait(), WAIT) == 0
    assert await owed(db_path) == 0


async def test_killed_between_a_steers_commit_and_its_posts_delivers_them_after_a_restart(
    tg: FakeTelegram, db_path: Path, dialog: Dialog
) -> None:
    fay, ana = PEOPLE[0], PEOPLE[1]
    group = Chat(-100901, "supergroup", title="Workshop")
    async with careerbot(tg, db_path) as bot:
        tg.stall("sendMessage")
        update = tg.say(group, fay, f"/workshop@{BOT_USERNAME}")
        await until(lambda: tg.stalled == 1)  # the workshop is open, its first post hangs
        await until(lambda: tg.confirmed > update)
        bot.kill()
        await bot.wait()
    await until(tg.abandoned)
    tg.release("sendMessage")
    assert tg.texts(group.id) == []
    assert await owed(db_path) == 3  # the intro, the question, the facilitator's lead

    async with careerbot(tg, db_path) as bot:
        await until(lambda: len(tg.texts(group.id)) == 3)
        posted = vote_question(tg, group.id)
        assert tg.texts(group.id)[0] == dialog.intro
        # The question's id was noted when it was delivered: votes count, and the reveal
        # closes that very message.
        tg.press(ana, posted, dialog.distinctions[0].choices[0].label)
        await until(lambda: len(tg.called("answerCallbackQuery")) == 1)
        tg.say(group, fay, "/reveal")
        await until(lambda: "reply_markup" not in tg.messages[(group.id, posted["message_id"])])
        await until(lambda: len(tg.texts(group.id)) == 4)  # the results
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.wait(), WAIT) == 0
    assert visible(tg.messages[(group.id, posted["message_id"])]["text"]).endswith(count_text(1))
    assert await owed(db_path) == 0
