"""Part b: idle RSS of an opened service with many stored sessions, against an empty one.

Rules:
- The database is created by ``SessionStore.open`` (the real schema), then filled fast with
  ``sqlite3.executemany``: every session finished, with one answer per distinction.
- Each measurement is a fresh child process (``python -m bench.memory DB``) that opens the
  service as ``careerbot`` does, handles one turn for a stored person and one for a new
  person, and prints its ``VmRSS`` in KiB.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.core import the_dialog
from bench.procinfo import rss_kb
from bench.report import Section, Target
from bench.scale import Scale
from bench.stats import median

REPS = 3


def fill(path: Path, sessions: int) -> None:
    """A database with the real schema and ``sessions`` finished conversations."""
    from storage.sessions import SessionStore

    async def create() -> None:
        store = await SessionStore.open(path)
        await store.close()

    asyncio.run(create())
    dialog = the_dialog()
    turns = dialog.total + 1
    now = time.time()
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO sessions (id, platform, chat, user, dialog, phase, turn, misses, content_version,"
            " content_hash, version, updated_at) VALUES (?, 'bench', ?, ?, ?, 'done', ?, 0, ?, ?, ?, ?)",
            (
                (n, str(n), str(n), dialog.id, turns, dialog.version, dialog.fingerprint, turns, now)
                for n in range(1, sessions + 1)
            ),
        )
        conn.executemany(
            "INSERT INTO answers (session_id, distinction, choice, turn, answered_at) VALUES (?, ?, ?, ?, ?)",
            (
                (n, d.id, d.choices[n % len(d.choices)].id, i + 1, now)
                for n in range(1, sessions + 1)
                for i, d in enumerate(dialog.distinctions)
            ),
        )
    conn.close()


async def _opened_rss(path: Path) -> int:
    from bot.app import open_service
    from bot.config import CoreSettings
    from dialogs.events import Start
    from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID
    from storage.keys import SessionKey

    settings = CoreSettings(path, BUILTIN_CONTENT, DEFAULT_DIALOG_ID, "WARNING")
    async with open_service(settings) as services:
        conversations = services.conversations
        await conversations.handle(SessionKey("bench", "1", "1"), Start())
        await conversations.handle(SessionKey("bench", "new", "new"), Start())
        return rss_kb()


def child_rss_kb(path: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory", str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return int(done.stdout.split()[-1])


def measure(scale: Scale, workdir: Path) -> tuple[Section, list[Target]]:
    section = Section(
        "b. Idle memory of an opened service",
        ["Case", "stored sessions", "DB file MB", "RSS MB (median)", "vs empty MB"],
    )
    empty, full = workdir / "memory-empty.db", workdir / "memory-full.db"
    fill(empty, 0)
    started = time.perf_counter()
    fill(full, scale.memory_sessions)
    fill_s = time.perf_counter() - started
    empty_kb = median([child_rss_kb(empty) for _ in range(REPS)])
    full_kb = median([child_rss_kb(full) for _ in range(REPS)])
    extra_mb = (full_kb - empty_kb) / 1024
    for name, path, rss, count in (
        ("empty database", empty, empty_kb, 0),
        ("filled", full, full_kb, scale.memory_sessions),
    ):
        size_mb = sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20
        section.add(name, count, size_mb, rss / 1024, (rss - empty_kb) / 1024)
    section.notes.append(
        f"Each figure is the median of {REPS} fresh processes that opened the service and handled one "
        f"turn for a stored and one for a new person. Filling {scale.memory_sessions:,} finished sessions "
        f"({the_dialog().total} answers each) took {fill_s:.1f} s."
    )
    target = Target(
        f"idle RSS, {scale.memory_sessions:,} sessions vs empty",
        "< 10 MB more",
        f"{extra_mb:+.1f} MB",
        extra_mb < 10,
    )
    return section, [target]


if __name__ == "__main__":
    print(asyncio.run(_opened_rss(Path(sys.argv[1]))))
