"""The audit context's tables: stored findings, review cases, their steps, and the sample draws.

* ``audit_findings`` — one row per finding of a run (事中 at 3102/2207, 事后 in the monthly batch):
  what the engine returned (:class:`~yibao.audit.findings.Finding`), with the moment, the run's
  reference (``msgid``, ``setl_id`` or batch id), the institution and the period. Never updated.
* ``audit_cases`` — one row per visit under review (``reason``: ``finding`` or ``sample``), the
  case's *current* state and amounts: the only row of the queue that changes.
* ``audit_case_findings`` — which findings a case reviews (insert-only).
* ``audit_case_steps`` — every step of a case in order (opened, findings added, answered,
  decided): who, when, what. Never updated, never deleted.
* ``audit_samples`` — one row per institution and period whose inpatient sample was drawn, with
  the seed, so that anyone can draw it again and get the same visits.

Money is :func:`~yibao.store.types.Amount` (exact fen). No foreign keys to other contexts: a
finding of 3102 may name a visit the store never registered.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from yibao.store.base import metadata
from yibao.store.types import Amount, Ratio

__all__ = ["case_findings", "case_steps", "cases", "findings", "samples"]

#: a 64-bit key on PostgreSQL; SQLite's INTEGER PRIMARY KEY (its 64-bit rowid) to autoincrement
_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")

findings = Table(
    "audit_findings",
    metadata,
    Column("finding_id", _BIG_ID, primary_key=True, autoincrement=True),
    #: before / during / after (audit.model.Moment)
    Column("moment", String(6), nullable=False),
    #: what produced it: the message (msgid), the settlement or the batch run
    Column("reference", String(60), nullable=False),
    #: the month it belongs to (YYYY-MM): the settlement's month, or the batch's period
    Column("period", String(7), nullable=False),
    Column("rule_id", String(60), nullable=False),
    Column("rule_name", String(300), nullable=False),
    Column("family", String(40), nullable=False),
    Column("grade", String(10), nullable=False),
    Column("action", String(10), nullable=False),
    Column("mdtrt_id", String(30), nullable=False),
    Column("psn_no", String(30), nullable=False),
    Column("fixmedins_code", String(30), nullable=False),
    Column("feedetl_sn", String(30), nullable=False),
    Column("amount", Amount(), nullable=False),
    Column("fee_date", Date, nullable=False),
    Column("vola_cont", Text, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("detail", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_audit_findings_mdtrt_id", "mdtrt_id"),
    Index("ix_audit_findings_reference", "reference"),
    Index("ix_audit_findings_fixmedins_code_period", "fixmedins_code", "period"),
)

cases = Table(
    "audit_cases",
    metadata,
    Column("case_id", Integer, primary_key=True, autoincrement=True),
    #: finding / sample (audit.review_model.CaseReason)
    Column("reason", String(10), nullable=False),
    Column("mdtrt_id", String(30), nullable=False),
    #: the visit's n-th case of this reason (a closed case is never reopened: a new one is)
    Column("case_no", Integer, nullable=False),
    Column("psn_no", String(30), nullable=False),
    Column("fixmedins_code", String(30), nullable=False),
    Column("period", String(7), nullable=False),
    #: open / answered / closed (audit.review_model.CaseState): the only thing that changes
    Column("state", String(10), nullable=False),
    #: the findings' amounts (a finding case) or the funds' payment for the visit (a sample)
    Column("amount_at_issue", Amount(), nullable=False),
    Column("outcome", String(16)),
    Column("amount_upheld", Amount()),
    Column("opened_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("closed_at", DateTime),
    UniqueConstraint("mdtrt_id", "reason", "case_no"),
    Index("ix_audit_cases_state_period", "state", "period"),
    Index("ix_audit_cases_fixmedins_code_period_state", "fixmedins_code", "period", "state"),
)

case_findings = Table(
    "audit_case_findings",
    metadata,
    Column("case_id", Integer, ForeignKey("audit_cases.case_id"), primary_key=True),
    Column("finding_id", _BIG_ID, ForeignKey("audit_findings.finding_id"), primary_key=True),
    Index("ix_audit_case_findings_finding_id", "finding_id"),
)

case_steps = Table(
    "audit_case_steps",
    metadata,
    Column("case_id", Integer, ForeignKey("audit_cases.case_id"), primary_key=True),
    Column("step_no", Integer, primary_key=True),
    #: opened / findings_added / answered / decided (audit.review_model.StepKind)
    Column("kind", String(16), nullable=False),
    #: who acted (a person's name or id as the caller gave it; authentication is issue I's)
    Column("actor", String(60), nullable=False),
    #: the institution that acted (answers, appeals); None for the agency
    Column("fixmedins_code", String(30)),
    Column("at", DateTime, nullable=False),
    Column("state_after", String(10), nullable=False),
    #: the explanation (an answer), the reason (a decision) or what opened the case
    Column("text", Text, nullable=False),
    #: references to evidence documents (病程记录, 检验报告 …), a JSON list of strings
    Column("evidence", JSON, nullable=False),
    Column("outcome", String(16)),
    #: the amount upheld (a decision) or added to the amount at issue (findings added)
    Column("amount", Amount()),
)

samples = Table(
    "audit_samples",
    metadata,
    Column("period", String(7), primary_key=True),
    Column("fixmedins_code", String(30), primary_key=True),
    Column("seed", String(64), nullable=False),
    Column("share", Ratio(), nullable=False),
    #: the settled inpatient visits of the period at the institution when drawn
    Column("population", Integer, nullable=False),
    Column("drawn", Integer, nullable=False),
    Column("actor", String(60), nullable=False),
    Column("drawn_at", DateTime, nullable=False),
)
