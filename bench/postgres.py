"""Part m: the core on PostgreSQL beside SQLite, and two processes on one PostgreSQL.

Rules:
- The same load as part a (``bench.core.converse``: every person the whole conversation,
  ``concurrency`` people at a time), through ``Conversations`` on each store; every turn
  is durable when ``handle`` returns (PostgreSQL: synchronous_commit on, its default).
- The PostgreSQL 16 server is the one the tests use (``pgserver``), on this machine, over
  its Unix socket: a fresh database per run.
- CPU is split: the bot process (``time.process_time``; for two processes, the sum of
  both) and the server (every postgres process's user+system time, read with psutil
  before and after), so "CPU per turn" counts what a turn costs the whole machine.
- Two processes: each runs half the people (different people, so no conflicts), started
  together; throughput is all turns over the slower one's wall time.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

import pgserver
import psutil  # type: ignore[import-untyped]

from bench.core import converse, core_run, run_people, the_dialog
from bench.report import Section, Target
from bench.scale import Scale
from bench.stats import Run, summarise
from bot.conversations import Conversations
from storage.contract import open_store
from storage.keys import SessionKey


def _server_cpu(pid: int) -> float:
    """User+system seconds of the postmaster and every backend under it."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


async def _pg_people(uri: str, first: int, people: int, concurrency: int) -> Run:
    dialog = the_dialog()
    store = await open_store(uri)
    conversations = Conversations(store, {dialog.id: dialog}, dialog.id)
    try:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        latencies = await run_people(
            people,
            lambda p, lat: converse(
                conversations, SessionKey("bench", str(first + p), str(first + p)), first + p, lat
            ),
            concurrency,
        )
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    finally:
        await store.close()
    return Run(turns=len(latencies), wall_s=wall, cpu_s=cpu, latencies_s=tuple(latencies))


def _child(uri: str, first: int, people: int, concurrency: int, ready: object, out: object) -> None:
    ready.wait()  # type: ignore[attr-defined]  # every process imported: they begin together
    run = asyncio.run(_pg_people(uri, first, people, concurrency))
    out.put(run)  # type: ignore[attr-defined]


def _processes(uri: str, people: int, concurrency: int, count: int) -> Run:
    """``count`` bot processes sharing ``people`` between them, on one database."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    ready = context.Barrier(count)
    share = people // count
    children = [
        context.Process(target=_child, args=(uri, i * share, share, concurrency // count, ready, out))
        for i in range(count)
    ]
    for child in children:
        child.start()
    runs: list[Run] = [out.get(timeout=600) for _ in children]
    for child in children:
        child.join()
    latencies = tuple(lat for r in runs for lat in r.latencies_s)
    return Run(
        turns=sum(r.turns for r in runs),
        wall_s=max(r.wall_s for r in runs),
        cpu_s=sum(r.cpu_s for r in runs),
        latencies_s=latencies,
    )


def _new_database(server: Any, name: str) -> str:
    server.psql(f"CREATE DATABASE {name};")
    uri: str = server.get_uri(name)
    return uri


def measure(scale: Scale, workdir: Path) -> tuple[Section, list[Target]]:
    people = scale.core_people[0]
    concurrency = scale.core_concurrency
    section = Section(
        f"m. Several processes: the core on PostgreSQL 16 beside SQLite (N = {people:,} people)",
        ["Case", "turns", "turns/s", "p50 ms", "p99 ms", "bot CPU µs/turn", "server CPU µs/turn"],
    )
    sqlite = summarise([asyncio.run(core_run(people, workdir, concurrency)) for _ in range(scale.core_reps)])
    section.add(
        "SQLite, one process (part a's core)",
        sqlite.turns,
        sqlite.turns_per_s,
        sqlite.p50_ms,
        sqlite.p99_ms,
        sqlite.cpu_us_per_turn,
        "(in the bot)",
    )
    number = 0
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        server = pgserver.get_server(Path(folder) / "pg", cleanup_mode="stop")  # type: ignore[attr-defined]
        try:
            pid = int((Path(folder) / "pg" / "postmaster.pid").read_text().split()[0])
            for label, count in (("PostgreSQL, one process", 1), ("PostgreSQL, two processes", 2)):
                runs, server_cpu = [], []
                for _ in range(scale.core_reps):
                    number += 1
                    uri = _new_database(server, f"bench_{number}")
                    before = _server_cpu(pid)
                    if count == 1:
                        run = asyncio.run(_pg_people(uri, 0, people, concurrency))
                    else:
                        run = _processes(uri, people, concurrency, count)
                    server_cpu.append((_server_cpu(pid) - before) * 1e6 / max(run.turns, 1))
                    runs.append(run)
                s = summarise(runs)
                section.add(
                    label,
                    s.turns,
                    s.turns_per_s,
                    s.p50_ms,
                    s.p99_ms,
                    s.cpu_us_per_turn,
                    sorted(server_cpu)[len(server_cpu) // 2],
                )
        finally:
            server.cleanup()
    section.notes.append(
        "Bot and server share one machine here. A PostgreSQL turn costs the bot several round "
        "trips and the server a commit (WAL flush) of its own, where SQLite's group commit shares "
        "one fsync among every turn in flight. With both cores busy (bot CPU + server CPU per turn "
        "times turns/s), a second bot process only adds its own event loop, pool and backends to "
        "the same two cores: replicas add throughput when they run on machines of their own, "
        "until the server's CPU and WAL flushes are the limit."
    )
    return section, []
