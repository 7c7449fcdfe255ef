"""Relative weights (相对权重 RW) and the base rate (基础费率) of CHS-DRG groups, from history.

Pure: standard library and the kernel only. The service (:mod:`yibao.casepay.weights`) reads the
cases from the store; the arithmetic is here so that it can be checked by hand and by properties.

The method (docs/adr/0023-drg-weights-and-payment.md):

1. **Trimming per group** (中段区间法, the interquartile fence): a group with at least
   ``min_cases`` cases keeps the cases whose cost lies in ``[Q1 − k·IQR, Q3 + k·IQR]`` (ends
   included), ``k`` = ``iqr_factor`` (1.5). Quartiles interpolate linearly between the sorted costs
   at position ``(n − 1)·p`` (the "inclusive" method of spreadsheets and numpy's default). A smaller
   group keeps every case: too few cases to tell an outlier from the group.
2. **Means**: a group's mean cost is over its kept cases; the overall mean is over every kept case
   of every group (so it is the kept-case-weighted mean of the group means).
3. **RW** = group mean ÷ overall mean, computed unrounded and then shown with four decimals; the
   mean cost is stored to the fen. Both roundings go through :mod:`yibao.kernel.money`.
4. **Base rate** = budget ÷ Σ (cases × RW), over *all* cases of the history (trimmed ones too: an
   outlier is still a case the budget pays), with the rounded RW, to the fen.

Bounds the tests prove: Σ kept × RW ÷ Σ kept differs from 1 by at most 0.00005 (the RW rounding);
``|Σ cases × RW × base rate − budget| ≤ ½ fen × Σ cases × RW`` (the base-rate rounding).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import ZERO, fen, ratio_places

__all__ = [
    "METHOD",
    "CaseCost",
    "GroupWeight",
    "TrimParams",
    "WeightSet",
    "base_rate",
    "compute_weights",
    "quartiles",
    "trim",
]

#: the name of the method stored with every version
METHOD = "iqr-per-group"


@dataclass(frozen=True, slots=True)
class CaseCost:
    """One historical case: its DRG and its cost (Σ medfee_sumamt of the stay's settlements)."""

    drg: str
    cost: Decimal


@dataclass(frozen=True, slots=True)
class TrimParams:
    """How outliers are trimmed: the fence factor ``k`` and the smallest group that is trimmed."""

    iqr_factor: Decimal = Decimal("1.5")
    min_cases: int = 5

    def __post_init__(self) -> None:
        if self.iqr_factor < 0:
            raise InvalidValue("params.iqr_factor", f"{self.iqr_factor} is negative")
        if self.min_cases < 4:
            raise InvalidValue("params.min_cases", f"{self.min_cases} is below 4 (quartiles)")

    def as_dict(self) -> dict[str, str]:
        """The parameters as text, to store with a version."""
        return {"iqr_factor": str(self.iqr_factor), "min_cases": str(self.min_cases)}


@dataclass(frozen=True, slots=True)
class GroupWeight:
    """A group's weight: its cases, those kept after trimming, their mean cost and the RW."""

    drg: str
    cases: int
    kept: int
    mean_cost: Decimal
    rw: Decimal
    #: the fences used ((None, None) when the group was too small to trim)
    low_fence: Decimal | None = None
    high_fence: Decimal | None = None


@dataclass(frozen=True, slots=True)
class WeightSet:
    """Every group's weight, the overall mean of kept cases, the budget and the base rate."""

    groups: tuple[GroupWeight, ...]
    cases: int
    kept: int
    overall_mean: Decimal
    budget: Decimal
    base_rate: Decimal
    params: TrimParams

    def by_drg(self) -> dict[str, GroupWeight]:
        """The groups by DRG code."""
        return {g.drg: g for g in self.groups}


def quartiles(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """Q1 and Q3 of ``values`` (at least one), interpolated at ``(n − 1)·p``; exact in Decimal."""
    ordered = sorted(values)
    return _at(ordered, Decimal("0.25")), _at(ordered, Decimal("0.75"))


def _at(ordered: Sequence[Decimal], p: Decimal) -> Decimal:
    position = (len(ordered) - 1) * p
    low = int(position)
    if low + 1 >= len(ordered):
        return ordered[low]
    return ordered[low] + (ordered[low + 1] - ordered[low]) * (position - low)


def trim(
    costs: Sequence[Decimal], params: TrimParams
) -> tuple[tuple[Decimal, ...], Decimal | None, Decimal | None]:
    """The costs kept, and the fences (None when the group is below ``min_cases``)."""
    if len(costs) < params.min_cases:
        return tuple(costs), None, None
    q1, q3 = quartiles(costs)
    spread = (q3 - q1) * params.iqr_factor
    low, high = q1 - spread, q3 + spread
    return tuple(c for c in costs if low <= c <= high), low, high


def compute_weights(
    cases: Iterable[CaseCost], *, budget: Decimal, params: TrimParams | None = None
) -> WeightSet:
    """The weights of every DRG in ``cases`` and the base rate that spends ``budget`` on them."""
    params = params or TrimParams()
    if budget <= 0:
        raise InvalidValue("budget", f"{budget} is not positive")
    by_drg: dict[str, list[Decimal]] = {}
    for case in cases:
        if case.cost < 0:
            raise InvalidValue("cost", f"case of {case.drg} has a negative cost {case.cost}")
        by_drg.setdefault(case.drg, []).append(case.cost)
    if not by_drg:
        raise InvalidValue("years", "no case in the history: nothing to weigh")
    trimmed = {drg: trim(costs, params) for drg, costs in sorted(by_drg.items())}
    kept_total = sum(len(kept) for kept, _, _ in trimmed.values())
    overall = sum((sum(kept, ZERO) for kept, _, _ in trimmed.values()), ZERO) / kept_total
    if overall <= 0:
        raise InvalidValue("years", "every case of the history costs 0: no weight can be computed")
    groups = []
    for drg, (kept, low, high) in trimmed.items():
        mean = sum(kept, ZERO) / len(kept)
        groups.append(GroupWeight(drg, len(by_drg[drg]), len(kept), fen(mean),
                                  ratio_places(mean / overall), low, high))  # fmt: skip
    total = sum(len(c) for c in by_drg.values())
    return WeightSet(
        groups=tuple(groups),
        cases=total,
        kept=kept_total,
        overall_mean=fen(overall),
        budget=budget,
        base_rate=base_rate(groups, budget),
        params=params,
    )


def base_rate(groups: Iterable[GroupWeight], budget: Decimal) -> Decimal:
    """Budget ÷ Σ (cases × RW), to the fen."""
    mix = sum((g.cases * g.rw for g in groups), ZERO)
    if mix <= 0:
        raise InvalidValue("budget", "the case mix Σ cases × RW is 0: no base rate")
    return fen(budget / mix)
