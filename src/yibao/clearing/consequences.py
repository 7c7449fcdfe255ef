"""The agency's decision on a proposed consequence of the agreement.

* a **penalty** (违约金) accepted with a multiplier inside the violation type's range becomes a
  deduction of ``multiplier × base`` (the upheld amount of that type in the run);
* a **department's month refused** (拒付科室当月统筹费用) becomes a deduction of the funds' share of
  the department's lines in the month — each settlement's fund payments apportioned by the
  department's share of its bill — less what the run already deducts for that department, so no
  fen is withheld twice;
* a **suspension** records the dates (from the decision, ``suspension_months`` months);
* a rejection states its reason and changes no money.

A penalty or refusal is withheld in the run's audit month, or the first month still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from yibao.clearing.model import (
    Agreement,
    ClearingConflict,
    ConsequenceKind,
    add_months,
    appeal_due,
    check_multiplier,
)
from yibao.clearing.periods import landing, month_bounds
from yibao.clearing.rows import inserted_id
from yibao.clearing.settled import institution_settlements
from yibao.clearing.tables import consequences, deduction_runs, deductions
from yibao.crossregion.clearing_values import text
from yibao.kernel.errors import InvalidValue, NotFound
from yibao.kernel.money import ZERO, fen
from yibao.settlement.tables import fee_lines

__all__ = ["Decided", "decide_consequence"]


@dataclass(frozen=True, slots=True)
class Decided:
    """A decided consequence and the deduction it made, if any."""

    consequence_id: int
    state: str
    amount: Decimal | None
    deduction_id: int | None


def decide_consequence(
    connection: Connection, *, consequence_id: int, accept: bool, reason: str, actor: str, now: datetime,
    agreement: Agreement, multiplier: str | None = None,
) -> Decided:  # fmt: skip
    """Accept or reject a proposed consequence; refused unless it is still proposed."""
    why, who = text(reason, field="reason", limit=2000), text(actor, field="actor", limit=60)
    row = connection.execute(
        select(consequences)
        .where(consequences.c.consequence_id == consequence_id)
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"consequence_id: no consequence {consequence_id}")
    if row.state != "proposed":
        raise ClearingConflict("state", f"consequence {consequence_id} is already {row.state}")
    kind = ConsequenceKind(row.kind)
    if kind is not ConsequenceKind.PENALTY and multiplier is not None:
        raise InvalidValue("multiplier", f"a {kind.value} takes no multiplier")
    changes: dict[str, Any] = {"decided_by": who, "decided_at": now, "decision_reason": why}
    deduction_id = None
    amount: Decimal | None = None
    if not accept:
        changes["state"] = "rejected"
    elif kind is ConsequenceKind.SUSPENSION:
        begin = now.date()
        changes |= {"state": "accepted", "suspend_from": begin,
                    "suspend_to": add_months(begin, agreement.suspension_months) - timedelta(days=1)}  # fmt: skip
    else:
        if kind is ConsequenceKind.PENALTY:
            rule = next(t for t in agreement.types if t.kind.value == row.violation_type)
            if multiplier is None:
                raise InvalidValue("multiplier", f"a penalty needs a multiplier of {rule.multiplier_min}–"
                                   f"{rule.multiplier_max} (proposed {rule.multiplier_default})")  # fmt: skip
            times = check_multiplier(multiplier, low=rule.multiplier_min, high=rule.multiplier_max)
            amount = fen(row.base_amount * times)
            changes["multiplier"] = times
            what = f"违约金：{rule.label}，违规费用 {row.base_amount} 元 × {times} 倍"
        else:
            amount = _department_share(connection, row)
            what = f"拒付科室 {row.dept_codg} 本月统筹费用（已扣违规费用不重复计算）"
        changes |= {"state": "accepted", "amount": amount}
        deduction_id = _deduct(
            connection, row, kind, amount, reason=f"{what}；{why}", now=now, agreement=agreement
        )
    connection.execute(
        update(consequences)
        .where(consequences.c.consequence_id == consequence_id)
        .values(**changes)
    )
    return Decided(consequence_id, changes["state"], amount, deduction_id)


def _deduct(connection: Connection, row: Any, kind: ConsequenceKind, amount: Decimal, *, reason: str,
            now: datetime, agreement: Agreement) -> int | None:  # fmt: skip
    if amount <= ZERO:
        return None
    result = connection.execute(insert(deductions).values(
        run_no=row.run_no, fixmedins_code=row.fixmedins_code, kind=kind.value, case_id=None,
        consequence_id=row.consequence_id, rule_id=f"agreement:{kind.value}:{row.violation_type}",
        rule_name=row.rule[:300], family=row.violation_type, mdtrt_id=None, psn_no=None, feedetl_sn=None,
        item=None, fee_date=None, dept_codg=row.dept_codg, amount=amount, reason=reason, upheld_at=now,
        appeal_due=appeal_due(now, agreement.appeal_days), state="upheld",
        period=landing(connection, _period(connection, row)),
    ))  # fmt: skip
    return inserted_id(result)


def _period(connection: Connection, row: Any) -> str:
    """The audit month of the consequence's run."""
    return str(connection.execute(
        select(deduction_runs.c.period).where(deduction_runs.c.run_no == row.run_no)
    ).scalar_one())  # fmt: skip


def _department_share(connection: Connection, row: Any) -> Decimal:
    """The funds' share of the department's lines in the run's month, less the run's deductions there."""
    begin, end = month_bounds(_period(connection, row))
    total = ZERO
    for s in institution_settlements(connection, row.fixmedins_code, begin, end):
        if s.medfee_sumamt == ZERO:
            continue
        dept = connection.execute(
            select(func.coalesce(func.sum(fee_lines.c.det_item_fee_sumamt), 0)).where(
                fee_lines.c.mdtrt_id == s.mdtrt_id, fee_lines.c.bilg_dept_codg == row.dept_codg,
                fee_lines.c.status == "active")
        ).scalar_one()  # fmt: skip
        share = Decimal(dept) if not isinstance(dept, Decimal) else dept
        total += fen(s.fund_pay_sumamt * share / s.medfee_sumamt) if share else ZERO
    already = connection.execute(
        select(func.coalesce(func.sum(deductions.c.amount), 0)).where(and_(
            deductions.c.run_no == row.run_no, deductions.c.fixmedins_code == row.fixmedins_code,
            deductions.c.dept_codg == row.dept_codg, deductions.c.kind == "deduction"))
    ).scalar_one()  # fmt: skip
    return max(ZERO, fen(total - Decimal(already)))
