"""Manual reimbursement tables (issue E, ADR 0015): settlement-failure records, claims, their
fee lines, documents and steps.

* ``settlement_failures`` — 结算失败记录: one row per visit an institution could not settle
  directly, with the reason (:class:`~yibao.settlement.remote.DirectRefusal`). Never changed.
* ``manual_claims`` — 手工报销: one row per claim, its *current* state, deadline, decision,
  settlement and payment: the only row that changes.
* ``manual_claim_lines`` — the fee list as claimed (code, name, count, price, amount). Never changed.
* ``manual_claim_documents`` — uploaded files: type, media type checked by content, size, SHA-256
  and where the file lies under the var directory. ``(claim_no, sha256)`` is unique.
* ``manual_claim_steps`` — every step (filed, document added, taken, more requested …): who,
  when, the state after, what. Appended, never changed.

Money is :func:`~yibao.store.types.Amount` (exact fen). No foreign keys to other contexts: a claim
may name an institution or a person's record this deployment does not hold.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
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
from yibao.store.types import Amount, Count, Price

__all__ = [
    "claim_documents",
    "claim_lines",
    "claim_steps",
    "claims",
    "settlement_failures",
]

settlement_failures = Table(
    "settlement_failures",
    metadata,
    Column("failure_no", String(30), primary_key=True),
    #: network / not_enabled / no_filing (settlement.remote.DirectRefusal)
    Column("reason", String(12), nullable=False),
    Column("fixmedins_code", String(30), nullable=False),
    Column("fixmedins_name", String(200), nullable=False),
    Column("hosp_lv", String(2), nullable=False),
    #: the care region (就医地): the institution's
    Column("care_admdvs", String(6), nullable=False),
    Column("psn_no", String(30), nullable=False),
    Column("psn_name", String(50), nullable=False),
    Column("certno", String(50), nullable=False),
    #: the insuring region (参保地) the person named
    Column("insuplc_admdvs", String(6), nullable=False),
    #: the institution's own visit, when it registered one
    Column("mdtrt_id", String(30)),
    Column("med_type", String(6), nullable=False),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date, nullable=False),
    Column("medfee_sumamt", Amount(), nullable=False),
    Column("detail", Text, nullable=False),
    Column("issued_by", String(60), nullable=False),
    Column("issued_at", DateTime, nullable=False),
    Index("ix_settlement_failures_psn_no", "psn_no"),
)

claims = Table(
    "manual_claims",
    metadata,
    Column("claim_no", String(30), primary_key=True),
    Column("psn_no", String(30), nullable=False),
    Column("psn_name", String(50), nullable=False),
    Column("insutype", String(6), nullable=False),
    Column("insuplc_admdvs", String(6), nullable=False),
    Column("failure_no", String(30), ForeignKey("settlement_failures.failure_no")),
    #: why direct settlement failed: the failure record's, or as the claim states (may be unknown)
    Column("reason", String(12)),
    Column("fixmedins_code", String(30), nullable=False),
    Column("fixmedins_name", String(200), nullable=False),
    Column("hosp_lv", String(2), nullable=False),
    Column("care_admdvs", String(6), nullable=False),
    Column("med_type", String(6), nullable=False),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date, nullable=False),
    #: [{"diag_code", "diag_name", "diag_type"}], the main diagnosis first
    Column("diagnoses", JSON, nullable=False),
    #: none / traffic_accident / work_injury / other_third_party (claims_model.InjuryCause)
    Column("injury_cause", String(20), nullable=False),
    Column("medfee_sumamt", Amount(), nullable=False),
    Column("memo", Text, nullable=False),
    #: person (portal) or agency (the window, on the person's behalf)
    Column("filed_by", String(10), nullable=False),
    Column("operator", String(60), nullable=False),
    Column("filed_at", DateTime, nullable=False),
    #: filed / in_review / more_requested / approved / refused / settled / paid
    Column("state", String(16), nullable=False),
    #: the clerk who took the claim last
    Column("clerk", String(60)),
    #: the day the required documents were complete (the deadline's start) and the deadline
    Column("complete_on", Date),
    Column("due_on", Date),
    #: what the liability papers show (a clerk's finding that no third party is liable)
    Column("liability_note", Text),
    Column("refusal_code", String(24)),
    Column("decision_reason", Text),
    Column("decided_at", DateTime),
    #: refused or settled: the agency's part is done (the deadline is met or not by then)
    Column("closed_at", DateTime),
    #: the visit and settlement written when settled, whose catalogue and filing type
    Column("mdtrt_id", String(30)),
    Column("setl_id", String(40)),
    Column("catalog_admdvs", String(6)),
    Column("filing_type", String(20)),
    Column("fund_pay_sumamt", Amount()),
    Column("psn_part_amt", Amount()),
    #: what is transferred to the person: the funds' share
    Column("payable", Amount()),
    Column("paid_amount", Amount()),
    Column("paid_on", Date),
    Column("bank_ref", String(60)),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_manual_claims_state_due_on", "state", "due_on"),
    Index("ix_manual_claims_psn_no", "psn_no"),
    Index("ix_manual_claims_failure_no", "failure_no"),
)

claim_lines = Table(
    "manual_claim_lines",
    metadata,
    Column("claim_no", String(30), ForeignKey("manual_claims.claim_no"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("code", String(50), nullable=False),
    Column("name", String(200), nullable=False),
    Column("cnt", Count(), nullable=False),
    Column("pric", Price(), nullable=False),
    Column("amount", Amount(), nullable=False),
    Column("fee_date", Date, nullable=False),
    #: 1: the institution (or the discharge summary) confirms a restricted item's condition
    Column("hosp_appr_flag", String(1), nullable=False),
)

claim_documents = Table(
    "manual_claim_documents",
    metadata,
    Column("claim_no", String(30), ForeignKey("manual_claims.claim_no"), primary_key=True),
    Column("doc_no", Integer, primary_key=True),
    #: invoice / fee_list / discharge_summary / filing_proof / liability_papers / failure_record / other
    Column("doc_type", String(20), nullable=False),
    #: as found in the file's first bytes: application/pdf, image/jpeg, image/png
    Column("media_type", String(40), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    #: the name the file was uploaded under (shown only; the stored name is the checksum)
    Column("filename", String(200), nullable=False),
    #: where it lies, relative to the var directory: claims/<claim_no>/<sha256>
    Column("path", String(300), nullable=False),
    Column("uploaded_by", String(60), nullable=False),
    Column("uploaded_at", DateTime, nullable=False),
    UniqueConstraint("claim_no", "sha256"),
)

claim_steps = Table(
    "manual_claim_steps",
    metadata,
    Column("claim_no", String(30), ForeignKey("manual_claims.claim_no"), primary_key=True),
    Column("step_no", Integer, primary_key=True),
    #: claims_model.StepKind
    Column("kind", String(20), nullable=False),
    Column("actor", String(60), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("state_after", String(16), nullable=False),
    Column("text", Text, nullable=False),
    #: what the step did, as values (document number and checksum, amounts, refusal code …)
    Column("detail", JSON, nullable=False),
)
