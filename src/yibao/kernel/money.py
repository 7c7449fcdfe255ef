"""Exact money: the one module that turns values into ``Decimal`` and rounds them.

Every amount in yibao is a ``decimal.Decimal``. ``float`` is refused wherever a value enters
(:func:`to_decimal`, :func:`money`) because a binary float cannot hold 0.10 exactly.

Rounding happens here and nowhere else, always to the fen (0.01 yuan) with ``ROUND_HALF_UP``,
at these defined points only:

* per fee line: each component of the line split (超限价, 先行自付) is rounded when computed;
* per fund: each fund's payment in a settlement is rounded once, after its segments are summed;
* per settlement: the person's cash share is a remainder, so it needs no rounding of its own.

Interface precisions (``interface.md``): amounts N16,2, prices N16,6, counts N16,4, ratios N5,4.
Because ``ROUND_HALF_UP`` rounds ties away from zero, ``fen(-x) == -fen(x)``: a refund line or a
reversal mirrors its original exactly.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from yibao.kernel.errors import InvalidValue

__all__ = [
    "FEN",
    "ONE",
    "ZERO",
    "apply_ratio",
    "fen",
    "money",
    "ratio",
    "to_decimal",
]

ZERO = Decimal("0.00")
ONE = Decimal("1")
FEN = Decimal("0.01")
_RATIO_PLACES = Decimal("0.0001")
_PLAIN = re.compile(r"[+-]?[0-9]{1,40}(\.[0-9]{1,40})?", re.ASCII)
_MAX_DIGITS = {"amount": (16, 2), "price": (16, 6), "count": (16, 4), "ratio": (5, 4)}


def to_decimal(value: object, *, field: str, kind: str = "amount") -> Decimal:
    """Parse ``value`` (``Decimal``, ``int`` or numeric ``str``) into an exact ``Decimal``.

    ``kind`` is one of ``amount``, ``price``, ``count`` or ``ratio`` and bounds the number of
    digits as the interface does (N16,2 / N16,6 / N16,4 / N5,4). Refuses ``float``, ``bool``,
    NaN, infinities and values with more decimals than the kind allows, naming ``field``.
    """
    if isinstance(value, float):
        raise InvalidValue(
            field, f"float {value!r} is not accepted for money; send a string or Decimal"
        )
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise InvalidValue(field, f"expected a number, got {type(value).__name__}")
    if isinstance(value, str) and not _PLAIN.fullmatch(value.strip()):
        raise InvalidValue(field, f"{value!r} is not a number (digits with an optional point)")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise InvalidValue(field, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise InvalidValue(field, f"{value!r} is not a finite number")
    total, places = _MAX_DIGITS[kind]
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite numbers have an integer exponent
    if -exponent > places:
        raise InvalidValue(field, f"{value} has more than {places} decimal places")
    if number.adjusted() + 1 > total - places:
        raise InvalidValue(field, f"{value} exceeds {total - places} integer digits")
    return number


def money(value: object, *, field: str = "amount") -> Decimal:
    """An amount in yuan with at most two decimals, normalised to two places."""
    return to_decimal(value, field=field, kind="amount").quantize(FEN)


def ratio(value: object, *, field: str = "ratio") -> Decimal:
    """A ratio between 0 and 1 with at most four decimals (N5,4)."""
    number = to_decimal(value, field=field, kind="ratio")
    if not ZERO <= number <= ONE:
        raise InvalidValue(field, f"{value} is not between 0 and 1")
    return number


def fen(value: Decimal) -> Decimal:
    """Round to the fen, half up (ties away from zero). The only rounding of money in yibao."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def apply_ratio(amount: Decimal, share: Decimal) -> Decimal:
    """``amount × share`` rounded to the fen."""
    return (amount * share).quantize(FEN, rounding=ROUND_HALF_UP)


def ratio_places(value: Decimal) -> Decimal:
    """A ratio shown with four decimals, as the interface's N5,4 fields carry it."""
    return value.quantize(_RATIO_PLACES, rounding=ROUND_HALF_UP)
