"""The monthly clearing run (月度清算): one statement per institution of what the fund pays it.

:func:`build_run` (a draft, rebuilt at will until closed) gathers for each institution the
month's items — its settlements (the funds' payments by fund, the personal account as 310200;
reversals negative), for an institution the policy pays by DRG the difference each case
payment makes (:mod:`yibao.clearing.case_payments`), the deductions and penalties upheld in the
month, the refunds of appeals won in the month, the refunds, supplements and deposit releases
made in the month — withholds the quality deposit (``deposit_rate`` of what would be paid after
deductions and penalties), and stores the statement and its lines; the totals are checked against the lines
(:func:`~yibao.clearing.model.totals_of`). It is refused for a month not yet over, a closed month,
and a month still open for reconciliation: an institution with settlements that has not applied
(3203) for every clearing type it settled, before the agreement's ``reconcile_days`` after the
month have passed.

:func:`close_run` rebuilds the run with everything landed in the month and closes it for good: its
clearing applications become ``cleared``, and anything made later lands in a later month
(:func:`~yibao.clearing.periods.landing`). Deductions, appeal refunds and adjustments carry the month
they land in, so a run reads them by month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from yibao.catalog.tables import institutions
from yibao.clearing.case_payments import case_payment_lines, payment_plan
from yibao.clearing.model import (
    Agreement,
    ClearingConflict,
    Line,
    LineKind,
    Totals,
    deposit_of,
    totals_of,
)
from yibao.clearing.periods import last_day, month_bounds, run_state
from yibao.clearing.reconcile_tables import clearing_applications
from yibao.clearing.settled import fund_rows, institution_settlements, institutions_settled
from yibao.clearing.tables import (
    adjustments,
    appeals,
    deductions,
    payout_lines,
    payout_runs,
    payout_statements,
)
from yibao.crossregion.clearing_values import parse_period, period_end, text
from yibao.documents.pdf import yuan
from yibao.kernel.codes import FundPayType
from yibao.kernel.money import ZERO
from yibao.settlement.model import clr_type_of

__all__ = ["RunSummary", "build_run", "close_run"]

ACCOUNT = FundPayType.EMPLOYEE_ACCOUNT.value


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A run's statements' totals by institution."""

    period: str
    state: str
    statements: dict[str, Totals]

    def sum(self, name: str) -> Decimal:
        """Σ of one total over the institutions."""
        return sum((getattr(t, name) for t in self.statements.values()), ZERO)


def build_run(
    connection: Connection, *, period: str, actor: str, now: datetime, agreement: Agreement
) -> RunSummary:
    """Build (or rebuild) the month's draft run."""
    month = parse_period(period)
    who = text(actor, field="actor", limit=60)
    if now.date() < period_end(month):
        raise ClearingConflict("period", f"{month} is not over yet")
    state = run_state(connection, month, lock=True)
    if state == "closed":
        raise ClearingConflict(
            "period", f"the clearing run of {month} is closed: corrections go to a later month"
        )
    later = connection.execute(
        select(payout_runs.c.period).where(payout_runs.c.period > month)
    ).first()
    if later is not None:
        raise ClearingConflict("period", f"a later month ({later.period}) has a run already")
    begin, end = month_bounds(month)
    _reconciled(connection, month, now=now, agreement=agreement)
    if state is None:
        connection.execute(insert(payout_runs).values(period=month, state="draft", built_by=who, built_at=now,
                                                      rebuilds=0))  # fmt: skip
    else:
        connection.execute(delete(payout_lines).where(payout_lines.c.period == month))
        connection.execute(delete(payout_statements).where(payout_statements.c.period == month))
        run = payout_runs.c
        connection.execute(update(payout_runs).where(run.period == month).values(
            built_by=who, built_at=now, rebuilds=run.rebuilds + 1))  # fmt: skip
    items = _items(connection, month)
    names = dict(
        connection.execute(
            select(institutions.c.fixmedins_code, institutions.c.fixmedins_name)
        ).all()
    )
    out: dict[str, Totals] = {}
    plan = payment_plan(connection, last_day(month))
    for code in sorted(set(items) | set(institutions_settled(connection, begin, end))):
        lines, count = _settlement_lines(connection, code, begin, end)
        version = plan.drg_version(code)
        if version is not None:
            lines += case_payment_lines(connection, code, version=version, begin=begin, end=end)
        lines += items.get(code, [])
        partial = totals_of(lines, settlements=count)
        base = partial.paid_for_care - partial.deductions - partial.penalties
        held = deposit_of(base, agreement.deposit_rate)
        if held > ZERO:
            said = f"质量保证金 {agreement.deposit_rate * 100:.0f}%（按 {yuan(base)} 元计）"
            lines.append(Line(LineKind.DEPOSIT, f"{code}:{month}", last_day(month), said, -held))
        totals = totals_of(lines, settlements=count)
        _store(connection, month, code, name=names.get(code, code), totals=totals, lines=lines)
        out[code] = totals
    return RunSummary(month, "draft", out)


def close_run(
    connection: Connection, *, period: str, actor: str, now: datetime, agreement: Agreement
) -> RunSummary:
    """Rebuild the month's run with everything landed in it, then close it: it never changes again."""
    summary = build_run(connection, period=period, actor=actor, now=now, agreement=agreement)
    connection.execute(update(payout_runs).where(payout_runs.c.period == summary.period).values(
        state="closed", closed_by=text(actor, field="actor", limit=60), closed_at=now))  # fmt: skip
    a = clearing_applications.c
    connection.execute(update(clearing_applications).where(a.period == summary.period, a.state == "applied")
                       .values(state="cleared"))  # fmt: skip
    return RunSummary(summary.period, "closed", summary.statements)


def _reconciled(connection: Connection, month: str, *, now: datetime, agreement: Agreement) -> None:
    """Refuse while an institution has not applied for every clearing type and the window is open."""
    if now.date() > last_day(month) + timedelta(days=agreement.reconcile_days):
        return
    a = clearing_applications.c
    live = a.state.in_(("applied", "cleared"))
    applied = {(r.fixmedins_code, r.clr_type) for r in connection.execute(
        select(a.fixmedins_code, a.clr_type).where(a.period == month, live))}  # fmt: skip
    begin, end = month_bounds(month)
    missing: list[str] = []
    for code in institutions_settled(connection, begin, end):
        types = {
            clr_type_of(s.med_type) for s in institution_settlements(connection, code, begin, end)
        }
        missing += [f"{code} ({t})" for t in sorted(types) if (code, t) not in applied]
    if missing:
        shown = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        until = last_day(month) + timedelta(days=agreement.reconcile_days)
        raise ClearingConflict(
            "period",
            f"{month} is still open for reconciliation until {until}: no clearing application (3203) "
            f"from {shown}",
        )


def _settlement_lines(
    connection: Connection, code: str, begin: datetime, end: datetime
) -> tuple[list[Line], int]:
    rows = institution_settlements(connection, code, begin, end)
    funds = fund_rows(connection, [r.setl_id for r in rows])
    lines = []
    for r in rows:
        by_fund = {k: v for k, v in funds.get(r.setl_id, {}).items() if v != ZERO}
        if r.acct_pay != ZERO:
            by_fund[ACCOUNT] = by_fund.get(ACCOUNT, ZERO) + r.acct_pay
        what = "结算撤销" if r.kind == "reversal" else "结算"
        lines.append(Line(LineKind.SETTLEMENT, r.setl_id, r.setl_time.date(),
                          f"{what} {r.mdtrt_id} {r.psn_no}", r.fund_pay_sumamt + r.acct_pay, by_fund))  # fmt: skip
    net = sum(1 if r.kind != "reversal" else -1 for r in rows)
    return lines, net


def _items(connection: Connection, month: str) -> dict[str, list[Line]]:
    """The month's deductions, penalties, appeal refunds and adjustments by institution."""
    out: dict[str, list[Line]] = {}
    d = deductions.c
    for r in connection.execute(
        select(deductions).where(d.period == month).order_by(d.deduction_id)
    ):
        kind = LineKind.DEDUCTION if r.kind == "deduction" else LineKind.PENALTY
        where = f"{r.mdtrt_id} 明细 {r.feedetl_sn}" if r.mdtrt_id else (r.dept_codg or "")
        out.setdefault(r.fixmedins_code, []).append(
            Line(
                kind,
                f"D{r.deduction_id}",
                r.upheld_at.date(),
                f"{r.rule_name} {where}".strip(),
                -r.amount,
            )
        )
    a = appeals.c
    for r in connection.execute(
        select(appeals).where(a.refund_period == month).order_by(a.appeal_id)
    ):
        out.setdefault(r.fixmedins_code, []).append(
            Line(LineKind.APPEAL_REFUND, f"A{r.appeal_id}", r.decided_at.date(),
                 f"申诉 {r.appeal_id} 成立（扣款 D{r.deduction_id}）", r.refund_amount))  # fmt: skip
    kinds = {
        "refund": LineKind.REFUND,
        "supplement": LineKind.SUPPLEMENT,
        "deposit_release": LineKind.DEPOSIT_RELEASE,
    }
    adj = adjustments.c
    mine = (adj.period == month) & (adj.party_type == "institution") & adj.kind.in_(kinds)
    for r in connection.execute(select(adjustments).where(mine).order_by(adj.adjustment_id)):
        kind = kinds[r.kind]
        out.setdefault(r.party, []).append(
            Line(kind, f"J{r.adjustment_id}", r.created_at.date(),
                 f"{kind.label}：{r.reason}（{r.corrects_type} {r.corrects_ref}）", r.amount * kind.sign))  # fmt: skip
    return out


def _store(
    connection: Connection, month: str, code: str, *, name: str, totals: Totals, lines: list[Line]
) -> None:
    row: dict[str, Any] = {
        "period": month, "fixmedins_code": code, "fixmedins_name": name, "settlements": totals.settlements,
        "fund_payments": totals.fund_payments, "deductions": totals.deductions, "penalties": totals.penalties,
        "deposit": totals.deposit, "appeal_refunds": totals.appeal_refunds,
        "deposit_releases": totals.deposit_releases, "refunds": totals.refunds, "supplements": totals.supplements,
        "case_payments": totals.case_payments, "net": totals.net,
        "by_fund": {k: str(v) for k, v in totals.by_fund.items()},
    }  # fmt: skip
    connection.execute(insert(payout_statements), [row])
    connection.execute(insert(payout_lines), [
        {"period": month, "fixmedins_code": code, "line_no": n, "kind": line.kind.value, "ref": line.ref,
         "day": line.day, "text": line.text[:4000], "amount": line.amount,
         "funds": {k: str(v) for k, v in line.funds.items()}}
        for n, line in enumerate(lines, start=1)
    ])  # fmt: skip
