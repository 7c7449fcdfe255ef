"""Manual reimbursement use cases (ADR 0015): filing a claim, review, decision, lists.

Each function takes the caller's connection (one transaction: a refused step leaves nothing
behind) and the moment ``now``; failure records are :mod:`yibao.crossregion.claims_failures`,
documents :mod:`yibao.crossregion.claims_documents`, settlement and payment
:mod:`yibao.crossregion.claims_settle`. Errors name the field.

Who acts is what the caller says (``actor``, ``clerk``, ``operator``): logins and roles are
issue I's, as for the review queue (ADR 0013).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from yibao.crossregion.claim_tables import claims
from yibao.crossregion.claims_input import (
    ClaimDraft,
    FailureRecord,
    parse_claim,
    with_failure,
)
from yibao.crossregion.claims_model import (
    DUE_SOON_DAYS,
    ClaimConflict,
    ClaimState,
    DocType,
    RefusalCode,
    StepKind,
    clock_after,
    deadline_status,
    missing_documents,
    next_state,
    required_documents,
    text,
    third_party_refusal,
)
from yibao.crossregion.claims_records import Claim, ClaimFile, ClaimLine, plain
from yibao.crossregion.claims_store import (
    add_step,
    claim_of,
    insert_claim,
    load_claim,
    load_documents,
    load_failure,
    load_lines,
    load_steps,
    move,
    new_number,
)
from yibao.kernel.errors import InvalidValue, NotFound
from yibao.registry.remote_filings import remote_filing_for
from yibao.registry.service import find_person, uncovered_reason
from yibao.settlement.remote import EMERGENCY_MED_TYPES

__all__ = [
    "FILED_BY",
    "Listed",
    "clear_liability",
    "decide",
    "file_claim",
    "get_claim",
    "list_claims",
    "request_more",
    "required_for",
    "resubmit",
    "step",
    "take",
]

FILED_BY = ("person", "agency")


def file_claim(
    connection: Connection, *, data: object, filed_by: str, operator: str, now: datetime
) -> ClaimFile:
    """File a claim in the insuring region (the person, or the agency on their behalf)."""
    if filed_by not in FILED_BY:
        raise InvalidValue("filed_by", f"{filed_by!r} is neither of {', '.join(FILED_BY)}")
    who = text(operator, field="operator", limit=60)
    draft = parse_claim(data)
    record = None if draft.failure_no is None else load_failure(connection, draft.failure_no)
    if record is not None:
        _check_unused(connection, record)
    draft = with_failure(draft, record, today=now.date())
    insuplc, name = _insuring(connection, draft)
    if record is not None and record.insuplc_admdvs != insuplc:
        raise InvalidValue("failure_no", f"{record.failure_no} names insuring region "
                           f"{record.insuplc_admdvs}; the person is insured in {insuplc}")  # fmt: skip
    assert (
        draft.care_admdvs is not None and draft.begndate is not None and draft.enddate is not None
    )
    if draft.care_admdvs == insuplc:
        raise InvalidValue("care_admdvs", f"{insuplc} is the insuring region: local care is settled "
                           "by the institution, not claimed at home")  # fmt: skip
    claim_no = new_number(connection, "SGBX", now, claims.c.claim_no)
    claim = _claim(
        claim_no, draft, insuplc=insuplc, name=name, filed_by=filed_by, operator=who, now=now
    )
    lines = [ClaimLine(n, d.code, d.name, d.cnt, d.pric, d.amount, d.fee_date or draft.begndate,
                       d.hosp_appr_flag) for n, d in enumerate(draft.lines, start=1)]  # fmt: skip
    insert_claim(connection, claim, lines)
    notes = ["受理"]
    if record is None:
        notes.append("未附结算失败记录 (filed without a settlement-failure record)")
    if draft.injury_cause.value != "none":
        notes.append(f"申报致伤原因：{draft.injury_cause.label}，须审核第三方责任")
    add_step(connection, claim_no, StepKind.FILED, actor=who, at=now, state_after=ClaimState.FILED,
             text="；".join(notes), detail={"filed_by": filed_by, "failure_no": draft.failure_no,
                                            "medfee_sumamt": draft.medfee_sumamt})  # fmt: skip
    return get_claim(connection, claim_no, today=now.date())


def get_claim(connection: Connection, claim_no: str, *, today: date) -> ClaimFile:
    """A claim with its lines, documents, steps and failure record; what it needs; its deadline."""
    claim = load_claim(connection, claim_no)
    documents = load_documents(connection, claim_no)
    required = required_for(connection, claim)
    closed = None if claim.closed_at is None else claim.closed_at.date()
    return ClaimFile(
        claim=claim, lines=load_lines(connection, claim_no), documents=documents,
        steps=load_steps(connection, claim_no),
        failure=None if claim.failure_no is None else load_failure(connection, claim.failure_no),
        required=required, missing=missing_documents(required, {d.doc_type.value for d in documents}),
        deadline=deadline_status(claim.state, claim.due_on, today, closed),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Listed:
    """A claim in a list, with its deadline's status on the day asked."""

    claim: Claim
    deadline: str

    def as_json(self) -> dict[str, Any]:
        return {**self.claim.as_json(), "deadline": self.deadline}


def list_claims(
    connection: Connection, *, today: date, states: Sequence[str] = (), psn_no: str | None = None,
    deadline: str | None = None, limit: int = 100, offset: int = 0,
) -> list[Listed]:  # fmt: skip
    """Claims, the nearest deadline first; ``deadline`` ``overdue`` or ``due_soon`` keeps those only
    (claims with the agency whose deadline has passed, or is at most DUE_SOON_DAYS away)."""
    c = claims.c
    query = select(claims)
    for state in states:
        if state not in {s.value for s in ClaimState}:
            _bad_state(state)
    if states:
        query = query.where(c.state.in_(list(states)))
    if psn_no:
        query = query.where(c.psn_no == psn_no)
    if deadline is not None:
        agency = [s.value for s in ClaimState if s.with_agency]
        if deadline == "overdue":
            query = query.where(c.state.in_(agency), c.due_on < today)
        elif deadline == "due_soon":
            soon = today + timedelta(days=DUE_SOON_DAYS)
            query = query.where(c.state.in_(agency), c.due_on >= today, c.due_on <= soon)
        else:
            raise InvalidValue("deadline", f"{deadline!r} is neither overdue nor due_soon")
    if not 1 <= limit <= 1000 or offset < 0:
        raise InvalidValue("limit", "limit is from 1 to 1000 and offset at least 0")
    query = query.order_by(c.due_on.is_(None), c.due_on, c.filed_at).limit(limit).offset(offset)
    found = []
    for row in connection.execute(query):
        claim = claim_of(row._mapping)
        closed = None if claim.closed_at is None else claim.closed_at.date()
        found.append(Listed(claim, deadline_status(claim.state, claim.due_on, today, closed)))
    return found


def take(connection: Connection, *, claim_no: str, clerk: str, now: datetime) -> Claim:
    """A clerk takes the claim to review it."""
    who = text(clerk, field="clerk", limit=60)
    claim = load_claim(connection, claim_no, lock=True)
    return step(connection, claim, StepKind.TAKEN, actor=who, now=now, text="受理审核",
                changes={"clerk": who})  # fmt: skip


def request_more(
    connection: Connection, *, claim_no: str, clerk: str, what: str, now: datetime
) -> Claim:
    """The clerk sends the claim back to the person for more documents: the deadline stops."""
    who = text(clerk, field="clerk", limit=60)
    asked = text(what, field="what", limit=2000)
    claim = load_claim(connection, claim_no, lock=True)
    return step(connection, claim, StepKind.MORE_REQUESTED, actor=who, now=now, text=asked)


def resubmit(
    connection: Connection, *, claim_no: str, actor: str, note: str, now: datetime
) -> Claim:
    """The person hands the claim back after adding what was asked for: the deadline starts afresh."""
    who = text(actor, field="actor", limit=60)
    said = text(note, field="note", limit=2000, required=False) or "补充材料后重新提交"
    claim = load_claim(connection, claim_no, lock=True)
    return step(connection, claim, StepKind.RESUBMITTED, actor=who, now=now, text=said)


def clear_liability(
    connection: Connection, *, claim_no: str, clerk: str, finding: str, now: datetime
) -> Claim:
    """The clerk records that the liability papers on file show no third party is liable."""
    who = text(clerk, field="clerk", limit=60)
    shown = text(finding, field="finding", limit=2000)
    claim = load_claim(connection, claim_no, lock=True)
    if claim.injury_cause.value == "none":
        raise ClaimConflict("injury_cause", "none: the claim names no third party to clear")
    papers = [
        d for d in load_documents(connection, claim_no) if d.doc_type is DocType.LIABILITY_PAPERS
    ]
    if not papers:
        raise ClaimConflict(
            "documents", "no liability_papers (责任认定材料) on file: upload them first"
        )
    return step(connection, claim, StepKind.LIABILITY_CLEARED, actor=who, now=now, text=shown,
                detail={"documents": [d.doc_no for d in papers]}, changes={"liability_note": shown})  # fmt: skip


def decide(
    connection: Connection, *, claim_no: str, clerk: str, outcome: str, reason: str | None,
    now: datetime, refusal_code: str | None = None,
) -> Claim:  # fmt: skip
    """Approve or refuse a claim under review.

    Approval needs every required document on file. A claim with a third party named
    (injury cause not ``none``) and not cleared on liability papers is refused for third-party
    liability instead, with that reason recorded (the clerk's words kept after it).
    """
    who = text(clerk, field="clerk", limit=60)
    if outcome not in ("approve", "refuse"):
        raise InvalidValue("outcome", f"{outcome!r} is neither approve nor refuse")
    claim = load_claim(connection, claim_no, lock=True)
    said = text(reason, field="reason", limit=2000, required=outcome == "refuse")
    if outcome == "refuse":
        code = _refusal_code(refusal_code)
        return _close(connection, claim, who=who, now=now, code=code, why=said)
    if refusal_code is not None:
        raise InvalidValue("refusal_code", "only a refusal has a refusal code")
    next_state(claim.state, StepKind.APPROVED)  # a claim not under review is refused first
    required = required_for(connection, claim)
    missing = missing_documents(
        required, {d.doc_type.value for d in load_documents(connection, claim_no)}
    )
    if missing:
        names = ", ".join(f"{d.value} ({d.label})" for d in missing)
        raise ClaimConflict("documents", f"missing {names}: ask for them, or refuse the claim")
    excluded = third_party_refusal(claim.injury_cause, cleared=claim.liability_note is not None)
    if excluded is not None:
        why = f"{excluded}。{said}" if said else excluded
        return _close(connection, claim, who=who, now=now, code=RefusalCode.THIRD_PARTY_LIABILITY,
                      why=why)  # fmt: skip
    why = said or "审核通过"
    return step(connection, claim, StepKind.APPROVED, actor=who, now=now, text=why,
                changes={"decision_reason": why, "decided_at": now})  # fmt: skip


def required_for(connection: Connection, claim: Claim) -> tuple[DocType, ...]:
    """The documents this claim needs (a filing in the registry is its own proof)."""
    filing = remote_filing_for(connection, psn_no=claim.psn_no, care_admdvs=claim.care_admdvs,
                               begin=claim.begndate, end=claim.enddate)  # fmt: skip
    return required_documents(claim.med_type, emergency=claim.med_type in EMERGENCY_MED_TYPES,
                              filing_on_record=filing is not None)  # fmt: skip


def step(
    connection: Connection, claim: Claim, kind: StepKind, *, actor: str, now: datetime, text: str,
    detail: dict[str, Any] | None = None, changes: dict[str, Any] | None = None,
) -> Claim:  # fmt: skip
    """Take a step of a claim, starting or stopping the deadline's clock (:func:`clock_after`)."""
    after = next_state(claim.state, kind)
    documents = {d.doc_type.value for d in load_documents(connection, claim.claim_no)}
    complete = not missing_documents(required_for(connection, claim), documents)
    clock = clock_after(after, due_on=claim.due_on, complete=complete, today=now.date())
    changes = dict(changes or {})
    detail = dict(detail or {})
    if clock is not None:
        changes.update(complete_on=clock[0], due_on=clock[1])
        detail["due_on"] = plain(clock[1])
    return move(
        connection, claim, kind, actor=actor, at=now, text=text, detail=detail, changes=changes
    )


def _close(
    connection: Connection, claim: Claim, *, who: str, now: datetime, code: RefusalCode, why: str
) -> Claim:
    return step(connection, claim, StepKind.REFUSED, actor=who, now=now, text=why,
                detail={"refusal_code": code.value},
                changes={"refusal_code": code.value, "decision_reason": why, "decided_at": now,
                         "closed_at": now})  # fmt: skip


def _refusal_code(value: str | None) -> RefusalCode:
    if value is None:
        return RefusalCode.OTHER
    try:
        return RefusalCode(value)
    except ValueError:
        allowed = ", ".join(f"{c.value} ({c.label})" for c in RefusalCode)
        raise InvalidValue("refusal_code", f"{value!r} is not one of {allowed}") from None


def _bad_state(state: str) -> None:
    allowed = ", ".join(s.value for s in ClaimState)
    raise InvalidValue("state", f"{state!r} is not one of {allowed}")


def _check_unused(connection: Connection, record: FailureRecord) -> None:
    """A failure record backs one claim at a time: another may use it only once that one is refused."""
    c = claims.c
    held = connection.execute(
        select(c.claim_no, c.state).where(
            c.failure_no == record.failure_no, c.state != ClaimState.REFUSED.value
        )
    ).first()
    if held is not None:
        raise ClaimConflict(
            "failure_no", f"{record.failure_no} already backs claim {held.claim_no} ({held.state})"
        )


def _insuring(connection: Connection, draft: ClaimDraft) -> tuple[str, str]:
    """The person's insuring region under the claim's insurance type on the last day, and name."""
    assert draft.enddate is not None
    try:
        found = find_person(connection, psn_no=draft.psn_no, day=draft.enddate)
    except NotFound:
        raise NotFound(f"psn_no: no insured person {draft.psn_no}") from None
    enrolment = next((e for e in found.enrolments if e.insutype == draft.insutype), None)
    if enrolment is None:
        why = uncovered_reason(
            connection, psn_no=draft.psn_no, insutype=draft.insutype, day=draft.enddate
        )
        raise InvalidValue("insutype", f"no cover under {draft.insutype} on {draft.enddate}: {why}")
    return enrolment.insuplc_admdvs, found.person.psn_name


def _claim(
    claim_no: str, draft: ClaimDraft, *, insuplc: str, name: str, filed_by: str, operator: str,
    now: datetime,
) -> Claim:  # fmt: skip
    assert draft.fixmedins_code and draft.fixmedins_name and draft.hosp_lv and draft.care_admdvs
    assert draft.med_type and draft.begndate and draft.enddate
    return Claim(
        claim_no=claim_no, psn_no=draft.psn_no, psn_name=name, insutype=draft.insutype,
        insuplc_admdvs=insuplc, failure_no=draft.failure_no, reason=draft.reason,
        fixmedins_code=draft.fixmedins_code, fixmedins_name=draft.fixmedins_name,
        hosp_lv=draft.hosp_lv, care_admdvs=draft.care_admdvs, med_type=draft.med_type,
        begndate=draft.begndate, enddate=draft.enddate,
        diagnoses=tuple({"diag_code": d.diag_code, "diag_name": d.diag_name, "diag_type": d.diag_type}
                        for d in draft.diagnoses),
        injury_cause=draft.injury_cause, medfee_sumamt=draft.medfee_sumamt, memo=draft.memo,
        filed_by=filed_by, operator=operator, filed_at=now, state=ClaimState.FILED, clerk=None,
        complete_on=None, due_on=None, liability_note=None, refusal_code=None,
        decision_reason=None, decided_at=None, closed_at=None, mdtrt_id=None, setl_id=None,
        catalog_admdvs=None, filing_type=None, fund_pay_sumamt=None, psn_part_amt=None,
        payable=None, paid_amount=None, paid_on=None, bank_ref=None, updated_at=now,
    )  # fmt: skip
