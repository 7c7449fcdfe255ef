"""casepay.weights_model: trimming, relative weights and the base rate, by hand and by property.

Worked example (min_cases 5, k 1.5), computed by hand:

* DRG GB15 (5 cases) 1000, 1100, 1200, 1300, 5000: Q1 at position 4 × 0.25 = 1 → 1100,
  Q3 at position 3 → 1300, IQR 200, fences [1100 − 300, 1300 + 300] = [800, 1600]: 5000 is
  trimmed; 4 kept, mean 4600 / 4 = 1150.
* DRG FR23 (2 cases, below min_cases: all kept) 3000, 5000: mean 4000.
* Overall mean of the 6 kept cases = (4600 + 8000) / 6 = 2100.
* RW GB15 = 1150 / 2100 = 0.547619… → 0.5476; RW FR23 = 4000 / 2100 = 1.904761… → 1.9048.
* Kept-weighted RW: (4 × 0.5476 + 2 × 1.9048) / 6 = 6.0000 / 6 = 1.
* Σ cases × RW = 5 × 0.5476 + 2 × 1.9048 = 6.5476; base rate for 100 000.00 =
  100000 / 6.5476 = 15272.7717… → 15272.77.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.casepay.weights_model import (
    CaseCost,
    TrimParams,
    compute_weights,
    quartiles,
    trim,
)
from yibao.kernel.errors import InvalidValue

D = Decimal
HALF_FEN = D("0.005")


def _cases(drg: str, *costs: str) -> list[CaseCost]:
    return [CaseCost(drg, D(c)) for c in costs]


def test_the_worked_example_gives_the_weights_and_base_rate_computed_by_hand() -> None:
    cases = _cases("GB15", "1000", "1100", "1200", "1300", "5000") + _cases("FR23", "3000", "5000")
    result = compute_weights(cases, budget=D("100000.00"))
    got = {g.drg: (g.cases, g.kept, g.mean_cost, g.rw) for g in result.groups}
    assert got == {
        "GB15": (5, 4, D("1150.00"), D("0.5476")),
        "FR23": (2, 2, D("4000.00"), D("1.9048")),
    }
    gb15 = result.by_drg()["GB15"]
    assert (gb15.low_fence, gb15.high_fence) == (D("800"), D("1600"))
    assert result.by_drg()["FR23"].low_fence is None
    assert (result.cases, result.kept, result.overall_mean) == (7, 6, D("2100.00"))
    assert result.base_rate == D("15272.77")


def test_quartiles_interpolate_between_sorted_costs() -> None:
    # n = 4: Q1 at 0.75 → 10 + 0.75 × 10 = 17.5; Q3 at 2.25 → 30 + 0.25 × 10 = 32.5
    assert quartiles([D(40), D(10), D(30), D(20)]) == (D("17.50"), D("32.50"))
    assert quartiles([D(7)]) == (D(7), D(7))


def test_a_low_outlier_is_trimmed_too_and_the_fence_ends_are_kept() -> None:
    kept, low, high = trim([D(c) for c in (10, 400, 500, 600, 700, 1000)], TrimParams())
    # Q1 at 1.25 → 400 + 25 = 425, Q3 at 3.75 → 600 + 75 = 675, IQR 250, fences [50, 1050]
    assert (low, high) == (D("50.00"), D("1050.00"))
    assert kept == (D(400), D(500), D(600), D(700), D(1000))
    ends, _, _ = trim([D(c) for c in (50, 425, 500, 675, 1050)], TrimParams())
    assert len(ends) == 5  # Q1 425, Q3 675 again: 50 and 1050 sit on the fences, kept


@pytest.mark.parametrize(
    ("cases", "budget", "field"),
    [
        ([], D("1.00"), "years"),
        (_cases("GB15", "10"), D("0.00"), "budget"),
        (_cases("GB15", "10"), D("-5.00"), "budget"),
        (_cases("GB15", "0", "0"), D("1.00"), "years"),
        (_cases("GB15", "-1"), D("1.00"), "cost"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    cases: list[CaseCost], budget: Decimal, field: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        compute_weights(cases, budget=budget)
    assert caught.value.field == field


def test_trim_parameters_are_checked() -> None:
    with pytest.raises(InvalidValue, match=r"params\.min_cases"):
        TrimParams(min_cases=2)
    with pytest.raises(InvalidValue, match=r"params\.iqr_factor"):
        TrimParams(iqr_factor=D(-1))


_costs = st.integers(min_value=0, max_value=50_000_000).map(lambda n: D(n).scaleb(-2))
_history = st.lists(
    st.tuples(st.sampled_from(["AA19", "GB15", "FR23", "ES31", "IU13"]), _costs),
    min_size=1,
    max_size=60,
).filter(lambda xs: any(c > 0 for _, c in xs))
_budgets = st.integers(min_value=1, max_value=10**12).map(lambda n: D(n).scaleb(-2))


@settings(max_examples=150, deadline=None)
@given(_history, _budgets)
def test_weights_average_to_one_and_the_base_rate_spends_the_budget(
    history: list[tuple[str, Decimal]], budget: Decimal
) -> None:
    """Proved bounds: the kept-case-weighted RW is 1 within the RW rounding (0.00005), and
    Σ cases × RW × base rate is the budget within ½ fen per unit of case mix (Σ cases × RW)."""
    result = compute_weights([CaseCost(d, c) for d, c in history], budget=budget)
    weighted = sum(g.kept * g.rw for g in result.groups) / result.kept
    assert abs(weighted - 1) <= D("0.00005")
    mix = sum(g.cases * g.rw for g in result.groups)
    assert abs(mix * result.base_rate - budget) <= HALF_FEN * mix
    assert result.cases == len(history) and sum(g.cases for g in result.groups) == len(history)
    for g in result.groups:
        assert 1 <= g.kept <= g.cases
        assert g.cases >= 5 or g.kept == g.cases
        assert g.rw.as_tuple().exponent == -4 and g.mean_cost.as_tuple().exponent == -2
