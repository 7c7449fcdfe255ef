"""What the review service answers: stored findings, cases, steps, a case file, a queue page, a draw.

Pure frozen records (built by ``audit.review_store`` from rows), each with ``as_json()``: plain
JSON values with money as exact text (``"123.40"``) and moments in ISO form, for the CLI's
``--json`` and the JSON API alike (a float never carries money).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from yibao.audit.model import Action, Grade, Moment
from yibao.audit.review_model import CaseReason, CaseState, Outcome, StepKind

__all__ = [
    "Case",
    "CaseFile",
    "InstitutionSample",
    "QueuePage",
    "Recorded",
    "SampleDraw",
    "Step",
    "StoredFinding",
    "money_text",
]


def money_text(value: Decimal | None) -> str | None:
    """Money as exact text (``"0.10"``), None kept."""
    return None if value is None else format(value, "f")


def _when(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """A finding as the store keeps it: the engine's finding, where it came from, its institution."""

    finding_id: int
    moment: Moment
    reference: str
    period: str
    rule_id: str
    rule_name: str
    family: str
    grade: Grade
    action: Action
    mdtrt_id: str
    psn_no: str
    fixmedins_code: str
    feedetl_sn: str
    amount: Decimal
    fee_date: date
    vola_cont: str
    evidence: str
    created_at: datetime
    detail: Mapping[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values; money as text."""
        return {
            "finding_id": self.finding_id, "moment": self.moment.value, "reference": self.reference,
            "period": self.period, "rule_id": self.rule_id, "rule_name": self.rule_name,
            "family": self.family, "grade": self.grade.value, "grade_label": self.grade.label,
            "action": self.action.value, "mdtrt_id": self.mdtrt_id, "psn_no": self.psn_no,
            "fixmedins_code": self.fixmedins_code, "feedetl_sn": self.feedetl_sn,
            "amount": money_text(self.amount), "fee_date": _when(self.fee_date),
            "vola_cont": self.vola_cont, "evidence": self.evidence, "detail": dict(self.detail),
            "created_at": _when(self.created_at),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Case:
    """A case's current state: the visit, why it is reviewed, where it stands, the amounts."""

    case_id: int
    reason: CaseReason
    mdtrt_id: str
    case_no: int
    psn_no: str
    fixmedins_code: str
    period: str
    state: CaseState
    amount_at_issue: Decimal
    outcome: Outcome | None
    amount_upheld: Decimal | None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values; money as text."""
        return {
            "case_id": self.case_id, "reason": self.reason.value, "reason_label": self.reason.label,
            "mdtrt_id": self.mdtrt_id, "case_no": self.case_no, "psn_no": self.psn_no,
            "fixmedins_code": self.fixmedins_code, "period": self.period,
            "state": self.state.value, "state_label": self.state.label,
            "amount_at_issue": money_text(self.amount_at_issue),
            "outcome": None if self.outcome is None else self.outcome.value,
            "amount_upheld": money_text(self.amount_upheld),
            "opened_at": _when(self.opened_at), "updated_at": _when(self.updated_at),
            "closed_at": _when(self.closed_at),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a case: who, when, what, and the state it left the case in."""

    case_id: int
    step_no: int
    kind: StepKind
    actor: str
    fixmedins_code: str | None
    at: datetime
    state_after: CaseState
    text: str
    evidence: tuple[str, ...]
    outcome: Outcome | None
    amount: Decimal | None

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values; money as text."""
        return {
            "step_no": self.step_no, "kind": self.kind.value, "actor": self.actor,
            "fixmedins_code": self.fixmedins_code, "at": _when(self.at),
            "state_after": self.state_after.value, "text": self.text,
            "evidence": list(self.evidence),
            "outcome": None if self.outcome is None else self.outcome.value,
            "amount": money_text(self.amount),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class CaseFile:
    """A case with the findings it reviews and every step so far, in order."""

    case: Case
    findings: tuple[StoredFinding, ...]
    steps: tuple[Step, ...]

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values; money as text."""
        return {
            "case": self.case.as_json(),
            "findings": [f.as_json() for f in self.findings],
            "steps": [s.as_json() for s in self.steps],
        }


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of the queue and how many cases match in all."""

    cases: tuple[Case, ...]
    total: int
    limit: int
    offset: int

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values; money as text."""
        return {"total": self.total, "limit": self.limit, "offset": self.offset,
                "cases": [c.as_json() for c in self.cases]}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Recorded:
    """What storing a run's findings did: the findings' ids, the cases opened and extended."""

    finding_ids: tuple[int, ...]
    opened: tuple[int, ...] = ()
    extended: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {"findings": len(self.finding_ids), "finding_ids": list(self.finding_ids),
                "cases_opened": list(self.opened), "cases_extended": list(self.extended)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class InstitutionSample:
    """One institution's draw: its settled inpatient visits, those drawn, their cases."""

    fixmedins_code: str
    population: int
    drawn: tuple[str, ...]
    case_ids: tuple[int, ...]
    #: drawn by an earlier run (its seed then stands; nothing new was opened)
    earlier_seed: str | None = None

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {"fixmedins_code": self.fixmedins_code, "population": self.population,
                "drawn": list(self.drawn), "case_ids": list(self.case_ids),
                "already_drawn_with_seed": self.earlier_seed}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SampleDraw:
    """A period's inpatient sample, institution by institution."""

    period: str
    seed: str
    share: Decimal
    institutions: tuple[InstitutionSample, ...]

    @property
    def drawn(self) -> int:
        """Visits drawn now (institutions drawn earlier count 0)."""
        return sum(len(i.drawn) for i in self.institutions if i.earlier_seed is None)

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values; the share as exact text."""
        return {"period": self.period, "seed": self.seed, "share": format(self.share, "f"),
                "drawn": self.drawn, "institutions": [i.as_json() for i in self.institutions]}  # fmt: skip
