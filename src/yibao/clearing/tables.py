"""Tables of the monthly payment to institutions (issue F): deductions, consequences, appeals,
adjustments and the clearing runs with their statements and lines.

* ``deduction_runs``: one 扣款批次 per audit month: who built it and when.
* ``deductions``: what is not paid to an institution — an audit deduction (a violation found or a
  case upheld), a penalty (违约金) or a department's refused month — with the rule, the visit and
  item it concerns, the appeal deadline, its state and the clearing month it landed in.
  ``deduction_findings`` makes a finding deductible once; ``case_id`` is unique for the same reason.
* ``consequences``: what the agreement proposes from a run (penalty, refusal of a department's
  month, suspension), each with its rule and basis, decided by the agency.
* ``appeals`` and ``appeal_steps``: the institution's appeal (申诉) of a deduction and every step.
* ``adjustments``: refunds and supplementary payments (退付与补缴) and deposit releases, each with
  its reason and the record it corrects.
* ``payout_runs``, ``payout_statements``, ``payout_lines``: the monthly clearing run, one
  statement per institution, and the statement's lines (settlements, deductions, deposit …);
  a closed run is never changed.
* ``institution_accounts``: the account each institution is paid into (收款账户), from its agreement.
* ``payment_instructions`` and ``payment_lines``: the payment instruction (拨付指令) of a closed
  run: one line per institution, paid (net above zero, with the account as it was when issued) or
  to be collected (net below zero); issued once, printed again from what was stored.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from yibao.store.base import metadata
from yibao.store.types import Amount, Ratio

__all__ = [
    "adjustments",
    "appeal_steps",
    "appeals",
    "consequences",
    "deduction_findings",
    "deduction_runs",
    "deductions",
    "institution_accounts",
    "payment_instructions",
    "payment_lines",
    "payout_lines",
    "payout_runs",
    "payout_statements",
]

deduction_runs = Table(
    "deduction_runs",
    metadata,
    Column("run_no", String(30), primary_key=True),
    Column("period", String(7), nullable=False, index=True),
    Column("created_by", String(60), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

deductions = Table(
    "deductions",
    metadata,
    Column("deduction_id", Integer, primary_key=True, autoincrement=True),
    Column("run_no", String(30), ForeignKey("deduction_runs.run_no"), nullable=False),
    Column("fixmedins_code", String(30), nullable=False),
    #: deduction (审核扣款) | penalty (违约金) | dept_refusal (拒付科室当月统筹费用)
    Column("kind", String(12), nullable=False),
    Column("case_id", Integer, unique=True),
    Column("consequence_id", Integer, unique=True),
    Column("rule_id", String(60), nullable=False),
    Column("rule_name", String(300), nullable=False),
    Column("family", String(40), nullable=False),
    Column("mdtrt_id", String(30)),
    Column("psn_no", String(30)),
    Column("feedetl_sn", String(30)),
    Column("item", String(200)),
    Column("fee_date", Date),
    Column("dept_codg", String(30)),
    Column("amount", Amount(), nullable=False),
    Column("reason", Text, nullable=False),
    Column("upheld_at", DateTime, nullable=False),
    Column("appeal_due", Date, nullable=False),
    #: upheld | appealed | reversed (won on appeal)
    Column("state", String(10), nullable=False),
    #: the clearing month it is withheld in: its audit month, or the first month still open
    Column("period", String(7), nullable=False),
    Index("ix_deductions_fixmedins_code_upheld_at", "fixmedins_code", "upheld_at"),
)

deduction_findings = Table(
    "deduction_findings",
    metadata,
    Column(
        "finding_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column(
        "deduction_id", Integer, ForeignKey("deductions.deduction_id"), nullable=False, index=True
    ),
)

consequences = Table(
    "consequences",
    metadata,
    Column("consequence_id", Integer, primary_key=True, autoincrement=True),
    Column("run_no", String(30), ForeignKey("deduction_runs.run_no"), nullable=False),
    Column("fixmedins_code", String(30), nullable=False),
    Column("dept_codg", String(30)),
    #: penalty | dept_refusal | suspension
    Column("kind", String(12), nullable=False),
    Column("violation_type", String(30), nullable=False),
    Column("rule", Text, nullable=False),
    Column("basis", JSON, nullable=False),
    Column("base_amount", Amount(), nullable=False),
    Column("min_amount", Amount(), nullable=False),
    Column("max_amount", Amount(), nullable=False),
    #: proposed | accepted | rejected
    Column("state", String(10), nullable=False),
    Column("proposed_at", DateTime, nullable=False),
    Column("decided_by", String(60)),
    Column("decided_at", DateTime),
    Column("decision_reason", Text),
    Column("multiplier", Ratio()),
    Column("amount", Amount()),
    Column("suspend_from", Date),
    Column("suspend_to", Date),
)

appeals = Table(
    "appeals",
    metadata,
    Column("appeal_id", Integer, primary_key=True, autoincrement=True),
    Column(
        "deduction_id", Integer, ForeignKey("deductions.deduction_id"), nullable=False, unique=True
    ),
    Column("fixmedins_code", String(30), nullable=False),
    #: filed | won | lost
    Column("state", String(10), nullable=False),
    Column("filed_at", DateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("decided_by", String(60)),
    Column("decided_at", DateTime),
    Column("decision_reason", Text),
    Column("refund_amount", Amount()),
    #: the clearing month a won appeal's refund is paid in (the next run still open)
    Column("refund_period", String(7)),
)

appeal_steps = Table(
    "appeal_steps",
    metadata,
    Column("appeal_id", Integer, ForeignKey("appeals.appeal_id"), primary_key=True),
    Column("step_no", Integer, primary_key=True),
    Column("kind", String(12), nullable=False),
    Column("actor", String(60), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("text", Text, nullable=False),
    Column("detail", JSON, nullable=False),
)

adjustments = Table(
    "adjustments",
    metadata,
    Column("adjustment_id", Integer, primary_key=True, autoincrement=True),
    #: refund (退付: the fund pays) | supplement (补缴: the party pays the fund) | deposit_release
    Column("kind", String(16), nullable=False),
    #: institution | person
    Column("party_type", String(12), nullable=False),
    Column("party", String(30), nullable=False),
    Column("amount", Amount(), nullable=False),
    Column("reason", Text, nullable=False),
    #: what it corrects: settlement | deduction | payout | claim | deposit, and its id
    Column("corrects_type", String(12), nullable=False),
    Column("corrects_ref", String(40), nullable=False),
    Column("created_by", String(60), nullable=False),
    Column("created_at", DateTime, nullable=False),
    #: the clearing month it lands in: the month it corrects, or the first month still open
    Column("period", String(7), nullable=False),
    Index("ix_adjustments_party", "party_type", "party"),
)

payout_runs = Table(
    "payout_runs",
    metadata,
    Column("period", String(7), primary_key=True),
    #: draft | closed
    Column("state", String(8), nullable=False),
    Column("built_by", String(60), nullable=False),
    Column("built_at", DateTime, nullable=False),
    Column("rebuilds", Integer, nullable=False),
    Column("closed_by", String(60)),
    Column("closed_at", DateTime),
)

_STATEMENT_AMOUNTS = (
    "fund_payments", "deductions", "penalties", "deposit", "appeal_refunds", "deposit_releases",
    "refunds", "supplements", "case_payments", "net",
)  # fmt: skip

payout_statements = Table(
    "payout_statements",
    metadata,
    Column("period", String(7), ForeignKey("payout_runs.period"), primary_key=True),
    Column("fixmedins_code", String(30), primary_key=True),
    Column("fixmedins_name", String(200), nullable=False),
    Column("settlements", Integer, nullable=False),
    *(Column(name, Amount(), nullable=False) for name in _STATEMENT_AMOUNTS),
    #: fund_pay_type → amount (strings, exact), the fund payments by fund
    Column("by_fund", JSON, nullable=False),
)

payout_lines = Table(
    "payout_lines",
    metadata,
    Column("period", String(7), primary_key=True),
    Column("fixmedins_code", String(30), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("ref", String(40), nullable=False),
    Column("day", Date, nullable=False),
    Column("text", Text, nullable=False),
    #: + owed to the institution, − withheld from it
    Column("amount", Amount(), nullable=False),
    Column("funds", JSON, nullable=False),
    ForeignKeyConstraint(
        ["period", "fixmedins_code"],
        ["payout_statements.period", "payout_statements.fixmedins_code"],
    ),
)

institution_accounts = Table(
    "institution_accounts",
    metadata,
    Column(
        "fixmedins_code", String(30), ForeignKey("institutions.fixmedins_code"), primary_key=True
    ),
    Column("bank_name", String(100), nullable=False),
    Column("account_no", String(32), nullable=False),
    Column("account_name", String(200), nullable=False),
    Column("changed_by", String(60), nullable=False),
    Column("changed_at", DateTime, nullable=False),
)

payment_instructions = Table(
    "payment_instructions",
    metadata,
    Column("period", String(7), ForeignKey("payout_runs.period"), primary_key=True),
    Column("instr_no", String(30), nullable=False, unique=True),
    Column("issued_by", String(60), nullable=False),
    Column("issued_at", DateTime, nullable=False),
    Column("payments", Integer, nullable=False),
    Column("paid_total", Amount(), nullable=False),
    Column("collections", Integer, nullable=False),
    Column("collected_total", Amount(), nullable=False),
)

payment_lines = Table(
    "payment_lines",
    metadata,
    Column("period", String(7), ForeignKey("payment_instructions.period"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("fixmedins_code", String(30), nullable=False),
    Column("fixmedins_name", String(200), nullable=False),
    #: pay (the fund pays the institution) | collect (the institution owes the fund: 应缴回)
    Column("direction", String(8), nullable=False),
    #: always above zero; the direction says who pays
    Column("amount", Amount(), nullable=False),
    Column("bank_name", String(100)),
    Column("account_no", String(32)),
    Column("account_name", String(200)),
)
