"""casepay.payment_model: DRG payment of a case and DIP scores, by hand and by property.

DRG worked examples (RW 1.2000, base rate 10 000.00, group mean 10 000.00; high 3 ×, low 0.4 ×,
share 0.9): standard payment = 1.2 × 10 000 = 12 000.00; the high threshold is 30 000.00, the low
4 000.00.

* cost 11 000.00, patient 2 000.00: standard; fund 10 000.00; surplus 1 000.00.
* cost 40 000.00, patient 6 000.00: high outlier; extra (40 000 − 30 000) × 0.9 = 9 000.00;
  payment 21 000.00; fund 15 000.00; loss 19 000.00.
* cost 3 000.00, patient 900.00: low outlier, by item; payment 3 000.00; fund 2 100.00; surplus 0.

DIP worked example: six cases, overall mean 60 000 / 6 = 10 000 (the reference cost);
(I63.900, 88.4100+99.1000) two cases 20 000 and 13 000 → mean 16 500 → score 165; (I63.900,
conservative) 10 000 → 100; (K35.800, 47.0901) 6 000 and 8 000 (the code twice counts once) →
mean 7 000 → 70; (K35.800, conservative) 3 000 → 30. Points claimed 2 × 165 + 100 + 2 × 70 + 30
= 600; budget 54 000.00 → point value 90; payments 14 850, 9 000, 6 300, 2 700 (sum 54 000).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.casepay.payment_model import (
    CaseCharge,
    DipCase,
    DrgPayment,
    PayKind,
    PayParams,
    dip_key,
    pay_case,
    pay_dip,
)
from yibao.kernel.errors import InvalidValue

D = Decimal
PARAMS = PayParams()
WEIGHT = (D("1.2000"), D("10000.00"))


def _pay(cost: str, patient: str, weight: tuple[Decimal, Decimal] | None = WEIGHT) -> DrgPayment:
    return pay_case(
        CaseCharge("S1", D(cost), D(patient)),
        drg="GB15",
        weight=weight,
        base_rate=D("10000.00"),
        params=PARAMS,
    )


@pytest.mark.parametrize(
    ("cost", "patient", "kind", "payment", "fund", "surplus"),
    [
        ("11000.00", "2000.00", PayKind.STANDARD, "12000.00", "10000.00", "1000.00"),
        ("40000.00", "6000.00", PayKind.HIGH, "21000.00", "15000.00", "-19000.00"),
        ("3000.00", "900.00", PayKind.LOW, "3000.00", "2100.00", "0.00"),
        # the thresholds themselves are not outliers (strictly above / below)
        ("30000.00", "0.00", PayKind.STANDARD, "12000.00", "12000.00", "-18000.00"),
        ("4000.00", "0.00", PayKind.STANDARD, "12000.00", "12000.00", "8000.00"),
    ],
)
def test_drg_worked_examples(
    cost: str, patient: str, kind: PayKind, payment: str, fund: str, surplus: str
) -> None:
    paid = _pay(cost, patient)
    assert (paid.kind, paid.case_payment, paid.fund_share, paid.surplus) == (
        kind,
        D(payment),
        D(fund),
        D(surplus),
    )
    assert paid.standard == D("12000.00") and paid.rw == D("1.2000")
    assert paid.trace[0].startswith("DRG GB15: RW 1.2000 × base rate 10000.00")
    assert any("fund share" in step for step in paid.trace)


def test_the_trace_says_why_in_words() -> None:
    high = _pay("40000.00", "6000.00")
    assert "high-cost outlier (高倍率)" in high.trace[1] and "= 9000.00" in high.trace[1]
    assert "loss (超支分担)" in high.trace[-1]
    low = _pay("3000.00", "900.00")
    assert "low-cost outlier (低倍率)" in low.trace[1] and "by item" in low.trace[1]


def test_a_case_without_a_weight_is_paid_by_item_with_the_reason() -> None:
    paid = pay_case(CaseCharge("S2", D("5000.00"), D("1000.00")), drg=None, weight=None,
                    base_rate=D("10000.00"), params=PARAMS, why_by_item="no settlement list")  # fmt: skip
    assert (paid.kind, paid.case_payment, paid.fund_share, paid.surplus) == (
        PayKind.BY_ITEM, D("5000.00"), D("4000.00"), D("0.00"),
    )  # fmt: skip
    assert "no settlement list" in paid.trace[0]
    negative = _pay("11000.00", "12500.00")
    assert negative.fund_share == D("-500.00") and "negative" in negative.trace[-2]


def test_payment_parameters_are_checked() -> None:
    for bad, field in (({"low_ratio": D(1)}, "low_ratio"), ({"high_ratio": D(1)}, "high_ratio"),
                       ({"high_share": D("1.5")}, "high_share")):  # fmt: skip
        with pytest.raises(InvalidValue, match=field):
            PayParams(**bad)  # type: ignore[arg-type]


def test_dip_worked_example() -> None:
    cases = [
        DipCase("c1", "K35.800", ("47.0901",), D("6000.00")),
        DipCase("c2", "K35.800", ("47.0901", "47.0901"), D("8000.00")),
        DipCase("c3", "K35.800", (), D("3000.00")),
        DipCase("c4", "I63.900", (), D("10000.00")),
        DipCase("c5", "I63.900", ("99.1000", "88.4100"), D("20000.00")),
        DipCase("c6", "I63.900", ("88.4100", "99.1000"), D("13000.00")),
    ]
    result = pay_dip(cases, budget=D("54000.00"))
    scores = {(g.diagnosis, g.combination): (g.cases, g.score) for g in result.groups}
    assert scores == {
        ("I63.900", "88.4100+99.1000"): (2, D("165.0000")),
        ("I63.900", "conservative"): (1, D("100.0000")),
        ("K35.800", "47.0901"): (2, D("70.0000")),
        ("K35.800", "conservative"): (1, D("30.0000")),
    }
    assert (result.reference_cost, result.total_points, result.point_value) == (
        D("10000.00"), D("600.0000"), D("90.0000"),
    )  # fmt: skip
    paid = {p.case_id: p.payment for p in result.payments}
    assert paid == {"c1": D("6300.00"), "c2": D("6300.00"), "c3": D("2700.00"),
                    "c4": D("9000.00"), "c5": D("14850.00"), "c6": D("14850.00")}  # fmt: skip
    assert sum(paid.values()) == D("54000.00")
    assert dip_key(" K35.800 ", [" ", "47.0901"]) == ("K35.800", "47.0901")


def test_dip_refuses_bad_input_naming_the_field() -> None:
    one = [DipCase("c1", "K35.800", (), D("10.00"))]
    for cases, budget, field in (([], D(1), "cases"), (one, D(0), "budget"),
                                 ([DipCase("c", "K", (), D(0))], D(1), "cases")):  # fmt: skip
        with pytest.raises(InvalidValue) as caught:
            pay_dip(cases, budget=budget)
        assert caught.value.field == field


_fen = st.integers(min_value=0, max_value=10**9).map(lambda n: D(n).scaleb(-2))
_rw = st.integers(min_value=1, max_value=600_000).map(lambda n: D(n).scaleb(-4))


@settings(max_examples=300, deadline=None)
@given(_fen, st.integers(min_value=0, max_value=100), _rw, _fen, _fen)
def test_fund_plus_patient_is_the_case_payment_to_the_fen(
    cost: Decimal, patient_pct: int, rw: Decimal, base: Decimal, mean: Decimal
) -> None:
    patient = D(int(cost.scaleb(2)) * patient_pct // 100).scaleb(-2)  # ≤ cost, in fen
    weight = None if mean == 0 else (rw, mean)
    paid = pay_case(CaseCharge("S", cost, patient), drg="GB15", weight=weight, base_rate=base,
                    params=PARAMS)  # fmt: skip
    assert paid.fund_share + paid.patient_share == paid.case_payment
    assert paid.surplus == paid.case_payment - paid.cost
    for amount in (paid.case_payment, paid.fund_share, paid.surplus):
        assert amount.as_tuple().exponent == -2
    if paid.kind is PayKind.LOW or paid.kind is PayKind.BY_ITEM:
        assert paid.case_payment == cost
    if paid.kind is PayKind.HIGH:
        assert paid.case_payment >= paid.standard  # type: ignore[operator]
    assert paid.case_payment >= 0


_dip_cases = st.lists(
    st.tuples(st.sampled_from(["K35.800", "I63.900", "J18.900"]),
              st.lists(st.sampled_from(["47.0901", "88.4100", "99.1000"]), max_size=3), _fen),
    min_size=1, max_size=40,
).filter(lambda xs: any(c > 0 for *_, c in xs))  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(_dip_cases, st.integers(min_value=1, max_value=10**12).map(lambda n: D(n).scaleb(-2)))
def test_dip_payments_spend_the_budget_within_the_proved_bound(
    raw: list[tuple[str, list[str], Decimal]], budget: Decimal
) -> None:
    """Proved bound: |Σ payments − budget| ≤ ½ fen × cases + 0.00005 × points (point-value rounding)."""
    cases = [DipCase(f"c{i}", d, tuple(p), c) for i, (d, p, c) in enumerate(raw)]
    result = pay_dip(cases, budget=budget)
    paid = sum(p.payment for p in result.payments)
    assert abs(paid - budget) <= D("0.005") * len(cases) + D("0.00005") * result.total_points
    assert sum(g.cases for g in result.groups) == len(cases)
