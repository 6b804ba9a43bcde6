"""A fake Bot API over real HTTP, with the people who talk to the bot, in its own process.

``python -m bench.wireapi PEOPLE DELAY_MS WARM_S WINDOW_S [STEADY_MAX_S [READY_TURNS]]``
prints ``PORT n`` once it listens on 127.0.0.1, reads the bot's process id from stdin, and
after the measurement prints one JSON line with the figures, then keeps answering until it
is killed.

Rules:
- It speaks the Bot API's HTTP shape: ``POST /bot<token>/<method>`` with form fields
  (JSON-valued ones as JSON strings), answered ``{"ok": true, "result": ...}``. Updates go
  out by long polling: ``getUpdates`` honours ``offset``, ``limit`` and ``timeout``.
  Messages come back as the Message objects Telegram returns, so a bot that parses them
  (the baseline does) pays what it would pay against Telegram.
- ``DELAY_MS`` is added before every answer, getUpdates included: the round trip to a
  Telegram data centre, which a bot waits out with its requests in flight.
- ``PEOPLE`` people talk in a closed loop: /start, then a press on one of the answer
  buttons of each question the moment it arrives. A person who has answered the last
  question is replaced by a new one, so ``PEOPLE`` conversations are always in flight.
- Out of step from the start: the first person of slot ``k`` leaves after ``1 + k mod
  (questions + 1)`` turns, as people who give up part-way do, and the next one starts.
  Otherwise every conversation would start together and finish together, and whether a
  window held the burst of finished profiles (ours draws a chart for each) would swing
  ours' CPU per turn by 2-3x from run to run.
- A turn runs from the moment its update is queued until the next question's keyboard
  arrives in that chat (for the last answer: until two messages have arrived for it). A
  press is acknowledged when its ``answerCallbackQuery`` arrives.
- An answer's messages: every message sent or edited in a person's chat while the turn in
  flight there is an answer (not /start), so messages per answer can be read in a window
  where people are still being greeted (as under the rate limiter) without the greetings
  counting.
- Figures count only what happens inside the window (``WINDOW_S`` seconds after
  ``WARM_S`` seconds of warm-up and, with ``STEADY_MAX_S``, once ``READY_TURNS`` turns
  have ended, waiting at most that much longer; the figures say whether it got there).
  ``READY_TURNS`` is by default ``PEOPLE x (questions + 1)``: by then every slot is past
  its first, part-way person, so conversations finish at their steady rate, one turn in
  ``questions + 1``; ``PEOPLE`` turns is every person greeted. The bot's CPU is read
  from ``/proc/<pid>/stat`` at the window's two ends, so the fake's own CPU is not in it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bench.fakeapi import BOT_USER
from bench.ptb import USER_BASE, is_answer

MESSAGE_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto"})
_TICKS = os.sysconf("SC_CLK_TCK")
START_TIMEOUT_S = 60.0  # a bot that has not polled by then failed to start


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of process ``pid`` so far, from ``/proc/<pid>/stat``."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


@dataclass(slots=True)
class Person:
    """One person's chat as the fake sees it: the last question's keyboard, and the turn
    in flight."""

    uid: int
    position: int = -1  # questions answered so far; -1 before the first question
    keyboard_message: int = 0
    keyboard_text: str = ""
    keyboard_markup: dict[str, Any] = field(default_factory=dict)
    answers: tuple[str, ...] = ()
    asked_at: float = 0.0  # when the turn in flight began
    waiting_for: str = "question"  # or "messages": the last answer waits for 2 messages
    messages_left: int = 0
    press_id: str = ""
    done: asyncio.Event = field(default_factory=asyncio.Event)


class WireApi:
    def __init__(self, people: int, delay_s: float, total: int) -> None:
        self.people = people
        self.delay_s = delay_s
        self.total = total
        self.queue: list[dict[str, Any]] = []
        self.queued = asyncio.Event()
        self.by_chat: dict[int, Person] = {}
        self.presses: dict[str, float] = {}  # callback query id -> when it was queued
        self.update_ids = itertools.count(1)
        self.message_ids = itertools.count(1)
        self.polled = asyncio.Event()
        self.measuring = False
        self.turns = 0
        self.latencies: list[float] = []
        self.acks: list[float] = []
        self.answers = 0  # answers whose turn ended in the window
        self.answer_messages = 0  # messages that arrived in the window for answers in flight
        self.ended = 0  # turns ended since the start, window or not
        self.calls: Counter[str] = Counter()

    # --- HTTP ------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = await request.post()
        params = {k: v for k, v in form.items() if isinstance(v, str)}
        if self.measuring:
            self.calls[method] += 1
        if method == "getUpdates":
            result: object = await self.get_updates(params)
        else:
            result = self.answer(method, params, "photo" in form)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return web.json_response({"ok": True, "result": result})

    async def get_updates(self, params: dict[str, str]) -> list[dict[str, Any]]:
        self.polled.set()
        offset = int(params.get("offset") or 0)
        if offset:
            self.queue = [u for u in self.queue if u["update_id"] >= offset]
        if not self.queue:
            self.queued.clear()
            timeout = float(params.get("timeout") or 0)
            if timeout:
                try:
                    await asyncio.wait_for(self.queued.wait(), timeout)
                except TimeoutError:
                    return []
        return self.queue[: int(params.get("limit") or 100)]

    def answer(self, method: str, params: dict[str, str], photo: bool) -> object:
        if method == "getMe":
            return BOT_USER
        if method == "answerCallbackQuery":
            queued = self.presses.pop(params.get("callback_query_id", ""), None)
            if queued is not None and self.measuring:
                self.acks.append(time.perf_counter() - queued)
            return True
        if method not in MESSAGE_METHODS:
            return True
        chat_id = int(params["chat_id"])
        if method == "sendMessage" or method == "sendPhoto":
            message_id = next(self.message_ids)
        else:
            message_id = int(params.get("message_id", "0"))
        person = self.by_chat.get(chat_id)
        if person is not None:
            if self.measuring and person.position >= 0:
                self.answer_messages += 1
            self.arrived(person, message_id, params)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": f"p{chat_id}"},
            "from": BOT_USER,
        }
        if photo:
            message["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
        else:
            message["text"] = params.get("text", "")
        if "reply_markup" in params:
            message["reply_markup"] = json.loads(params["reply_markup"])
        return message

    # --- people ----------------------------------------------------------------------

    def arrived(self, person: Person, message_id: int, params: dict[str, str]) -> None:
        """A message (sent or edited) reached ``person``'s chat."""
        markup = json.loads(params["reply_markup"]) if "reply_markup" in params else {}
        answers = tuple(
            b["callback_data"]
            for row in markup.get("inline_keyboard", [])
            for b in row
            if is_answer(b.get("callback_data", ""))
        )
        if person.waiting_for == "question" and answers:
            person.keyboard_message, person.keyboard_text = message_id, params.get("text", "")
            person.keyboard_markup, person.answers = markup, answers
            self.turn_ended(person)
        elif person.waiting_for == "messages":
            person.messages_left -= 1
            if person.messages_left == 0:
                self.turn_ended(person)

    def turn_ended(self, person: Person) -> None:
        self.ended += 1
        if self.measuring:
            self.turns += 1
            self.latencies.append(time.perf_counter() - person.asked_at)
            if person.position >= 0:
                self.answers += 1
        person.waiting_for = ""
        person.done.set()

    def push(self, update: dict[str, Any]) -> None:
        self.queue.append(update)
        self.queued.set()

    def start(self, person: Person) -> None:
        n = next(self.update_ids)
        message = {
            "message_id": n,
            "date": int(time.time()),
            "chat": {"id": person.uid, "type": "private", "first_name": f"p{person.uid}"},
            "from": {"id": person.uid, "is_bot": False, "first_name": f"p{person.uid}"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        }
        person.asked_at, person.waiting_for = time.perf_counter(), "question"
        self.push({"update_id": n, "message": message})

    def press(self, person: Person) -> None:
        n = next(self.update_ids)
        data = person.answers[person.uid % len(person.answers)]
        message = {
            "message_id": person.keyboard_message,
            "date": int(time.time()),
            "chat": {"id": person.uid, "type": "private", "first_name": f"p{person.uid}"},
            "from": BOT_USER,
            "text": person.keyboard_text,
            "reply_markup": person.keyboard_markup,
        }
        query = {
            "id": str(n),
            "from": {"id": person.uid, "is_bot": False, "first_name": f"p{person.uid}"},
            "chat_instance": str(person.uid),
            "data": data,
            "message": message,
        }
        person.position += 1
        last = person.position == self.total - 1
        person.waiting_for, person.messages_left = ("messages", 2) if last else ("question", 0)
        person.asked_at = self.presses[str(n)] = time.perf_counter()
        self.push({"update_id": n, "callback_query": query})

    async def converse(self, slot: int) -> None:
        """Slot ``slot``'s people, one after another, each through the whole conversation,
        except the first, who leaves after ``slot % (total + 1)`` turns or more (see ``serve``)."""
        for k in itertools.count():
            person = Person(USER_BASE + k * self.people + slot)
            self.by_chat[person.uid] = person
            self.start(person)
            turns = self.total + 1 if k else 1 + slot % (self.total + 1)
            for turn in range(turns):
                await person.done.wait()
                person.done.clear()
                if turn + 1 < turns and person.position + 1 < self.total:
                    self.press(person)
            del self.by_chat[person.uid]


async def serve(
    people: int,
    delay_ms: float,
    warm_s: float,
    window_s: float,
    steady_max_s: float = 0.0,
    ready_turns: int | None = None,
) -> None:
    from bench.core import the_dialog

    api = WireApi(people, delay_ms / 1000, the_dialog().total)
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"PORT {port}", flush=True)
    pid = int(await asyncio.to_thread(sys.stdin.readline))
    try:
        await asyncio.wait_for(api.polled.wait(), START_TIMEOUT_S)
    except TimeoutError:
        print("NO BOT: it did not poll for updates", flush=True)  # the parent reads why
        return
    people_tasks = [asyncio.create_task(api.converse(slot)) for slot in range(people)]
    started = time.perf_counter()
    await asyncio.sleep(warm_s)
    steady_turns = people * (api.total + 1) if ready_turns is None else ready_turns
    give_up = time.perf_counter() + steady_max_s
    while steady_max_s and api.ended < steady_turns and time.perf_counter() < give_up:
        await asyncio.sleep(0.05)
    steady = api.ended >= steady_turns
    warmed_s = time.perf_counter() - started
    cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
    api.measuring = True
    await asyncio.sleep(window_s)
    api.measuring = False
    cpu, wall = cpu_seconds(pid) - cpu0, time.perf_counter() - wall0
    print(
        json.dumps(
            {
                "turns": api.turns,
                "answers": api.answers,
                "answer_messages": api.answer_messages,
                "steady": steady,
                "warm_s": warmed_s,
                "wall_s": wall,
                "cpu_s": cpu,
                "latencies_s": api.latencies,
                "acks_s": api.acks,
                "calls": dict(api.calls),
            }
        ),
        flush=True,
    )
    await asyncio.Event().wait()  # answer on until killed, so the bot stops cleanly
    del people_tasks


if __name__ == "__main__":
    people_arg, delay_arg, warm_arg, window_arg = sys.argv[1:5]
    steady_arg = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    ready_arg = int(sys.argv[6]) if len(sys.argv) > 6 else None
    asyncio.run(
        serve(int(people_arg), float(delay_arg), float(warm_arg), float(window_arg), steady_arg, ready_arg)
    )
