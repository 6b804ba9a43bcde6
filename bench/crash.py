"""Part e: acknowledged answers lost when the bot process is killed with SIGKILL.

Rules:
- A child process (``python -m bench.crash child SIDE DIR ROUND PEOPLE``) runs one side's
  real ``Application`` with the in-process Bot API and keeps ``PEOPLE`` people answering
  without pause (a finished person is replaced by a new one). The moment the first
  ``answerCallbackQuery`` for a press goes out, the child prints ``ACK callback uid
  distinction choice`` and flushes; the moment the first message for it goes out (an edit
  of the message pressed, or a new message to that person), ``ACK message ...``. Either
  acknowledges the answer. An edit of an older message (ours marks an answered question
  after the next one is sent, when there is room) is not about this press.
- The parent kills the child with SIGKILL at a random moment, then restarts the side's
  storage as the bot would on start-up (ours: ``SessionStore.open`` on the SQLite file;
  baseline: ``Application.initialize`` loading ``PicklePersistence``) and counts the
  acknowledged answers that are not there. The storage is kept across rounds, as a real
  restart would; each round's people are new.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.core import the_dialog
from bench.fakeapi import Call, FakeBotApi
from bench.ptb import ROOT, SIDES, _baseline, person
from bench.report import Section, Target
from bench.scale import Scale

Answer = tuple[int, str, str]  # uid, distinction, choice
SEED = 6
# The baseline writes its pickle every FLUSH_EVERY_S (PicklePersistence's update_interval,
# 60 s by default, scaled down so a run can span it); the kills fall evenly over a window
# from before its first write to past its second, so what it loses is measured, not set
# by where the window ends.
FLUSH_EVERY_S = 2.0
KILL_WINDOW_S = (1.0, 2.5 * FLUSH_EVERY_S)
READY_TIMEOUT_S = 60.0


# --- the child --------------------------------------------------------------------------


def _choice_of(side: str, data: str) -> str:
    if side == "baseline":
        return data.split(":")[4]
    from bot.buttons import AnswerButton, decode

    button = decode(data)
    assert isinstance(button, AnswerButton)
    return button.choice


async def child(side_name: str, workdir: Path, round_: int, people: int) -> None:
    side = SIDES[side_name]
    open_ = _baseline(True, FLUSH_EVERY_S) if side_name == "baseline" else side.open
    dialog = the_dialog()
    by_callback: dict[str, Answer] = {}  # press id -> answer, until its callback answer goes out
    by_chat: dict[int, Answer] = {}  # chat -> answer, until a message goes to that chat
    pressed: dict[int, str] = {}  # chat -> the id of the message its last press was on

    def ack(kind: str, answer: Answer) -> None:
        sys.stdout.write(f"ACK {kind} {answer[0]} {answer[1]} {answer[2]}\n")
        sys.stdout.flush()

    def on_call(call: Call) -> None:
        if call.method == "answerCallbackQuery":
            answer = by_callback.pop(call.params.get("callback_query_id", ""), None)
            if answer is not None:
                ack("callback", answer)
        elif call.chat_id is not None and call.chat_id in by_chat:
            edited = call.params.get("message_id")
            if edited is None or edited == pressed.get(call.chat_id):
                ack("message", by_chat.pop(call.chat_id))

    def on_press(uid: int, press_id: str, position: int, data: str, message_id: int) -> None:
        answer = (uid, dialog.distinctions[position].id, _choice_of(side_name, data))
        by_callback[press_id] = by_chat[uid] = answer
        pressed[uid] = str(message_id)

    api = FakeBotApi(on_call)
    async with open_(workdir, api) as app:
        await app.initialize()
        await app.start()
        print("READY", flush=True)

        async def worker(w: int) -> None:
            for k in itertools.count():
                p = round_ * 10_000_000 + k * people + w
                await person(app, api, side, p, dialog.total, [], on_press)

        await asyncio.gather(*(worker(w) for w in range(people)))


# --- restart and count --------------------------------------------------------------------


async def _baseline_after_restart(workdir: Path) -> set[Answer]:
    from bench.baseline import build_baseline

    path = workdir / "baseline.pickle"
    app = build_baseline(the_dialog(), path, FakeBotApi(), FakeBotApi())
    try:
        await app.initialize()
    except Exception:  # killed in the middle of writing it: PicklePersistence writes in place
        path.rename(path.with_suffix(".unreadable"))  # as an operator would, to start again
        return set()
    found = {
        (int(uid), distinction, choice)
        for uid, data in app.user_data.items()
        for distinction, choice in dict(data.get("answers", {})).items()
    }
    await app.shutdown()
    return found


async def _ours_after_restart(workdir: Path) -> set[Answer]:
    from storage.sessions import SessionStore

    path = workdir / "ours.db"
    if not path.exists():
        return set()
    store = await SessionStore.open(path)  # what the bot does first on start-up
    await store.close()
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT s.user, a.distinction, a.choice FROM answers AS a JOIN sessions AS s ON s.id = a.session_id"
    ).fetchall()
    conn.close()
    return {(int(user), distinction, choice) for user, distinction, choice in rows if str(user).isdigit()}


AFTER_RESTART: dict[str, Callable[[Path], Coroutine[Any, Any, set[Answer]]]] = {
    "baseline": _baseline_after_restart,
    "ours": _ours_after_restart,
}


def _tail(path: Path) -> str:
    lines = path.read_text(errors="replace").strip().splitlines() if path.exists() else []
    return lines[-1] if lines else "(nothing on stderr)"


@dataclass(frozen=True, slots=True)
class Kill:
    """One killed run: answers acknowledged by a callback answer, by a message, and of
    each how many were missing after the restart."""

    acked_by_callback: int
    lost_by_callback: int
    acked_by_message: int
    lost_by_message: int
    signal: int


def kill_round(side: str, workdir: Path, round_: int, people: int, after_s: float) -> Kill:
    """One run killed with SIGKILL after ``after_s`` seconds of load, then counted."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.crash", "child", side, str(workdir), str(round_), str(people)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=(workdir / f"child-{round_}.err").open("w"),
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("READY"):
                ready.set()
            lines.append(line)
        ready.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    if not ready.wait(READY_TIMEOUT_S) or proc.poll() is not None:
        proc.kill()
        raise RuntimeError(f"the {side} child did not start: {_tail(workdir / f'child-{round_}.err')}")
    time.sleep(after_s)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reader.join()
    acked: dict[str, set[Answer]] = {"callback": set(), "message": set()}
    for line in lines:
        if line.startswith("ACK "):
            _, kind, uid, distinction, choice = line.split()
            acked[kind].add((int(uid), distinction, choice))
    if not acked["callback"] and not acked["message"]:
        raise RuntimeError(f"the {side} bot acknowledged no answer: {_tail(workdir / f'child-{round_}.err')}")
    stored = asyncio.run(AFTER_RESTART[side](workdir))
    return Kill(
        acked_by_callback=len(acked["callback"]),
        lost_by_callback=len(acked["callback"] - stored),
        acked_by_message=len(acked["message"]),
        lost_by_message=len(acked["message"] - stored),
        signal=-(proc.returncode or 0),
    )


def measure(scale: Scale, workdir: Path) -> tuple[Section, list[Target]]:
    section = Section(
        "e. Crash loss: SIGKILL under load, then restart",
        [
            "Side",
            "kill",
            "killed after s",
            "acked by callback answer",
            "of those lost",
            "acked by a message",
            "of those lost",
        ],
    )
    rng = random.Random(SEED)
    sides = ["baseline", "ours"]
    targets: list[Target] = []
    for side in sides:
        where = workdir / side
        where.mkdir(parents=True, exist_ok=True)
        kills = []
        low, high = KILL_WINDOW_S
        for round_ in range(scale.crash_kills):
            # one kill in each equal slice of the window, at a random moment in it
            after = low + (round_ + rng.random()) * (high - low) / scale.crash_kills
            kill = kill_round(side, where, round_, scale.crash_people, after)
            if kill.signal != signal.SIGKILL:
                raise RuntimeError(f"the {side} child ended by signal {kill.signal}, not SIGKILL")
            kills.append(kill)
            unreadable = (where / "baseline.unreadable").exists()
            if unreadable:
                (where / "baseline.unreadable").unlink()
            section.add(
                side,
                round_ + 1,
                f"{after:.2f} (pickle unreadable)" if unreadable else after,
                kill.acked_by_callback,
                kill.lost_by_callback,
                kill.acked_by_message,
                kill.lost_by_message,
            )
        acked_cb = sum(k.acked_by_callback for k in kills)
        lost_cb = sum(k.lost_by_callback for k in kills)
        acked_msg = sum(k.acked_by_message for k in kills)
        lost_msg = sum(k.lost_by_message for k in kills)
        with_loss = sum(1 for k in kills if k.lost_by_callback or k.lost_by_message)
        section.add(
            side,
            f"all ({with_loss} of {len(kills)} kills lost some)",
            "",
            acked_cb,
            lost_cb,
            acked_msg,
            lost_msg,
        )
        if side == "ours":
            targets.append(
                Target(
                    "crash loss (ours), acknowledged by a callback answer or a message",
                    "0 lost, every kill",
                    f"{lost_cb} of {acked_cb} by callback answer, {lost_msg} of {acked_msg} by message",
                    lost_cb == 0 and lost_msg == 0 and acked_cb > 0,
                    "losses only among answers whose press had its (empty) callback answer and no "
                    "message yet: the adapter answers a press before the turn commits "
                    "(bot/telegram/handlers.py on_press); none lost once a message went out"
                    if lost_cb and not lost_msg
                    else "",
                )
            )
    section.notes += [
        f"{scale.crash_people} people answering without pause in the bot process (ours without the "
        "rate limiter, like the baseline, to keep many turns in flight); SIGKILL at a random moment "
        f"{KILL_WINDOW_S[0]:g}-{KILL_WINDOW_S[1]:g} s after it is ready (seeded, {SEED}). Storage is kept "
        "across kills; each run has new people.",
        "An answer is acknowledged by a callback answer when the answerCallbackQuery of its press went "
        "out, and by a message when the first message for the press (an edit of the message pressed, "
        "or a new message to the person) went out; an edit of an older message is not about that press.",
        f"The baseline uses PicklePersistence with update_interval={FLUSH_EVERY_S:g} s instead of its "
        f"default 60 s, so that kills fall before, between and after its writes (one kill in each "
        f"{(KILL_WINDOW_S[1] - KILL_WINDOW_S[0]) / max(scale.crash_kills, 1):.1f} s slice of the window): "
        "what it acknowledged since its last write is lost; with the default, a kill loses up to a minute "
        "of answers. 'pickle unreadable': killed while writing the file, which PicklePersistence "
        "overwrites in place; the bot cannot start until it is removed, and everything in it is lost.",
    ]
    return section, targets


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        side_arg, dir_arg, round_arg, people_arg = sys.argv[2:6]
        asyncio.run(child(side_arg, Path(dir_arg), int(round_arg), int(people_arg)))
