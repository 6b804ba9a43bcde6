"""Small statistics and the result rows every part reports.

Rules:
- A figure is the median over repetitions; latency percentiles are taken over every
  turn of one repetition, then the median over repetitions is reported.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


@dataclass(frozen=True, slots=True)
class Run:
    """One repetition of a load: how many turns, how long, how much CPU, each latency."""

    turns: int
    wall_s: float
    cpu_s: float
    latencies_s: tuple[float, ...] = ()
    peak_rss_kb: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def turns_per_s(self) -> float:
        return self.turns / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_us_per_turn(self) -> float:
        return self.cpu_s * 1e6 / self.turns if self.turns else 0.0


@dataclass(frozen=True, slots=True)
class Summary:
    """The median of several ``Run``s of one configuration."""

    runs: int
    turns: int
    turns_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_turn: float
    peak_rss_mb: float
    extra: dict[str, float]


def summarise(runs: Sequence[Run]) -> Summary:
    extra_keys = sorted({k for r in runs for k in r.extra})
    return Summary(
        runs=len(runs),
        turns=runs[0].turns if runs else 0,
        turns_per_s=median([r.turns_per_s for r in runs]),
        p50_ms=median([percentile(r.latencies_s, 50) * 1e3 for r in runs]),
        p99_ms=median([percentile(r.latencies_s, 99) * 1e3 for r in runs]),
        cpu_us_per_turn=median([r.cpu_us_per_turn for r in runs]),
        peak_rss_mb=max((r.peak_rss_kb for r in runs), default=0) / 1024,
        extra={k: median([r.extra[k] for r in runs if k in r.extra]) for k in extra_keys},
    )
