"""Part a: the core alone (``Conversations`` on a real SQLite file), and the sqlite3 floor.

Rules:
- Every person does the whole conversation: ``Start`` then one ``Choose`` per question,
  each turn awaited before the next (a person presses only what they have been shown).
- All people run concurrently as asyncio tasks, at most ``concurrency`` at a time, so
  many turns are in flight and group commit can batch them.
- CPU is ``time.process_time`` of the whole process (the aiosqlite thread included).
- The floor makes the same writes with the stdlib ``sqlite3`` module on the same schema and
  pragmas: one transaction per turn, and one transaction per round of concurrent turns.
- The core runs as the bot runs it: the garbage collector tuned after start-up
  (``bot.gctune``), put back afterwards.
- At the first size the core is compared with the code of ``REFERENCE`` (the commit issue
  16's "today's" figure came from) in the same run: each repetition of either in its own
  process (``isolated_core_run``, started the same way, warmed up, its own tuning if it has
  one), alternating A B A B so machine drift does not go into the ratio. That code comes
  from ``git archive``; without git or that commit the row says so.
"""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.report import Section, Target
from bench.scale import Scale
from bench.stats import Run, Summary, summarise
from bot import gctune
from bot.conversations import Conversations
from dialogs.content import Dialog
from dialogs.engine import new_state, step
from dialogs.events import Choose, Event, Start
from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID, load_dialogs
from dialogs.replies import Question
from storage.keys import SessionKey
from storage.schema import MIGRATIONS, SCHEMA_VERSION
from storage.sessions import _CLEAR_ANSWERS as CLEAR_ANSWERS
from storage.sessions import _INSERT_SESSION as INSERT_SESSION
from storage.sessions import _RECORD_ANSWER as RECORD_ANSWER
from storage.sessions import _UPDATE_SESSION as UPDATE_SESSION
from storage.sessions import SessionStore

DEFAULT_CONCURRENCY = 1000
REFERENCE = "57390f0"  # the core as issue 16 found it
ROOT = Path(__file__).resolve().parents[1]  # the tree this module belongs to


def the_dialog() -> Dialog:
    return load_dialogs(BUILTIN_CONTENT)[DEFAULT_DIALOG_ID]


def turns_per_person(dialog: Dialog) -> int:
    """``Start`` plus one answer per distinction."""
    return 1 + dialog.total


def choice_for(person: int, question: Question) -> str:
    """A deterministic, varied answer: person n picks choice n mod count."""
    return question.choices[person % len(question.choices)].id


async def converse(conversations: Conversations, key: SessionKey, person: int, latencies: list[float]) -> int:
    """One person's whole conversation; returns how many answers were recorded."""
    event: Event = Start()
    answered = 0
    while True:
        started = time.perf_counter()
        turn = await conversations.handle(key, event)
        latencies.append(time.perf_counter() - started)
        question = next((r for r in turn.replies if isinstance(r, Question)), None)
        if question is None:
            return answered
        event = Choose(question.distinction, choice_for(person, question), question.turn)
        answered += 1


async def run_people(
    people: int,
    one: Callable[[int, list[float]], object],
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[float]:
    """Run ``one(person, latencies)`` for every person, ``concurrency`` at a time."""
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def gated(person: int) -> None:
        async with gate:
            result = one(person, latencies)
            assert asyncio.iscoroutine(result)
            await result

    await asyncio.gather(*(gated(p) for p in range(people)))
    return latencies


async def core_run(
    people: int, directory: Path, concurrency: int = DEFAULT_CONCURRENCY, cache: int | None = None
) -> Run:
    """One repetition on a fresh database file in ``directory``; ``cache``: the session
    cache's capacity (None: the service's default, larger than the people in flight)."""
    dialog = the_dialog()
    path = directory / f"core-{people}-{time.monotonic_ns()}.db"
    store = await SessionStore.open(path)
    capacity = {} if cache is None else {"cache_capacity": cache}
    conversations = Conversations(store, {dialog.id: dialog}, dialog.id, **capacity)
    try:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        latencies = await run_people(
            people,
            lambda p, lat: converse(conversations, SessionKey("bench", str(p), str(p)), p, lat),
            concurrency,
        )
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        batches = store.batches
    finally:
        await store.close()
    stored_sessions, stored_answers = count_rows(path)
    return Run(
        turns=len(latencies),
        wall_s=wall,
        cpu_s=cpu,
        latencies_s=tuple(latencies),
        extra={
            "batches": float(batches),
            "stored_sessions": float(stored_sessions),
            "stored_answers": float(stored_answers),
        },
    )


def count_rows(path: Path) -> tuple[int, int]:
    """(sessions, answers) stored in the file at ``path``."""
    with sqlite3.connect(path) as conn:
        sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        answers = conn.execute("SELECT count(*) FROM answers").fetchone()[0]
    conn.close()
    return int(sessions), int(answers)


def engine_run(people: int, dialog: Dialog | None = None) -> Run:
    """The pure engine alone, the same conversations with no storage and no asyncio: the
    CPU any durable turn must spend on top of its writes (``dialog``: the built-in one)."""
    dialog = dialog or the_dialog()
    turns = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for person in range(people):
        state = new_state(dialog)
        event: Event = Start()
        while True:
            result = step(dialog, state, event)
            turns += 1
            state = result.state
            question = next((r for r in result.replies if isinstance(r, Question)), None)
            if question is None:
                break
            event = Choose(question.distinction, choice_for(person, question), question.turn)
    return Run(turns=turns, wall_s=time.perf_counter() - wall0, cpu_s=time.process_time() - cpu0)


# --- the core in a process of its own, this tree's or the reference's ------------------

# Run by ``python -c`` in a tree's folder, so that tree's packages are the ones imported;
# written for every version of ``bench.core.core_run`` since the reference.
_ISOLATED = """
import asyncio, json, sys, tempfile
from pathlib import Path
import bench.core as core
people, concurrency = int(sys.argv[1]), int(sys.argv[2])
with tempfile.TemporaryDirectory() as folder:
    asyncio.run(core.core_run(max(1, concurrency // 10), Path(folder), concurrency))  # start-up
    try:
        from bot import gctune
    except ImportError:  # a tree from before the tuning: its bot ran with Python's defaults
        pass
    else:
        gctune.settle()  # after start-up, as that tree's bot does
    run = asyncio.run(core.core_run(people, Path(folder), concurrency))
json.dump({"turns": run.turns, "wall_s": run.wall_s, "cpu_s": run.cpu_s,
           "latencies_s": run.latencies_s, "extra": getattr(run, "extra", {})}, sys.stdout)
"""


def isolated_core_run(tree: Path, people: int, concurrency: int = DEFAULT_CONCURRENCY) -> Run:
    """``core_run`` of the code in ``tree``, in a new Python process started in it."""
    done = subprocess.run(
        [sys.executable, "-c", _ISOLATED, str(people), str(concurrency)],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the core in {tree} failed: {last}")
    figures = json.loads(done.stdout)
    return Run(
        turns=int(figures["turns"]),
        wall_s=float(figures["wall_s"]),
        cpu_s=float(figures["cpu_s"]),
        latencies_s=tuple(figures["latencies_s"]),
        extra={str(k): float(v) for k, v in figures["extra"].items()},
    )


def reference_tree(commit: str, into: Path) -> Path | str:
    """The files of ``commit`` of this repository, written under ``into``; or why not."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", commit], capture_output=True, check=False
        )
    except FileNotFoundError:
        return "git is not installed"
    if archive.returncode != 0:
        return f"commit {commit} is not in this clone"
    tree = into / f"reference-{commit}"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as files:
        files.extractall(tree, filter="data")
    return tree


def compare_with_reference(
    people: int, concurrency: int, reps: int, commit: str = REFERENCE
) -> tuple[list[Run], list[Run] | str]:
    """This tree's core and ``commit``'s, ``reps`` runs each, alternating; the reference's
    runs are replaced by why they could not run."""
    ours: list[Run] = []
    theirs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="careerbot-reference-") as folder:
        tree = reference_tree(commit, Path(folder))
        for _ in range(reps):
            ours.append(isolated_core_run(ROOT, people, concurrency))
            if isinstance(tree, Path):
                theirs.append(isolated_core_run(tree, people, concurrency))
    return ours, theirs if isinstance(tree, Path) else tree


# --- the floor: the same writes with sqlite3 directly -----------------------------------


Statement = tuple[str, tuple[object, ...]]


def _floor_turns(people: int, dialog: Dialog) -> list[list[list[Statement]]]:
    """Every turn's statements, in rounds: round k holds every person's k-th turn."""
    rounds: list[list[list[Statement]]] = []
    now = time.time()
    stamp = (dialog.version, dialog.fingerprint)
    for position in range(turns_per_person(dialog)):
        round_: list[list[Statement]] = []
        for p in range(people):
            key = ("bench", str(p), str(p), dialog.id)
            if position == 0:
                round_.append(
                    [(INSERT_SESSION, (*key, "asking", 1, 0, None, None, *stamp, now)), (CLEAR_ANSWERS, key)]
                )
                continue
            distinction = dialog.distinctions[position - 1]
            choice = distinction.choices[p % len(distinction.choices)].id
            phase = "done" if position == dialog.total else "asking"
            round_.append(
                [
                    (UPDATE_SESSION, (phase, position + 1, 0, None, None, *stamp, now, *key, position)),
                    (RECORD_ANSWER, (*key, distinction.id, choice, position, now)),
                ]
            )
        rounds.append(round_)
    return rounds


def floor_connection(path: Path) -> sqlite3.Connection:
    """A sqlite3 connection on a new file with the real schema and the store's pragmas."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN IMMEDIATE")
    for statements in MIGRATIONS:
        for statement in statements:
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.execute("COMMIT")
    return conn


def floor_run(people: int, directory: Path, batch: int | None, max_turns: int | None = None) -> Run:
    """The same writes as ``core_run`` with sqlite3: ``batch`` None is one transaction per
    turn, else up to ``batch`` turns per transaction. ``max_turns`` stops early (a rate is
    still a rate) when one fsync per turn would take too long."""
    dialog = the_dialog()
    conn = floor_connection(directory / f"floor-{people}-{batch}-{time.monotonic_ns()}.db")
    turns = [t for round_ in _floor_turns(people, dialog) for t in round_]
    if max_turns is not None:
        turns = turns[:max_turns]
    size = batch or 1
    try:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for start in range(0, len(turns), size):
            chunk = turns[start : start + size]
            conn.execute("BEGIN IMMEDIATE")
            by_sql: dict[str, list[tuple[object, ...]]] = {}
            for statements in chunk:
                for sql, params in statements:
                    by_sql.setdefault(sql, []).append(params)
            for sql, rows in by_sql.items():
                conn.executemany(sql, rows)
            conn.execute("COMMIT")
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    finally:
        conn.close()
    return Run(turns=len(turns), wall_s=wall, cpu_s=cpu)


# --- the section ------------------------------------------------------------------------


def measure(scale: Scale, workdir: Path) -> tuple[Section, list[Target]]:
    """Core and floor at each size, ``scale.core_reps`` repetitions each, same run."""
    section = Section(
        "a. Core alone: Conversations on SQLite (WAL, synchronous=FULL) vs the sqlite3 floor",
        [
            "Case",
            "N people",
            "turns",
            "turns/s",
            "p50 ms",
            "p99 ms",
            "CPU µs/turn",
            "turns/commit",
            "vs core",
        ],
    )
    targets: list[Target] = []
    reference: Summary | str | None = None
    for people in scale.core_people:
        if people == scale.core_people[0]:
            ours, theirs = compare_with_reference(people, scale.core_concurrency, scale.core_reference_reps)
            core = summarise(ours)
            reference = theirs if isinstance(theirs, str) else summarise(theirs)
        else:
            with gctune.settled():
                core = summarise(
                    [
                        asyncio.run(core_run(people, workdir, scale.core_concurrency))
                        for _ in range(scale.core_reps)
                    ]
                )
        cold_cache = scale.core_concurrency // 10
        with gctune.settled():
            cold = summarise(
                [
                    asyncio.run(core_run(people, workdir, scale.core_concurrency, cold_cache))
                    for _ in range(scale.core_reps)
                ]
            )
        per_turn = summarise(
            [floor_run(people, workdir, None, scale.floor_per_turn_max) for _ in range(scale.core_reps)]
        )
        batched = summarise(
            [floor_run(people, workdir, scale.core_concurrency) for _ in range(scale.core_reps)]
        )
        expected = people * turns_per_person(the_dialog())
        stored = f"{core.extra['stored_answers']:.0f} answers stored"
        section.add(
            "core (Conversations.handle)",
            people,
            core.turns,
            core.turns_per_s,
            core.p50_ms,
            core.p99_ms,
            core.cpu_us_per_turn,
            core.turns / max(core.extra["batches"], 1),
            "1x",
        )
        if people == scale.core_people[0]:
            _add_reference(section, people, reference, core)
        section.add(
            f"core, cold: session cache of {cold_cache} for {scale.core_concurrency} in flight",
            people,
            cold.turns,
            cold.turns_per_s,
            cold.p50_ms,
            cold.p99_ms,
            cold.cpu_us_per_turn,
            cold.turns / max(cold.extra["batches"], 1),
            f"{cold.turns_per_s / core.turns_per_s:.2f}x",
        )
        section.add(
            "floor: sqlite3, 1 transaction per turn",
            people,
            per_turn.turns,
            per_turn.turns_per_s,
            "-",
            "-",
            per_turn.cpu_us_per_turn,
            1,
            f"{per_turn.turns_per_s / core.turns_per_s:.2f}x",
        )
        section.add(
            f"floor: sqlite3, {scale.core_concurrency} turns per transaction",
            people,
            batched.turns,
            batched.turns_per_s,
            "-",
            "-",
            batched.cpu_us_per_turn,
            min(scale.core_concurrency, people),
            f"{batched.turns_per_s / core.turns_per_s:.2f}x",
        )
        engine = summarise([engine_run(people) for _ in range(scale.core_reps)])
        section.add(
            "engine alone (dialogs.engine.step, no I/O)",
            people,
            engine.turns,
            engine.turns_per_s,
            "-",
            "-",
            engine.cpu_us_per_turn,
            "-",
            f"{engine.turns_per_s / core.turns_per_s:.2f}x",
        )
        if core.turns != expected:
            section.notes.append(f"N={people}: {core.turns} turns ran, expected {expected}")
        section.notes.append(f"N={people}: {stored} (expected {people * the_dialog().total}).")
        if people == scale.core_people[0]:
            ratio = batched.turns_per_s / core.turns_per_s
            floor_plus_engine = batched.cpu_us_per_turn + engine.cpu_us_per_turn
            section.notes.append(
                f"N={people}: the batched floor's {batched.cpu_us_per_turn:.1f} µs plus the engine's "
                f"{engine.cpu_us_per_turn:.1f} µs is {floor_plus_engine:.1f} µs per turn before any "
                "asyncio, lock or thread hop; 2x the floor's rate would leave "
                f"{2 * batched.cpu_us_per_turn:.1f} µs for all of it."
            )
            targets += [_reference_target(people, reference, core)]
            targets += [
                Target(
                    f"core CPU per turn, N={people}",
                    "≤ 60 µs",
                    f"{core.cpu_us_per_turn:.0f} µs",
                    core.cpu_us_per_turn <= 60,
                ),
                Target(
                    f"core durable turns/s, N={people}",
                    "≥ 15,000",
                    f"{core.turns_per_s:,.0f}",
                    core.turns_per_s >= 15_000,
                ),
                Target(
                    f"core vs batched sqlite3 floor, N={people}",
                    "within 2x",
                    f"floor is {ratio:.1f}x faster",
                    ratio <= 2,
                    f"the pure engine alone takes {engine.cpu_us_per_turn:.1f} µs/turn, "
                    f"{engine.cpu_us_per_turn / batched.cpu_us_per_turn:.1f}x the floor's "
                    f"{batched.cpu_us_per_turn:.1f} µs: 2x the floor is out of reach for any turn that "
                    "runs the engine; the core is "
                    f"{core.turns_per_s / per_turn.turns_per_s:.1f}x the one-transaction-per-turn floor",
                ),
            ]
    section.notes += [
        f"Medians of {scale.core_reps} repetitions. A turn is one event handled (/start, then one answer per "
        f"question: {turns_per_person(the_dialog())} turns per person); at most {scale.core_concurrency} "
        "people in flight at once; latency is per `Conversations.handle` call.",
        "CPU is `time.process_time()` of the whole process (the aiosqlite thread included).",
        f"The per-turn floor runs the first {scale.floor_per_turn_max:,} turns only (one fsync each); "
        "its rate is what counts. Floors make the same INSERT/UPDATE/answer writes with the same "
        "SQL, schema and pragmas, but no reads.",
        "'vs core' is the case's turns/s divided by the core's, same run.",
        f"N={scale.core_people[0]}: the core and the reference each ran {scale.core_reference_reps} times "
        "in a process of their own (median), alternating; the other sizes run in this process. Both run as "
        "their bot does: ours with the garbage collector tuned after start-up (`bot.gctune`), the "
        "reference with Python's defaults (it had no tuning).",
    ]
    return section, targets


def _add_reference(section: Section, people: int, reference: Summary | str | None, core: Summary) -> None:
    title = f"core at {REFERENCE} (the issue's reference)"
    if not isinstance(reference, Summary):
        section.add(title, people, "-", "-", "-", "-", f"not run: {reference}", "-", "-")
        return
    section.add(
        title,
        people,
        reference.turns,
        reference.turns_per_s,
        reference.p50_ms,
        reference.p99_ms,
        reference.cpu_us_per_turn,
        reference.turns / max(reference.extra.get("batches", 0), 1),
        f"{reference.turns_per_s / core.turns_per_s:.2f}x",
    )


def _reference_target(people: int, reference: Summary | str | None, core: Summary) -> Target:
    name = f"core CPU per turn vs {REFERENCE}, same run, N={people}"
    if not isinstance(reference, Summary):
        return Target(name, "≤ 0.67x", f"not run: {reference}", None)
    ratio = core.cpu_us_per_turn / reference.cpu_us_per_turn
    return Target(
        name,
        "≤ 0.67x",
        f"{ratio:.2f}x ({core.cpu_us_per_turn:.0f} vs {reference.cpu_us_per_turn:.0f} µs)",
        ratio <= 0.67,
    )
