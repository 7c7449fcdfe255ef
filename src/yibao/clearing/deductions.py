"""Deduction runs (扣款批次): upheld audit results become deductions, and the agreement proposes
its consequences.

:func:`build_deductions` takes, for one audit month,

* every violation (违规) found at or after settlement that is in no review case and not yet
  deducted — except one found during settlement whose action moved the line to self-pay (the fund
  never paid it). One deduction per fee line: the largest amount found on it (never more than the
  line), citing every rule that found it;
* every closed review case whose decision upheld an amount and that is not yet deducted, whatever
  its month;

withholds them in the audit month's clearing run (or the first month still open when that run is
closed), gives each the agreement's appeal deadline, and stores the consequences
:func:`~yibao.clearing.model.propose` finds for the run's deductions, each waiting for a decision
(:mod:`yibao.clearing.consequences`). A finding is
deducted once (``deduction_findings``), a case once (``deductions.case_id`` is unique), so a second
run of the same month takes only what is new.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select

from yibao.audit.model import Action, Grade, Moment
from yibao.audit.review_model import CaseState
from yibao.audit.tables import case_findings, cases, findings
from yibao.clearing.model import Agreement, Proposal, UpheldDeduction, appeal_due, propose
from yibao.clearing.periods import landing
from yibao.clearing.rows import inserted_id
from yibao.clearing.tables import consequences, deduction_findings, deduction_runs, deductions
from yibao.crossregion.clearing_values import parse_period, text
from yibao.kernel.money import ZERO
from yibao.settlement.tables import fee_lines

__all__ = ["DeductionRun", "build_deductions"]


@dataclass(frozen=True, slots=True)
class DeductionRun:
    """What a run stored: its number, the deductions by institution, the proposals."""

    run_no: str
    period: str
    by_institution: dict[str, tuple[int, Decimal]]
    proposals: tuple[Proposal, ...]

    @property
    def total(self) -> Decimal:
        """Σ of the run's deductions."""
        return sum((amount for _, amount in self.by_institution.values()), ZERO)


def build_deductions(
    connection: Connection, *, period: str, actor: str, now: datetime, agreement: Agreement
) -> DeductionRun:
    """Turn the month's upheld audit results into deductions and propose the consequences."""
    month = parse_period(period)
    who = text(actor, field="actor", limit=60)
    lands = landing(connection, month)
    count = connection.execute(
        select(func.count()).select_from(deduction_runs).where(deduction_runs.c.period == month)
    ).scalar_one()
    run_no = f"KK{month.replace('-', '')}-{count + 1:03d}"
    rows = [*_violations(connection, month), *_cases(connection)]
    connection.execute(
        insert(deduction_runs),
        [{"run_no": run_no, "period": month, "created_by": who, "created_at": now}],
    )
    due = appeal_due(now, agreement.appeal_days)
    upheld: list[UpheldDeduction] = []
    totals: dict[str, tuple[int, Decimal]] = {}
    for row in rows:
        found = row.pop("finding_ids")
        result = connection.execute(
            insert(deductions).values(
                run_no=run_no,
                kind="deduction",
                upheld_at=now,
                appeal_due=due,
                period=lands,
                state="upheld",
                **row,
            )
        )
        deduction_id = inserted_id(result)
        if found:
            connection.execute(
                insert(deduction_findings),
                [{"finding_id": f, "deduction_id": deduction_id} for f in found],
            )
        upheld.append(UpheldDeduction(deduction_id, row["fixmedins_code"], row["dept_codg"], row["family"],
                                      row["mdtrt_id"], row["amount"]))  # fmt: skip
        n, amount = totals.get(row["fixmedins_code"], (0, ZERO))
        totals[row["fixmedins_code"]] = (n + 1, amount + row["amount"])
    proposals = tuple(propose(upheld, agreement))
    if proposals:
        connection.execute(insert(consequences), [
            {"run_no": run_no, "fixmedins_code": p.fixmedins_code, "dept_codg": p.dept_codg, "kind": p.kind.value,
             "violation_type": p.violation_type.value, "rule": p.rule,
             "basis": {"deduction_ids": list(p.deduction_ids), "cases": p.cases},
             "base_amount": p.base_amount, "min_amount": p.min_amount, "max_amount": p.max_amount,
             "state": "proposed", "proposed_at": now}
            for p in proposals
        ])  # fmt: skip
    return DeductionRun(run_no, month, dict(sorted(totals.items())), proposals)


def _violations(connection: Connection, month: str) -> list[dict[str, Any]]:
    """One row per fee line with deductible violations of the month not yet taken."""
    f = findings.c
    in_case = (
        select(case_findings.c.finding_id)
        .where(case_findings.c.finding_id == f.finding_id)
        .exists()
    )
    taken = (
        select(deduction_findings.c.finding_id)
        .where(deduction_findings.c.finding_id == f.finding_id)
        .exists()
    )
    query = (
        select(findings, fee_lines.c.det_item_fee_sumamt, fee_lines.c.bilg_dept_codg, fee_lines.c.med_list_codg)
        .outerjoin(fee_lines, and_(fee_lines.c.mdtrt_id == f.mdtrt_id, fee_lines.c.feedetl_sn == f.feedetl_sn))
        .where(f.period == month, f.grade == Grade.VIOLATION.value, f.moment != Moment.BEFORE.value,
               ~and_(f.moment == Moment.DURING.value, f.action == Action.SELF_PAY.value), ~in_case, ~taken)
        .order_by(f.fixmedins_code, f.mdtrt_id, f.feedetl_sn, f.amount.desc(), f.finding_id)
    )  # fmt: skip
    lines: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for r in connection.execute(query):
        lines[(r.mdtrt_id, r.feedetl_sn)].append(r)
    out = []
    for found in lines.values():
        top = found[0]  # the largest amount first
        cap = top.det_item_fee_sumamt
        amount = top.amount if cap is None else min(top.amount, cap)
        if amount <= ZERO:
            continue
        rules = "；".join(dict.fromkeys(f"{r.rule_name}（{r.rule_id}）" for r in found))
        out.append({
            "fixmedins_code": top.fixmedins_code, "case_id": None, "rule_id": top.rule_id,
            "rule_name": top.rule_name, "family": top.family, "mdtrt_id": top.mdtrt_id, "psn_no": top.psn_no,
            "feedetl_sn": top.feedetl_sn or None, "item": top.med_list_codg, "fee_date": top.fee_date,
            "dept_codg": top.bilg_dept_codg, "amount": amount,
            "reason": f"违规：{top.vola_cont}（依据：{rules}）", "finding_ids": [r.finding_id for r in found],
        })  # fmt: skip
    return out


def _cases(connection: Connection) -> list[dict[str, Any]]:
    """One row per closed case with an upheld amount not yet deducted."""
    c = cases.c
    taken = select(deductions.c.case_id).where(deductions.c.case_id == c.case_id).exists()
    rows = connection.execute(
        select(cases)
        .where(c.state == CaseState.CLOSED.value, c.amount_upheld > 0, ~taken)
        .order_by(c.case_id)
    ).all()
    out = []
    for case in rows:
        linked = connection.execute(
            select(findings, fee_lines.c.bilg_dept_codg, fee_lines.c.med_list_codg)
            .join(case_findings, case_findings.c.finding_id == findings.c.finding_id)
            .outerjoin(fee_lines, and_(fee_lines.c.mdtrt_id == findings.c.mdtrt_id,
                                       fee_lines.c.feedetl_sn == findings.c.feedetl_sn))
            .where(case_findings.c.case_id == case.case_id)
            .order_by(findings.c.amount.desc(), findings.c.finding_id)
        ).all()  # fmt: skip
        top = linked[0] if linked else None
        fresh = [r.finding_id for r in linked if not _deducted(connection, r.finding_id)]
        if linked and not fresh:
            continue  # its findings were deducted already: a deduction is contested by appeal
        out.append({
            "fixmedins_code": case.fixmedins_code, "case_id": case.case_id,
            "rule_id": top.rule_id if top else "review", "rule_name": top.rule_name if top else "人工审核",
            "family": top.family if top else "review", "mdtrt_id": case.mdtrt_id, "psn_no": case.psn_no,
            "feedetl_sn": (top.feedetl_sn or None) if top else None, "item": top.med_list_codg if top else None,
            "fee_date": top.fee_date if top else None, "dept_codg": top.bilg_dept_codg if top else None,
            "amount": case.amount_upheld,
            "reason": f"审核案件 {case.case_id} 决定{_outcome(case.outcome)} {case.amount_upheld} 元",
            "finding_ids": fresh,
        })  # fmt: skip
    return out


def _deducted(connection: Connection, finding_id: int) -> bool:
    column = deduction_findings.c.finding_id
    return connection.execute(select(column).where(column == finding_id)).first() is not None


def _outcome(value: str | None) -> str:
    return {"uphold": "维持", "partly_uphold": "部分维持"}.get(value or "", "维持")
