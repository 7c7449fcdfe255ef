"""What an institution settled in a span of time, as clearing sees it.

Both kinds of settlement count (a reversal mirrors its settlement with negative amounts). Manual
claims (手工报销) are left out: their settlements were paid to the person, not the institution.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from yibao.crossregion.claim_tables import claims
from yibao.settlement.tables import settlement_funds, settlements, visits

__all__ = ["counted", "fund_rows", "institution_settlements", "institutions_settled"]


def counted(begin: datetime, end: datetime) -> Any:
    """The settlements clearing counts with ``begin <= setl_time < end`` (manual claims left out)."""
    s = settlements.c
    is_claim = select(claims.c.claim_no).where(claims.c.claim_no == s.mdtrt_id).exists()
    return (s.setl_time >= begin) & (s.setl_time < end) & ~is_claim


def institution_settlements(
    connection: Connection, fixmedins_code: str, begin: datetime, end: datetime
) -> Sequence[Any]:
    """The institution's settlements with ``begin <= setl_time < end``, in time order, with the visit's med_type."""
    s = settlements.c
    return connection.execute(
        select(settlements.c.setl_id, s.mdtrt_id, s.psn_no, s.kind, s.setl_time, s.insutype, s.medfee_sumamt,
               s.inscp_scp_amt, s.fund_pay_sumamt, s.acct_pay, s.psn_cash_pay, s.msgid, s.reverses, visits.c.med_type)
        .join(visits, visits.c.mdtrt_id == s.mdtrt_id)
        .where(s.fixmedins_code == fixmedins_code, counted(begin, end))
        .order_by(s.setl_time, s.setl_id)
    ).all()  # fmt: skip


def institutions_settled(connection: Connection, begin: datetime, end: datetime) -> list[str]:
    """The institutions with a settlement in the span."""
    s = settlements.c
    return list(connection.execute(
        select(s.fixmedins_code).where(counted(begin, end)).distinct().order_by(s.fixmedins_code)
    ).scalars())  # fmt: skip


def fund_rows(connection: Connection, setl_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``setl_id`` → fund_pay_type → amount, for the settlements given."""
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(setl_ids), 500):
        chunk = list(setl_ids[start : start + 500])
        rows = connection.execute(
            select(settlement_funds.c.setl_id, settlement_funds.c.fund_pay_type, settlement_funds.c.fund_payamt)
            .where(settlement_funds.c.setl_id.in_(chunk))
        )  # fmt: skip
        for r in rows:
            out.setdefault(r.setl_id, {})[r.fund_pay_type] = r.fund_payamt
    return out
