"""Clearing months and their runs' states: which month a moment lands in, whether it is closed.

A month whose run is closed is never changed: anything made later lands in a later month
(:func:`landing`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Connection, func, select

from yibao.clearing.tables import payout_runs
from yibao.crossregion.clearing_values import period_end

__all__ = ["landing", "last_day", "month_bounds", "run_state"]


def run_state(connection: Connection, period: str, *, lock: bool = False) -> str | None:
    """``draft``, ``closed``, or ``None`` when the month has no run."""
    query = select(payout_runs.c.state).where(payout_runs.c.period == period)
    if lock:
        query = query.with_for_update()
    return connection.execute(query).scalar_one_or_none()


def landing(connection: Connection, floor: str) -> str:
    """The clearing month an item made now lands in: ``floor``, or the first month after the last
    closed run when ``floor`` is closed already (a closed month is never changed)."""
    closed = connection.execute(
        select(func.max(payout_runs.c.period)).where(payout_runs.c.state == "closed")
    ).scalar_one_or_none()
    if closed is None or floor > closed:
        return floor
    year, month = int(closed[:4]), int(closed[5:])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """The month's first moment and the first moment after it."""
    end = period_end(period)
    first = date(int(period[:4]), int(period[5:]), 1)
    return datetime.combine(first, datetime.min.time()), datetime.combine(end, datetime.min.time())


def last_day(period: str) -> date:
    """The month's last day."""
    return period_end(period) - timedelta(days=1)
