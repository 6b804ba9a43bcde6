"""Part f: a workshop burst, many members of one group voting at the same instant.

Rules:
- Core: the ``Workshops`` service on a real SQLite file (``WorkshopStore`` on the session
  store's connection, as the bot wires it). A facilitator opens the workshop; then every
  member's ``vote`` is started in the same loop iteration. A press's latency is from that
  instant until its ``vote`` returned (after its group commit).
- Each ``VoteCount`` goes to a ``bot.coalesce.Coalescer`` with Telegram's group interval;
  the refresh stands for one edit of the public question message and is counted.
- "All stored" is the moment the last vote returned; the rows are then counted in SQLite.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from bench.core import the_dialog
from bench.fakeapi import BOT_USER, Call, ChatLog, FakeBotApi
from bench.ptb import UPDATE_IDS, feed, open_ours
from bench.report import Section, Target
from bench.scale import Scale
from bench.stats import Run, percentile, summarise


async def core_burst(voters: int, workdir: Path, interval: float | None = None) -> Run:
    """One burst; ``interval`` is the coalescer's rest (None: Telegram's group interval)."""
    from bot.coalesce import TELEGRAM_GROUP_INTERVAL, Coalescer
    from bot.workshops import Workshops
    from dialogs.events import Open, Vote
    from dialogs.replies import VoteCount, VoteQuestion
    from storage.keys import WorkshopKey
    from storage.sessions import SessionStore
    from storage.workshops import WorkshopStore

    dialog = the_dialog()
    path = workdir / f"workshop-{voters}-{time.monotonic_ns()}.db"
    sessions = await SessionStore.open(path)
    store = WorkshopStore.on(sessions)
    workshops = Workshops(store, {dialog.id: dialog}, dialog.id)
    key = WorkshopKey("bench", "group")
    edits: list[int] = []

    async def edit(_key: WorkshopKey, count: VoteCount) -> None:
        edits.append(count.voters)

    coalescer: Coalescer[WorkshopKey, VoteCount] = Coalescer(
        edit, TELEGRAM_GROUP_INTERVAL if interval is None else interval
    )
    try:
        opened = await workshops.open(key, Open("facilitator", admin=True))
        question = next(r for r in opened.replies if isinstance(r, VoteQuestion))
        latencies: list[float] = []

        async def press(member: int, started: float) -> None:
            choice = question.choices[member % len(question.choices)].id
            turn = await workshops.vote(
                key, Vote(f"m{member}", question.workshop, question.distinction, choice)
            )
            latencies.append(time.perf_counter() - started)
            for reply in turn.replies:
                if isinstance(reply, VoteCount):
                    coalescer.notify(key, reply)

        cpu0, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(press(m, started) for m in range(voters)))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
        await coalescer.drain()
        batches = store.batches
    finally:
        await coalescer.close()
        await store.close()
        await sessions.close()
    conn = sqlite3.connect(path)
    stored = conn.execute("SELECT count(*) FROM workshop_votes").fetchone()[0]
    conn.close()
    return Run(
        turns=len(latencies),
        wall_s=wall,
        cpu_s=cpu,
        latencies_s=tuple(latencies),
        extra={
            "stored": float(stored),
            "edits": float(len(edits)),
            "last_edit_count": float(edits[-1] if edits else 0),
            "batches": float(batches),
        },
    )


# --- through python-telegram-bot ----------------------------------------------------------

GROUP_ID = -1_001_000_000_001
FACILITATOR = 7


def _group_update(uid: int, **payload: object) -> dict[str, object]:
    n = next(UPDATE_IDS)
    chat = {"id": GROUP_ID, "type": "supergroup", "title": "bench workshop"}
    user = {"id": uid, "is_bot": False, "first_name": f"m{uid}"}
    if "command" in payload:
        command = str(payload["command"])
        message = {
            "message_id": n,
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": command,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        }
        return {"update_id": n, "message": message}
    log = payload["log"]
    assert isinstance(log, ChatLog)
    message = {
        "message_id": log.keyboard_message,
        "date": int(time.time()),
        "chat": chat,
        "from": BOT_USER,
        "text": log.keyboard_text,
        "reply_markup": log.keyboard_markup,
    }
    query = {
        "id": str(n),
        "from": user,
        "chat_instance": "group",
        "data": payload["data"],
        "message": message,
    }
    return {"update_id": n, "callback_query": query}


async def ptb_burst(voters: int, workdir: Path, interval: float | None = None) -> Run:
    """The facilitator sends /workshop in a group; then every member's press of a vote
    button arrives at once (as one getUpdates batch would). A press's latency is until its
    answerCallbackQuery went out. Our adapter runs as deployed (its rate limiter, which
    does not hold back callback answers); ``interval`` None keeps its count interval.
    Edits of the question message are counted once the coalescer has had two intervals."""
    from bot.coalesce import TELEGRAM_GROUP_INTERVAL
    from bot.telegram.adapter import sender_of

    workdir.mkdir(parents=True, exist_ok=True)  # the store refuses a folder that is not there
    more = {} if interval is None else {"count_interval": interval}
    settle_s = 2 * (TELEGRAM_GROUP_INTERVAL if interval is None else interval) + 0.5
    answered: dict[str, float] = {}

    def on_call(call: Call) -> None:
        if call.method == "answerCallbackQuery":
            answered[call.params.get("callback_query_id", "")] = time.perf_counter()

    api = FakeBotApi(on_call)
    async with open_ours(workdir, api, None, **more) as app:
        await app.initialize()
        await app.start()
        try:
            group = api.chat(GROUP_ID)
            await feed(app, _group_update(FACILITATOR, command="/workshop"))
            await sender_of(app).idle()  # the workshop's posts are owed, then delivered
            votes = [b for b in group.buttons if b.startswith("1:w:")]
            if not votes:
                raise RuntimeError("/workshop in a group showed no vote buttons")
            question = group.keyboard_message
            edits_before = sum(1 for m in api.edited if m == (GROUP_ID, question))
            presses = [_group_update(1_000 + m, log=group, data=votes[m % len(votes)]) for m in range(voters)]
            cpu0, started = time.process_time(), time.perf_counter()
            await asyncio.gather(*(feed(app, press) for press in presses))
            ids = [str(press["update_id"]) for press in presses]
            while not all(i in answered for i in ids):
                await asyncio.sleep(0.001)
            wall, cpu = max(answered[i] for i in ids) - started, time.process_time() - cpu0
            await asyncio.sleep(settle_s)
            edits = sum(1 for m in api.edited if m == (GROUP_ID, question)) - edits_before
        finally:
            await sender_of(app).stop()
            await app.stop()
            await app.shutdown()
    conn = sqlite3.connect(workdir / "ours.db")
    stored = conn.execute("SELECT count(*) FROM workshop_votes").fetchone()[0]
    conn.close()
    return Run(
        turns=len(ids),
        wall_s=wall,
        cpu_s=cpu,
        latencies_s=tuple(answered[i] - started for i in ids),
        extra={"stored": float(stored), "edits": float(edits)},
    )


def measure(scale: Scale, workdir: Path) -> tuple[Section, list[Target]]:
    voters = scale.workshop_voters
    section = Section(
        f"f. Workshop burst: {voters} members of one group vote at the same instant",
        [
            "Path",
            "votes",
            "all stored after ms",
            "p50 ms",
            "p99 ms",
            "CPU µs/vote",
            "vote commits",
            "public-message edits",
            "stored",
        ],
    )
    reps = range(scale.workshop_reps)
    core = [asyncio.run(core_burst(voters, workdir, scale.workshop_interval)) for _ in reps]
    targets = _add(section, "core (Workshops.vote + Coalescer)", "core", core, voters, 50)
    through = [
        asyncio.run(ptb_burst(voters, workdir / f"ptb-burst-{rep}", scale.workshop_interval)) for rep in reps
    ]
    targets += _add(section, "through PTB (our adapter as deployed)", "PTB", through, voters, 250)
    interval = (
        "Telegram's group interval (3 s)"
        if scale.workshop_interval is None
        else f"{scale.workshop_interval} s"
    )
    section.notes += [
        f"Medians of {scale.workshop_reps} bursts; 'all stored after' is until the last vote returned (core) "
        "or the last press was answered (PTB), each only after its vote's commit. Vote commits: "
        "group-commit transactions (core only).",
        f"Count edits go through bot.coalesce.Coalescer at {interval}; counted once it had two intervals to "
        "finish. Through PTB: the real Application with the adapter's rate limiter (callback answers "
        "are not rate limited; group messages are), a supergroup, the facilitator's /workshop, then "
        "every member's press fed at once.",
    ]
    return section, targets


def _add(
    section: Section, label: str, path: str, runs: list[Run], voters: int, p99_goal_ms: float
) -> list[Target]:
    s = summarise(runs)
    all_stored_ms = sorted(r.wall_s for r in runs)[len(runs) // 2] * 1e3
    section.add(
        label,
        s.turns,
        all_stored_ms,
        s.p50_ms,
        s.p99_ms,
        s.cpu_us_per_turn,
        s.extra.get("batches", "-"),
        s.extra["edits"],
        f"{s.extra['stored']:.0f} / {voters}",
    )
    stored_ok = all(r.extra["stored"] == voters for r in runs)
    worst_p99 = max(percentile(r.latencies_s, 99) for r in runs) * 1e3
    edits_max = max(r.extra["edits"] for r in runs)
    return [
        Target(
            f"workshop burst ({voters}), {path}: all stored",
            "all",
            f"{s.extra['stored']:.0f} / {voters}",
            stored_ok,
        ),
        Target(
            f"workshop burst ({voters}), {path}: p99 per press",
            f"< {p99_goal_ms:.0f} ms",
            f"{s.p99_ms:.1f} ms (worst run {worst_p99:.1f})",
            s.p99_ms < p99_goal_ms,
        ),
        Target(
            f"workshop burst ({voters}), {path}: public-message edits",
            "≤ 3",
            f"{edits_max:.0f} (most in a run)",
            edits_max <= 3,
        ),
    ]
