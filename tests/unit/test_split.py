"""settlement.split: each rule of the line split, with values a clerk can check."""

from __future__ import annotations

from decimal import Decimal

from tests.support.builders import CATALOG, line
from yibao.kernel.tiers import HospitalTier
from yibao.settlement.split import split_line

D = Decimal
T3 = HospitalTier.TIER3


def parts(result: object) -> tuple[Decimal, ...]:
    return (
        result.fulamt_ownpay_amt,
        result.overlmt_amt,
        result.preselfpay_amt,  # type: ignore[attr-defined]
        result.inscp_scp_amt,
    )  # type: ignore[attr-defined]


def test_class_a_is_wholly_in_policy_range() -> None:
    assert parts(split_line(line("1", "A", "12.50", "4"), CATALOG["A"], T3)) == (
        0,
        0,
        0,
        D("50.00"),
    )


def test_class_b_pays_its_self_pay_share_first() -> None:
    # 33.33 × 3 = 99.99; 10% of 99.99 = 9.999 → 10.00 (half up); the rest 89.99
    result = split_line(line("1", "B10", "33.33", "3"), CATALOG["B10"], T3)
    assert parts(result) == (0, 0, D("10.00"), D("89.99"))


def test_class_c_is_wholly_self_paid() -> None:
    result = split_line(line("1", "C", "80", "2"), CATALOG["C"], T3)
    assert parts(result) == (D("160.00"), 0, 0, 0)
    assert "丙类" in result.memo


def test_a_code_not_in_the_catalogue_is_wholly_self_paid() -> None:
    result = split_line(line("1", "NOPE", "10", "1"), None, T3)
    assert parts(result) == (D("10.00"), 0, 0, 0)
    assert "目录外" in result.memo


def test_restricted_item_needs_the_hospitals_confirmation() -> None:
    refused = split_line(line("1", "R", "100", "1"), CATALOG["R"], T3)
    confirmed = split_line(line("1", "R", "100", "1", approved=True), CATALOG["R"], T3)
    assert parts(refused) == (D("100.00"), 0, 0, 0)
    assert parts(confirmed) == (0, 0, D("10.00"), D("90.00"))
    assert refused.lmt_used_flag == "1"


def test_price_above_the_tier_ceiling_is_self_paid_before_the_share() -> None:
    # ceiling 50 at tier 3: (60 − 50) × 3 = 30 over the ceiling; 150 in range
    result = split_line(line("1", "L", "60", "3"), CATALOG["L"], T3)
    assert parts(result) == (0, D("30.00"), 0, D("150.00"))
    assert result.pric_uplmt_amt == D("50")
    # the same line at tier 2 meets the lower ceiling 45
    tier2 = split_line(line("1", "L", "60", "3"), CATALOG["L"], HospitalTier.TIER2)
    assert parts(tier2) == (0, D("45.00"), 0, D("135.00"))


def test_a_full_refund_line_mirrors_its_original_to_the_fen() -> None:
    original = split_line(line("1", "B20", "33.33", "3"), CATALOG["B20"], T3)
    refund = split_line(line("2", "B20", "33.33", "-3", refund_of="1"), CATALOG["B20"], T3)
    assert parts(refund) == tuple(-p for p in parts(original))


def test_the_four_parts_always_add_up_to_the_line() -> None:
    for code in CATALOG:
        result = split_line(line("1", code, "57.37", "1.5"), CATALOG[code], T3)
        assert sum(parts(result)) == result.det_item_fee_sumamt
