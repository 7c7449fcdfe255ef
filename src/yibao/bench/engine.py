"""``yibao bench engine``: how many generated 100-line inpatient visits the pure engine settles per second.

Visits are generated first (not timed); then every visit is settled with fresh year counters,
several rounds, one process, one core. The figure is the median round; the spread is min–max.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from yibao.catalog.model import Institution, RegionCatalog
from yibao.demo.generate import generate_visits
from yibao.policy.model import PolicyBook
from yibao.settlement.engine import settle
from yibao.settlement.model import Accumulators, YearState

__all__ = ["EngineBench", "bench_engine"]


@dataclass(frozen=True, slots=True)
class EngineBench:
    """The figures of one run."""

    visits: int
    lines: int
    rounds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)

    def summary(self) -> str:
        low, high = min(self.rounds), max(self.rounds)
        return (
            f"engine: {self.visits} visits × {self.lines} lines, {len(self.rounds)} rounds, "
            f"spread {low:,.0f}–{high:,.0f}; median {self.median:,.0f} visits/s"
        )


def bench_engine(
    *,
    policies: PolicyBook,
    catalog: RegionCatalog,
    institutions: list[Institution],
    visits: int,
    lines: int,
    rounds: int,
    day: date = date(2026, 6, 1),
) -> EngineBench:
    """Settle ``visits`` generated visits ``rounds`` times; visits per second of each round."""
    view = catalog.at(day)
    batch = generate_visits(
        catalog=view, institutions=institutions, count=visits, lines=lines, day=day
    )
    policy = policies.in_force(batch[0].person.insuplc_admdvs, day)
    state = YearState(Accumulators(), Decimal("2000.00"))
    when = datetime(day.year, day.month, day.day)
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        for visit in batch:
            settle(
                visit,
                policy=policy,
                catalog=view,
                state=state,
                setl_id=visit.mdtrt_id,
                setl_time=when,
            )
        rates.append(visits / (time.perf_counter() - started))
    return EngineBench(visits, lines, tuple(rates))
