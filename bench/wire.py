"""Part w: the Telegram comparison over real HTTP, each side in its own process.

Rules:
- One run = a fake Bot API process (``bench.wireapi``, which also plays the people) and
  one bot process (``bench.wirebot``) polling it on 127.0.0.1. The figures are the
  fake's: turns and latencies inside its window, and the bot process's CPU over it.
- Runs alternate sides (baseline, ours, baseline, ours, ...) so drift in the machine's
  load falls on both; each row reports the median and the range of its runs, and the
  ratio of medians.
- With the rate limiter on (each side as deployed), both bots sit at Telegram's cap, so
  the figures that matter are press -> acknowledgement latency and messages per answer.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.ptb import ROOT
from bench.report import Section, Target
from bench.scale import Scale
from bench.stats import median, percentile

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
MESSAGES = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto")


@dataclass(frozen=True, slots=True)
class WireRun:
    """One run of one side: what the fake saw in its window, and the bot's CPU."""

    turns: int
    answers: int
    answer_messages: int  # messages that arrived for answers (not for /start) in the window
    steady: bool  # the window opened once the turns it waited for had ended (see wire_run)
    warm_s: float  # how long the warm-up took
    wall_s: float
    cpu_s: float
    latencies_s: tuple[float, ...]
    acks_s: tuple[float, ...]
    calls: dict[str, int]

    @property
    def turns_per_s(self) -> float:
        return self.turns / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_us_per_turn(self) -> float:
        return self.cpu_s * 1e6 / self.turns if self.turns else 0.0

    @property
    def messages_per_answer(self) -> float:
        return self.answer_messages / self.answers if self.answers else 0.0


def _stop(proc: subprocess.Popen[str], how: int) -> None:
    if proc.poll() is None:
        proc.send_signal(how)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wire_run(
    side: str,
    people: int,
    delay_ms: float,
    warm_s: float,
    window_s: float,
    workdir: Path,
    steady_max_s: float = 0.0,
    ready_turns: int | None = None,
) -> WireRun:
    """One side against a fresh fake, ``people`` in a closed loop; with ``steady_max_s``,
    the window waits up to that long more for ``ready_turns`` turns to have ended (by
    default the steady state, see ``bench.wireapi``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # The bot starts first and imports what it needs while the fake starts; it reads the
    # fake's address from stdin (about a second saved per run).
    bot = subprocess.Popen(
        [sys.executable, "-m", "bench.wirebot", side, "-", str(workdir)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "bot.err").open("w"),
        text=True,
    )
    fake = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.wireapi",
            *(str(arg) for arg in (people, delay_ms, warm_s, window_s, steady_max_s)),
            *(() if ready_turns is None else (str(ready_turns),)),
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(workdir / "fake.err").open("w"),
        text=True,
    )
    try:
        assert fake.stdin is not None and fake.stdout is not None and bot.stdin is not None
        # A bot that dies early ends the fake too, so the waits below end with its error.
        threading.Thread(target=_kill_when_done, args=(bot, fake), daemon=True).start()
        fake.stdin.write(f"{bot.pid}\n")
        fake.stdin.flush()
        first = fake.stdout.readline()
        if not first.startswith("PORT "):
            raise RuntimeError(
                f"{side}: the fake Bot API did not start; bot: {_tail(workdir / 'bot.err')}; "
                f"fake: {_tail(workdir / 'fake.err')}"
            )
        try:
            bot.stdin.write(f"http://127.0.0.1:{first.split()[1]}/bot\n")
            bot.stdin.close()
        except BrokenPipeError:
            pass  # the bot has ended: the fake is ended with it, and the read below says why
        line = fake.stdout.readline()
        if not line.startswith("{"):
            raise RuntimeError(
                f"{side}: no figures; bot: {_tail(workdir / 'bot.err')}; fake: {_tail(workdir / 'fake.err')}"
            )
        data = json.loads(line)
    finally:
        # Killed, not stopped: how each side shuts down is not measured here, and the
        # baseline's final pickle write alone can take seconds.
        _stop(bot, signal.SIGKILL)
        _stop(fake, signal.SIGKILL)
    return WireRun(
        turns=data["turns"],
        answers=data["answers"],
        answer_messages=data["answer_messages"],
        steady=data["steady"],
        warm_s=data["warm_s"],
        wall_s=data["wall_s"],
        cpu_s=data["cpu_s"],
        latencies_s=tuple(data["latencies_s"]),
        acks_s=tuple(data["acks_s"]),
        calls=data["calls"],
    )


def _kill_when_done(bot: subprocess.Popen[str], fake: subprocess.Popen[str]) -> None:
    bot.wait()
    fake.kill()


def _tail(path: Path) -> str:
    lines = path.read_text(errors="replace").strip().splitlines() if path.exists() else []
    return lines[-1] if lines else "(nothing on stderr)"


def _spread(values: Sequence[float], digits: str = ",.0f") -> str:
    """The median, and the range when there is more than one value: ``12 (10-14)``; ``-``
    for none."""
    if not values:
        return "-"
    mid = format(median(values), digits)
    if len(values) < 2:
        return mid
    return f"{mid} ({format(min(values), digits)}-{format(max(values), digits)})"


def interleaved(
    sides: Sequence[str],
    people: int,
    delay_ms: float,
    scale: Scale,
    workdir: Path,
    reps: int,
    warm_s: float | None = None,
    steady_max_s: float = 0.0,
    ready_turns: int | None = None,
    together: bool = False,
) -> dict[str, list[WireRun]]:
    """``reps`` runs of each side, alternating: A B A B, or with ``together`` each
    repetition's sides at the same moment, each with a fake of its own (for runs that use
    a fraction of a core: see ``measure``); ``warm_s`` instead of the scale's warm-up when
    given; ``steady_max_s`` and ``ready_turns``: see ``wire_run``."""
    warm = scale.wire_warm_s if warm_s is None else warm_s
    runs: dict[str, list[WireRun]] = {side: [] for side in sides}

    def one(side: str, rep: int) -> WireRun:
        where = workdir / f"{side}-{people}-{delay_ms:g}-{rep}"
        return wire_run(side, people, delay_ms, warm, scale.wire_window_s, where, steady_max_s, ready_turns)

    for rep in range(reps):
        if together:
            with ThreadPoolExecutor(len(sides)) as pool:
                done = list(pool.map(one, sides, [rep] * len(sides)))
        else:
            done = [one(side, rep) for side in sides]
        for side, run in zip(sides, done, strict=True):
            runs[side].append(run)
    return runs


def _ms(values: Sequence[float], q: float) -> float:
    return percentile(values, q) * 1e3


def measure(scale: Scale, workdir: Path) -> tuple[Section, list[Target]]:
    section = Section(
        "w. Over the wire: each bot in its own process, polling a fake Bot API over HTTP",
        [
            "Side",
            "N people",
            "round trip ms",
            "turns/s",
            "p50 ms",
            "p99 ms",
            "bot CPU µs/turn",
            "press→ack p99 ms",
            "messages/answer",
        ],
    )
    targets: list[Target] = []
    from bench.core import the_dialog

    turns_of_conversation = the_dialog().total + 1
    for people in scale.wire_people:
        steady = people in scale.wire_steady_people
        for delay in scale.wire_delays_ms:
            # The rows the targets read wait for the steady state (or, at an N where that
            # takes minutes, for every person to be greeted); the others are about what a
            # round trip does to throughput, and waiting would cost minutes.
            steady_max = scale.wire_steady_max_s if delay == 0 else 0.0
            ready = people * turns_of_conversation if steady else people
            reps = scale.wire_reps if delay == 0 else scale.wire_round_trip_reps
            # With a round trip both bots mostly wait on it; where that leaves each well
            # under a core (fake included), their runs go at the same moment.
            together = delay > 0 and people <= scale.wire_together_max_people
            runs = interleaved(
                ("baseline", "ours"), people, delay, scale, workdir, reps, None, steady_max, ready, together
            )
            unsteady = [
                side for side in ("baseline", "ours") for r in runs[side] if steady_max and not r.steady
            ]
            if unsteady:
                waited_for = "the steady state" if steady else "every person's greeting"
                section.notes.append(
                    f"N={people}, no round trip: {len(unsteady)} run(s) ({', '.join(sorted(set(unsteady)))}) "
                    f"reached the {scale.wire_steady_max_s:g} s cap before {waited_for}."
                )
            for side in ("baseline", "ours"):
                _row(section, side, people, delay, runs[side])
            base, ours = runs["baseline"], runs["ours"]
            speed = median([r.turns_per_s for r in ours]) / median([r.turns_per_s for r in base])
            cpu = median([r.cpu_us_per_turn for r in ours]) / median([r.cpu_us_per_turn for r in base])
            section.add("ours / baseline", people, delay, f"{speed:.2f}x", "", "", f"{cpu:.2f}x", "", "")
            if delay == 0:
                targets += [
                    Target(
                        f"over HTTP, no limiter, N={people}: turns/s",
                        "ours ≥ 1.5x baseline",
                        f"{speed:.2f}x",
                        speed >= 1.5,
                    ),
                    Target(
                        f"over HTTP, no limiter, N={people}: bot CPU per turn",
                        "ours ≤ 0.7x baseline",
                        f"{cpu:.2f}x",
                        cpu <= 0.7,
                    ),
                ]
    people = min(scale.wire_people)
    # Under the limiter every person's greeting comes first (N /starts at ~30 messages/s):
    # a longer warm-up lets answers flow before the window opens.
    limited = interleaved(
        ("baseline-limited", "ours-limited"),
        people,
        0,
        scale,
        workdir,
        scale.wire_limited_reps,
        scale.wire_limited_warm_s,
        together=True,  # both at Telegram's cap: a fraction of a core each
    )
    for side in ("baseline-limited", "ours-limited"):
        _row(section, f"{side.removesuffix('-limited')} as deployed (rate limiter)", people, 0, limited[side])
    acked = [r for r in limited["ours-limited"] if r.acks_s]
    answered = [r for r in limited["ours-limited"] if r.answers]
    none_yet = "no press reached inside the window: every person's /start came first"
    if acked:
        ack_p99 = median([_ms(r.acks_s, 99) for r in acked])
        targets.append(
            Target(
                f"as deployed, N={people}: press → acknowledgement p99",
                "< 200 ms",
                f"{ack_p99:,.0f} ms",
                ack_p99 < 200,
            )
        )
    else:
        what = f"as deployed, N={people}: press → acknowledgement p99"
        targets.append(Target(what, "< 200 ms", none_yet, None))
    if answered:
        per_answer = median([r.messages_per_answer for r in answered])
        targets.append(
            Target(
                f"as deployed, N={people}: messages per answered question",
                "≤ 1.5",
                f"{per_answer:.2f}",
                per_answer <= 1.5,
            )
        )
    else:
        targets.append(
            Target(
                f"as deployed, N={people}: messages per answered question",
                "≤ 1.5",
                "no answer's messages all arrived inside the window (the rate limiter holds them); "
                "see part w's rows without the limiter",
                None,
            )
        )
    section.notes += [
        f"Each cell: the median of {scale.wire_reps} runs and, in brackets, their range, for the "
        f"rows without a round trip; {scale.wire_round_trip_reps} run(s) of each side with a round "
        f"trip and {scale.wire_limited_reps} as deployed, whose ratios are far from any threshold. "
        "Runs alternate sides (A B A B), except where each bot waits on the round trip or the "
        f"rate limit and uses a fraction of a core (N = {scale.wire_together_max_people:,} with a "
        "round trip, and as deployed): there both sides run at the same moment, each with a "
        "fake of its own. A run: a fresh fake Bot API process and a fresh bot "
        f"process, {scale.wire_warm_s:g} s of warm-up, then a {scale.wire_window_s:g} s window. "
        "Ratios are of medians.",
        "Steady state (the rows without a round trip at N = "
        f"{', '.join(f'{n:,}' for n in scale.wire_steady_people)}): the window opens only once N x "
        f"{turns_of_conversation} turns have ended (at most {scale.wire_steady_max_s:g} s more): "
        f"each slot's first person leaves part-way (after 1 to {turns_of_conversation} turns) so "
        "that slots are out of step, and by then conversations finish at their steady rate, one "
        f"turn in {turns_of_conversation}; each finish costs ours a profile chart (part g), which "
        "the baseline does not draw. At the other N the steady state would take minutes a run: "
        "the window opens once N turns have ended (every person greeted, same cap), so it holds "
        "answers on both sides but few finished conversations. The rows with a round trip do "
        "not wait (their window may hold no finished conversation, and the baseline's mostly "
        "greetings).",
        "The fake plays N people in a closed loop (press, wait for the next question, press); "
        "a person who has answered everything is replaced by a new one. A turn: from the "
        "update being queued to the next question's keyboard arriving (the last answer: two "
        "messages). Bot CPU: the bot process's user + system time over the window, from /proc.",
        "'round trip ms' is added by the fake before every answer (getUpdates included), as a "
        "Telegram data centre's distance would.",
        "Ours runs `careerbot telegram`'s own code path (its command line, settings from the "
        "environment); without the limiter its rate limiter is swapped for one that sends at "
        "once. The baseline runs `Application.run_polling()` as the docs do, on PTB's default "
        "HTTP layer, with PicklePersistence.",
        "As deployed, the baseline sends through PTB's AIORateLimiter (30 requests/s overall) "
        "and ours through its own (30 messages/s evenly spaced, callback answers outside it), which "
        "caps either bot far below what it could do; press→ack is from the press being "
        "queued to its answerCallbackQuery reaching the fake. These runs warm up for "
        f"{scale.wire_limited_warm_s:g} s, since every person's /start is served first.",
        "messages/answer: messages sent or edited in a person's chat while an answer (not "
        "/start) was in flight there, per answer completed in the window.",
    ]
    return section, targets


def _row(section: Section, label: str, people: int, delay: float, runs: Sequence[WireRun]) -> None:
    section.add(
        label,
        people,
        delay,
        _spread([r.turns_per_s for r in runs]),
        _spread([_ms(r.latencies_s, 50) for r in runs]),
        _spread([_ms(r.latencies_s, 99) for r in runs]),
        _spread([r.cpu_us_per_turn for r in runs]),
        _spread([_ms(r.acks_s, 99) for r in runs if r.acks_s]),
        _spread([r.messages_per_answer for r in runs if r.answers], ".2f"),
    )


if __name__ == "__main__":  # one run by hand: python -m bench.wire SIDE PEOPLE DELAY_MS
    with tempfile.TemporaryDirectory() as tmp:
        one = wire_run(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), 2.0, 5.0, Path(tmp))
    print(
        f"{one.turns_per_s:.1f} turns/s, {one.cpu_us_per_turn:,.0f} µs CPU/turn, "
        f"p50 {_ms(one.latencies_s, 50):.0f} ms, ack p99 {_ms(one.acks_s, 99):.0f} ms, "
        f"{one.messages_per_answer:.2f} messages/answer; {one.turns} turns, {one.answers} answers"
    )
