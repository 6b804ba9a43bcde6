"""Driving python-telegram-bot: the two sides (baseline, ours) and simulated people.

Rules:
- Both sides run the real ``Application`` (initialised and started, no updater) and get
  real ``Update`` objects built with ``Update.de_json`` from Bot API JSON, fed through
  ``application.update_processor`` into ``Application.process_update``, so each side
  processes updates as concurrently as it is configured to (``concurrent_updates``).
- Bot API calls are answered in-process by ``FakeBotApi``; no sockets.
- A simulated person presses one of the answer buttons of the last keyboard they were
  sent, and presses again only after the next question has arrived. A turn's latency is
  from feeding the update to that moment (for the last answer: until the process has
  returned and two more messages have arrived).
- One side at one size runs in its own process (``python -m bench.ptb SIDE PEOPLE DIR``),
  so its peak RSS (``VmHWM``) is its own; it prints one JSON object.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Update
from telegram._utils.types import JSONDict
from telegram.ext import Application, BaseRateLimiter

from bench.baseline import DEFAULT_UPDATE_INTERVAL, build_baseline, stored_answers
from bench.core import count_rows, the_dialog
from bench.fakeapi import BOT_USER, TOKEN, ChatLog, FakeBotApi
from bench.procinfo import peak_rss_kb
from bench.stats import Run

AnyApp = Application[Any, Any, Any, Any, Any, Any]
ROOT = Path(__file__).resolve().parents[1]  # where ``python -m bench...`` children run
USER_BASE = 100_000
TURN_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Side:
    """How to build one side's application and read back what it stored."""

    name: str
    open: Callable[[Path, FakeBotApi], AbstractAsyncContextManager[AnyApp]]
    is_answer: Callable[[str], bool]
    stored: Callable[[Path], int]  # answers durably stored, read after shutdown


# --- the two sides ----------------------------------------------------------------------


def _baseline(
    same_payloads: bool, update_interval: float = DEFAULT_UPDATE_INTERVAL
) -> Callable[[Path, FakeBotApi], AbstractAsyncContextManager[AnyApp]]:
    @asynccontextmanager
    async def open_(workdir: Path, api: FakeBotApi) -> AsyncIterator[AnyApp]:
        path = workdir / "baseline.pickle"
        yield build_baseline(
            the_dialog(), path, api, FakeBotApi(), same_payloads, update_interval=update_interval
        )

    return open_


def _baseline_stored(workdir: Path) -> int:
    return sum(len(a) for a in stored_answers(workdir / "baseline.pickle").values())


def telegram_settings() -> Any:
    from bot.config import TelegramSettings

    return TelegramSettings(
        token=TOKEN,
        api_base_url=None,
        webhook_url=None,
        webhook_secret=None,
        webhook_listen="127.0.0.1",
        webhook_port=8443,
    )


class NoRateLimit(BaseRateLimiter[None]):
    """Sends at once, as the baseline (which has no rate limiter) does."""

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | JSONDict | list[JSONDict]:
        return await callback(*args, **kwargs)


class SwitchableRateLimit(BaseRateLimiter[Any]):
    """The adapter's own limiter (``default_rate_limiter``) while ``on``; sends at once while off,
    so that a benchmark can bring people to where its measurement starts without waiting
    at the limit for what it does not measure."""

    def __init__(self) -> None:
        from bot.telegram.adapter import default_rate_limiter

        self.limiter = default_rate_limiter()
        self.on = False

    async def initialize(self) -> None:
        await self.limiter.initialize()

    async def shutdown(self) -> None:
        await self.limiter.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> bool | JSONDict | list[JSONDict]:
        if self.on:
            return await self.limiter.process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        return await callback(*args, **kwargs)


def _ours(limited: bool) -> Callable[[Path, FakeBotApi], AbstractAsyncContextManager[AnyApp]]:
    """Our adapter; ``limited`` keeps its own rate limiter, else none."""

    def open_(workdir: Path, api: FakeBotApi) -> AbstractAsyncContextManager[AnyApp]:
        return open_ours(workdir, api, None if limited else NoRateLimit())

    return open_


@asynccontextmanager
async def open_ours(
    workdir: Path, api: FakeBotApi, rate_limiter: BaseRateLimiter[Any] | None, **more: Any
) -> AsyncIterator[AnyApp]:
    """Our adapter's Application on ``workdir/ours.db``; ``rate_limiter`` None keeps the
    adapter's own; ``more`` goes to ``build_application`` as it is."""
    from bot.app import open_service
    from bot.config import CoreSettings
    from bot.telegram.adapter import build_application
    from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID

    settings = CoreSettings(workdir / "ours.db", BUILTIN_CONTENT, DEFAULT_DIALOG_ID, "WARNING")
    async with open_service(settings) as services:
        options: dict[str, Any] = {"request": api, "get_updates_request": FakeBotApi(), **more}
        if rate_limiter is not None:
            options["rate_limiter"] = rate_limiter
        app = build_application(services, telegram_settings(), **options)
        STORES[id(app)] = services.conversations.store
        try:
            yield app
        finally:
            STORES.pop(id(app), None)


STORES: dict[int, Any] = {}  # id(application) -> our SessionStore, to read its commit count


def is_answer(data: str) -> bool:
    """Whether button data is an answer button: ``bot.buttons``' format, which the baseline
    copies. A prefix check, the same on both sides, so the driver costs both the same."""
    return data.startswith("1:a:")


def _ours_stored(workdir: Path) -> int:
    return count_rows(workdir / "ours.db")[1]


SIDES: dict[str, Side] = {
    "baseline": Side("baseline", _baseline(True), is_answer, _baseline_stored),
    "baseline-plain": Side("baseline-plain", _baseline(False), lambda _data: True, _baseline_stored),
    "ours": Side("ours", _ours(limited=False), is_answer, _ours_stored),
    "ours-limited": Side("ours-limited", _ours(limited=True), is_answer, _ours_stored),
}


# --- updates as the Bot API sends them ---------------------------------------------------

UPDATE_IDS = itertools.count(1)


def _user(uid: int) -> dict[str, object]:
    return {"id": uid, "is_bot": False, "first_name": f"p{uid}"}


def _chat(uid: int) -> dict[str, object]:
    return {"id": uid, "type": "private", "first_name": f"p{uid}"}


def command_update(uid: int, command: str) -> dict[str, object]:
    n = next(UPDATE_IDS)
    message = {
        "message_id": n,
        "date": int(time.time()),
        "chat": _chat(uid),
        "from": _user(uid),
        "text": command,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
    }
    return {"update_id": n, "message": message}


def press_update(uid: int, log: ChatLog, data: str) -> dict[str, object]:
    """A press of ``data`` on the last keyboard message ``log`` holds for this chat."""
    n = next(UPDATE_IDS)
    message = {
        "message_id": log.keyboard_message,
        "date": int(time.time()),
        "chat": _chat(uid),
        "from": BOT_USER,
        "text": log.keyboard_text,
        "reply_markup": log.keyboard_markup,
    }
    return {
        "update_id": n,
        "callback_query": {
            "id": str(n),
            "from": _user(uid),
            "chat_instance": str(uid),
            "data": data,
            "message": message,
        },
    }


# --- the driver --------------------------------------------------------------------------


async def _until(log: ChatLog, done: Callable[[], bool]) -> None:
    async def wait() -> None:
        while not done():
            log.changed.clear()
            if done():
                return
            await log.changed.wait()

    await asyncio.wait_for(wait(), TURN_TIMEOUT_S)


async def feed(app: AnyApp, data: dict[str, object]) -> None:
    update = Update.de_json(data, app.bot)
    await app.update_processor.process_update(update, app.process_update(update))


OnPress = Callable[[int, str, int, str, int], None]  # uid, callback query id, position, data, message id


async def person(
    app: AnyApp,
    api: FakeBotApi,
    side: Side,
    p: int,
    total: int,
    latencies: list[float],
    on_press: OnPress | None = None,
) -> None:
    """One person's whole conversation: /start, then one answer per question.
    ``on_press`` is told of each press just before it is fed."""
    uid = USER_BASE + p
    log = api.chat(uid)

    def has_question(after: int) -> Callable[[], bool]:
        return lambda: log.keyboards > after and any(side.is_answer(b) for b in log.buttons)

    started, before = time.perf_counter(), log.keyboards
    await feed(app, command_update(uid, "/start"))
    await _until(log, has_question(before))
    latencies.append(time.perf_counter() - started)
    for position in range(total):
        answers = [b for b in log.buttons if side.is_answer(b)]
        data = answers[p % len(answers)]
        started, before, sent = time.perf_counter(), log.keyboards, log.sent
        update = press_update(uid, log, data)
        if on_press is not None:
            on_press(uid, str(update["update_id"]), position, data, log.keyboard_message)
        await feed(app, update)
        if position + 1 < total:
            await _until(log, has_question(before))
        else:
            await _until(log, lambda: log.sent >= sent + 2)  # noqa: B023 - awaited at once
        latencies.append(time.perf_counter() - started)


WARM_UP = -1  # the person who goes through the conversation once before the clock starts


async def delivered(app: AnyApp) -> None:
    """Wait until ours has sent everything its outbox owes; the baseline sends as it goes."""
    from bot.telegram.adapter import sender_of

    try:
        sender = sender_of(app)
    except KeyError:
        return
    await sender.idle()


async def run_side(side: Side, people: int, workdir: Path) -> Run:
    """Every person through the whole conversation at once, on one side, after one warm-up
    person (as a running bot has served someone before); the warm-up's turns, calls and
    commits are left out of the figures, and its answers out of 'stored'."""
    total = the_dialog().total
    api = FakeBotApi()
    latencies: list[float] = []
    async with side.open(workdir, api) as app:
        await app.initialize()
        await app.start()
        try:
            await person(app, api, side, WARM_UP, total, [])
            await delivered(app)
            store = STORES.get(id(app))
            calls0, bytes0, commits0 = Counter(api.calls), api.bytes_in, store.batches if store else 0
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.gather(*(person(app, api, side, p, total, latencies) for p in range(people)))
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            await delivered(app)  # the last questions' courtesy edits, after the clock
            commits = {"commits": float(store.batches - commits0)} if store is not None else {}
        finally:
            await app.stop()
            await app.shutdown()
    calls = {f"calls_{k}": float(v) for k, v in (api.calls - calls0).items()}
    return Run(
        turns=len(latencies),
        wall_s=wall,
        cpu_s=cpu,
        latencies_s=tuple(latencies),
        peak_rss_kb=peak_rss_kb(),
        extra={
            "stored_answers": float(side.stored(workdir) - total),
            "bytes_in": float(api.bytes_in - bytes0),
            **commits,
            **calls,
        },
    )


def main(argv: list[str]) -> int:
    side, people, workdir = SIDES[argv[0]], int(argv[1]), Path(argv[2])
    run = asyncio.run(run_side(side, people, workdir))
    out = {
        "turns": run.turns,
        "wall_s": run.wall_s,
        "cpu_s": run.cpu_s,
        "latencies_s": run.latencies_s,
        "peak_rss_kb": run.peak_rss_kb,
        "extra": run.extra,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
