"""``yibao bench drg``: how many cases per second the pure CHS-DRG 1.1 grouper groups, and the compile time.

Cases are drawn first from the rule files (:mod:`yibao.drg.samples`, not timed); then
``group_case`` runs over all of them for several rounds on one core. The figure is the median
round. The compile time is one uncached read and compile of every rule file and both dictionaries.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import dataclass

from yibao.drg.engine import group_case
from yibao.drg.rules import read_rules
from yibao.drg.samples import draw_cases

__all__ = ["DrgBench", "bench_drg"]


@dataclass(frozen=True, slots=True)
class DrgBench:
    """The figures of one run."""

    cases: int
    compile_seconds: float
    rounds: tuple[float, ...]
    statuses: dict[str, int]

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)

    def summary(self) -> str:
        low, high = min(self.rounds), max(self.rounds)
        mix = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items()))
        return (
            f"drg: compile {self.compile_seconds * 1000:,.0f} ms; {self.cases} cases ({mix}), "
            f"{len(self.rounds)} rounds, spread {low:,.0f}–{high:,.0f}; "
            f"median {self.median:,.0f} cases/s"
        )


def bench_drg(*, cases: int = 50_000, rounds: int = 5, seed: int = 1) -> DrgBench:
    """Compile the rules once (timed), draw ``cases`` cases, group them ``rounds`` times."""
    start = time.perf_counter()
    rules = read_rules()
    compile_seconds = time.perf_counter() - start
    drawn = list(draw_cases(rules, cases, seed=seed))
    speeds: list[float] = []
    statuses: Counter[str] = Counter()
    for _ in range(rounds):
        start = time.perf_counter()
        results = [group_case(case, rules) for case in drawn]
        speeds.append(len(drawn) / (time.perf_counter() - start))
        statuses = Counter(g.status.value for g in results)
    return DrgBench(cases, compile_seconds, tuple(speeds), dict(statuses))
