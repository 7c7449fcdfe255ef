"""kernel.money: Decimal only, one rounding (half up to the fen), clear refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import apply_ratio, fen, money, ratio, to_decimal


def test_float_is_refused_with_the_field_named() -> None:
    with pytest.raises(InvalidValue) as caught:
        money(0.1, field="pric")
    assert caught.value.field == "pric"
    assert "float" in caught.value.reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("abc", "not a number"),
        (Decimal("NaN"), "not a finite"),
        ("NaN", "not a number"),
        ("7_0", "not a number"),
        ("\u0667", "not a number"),
        ("1E+1", "not a number"),
        ("", "not a number"),
        ("1.234", "more than 2 decimal"),
        (True, "expected a number"),
        ("123456789012345.5", "integer digits"),
    ],
)
def test_bad_amounts_say_why(value: object, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        money(value, field="det_item_fee_sumamt")


def test_kinds_carry_the_interface_precision() -> None:
    assert to_decimal("12.345678", field="pric", kind="price") == Decimal("12.345678")
    assert to_decimal("2.5000", field="cnt", kind="count") == Decimal("2.5")
    with pytest.raises(InvalidValue, match="more than 4 decimal"):
        to_decimal("2.00001", field="cnt", kind="count")


def test_money_normalises_to_two_places() -> None:
    assert str(money(12)) == "12.00"
    assert str(money("3.5")) == "3.50"


def test_ratio_is_bounded() -> None:
    assert ratio("0.85") == Decimal("0.85")
    with pytest.raises(InvalidValue, match="between 0 and 1"):
        ratio("1.2", field="selfpay_prop")


def test_rounding_is_half_up_and_symmetric() -> None:
    assert fen(Decimal("2.345")) == Decimal("2.35")
    assert fen(Decimal("2.344")) == Decimal("2.34")
    assert fen(Decimal("-2.345")) == Decimal("-2.35")
    assert apply_ratio(Decimal("0.05"), Decimal("0.5")) == Decimal("0.03")
    assert apply_ratio(Decimal("-0.05"), Decimal("0.5")) == Decimal("-0.03")
