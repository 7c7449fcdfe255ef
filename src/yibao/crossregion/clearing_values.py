"""The values clearing takes as input, checked: region codes, clearing months, required texts.

Pure, like :mod:`yibao.crossregion.clearing_model`, which imports it: the model's import
contract (no frameworks, no I/O) covers what it imports, so it holds here too.
"""

from __future__ import annotations

from datetime import date, datetime

from yibao.kernel.errors import InvalidValue
from yibao.kernel.fields import clean_text
from yibao.kernel.fields import region_code as check_region

__all__ = ["check_region", "parse_period", "period_end", "period_of", "text"]


def text(value: object, *, field: str, limit: int) -> str:
    """A required text (:func:`~yibao.kernel.fields.clean_text`)."""
    return clean_text(value, field=field, limit=limit)


def parse_period(value: object, *, field: str = "period") -> str:
    """A clearing month ``YYYY-MM`` (normalised); anything else is refused naming ``field``."""
    if not isinstance(value, str):
        raise InvalidValue(field, f"expected a month YYYY-MM, got {type(value).__name__}")
    parts = value.strip().split("-")
    ok = (
        len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2
        and all(p.isascii() and p.isdigit() for p in parts)
    )  # fmt: skip
    if not ok or not 1 <= int(parts[1]) <= 12 or int(parts[0]) < 1900:
        raise InvalidValue(field, f"{value!r} is not a month YYYY-MM")
    return f"{parts[0]}-{parts[1]}"


def period_of(moment: datetime | date) -> str:
    """The clearing month of a settlement time."""
    return f"{moment.year:04d}-{moment.month:02d}"


def period_end(period: str) -> date:
    """The first day after the month (its end, exclusive)."""
    year, month = int(period[:4]), int(period[5:])
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
