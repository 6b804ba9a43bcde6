"""How big each part runs: the full benchmark, or the smoke run inside the test suite."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scale:
    core_people: tuple[int, ...] = (1_000, 10_000)
    core_reps: int = 1  # a second repetition moved no figure the README quotes by more than the load does
    core_concurrency: int = 1_000
    core_reference_reps: int = 3  # core vs the reference commit, each in its own process, alternating
    floor_per_turn_max: int = 3_000  # one fsync per turn: a sample is enough for a rate
    ptb_people: tuple[int, ...] = (200,)
    ptb_reps: int = 1  # the CPU-only view; part w compares over the wire with ranges
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
    wire_reps: int = 2  # the rows without a round trip, which the targets read
    # With a 50 ms round trip the baseline answers 9 turns/s and ours 7-18x that; in the
    # last full runs each pair of runs agreed within 0-2% (baseline) and 1-46% (ours):
    # one run of each side, A B, tells the same.
    wire_round_trip_reps: int = 1
    # As deployed: press → ack 8-9 ms vs 14 s, 1.00 vs 3.00 messages per answer, the same
    # in every run so far: one run of each side.
    wire_limited_reps: int = 1
    # Up to this N, the runs with a round trip run both sides at the same moment (as the
    # as-deployed ones do): each bot then waits on the round trip, 0.1-0.4 of a core. At
    # N = 1,000 ours took 45 turns/s beside the baseline and 59 alone in one comparison,
    # so those run alone.
    wire_together_max_people: int = 200
    wire_warm_s: float = 1.0
    wire_window_s: float = 3.0
    wire_limited_warm_s: float = 12.0  # as deployed: N greetings at 30 messages/s come first
    wire_steady_max_s: float = 15.0  # at most this much more warm-up, waiting for the steady state
    # The no-round-trip rows wait for the steady state (N x 9 turns ended) at these N; at
    # N = 1,000 it takes 30-90 s a run, so those open their window once every person has
    # been greeted (N turns ended), with the same cap.
    wire_steady_people: tuple[int, ...] = (200,)
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
    wire_round_trip_reps=1,
    wire_limited_reps=1,
    wire_warm_s=0.5,
    wire_window_s=1.0,
    wire_limited_warm_s=0.5,
    wire_steady_max_s=2.0,
    wire_steady_people=(5,),
    outbox_people=10,
    outbox_outage_s=0.5,
)
