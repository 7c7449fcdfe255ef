"""Column types that keep money exact on every database: decimals stored as scaled integers.

SQLite has no decimal type (SQLAlchemy would hand it floats), and sums in SQL must be exact on
both SQLite and PostgreSQL. So an amount is stored as a whole number of fen, a price as millionths,
a count or a ratio as ten-thousandths, in a ``BIGINT``; the type converts to and from ``Decimal``
at the boundary and refuses a value with more decimals than its scale rather than rounding it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Dialect
from sqlalchemy.types import TypeDecorator

from yibao.kernel.errors import InvalidValue

__all__ = ["Amount", "Count", "Price", "Ratio", "ScaledDecimal"]


class ScaledDecimal(TypeDecorator[Decimal]):
    """A ``Decimal`` with ``places`` decimals, stored exactly as an integer of 10^-places units."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int) -> None:
        super().__init__()
        self.places = places

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not isinstance(value, (Decimal, int)) or isinstance(value, bool):
            raise InvalidValue("column", f"expected a Decimal, got {type(value).__name__}")
        scaled = Decimal(value).scaleb(self.places)
        if scaled != scaled.to_integral_value():
            raise InvalidValue("column", f"{value} has more than {self.places} decimal places")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # scaleb keeps every digit and sets the exponent: 12345 → 123.45, 0 → 0.00
        return Decimal(int(value)).scaleb(-self.places)


def Amount() -> ScaledDecimal:
    """Money in yuan, N16,2, stored in fen."""
    return ScaledDecimal(2)


def Price() -> ScaledDecimal:
    """A unit price, N16,6."""
    return ScaledDecimal(6)


def Count() -> ScaledDecimal:
    """A count, N16,4."""
    return ScaledDecimal(4)


def Ratio() -> ScaledDecimal:
    """A ratio, N5,4."""
    return ScaledDecimal(4)
