"""Part h: replies owed in the outbox, through our Telegram adapter on an in-process Bot API.

Rules:
- Outage: every person starts at once and answers ``questions`` questions (the scale's
  ``outbox_outage_questions``; the whole conversation when not given), with no rate
  limiter; once a fifth of the messages are out, the Bot API refuses every send (``NetworkError``,
  as a refused connection reaches PTB) for ``outage_s`` seconds. Afterwards each chat's
  needed messages (sends) are compared with a person's who met no outage: fewer are
  lost, more are duplicated. Edits that mark answered questions are courtesies, skipped
  when the backlog is large, so they are counted apart.
- Press latency: every person starts with no limit (the greetings are not measured), then
  answers ``outbox_questions`` questions with the adapter's own rate limiter switched on,
  against a Bot API that then also answers 429 beyond 30 messages in any second; measured
  from feeding a press to the call answering it. The
  same run gives the messages per answered question at the ceiling.
- Messages per answered question: the Bot API messages (sends and edits, accepted) the
  answers cost, beyond what each person's /start cost; at the ceiling (the run above) and
  unhurried (``UNHURRIED`` people through the whole conversation, as deployed, each
  reading for ``THINK_S`` before answering).
- Order: the press run first; once every press is answered (its latencies are all in),
  the outage and the unhurried runs go on beside the rest of it, which only waits for its
  replies to drain at 30 a second. What they report are counts, and the outage's time to
  deliver, which that drain barely touches; no latency is measured while they overlap.
  Then the stop run, beside what is left of the drain.
- Stop: with every person's replies hanging (the Bot API never answers a send), from
  ``stop`` being set to ``run_application`` returning, as SIGTERM does it.
"""

from __future__ import annotations

import asyncio
import functools
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from telegram.error import NetworkError
from telegram.request import RequestData

from bench import ptb
from bench.core import the_dialog
from bench.fakeapi import ChatLog, FakeBotApi
from bench.report import Section, Target
from bench.scale import Scale
from bench.stats import percentile

SENDS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto"})
LIMIT_PER_S = 30
WAIT_S = 300.0  # a person stuck longer than this counts as left waiting
UNHURRIED = 5  # people answering at once when nobody waits for anybody
THINK_S = 1.0  # an unhurried person reads each explanation this long before answering


@functools.cache
def questions_in_dialog() -> int:
    """How many questions the built-in dialog asks, read once: loading the content parses
    its YAML (a tenth of a second), which once per simulated person was most of this
    part's time."""
    return the_dialog().total


class TroubledApi(FakeBotApi):
    """The in-process Bot API, with an outage, a 30 messages/s limit, or hanging sends."""

    def __init__(self, on_call: Callable[..., None] | None = None) -> None:
        super().__init__(on_call)
        self.down_until = 0.0
        self.outage_s = 0.0  # an outage this long begins at the ``outage_at``-th message
        self.outage_at = 0
        self.limited = False
        self.hang = False
        self.refused = 0  # sends answered with a 429
        self._recent: deque[float] = deque()

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        if name in SENDS:
            if self.outage_s and sum(self.calls[m] for m in SENDS) >= self.outage_at:
                self.down_until, self.outage_s = time.monotonic() + self.outage_s, 0.0
            if time.monotonic() < self.down_until:
                raise NetworkError("httpx.ConnectError: All connection attempts failed")
            if self.hang:
                await asyncio.Event().wait()
            if self.limited and self._over_limit():
                self.refused += 1
                body = b'{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1",'
                return 429, body + b'"parameters":{"retry_after":1}}'
        return await super().do_request(url, method, request_data, *args, **kwargs)

    def _over_limit(self) -> bool:
        now = time.monotonic()
        while self._recent and self._recent[0] <= now - 1:
            self._recent.popleft()
        if len(self._recent) >= LIMIT_PER_S:
            return True
        self._recent.append(now)
        return False


@asynccontextmanager
async def _running(workdir: Path, api: FakeBotApi, limiter: Any) -> AsyncIterator[ptb.AnyApp]:
    """Our adapter, started; on the way out its outbox is delivered, then it stops."""
    from bot.telegram.adapter import sender_of

    # A database of its own for every run: a person who finished cannot answer again.
    async with ptb.open_ours(Path(tempfile.mkdtemp(dir=workdir)), api, limiter) as app:
        await app.initialize()
        await app.start()
        try:
            yield app
            await asyncio.wait_for(sender_of(app).idle(), WAIT_S)
        finally:
            await sender_of(app).stop()
            await app.stop()
            await app.shutdown()


async def _wait(log: ChatLog, done: Callable[[], bool]) -> None:
    async def wait() -> None:
        while not done():
            log.changed.clear()
            if not done():
                await log.changed.wait()

    await asyncio.wait_for(wait(), WAIT_S)


def _asked(log: ChatLog, after: int) -> Callable[[], bool]:
    """Whether a question newer than the ``after``-th keyboard has arrived."""
    return lambda: log.keyboards > after and any(ptb.is_answer(b) for b in log.buttons)


async def _start(app: ptb.AnyApp, api: FakeBotApi, p: int) -> None:
    log = api.chat(ptb.USER_BASE + p)
    before = log.keyboards
    await ptb.feed(app, ptb.command_update(ptb.USER_BASE + p, "/start"))
    await _wait(log, _asked(log, before))


async def _answer(
    app: ptb.AnyApp,
    api: FakeBotApi,
    p: int,
    questions: int,
    on_press: Callable[[str], None] | None = None,
    think_s: float = 0.0,
) -> None:
    """Answer ``questions`` questions, each once the previous reply has arrived: the next
    question, or after the dialog's last one the explanation and the profile (needed
    messages; the edit marking the question answered may come after them, or not at all)."""
    uid = ptb.USER_BASE + p
    log = api.chat(uid)
    total = questions_in_dialog()
    for position in range(questions):
        await asyncio.sleep(think_s)
        data = [b for b in log.buttons if ptb.is_answer(b)][p % 3]
        before, needed = log.keyboards, log.sent - log.edits
        update = ptb.press_update(uid, log, data)
        if on_press is not None:
            on_press(str(update["update_id"]))
        await ptb.feed(app, update)
        if position + 1 < total:
            await _wait(log, _asked(log, before))
        else:
            await _wait(log, lambda: log.sent - log.edits >= needed + 2)  # noqa: B023


async def _converse(
    app: ptb.AnyApp,
    api: FakeBotApi,
    p: int,
    questions: int,
    on_press: Callable[[str], None] | None = None,
    think_s: float = 0.0,
) -> bool:
    """One person: /start, then ``questions`` answers; False if a reply never came."""
    try:
        await _start(app, api, p)
        await _answer(app, api, p, questions, on_press, think_s)
    except TimeoutError:
        return False
    return True


async def _answer_or_wait(
    app: ptb.AnyApp, api: FakeBotApi, p: int, questions: int, on_press: Callable[[str], None]
) -> bool:
    try:
        await _answer(app, api, p, questions, on_press)
    except TimeoutError:
        return False
    return True


def _messages(api: FakeBotApi) -> int:
    """Bot API messages accepted so far: sends and edits (a 429 is not counted)."""
    return sum(api.calls[m] for m in SENDS)


async def messages_of_one(workdir: Path, questions: int | None = None) -> tuple[int, float, int]:
    """A person's conversation (``questions`` answers; all when not given) with nothing in
    the way: the needed messages (sends) their chat gets, the Bot API messages per answered
    question, and what /start costs."""
    api = TroubledApi()
    total = questions_in_dialog() if questions is None else questions
    async with _running(workdir, api, ptb.NoRateLimit()) as app:
        await _start(app, api, 0)
        before = _messages(api)
        await _answer(app, api, 0, total)
    log = api.chat(ptb.USER_BASE)
    return log.sent - log.edits, (_messages(api) - before) / total, before


async def unhurried(people: int, workdir: Path) -> float:
    """Bot API messages per answered question with ``people`` going through the whole
    conversation at once, each reading for ``THINK_S`` before every answer, as deployed
    (our limiter, a Bot API limited to 30 a second)."""
    _, _, start_cost = await messages_of_one(workdir)
    api = TroubledApi()
    api.limited = True
    total = questions_in_dialog()
    async with _running(workdir, api, None) as app:
        await asyncio.gather(*(_converse(app, api, p, total, think_s=THINK_S) for p in range(people)))
    return (_messages(api) - people * start_cost) / (people * total)


async def outage_run(
    people: int, outage_s: float, workdir: Path, questions: int | None = None
) -> dict[str, float]:
    from bot.telegram.adapter import sender_of

    expected, _, _ = await messages_of_one(workdir, questions)
    api = TroubledApi()
    total = questions_in_dialog() if questions is None else questions
    async with _running(workdir, api, ptb.NoRateLimit()) as app:
        api.outage_s, api.outage_at = outage_s, expected * people // 5
        started = time.perf_counter()
        done = await asyncio.gather(*(_converse(app, api, p, total) for p in range(people)))
        await asyncio.wait_for(sender_of(app).idle(), WAIT_S)
        wall = time.perf_counter() - started
        failures = sender_of(app).failures
    logs = [api.chat(ptb.USER_BASE + p) for p in range(people)]
    got = [log.sent - log.edits for log in logs]
    return {
        "marked": float(sum(log.edits for log in logs)),
        "answered": float(people * total),
        "lost": float(sum(max(0, expected - n) for n in got)),
        "duplicated": float(sum(max(0, n - expected) for n in got)),
        "waiting": float(done.count(False)),
        "messages": float(expected * people),
        "failed_attempts": float(failures),
        "wall_s": wall,
    }


async def press_latency(
    people: int, questions: int, workdir: Path, acked: asyncio.Event | None = None
) -> tuple[list[float], int, float]:
    """Seconds from feeding each press to the call that answers it, how many people were
    left waiting for a reply (``WAIT_S``) before they could press, and the Bot API
    messages per answered question (all of them delivered, courtesies skipped or not).
    ``acked`` (optional) is set once every press has been answered, while the replies may
    still be on their way at 30 a second."""
    _, _, start_cost = await messages_of_one(workdir)
    pressed: dict[str, float] = {}
    latencies: list[float] = []
    presses = people * questions

    def on_call(call: Any) -> None:
        if call.method == "answerCallbackQuery":
            started = pressed.pop(call.params.get("callback_query_id", ""), None)
            if started is not None:
                latencies.append(time.perf_counter() - started)
                if acked is not None and len(latencies) == presses:
                    acked.set()

    def on_press(query_id: str) -> None:
        pressed[query_id] = time.perf_counter()

    api = TroubledApi(on_call)
    limiter = ptb.SwitchableRateLimit()
    async with _running(workdir, api, limiter) as app:
        # The greetings are not measured: everyone reaches their first question at once,
        # then the limits (ours and the Bot API's) go on for the presses.
        started = await asyncio.gather(*(_converse(app, api, p, 0) for p in range(people)))
        presses = started.count(True) * questions
        api.limited = limiter.on = True
        done = await asyncio.gather(
            *(_answer_or_wait(app, api, p, questions, on_press) for p in range(people) if started[p])
        )
    waiting = started.count(False) + done.count(False)
    per_answer = (_messages(api) - people * start_cost) / (people * questions)
    return latencies, waiting, per_answer


async def stop_time(people: int, workdir: Path) -> tuple[float, int]:
    """Seconds from ``stop`` to ``run_application`` returning with every reply hanging,
    and how many replies were still owed after it."""
    from bot.app import open_service
    from bot.config import CoreSettings
    from bot.telegram.adapter import build_application, run_application
    from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID

    api = TroubledApi()
    api.hang = True
    settings = CoreSettings(workdir / "stop.db", BUILTIN_CONTENT, DEFAULT_DIALOG_ID, "WARNING")
    async with open_service(settings) as services:
        app = build_application(
            services, ptb.telegram_settings(), request=api, get_updates_request=FakeBotApi()
        )
        stop = asyncio.Event()
        running = asyncio.create_task(run_application(app, ptb.telegram_settings(), stop))
        while not app.running:
            await asyncio.sleep(0.01)
        # All at once, as people arrive: their turns share commits (one at a time, each
        # turn waited for its own fsync, 5-7 s for 1,000).
        await asyncio.gather(
            *(ptb.feed(app, ptb.command_update(ptb.USER_BASE + p, "/start")) for p in range(people))
        )
        while await services.outbox.count("telegram") < 2 * people:
            await asyncio.sleep(0.01)
        started = time.perf_counter()
        stop.set()
        await running
        seconds = time.perf_counter() - started
        owed = await services.outbox.count("telegram")
    return seconds, owed


async def _press_then_the_rest(
    scale: Scale, workdir: Path
) -> tuple[tuple[list[float], int, float], dict[str, float], float, tuple[float, int]]:
    """The press run; once every press is answered, while its replies drain at 30 a second
    (the run waits on the limit, nearly idle), the outage and the unhurried runs go on
    beside it, then the stop run. Their figures are counts, the outage's time to deliver
    everything and the stop's, which the drain (a few milliseconds of CPU a second) barely
    touches; no latency is measured while the outage and unhurried runs overlap."""
    acked = asyncio.Event()
    press = asyncio.create_task(press_latency(scale.outbox_people, scale.outbox_questions, workdir, acked))
    await asyncio.wait([press, asyncio.create_task(acked.wait())], return_when=asyncio.FIRST_COMPLETED)
    outage, calm = await asyncio.gather(
        outage_run(scale.outbox_people, scale.outbox_outage_s, workdir, scale.outbox_outage_questions),
        unhurried(UNHURRIED, workdir),
    )
    stopped = await stop_time(scale.outbox_people, workdir)
    return await press, outage, calm, stopped


def measure(scale: Scale, workdir: Path) -> tuple[Section, list[Target]]:
    people = scale.outbox_people
    section = Section("h. Replies owed (outbox)", ["Case", "Result", "Detail"])
    asked = scale.outbox_outage_questions
    (latencies, waiting, at_cap), outage, calm, (seconds, owed) = asyncio.run(
        _press_then_the_rest(scale, workdir)
    )
    section.add(
        f"outage: {people:,} people (/start, {asked} answers each), Bot API refusing connections "
        f"for {scale.outbox_outage_s:g} s",
        f"{outage['lost']:.0f} lost, {outage['duplicated']:.0f} duplicated",
        f"of {outage['messages']:,.0f} needed messages; {outage['waiting']:.0f} people left waiting; "
        f"{outage['failed_attempts']:,.0f} attempts retried; all delivered after {outage['wall_s']:.1f} s; "
        f"{outage['marked']:,.0f} of {outage['answered']:,.0f} answered questions marked (courtesy edits)",
    )
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    section.add(
        f"press → callback answer, {people:,} people, {LIMIT_PER_S} messages/s limit",
        f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms",
        f"{len(latencies):,} presses; {waiting:,} people waited over {WAIT_S:.0f} s for a question",
    )
    section.add(
        f"Bot API messages per answered question at the ceiling: {people:,} people, {LIMIT_PER_S} msg/s",
        f"{at_cap:.2f}",
        "sends and edits; the edits marking answered questions are skipped while the backlog is large",
    )
    section.add(
        f"Bot API messages per answered question, unhurried: {UNHURRIED} people, whole conversation",
        f"{calm:.2f}",
        "sends and edits; every answered question is marked (a courtesy edit, sent when there is room)",
    )
    section.add(
        f"stop with {people:,} people's replies hanging", f"{seconds:.2f} s", f"{owed:,} replies still owed"
    )
    targets = [
        Target("outage: replies lost", "0", f"{outage['lost']:.0f}", outage["lost"] == 0),
        Target("outage: replies duplicated", "0", f"{outage['duplicated']:.0f}", outage["duplicated"] == 0),
        Target("press → callback answer p99, 30 msg/s", "< 2 s", f"{p99:.3f} s", p99 < 2),
        Target(
            f"messages per answered question at the ceiling ({LIMIT_PER_S} messages/s)",
            "≤ 1.5",
            f"{at_cap:.2f}",
            at_cap <= 1.5,
            f"unhurried: {calm:.2f}, since an answered question is then marked (a courtesy edit "
            "that waits for room); at the ceiling the explanation with the next question is all",
        ),
        Target("stop → exit", "< 5 s", f"{seconds:.2f} s", seconds < 5),
    ]
    return section, targets
