"""Dates and times as the NHSA interface writes them, and the calendar facts settlement needs.

The interface uses ``yyyy-MM-dd`` for dates, ``yyyy-MM-dd HH:mm:ss`` for times (``DT``, local
time of the pooling area, no zone) and ``yyyyMMddHHmmssSSS`` for message stamps. Times are naive
on purpose: every pooling area in China keeps Beijing time and the interface carries no offset.
"""

from __future__ import annotations

from datetime import date, datetime

from yibao.kernel.errors import InvalidValue

__all__ = ["age_on", "format_datetime", "format_stamp", "parse_date", "parse_datetime"]

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
STAMP_FORMAT = "%Y%m%d%H%M%S"


def parse_date(value: object, *, field: str) -> date:
    """A ``yyyy-MM-dd`` date (a ``date`` passes through); anything else names the field."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise InvalidValue(field, f"expected a date yyyy-MM-dd, got {type(value).__name__}")
    try:
        return datetime.strptime(value.strip()[:10], DATE_FORMAT).date()
    except ValueError:
        raise InvalidValue(field, f"{value!r} is not a date yyyy-MM-dd") from None


def parse_datetime(value: object, *, field: str) -> datetime:
    """A ``yyyy-MM-dd HH:mm:ss`` time; a bare date means its midnight."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        raise InvalidValue(
            field, f"expected a time yyyy-MM-dd HH:mm:ss, got {type(value).__name__}"
        )
    text = value.strip()
    for fmt in (DATETIME_FORMAT, DATE_FORMAT):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise InvalidValue(field, f"{value!r} is not a time yyyy-MM-dd HH:mm:ss")


def format_datetime(value: datetime) -> str:
    """The interface's ``DT`` form."""
    return value.strftime(DATETIME_FORMAT)


def format_stamp(value: datetime) -> str:
    """``yyyyMMddHHmmssSSS``, as ``refmsg_time`` and ``respond_time`` carry it."""
    return value.strftime(STAMP_FORMAT) + f"{value.microsecond // 1000:03d}"


def age_on(birth: date, day: date) -> int:
    """Whole years of age on ``day``."""
    before_birthday = (day.month, day.day) < (birth.month, birth.day)
    return day.year - birth.year - int(before_birthday)
