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
from bench.report import Section, Target
from bench.scale import Scale
from bench.stats import Run, percentile, summarise


def available() -> str | None:
    try:
        import bot.coalesce
        import bot.workshops  # noqa: F401
        import storage.workshops  # noqa: F401
    except ImportError as exc:
        return f"the workshop service is not importable ({exc})"
    return None


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
    why_not = available()
    if why_not is not None:
        section.not_measured("core", why_not)
        section.not_measured("through PTB", why_not)
        return section, [Target("workshop burst", "all stored, p99 < 50 ms, ≤ 3 edits", why_not, None)]
    runs = [
        asyncio.run(core_burst(voters, workdir, scale.workshop_interval)) for _ in range(scale.workshop_reps)
    ]
    s = summarise(runs)
    all_stored_ms = sorted(r.wall_s for r in runs)[len(runs) // 2] * 1e3
    worst_p99 = max(percentile(r.latencies_s, 99) for r in runs) * 1e3
    section.add(
        "core (Workshops.vote + Coalescer)",
        s.turns,
        all_stored_ms,
        s.p50_ms,
        s.p99_ms,
        s.cpu_us_per_turn,
        s.extra["batches"],
        s.extra["edits"],
        f"{s.extra['stored']:.0f} / {voters}",
    )
    section.not_measured("through PTB", "the harness drives private conversations only; see the note")
    section.notes += [
        f"Medians of {scale.workshop_reps} bursts (worst p99 {worst_p99:.1f} ms). The coalescer uses "
        "Telegram's group interval (bot.coalesce.TELEGRAM_GROUP_INTERVAL); its last edit showed "
        f"{s.extra['last_edit_count']:.0f} voters.",
    ]
    all_ok = all(r.extra["stored"] == voters for r in runs)
    edits_max = max(r.extra["edits"] for r in runs)
    return section, [
        Target(
            f"workshop burst ({voters}), core: all stored",
            "all",
            f"{s.extra['stored']:.0f} / {voters}",
            all_ok,
        ),
        Target(
            f"workshop burst ({voters}), core: p99 per press", "< 50 ms", f"{s.p99_ms:.1f} ms", s.p99_ms < 50
        ),
        Target(f"workshop burst ({voters}): public-message edits", "≤ 3", f"{edits_max:.0f}", edits_max <= 3),
    ]
