"""What the claim services answer: a claim, its lines, documents and steps, a claim file, a list.

Pure frozen records (built by :mod:`yibao.crossregion.claims_store` from rows), each with
``as_json()``: plain JSON values with money as exact text (``"123.40"``) and days and moments in
ISO form, for the CLI's ``--json`` and the JSON API alike (a float never carries money).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from yibao.crossregion.claims_input import FailureRecord
from yibao.crossregion.claims_model import ClaimState, DocType, InjuryCause, StepKind

__all__ = ["Claim", "ClaimDocument", "ClaimFile", "ClaimLine", "ClaimStep", "plain", "record_json"]


def plain(value: object) -> Any:
    """A value as JSON holds it: money as text, days and moments in ISO form, codes as their value."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def record_json(record: object) -> dict[str, Any]:
    """Every field of a dataclass record as plain JSON values."""
    return {f.name: plain(getattr(record, f.name)) for f in fields(record)}  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Claim:
    """A claim (手工报销申请) as stored: what was filed, where it stands, what it was settled at."""

    claim_no: str
    psn_no: str
    psn_name: str
    insutype: str
    insuplc_admdvs: str
    failure_no: str | None
    reason: str | None
    fixmedins_code: str
    fixmedins_name: str
    hosp_lv: str
    care_admdvs: str
    med_type: str
    begndate: date
    enddate: date
    diagnoses: tuple[Mapping[str, str], ...]
    injury_cause: InjuryCause
    medfee_sumamt: Decimal
    memo: str
    filed_by: str
    operator: str
    filed_at: datetime
    state: ClaimState
    clerk: str | None
    complete_on: date | None
    due_on: date | None
    liability_note: str | None
    refusal_code: str | None
    decision_reason: str | None
    decided_at: datetime | None
    closed_at: datetime | None
    mdtrt_id: str | None
    setl_id: str | None
    catalog_admdvs: str | None
    filing_type: str | None
    fund_pay_sumamt: Decimal | None
    psn_part_amt: Decimal | None
    payable: Decimal | None
    paid_amount: Decimal | None
    paid_on: date | None
    bank_ref: str | None
    updated_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {**record_json(self), "state_label": self.state.label}


@dataclass(frozen=True, slots=True)
class ClaimLine:
    """A fee line as claimed."""

    line_no: int
    code: str
    name: str
    cnt: Decimal
    pric: Decimal
    amount: Decimal
    fee_date: date
    hosp_appr_flag: str

    def as_json(self) -> dict[str, Any]:
        return record_json(self)


@dataclass(frozen=True, slots=True)
class ClaimDocument:
    """An uploaded document: what it is, what its bytes are, who uploaded it and when."""

    claim_no: str
    doc_no: int
    doc_type: DocType
    media_type: str
    size_bytes: int
    sha256: str
    filename: str
    path: str
    uploaded_by: str
    uploaded_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {**record_json(self), "doc_type_label": self.doc_type.label}


@dataclass(frozen=True, slots=True)
class ClaimStep:
    """One step of a claim: what, who, when, the state after, and why."""

    step_no: int
    kind: StepKind
    actor: str
    at: datetime
    state_after: ClaimState
    text: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return record_json(self)


@dataclass(frozen=True, slots=True)
class ClaimFile:
    """A claim with its lines, documents, steps and failure record; what it still needs; its deadline."""

    claim: Claim
    lines: tuple[ClaimLine, ...]
    documents: tuple[ClaimDocument, ...]
    steps: tuple[ClaimStep, ...]
    failure: FailureRecord | None
    required: tuple[DocType, ...]
    missing: tuple[DocType, ...]
    deadline: str

    def as_json(self) -> dict[str, Any]:
        return {
            "claim": self.claim.as_json(),
            "deadline": self.deadline,
            "required_documents": [d.value for d in self.required],
            "missing_documents": [d.value for d in self.missing],
            "lines": [line.as_json() for line in self.lines],
            "documents": [d.as_json() for d in self.documents],
            "steps": [s.as_json() for s in self.steps],
            "failure": None if self.failure is None else record_json(self.failure),
        }
