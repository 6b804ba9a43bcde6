"""How big each part runs: the full benchmark, or the smoke run inside the test suite."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scale:
    core_people: tuple[int, ...] = (1_000, 10_000)
    core_reps: int = 1  # a second repetition moved no figure the README quotes by more than the load does
    core_concurrency: int = 1_000
    core_reference_reps: int = 3  # core vs the reference commit, each in its own process, alternating
    floor_per_turn_max: int = 9_000  # one fsync per turn: a sample is enough for a rate
    ptb_people: tuple[int, ...] = (200,)
    ptb_reps: int = 2
    memory_sessions: int = 100_000
    startup_reps: int = 7
    crash_kills: int = 2
    crash_people: int = 200
    workshop_voters: int = 500
    workshop_reps: int = 1
    workshop_interval: float | None = None  # None: Telegram's group interval
    chart_renders: int = 50
    chart_cold_reps: int = 5
    flush_cases: tuple[tuple[int, int], ...] = ((1_000, 50), (10_000, 50))
    flush_reps: int = 1
    wire_people: tuple[int, ...] = (200, 1_000)
    wire_delays_ms: tuple[float, ...] = (0.0, 50.0)
    wire_reps: int = 2
    wire_warm_s: float = 1.0
    wire_window_s: float = 3.0
    wire_limited_warm_s: float = 12.0  # as deployed: N greetings at 30 messages/s come first
    wire_steady_max_s: float = 15.0  # at most this much more warm-up, waiting for the steady state
    outbox_people: int = 1_000
    outbox_outage_s: float = 10.0
    # Answered per person in the outage run: enough for every person to have replies owed
    # when the Bot API goes down a fifth of the way in; whole conversations (a profile
    # chart each) took it from ~15 s to ~50 s and held no more people waiting through it.
    outbox_outage_questions: int = 2
    outbox_questions: int = 1  # answered per person under the 30 messages/s limit


FULL = Scale()
SMOKE = Scale(
    core_people=(10,),
    core_reps=1,
    core_concurrency=10,
    core_reference_reps=1,
    floor_per_turn_max=90,
    ptb_people=(10,),
    ptb_reps=1,
    memory_sessions=1_000,
    startup_reps=1,
    crash_kills=1,
    crash_people=10,
    workshop_voters=10,
    workshop_reps=1,
    workshop_interval=0.01,
    chart_renders=3,
    chart_cold_reps=1,
    flush_cases=((20, 5),),
    flush_reps=1,
    wire_people=(5,),
    wire_delays_ms=(0.0,),
    wire_reps=1,
    wire_warm_s=0.5,
    wire_window_s=1.0,
    wire_limited_warm_s=0.5,
    wire_steady_max_s=2.0,
    outbox_people=10,
    outbox_outage_s=0.5,
)
