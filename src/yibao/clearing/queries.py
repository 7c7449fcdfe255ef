"""Read-only views of the monthly payment for the terminal and, later, the console: the
deductions of a run or month, the consequences waiting for a decision, a month's statements.

Rows come back as plain dicts (money as :class:`~decimal.Decimal`, days as dates) in a stable
order; a filter that names something unknown is an empty list, never an error.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from yibao.clearing.periods import run_state
from yibao.clearing.tables import appeals, consequences, deductions, payout_statements
from yibao.crossregion.clearing_values import parse_period

__all__ = ["list_consequences", "list_deductions", "list_statements"]


def list_deductions(
    connection: Connection, *, period: str | None = None, run_no: str | None = None,
    fixmedins_code: str | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Deductions (with their appeal, if any) of a clearing month, a run and/or an institution."""
    d = deductions.c
    query = (
        select(deductions, appeals.c.appeal_id, appeals.c.state.label("appeal_state"),
               appeals.c.refund_amount)
        .outerjoin(appeals, appeals.c.deduction_id == d.deduction_id)
        .order_by(d.deduction_id)
    )  # fmt: skip
    if period is not None:
        query = query.where(d.period == parse_period(period))
    if run_no is not None:
        query = query.where(d.run_no == run_no)
    if fixmedins_code is not None:
        query = query.where(d.fixmedins_code == fixmedins_code)
    return [dict(r._mapping) for r in connection.execute(query)]


def list_consequences(
    connection: Connection, *, run_no: str | None = None, state: str | None = None
) -> list[dict[str, Any]]:
    """Consequences of a run and/or in a state (``proposed`` are those waiting for a decision)."""
    c = consequences.c
    query = select(consequences).order_by(c.consequence_id)
    if run_no is not None:
        query = query.where(c.run_no == run_no)
    if state is not None:
        query = query.where(c.state == state)
    return [dict(r._mapping) for r in connection.execute(query)]


def list_statements(
    connection: Connection, *, period: str
) -> tuple[str | None, list[dict[str, Any]]]:
    """The state of the month's run (``None`` without one) and its statements by institution."""
    month = parse_period(period)
    state = run_state(connection, month)
    s = payout_statements.c
    rows = connection.execute(
        select(payout_statements).where(s.period == month).order_by(s.fixmedins_code)
    )
    return state, [dict(r._mapping) for r in rows]
