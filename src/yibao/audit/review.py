"""The review queue's use cases: record findings, draw the sample, answer, appeal, decide, list, read.

Every function takes a connection inside the caller's transaction (``store.engine``'s
``write_transaction`` for the writers, ``read_transaction`` for :func:`list_queue` and
:func:`get_case`), checks all of its input before writing, and raises a
:class:`~yibao.kernel.errors.YibaoError` naming the field and the reason: ``InvalidValue`` (bad
input), ``NotFound`` (no such case, or another institution's), ``ReviewConflict`` (the case's
state does not allow the step, e.g. a decision on a closed case). The caller's transaction then
rolls back: nothing is half-written.

Steps are appended, never changed; the case row holds the current state and amounts only
(``review_store``). The acting party is who the caller says it is: authentication and roles
(which staff may decide, an institution sees only its own cases) are issue I's (ADR 0013).

* :func:`record_findings` (``review_findings``): store a run's findings, queue the suspicious ones.
* :func:`draw_inpatient_sample` (``review_sample``): the period's inpatient sample.
* :func:`answer_case`: the institution explains, with references to its evidence.
* :func:`appeal_findings`: the institution contests violations (deducted without review).
* :func:`decide_case`: an auditor upholds, partly upholds or dismisses, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, Connection, func, select

from yibao.audit.model import Grade
from yibao.audit.review_findings import SYSTEM_ACTOR, record_findings
from yibao.audit.review_model import (
    MAX_CASE_ID,
    MAX_FINDING_ID,
    CaseReason,
    CaseState,
    Period,
    ReviewConflict,
    StepKind,
    decide,
    evidence_refs,
    identifier,
    next_state,
    text,
)
from yibao.audit.review_records import Case, CaseFile, QueuePage, StoredFinding
from yibao.audit.review_sample import draw_inpatient_sample
from yibao.audit.review_store import (
    NewCase,
    add_step,
    case_of,
    finding_of,
    findings_of_case,
    load_case,
    move,
    open_cases,
    steps_of_case,
)
from yibao.audit.tables import case_findings, cases, findings
from yibao.kernel.errors import InvalidValue, NotFound
from yibao.kernel.money import ZERO

__all__ = [
    "QUEUE_STATES",
    "SYSTEM_ACTOR",
    "answer_case",
    "appeal_findings",
    "decide_case",
    "draw_inpatient_sample",
    "get_case",
    "list_queue",
    "record_findings",
]

#: the states the queue shows by default: cases still waiting for someone
QUEUE_STATES = (CaseState.OPEN, CaseState.ANSWERED)
#: the most cases one page of the queue returns, and the most findings one appeal names
MAX_PAGE = 1000
MAX_APPEAL = 500


def answer_case(
    connection: Connection, *, case_id: int, fixmedins_code: str, actor: str, explanation: str,
    evidence: Iterable[str] = (), now: datetime,
) -> Case:  # fmt: skip
    """The institution's answer (说明/申诉) with references to its evidence; the case after.

    Only the case's institution may answer (another institution's case reads as missing); an
    answered case may be answered again (more evidence) until it is decided.
    """
    code = text(fixmedins_code, field="fixmedins_code", limit=30)
    who = text(actor, field="actor", limit=60)
    why = text(explanation, field="explanation", limit=4000)
    refs = evidence_refs(evidence)
    case = load_case(connection, case_id, fixmedins_code=code, lock=True)
    after = next_state(case.state, StepKind.ANSWERED)
    moved = move(connection, case, state=after, now=now)
    add_step(connection, case.case_id, kind=StepKind.ANSWERED, actor=who, at=now,
             state_after=after, text=why, fixmedins_code=code, evidence=refs)  # fmt: skip
    return moved


def decide_case(
    connection: Connection, *, case_id: int, actor: str, outcome: str, reason: str,
    amount_upheld: Decimal | None = None, now: datetime,
) -> Case:  # fmt: skip
    """An auditor's decision; the case, closed. A closed case refuses it (``state``)."""
    who = text(actor, field="actor", limit=60)
    case = load_case(connection, case_id, lock=True)
    after = next_state(case.state, StepKind.DECIDED)
    decision = decide(outcome, at_issue=case.amount_at_issue, amount_upheld=amount_upheld,
                      reason=reason)  # fmt: skip
    moved = move(connection, case, state=after, now=now, outcome=decision.outcome.value,
                 amount_upheld=decision.amount_upheld, closed_at=now)  # fmt: skip
    add_step(connection, case.case_id, kind=StepKind.DECIDED, actor=who, at=now,
             state_after=after, text=decision.reason, outcome=decision.outcome,
             amount=decision.amount_upheld)  # fmt: skip
    return moved


def appeal_findings(
    connection: Connection, *, finding_ids: Sequence[int], fixmedins_code: str, actor: str,
    explanation: str, evidence: Iterable[str] = (), now: datetime,
) -> Case:  # fmt: skip
    """The institution appeals violations of one visit: a case opened and answered at once."""
    code = text(fixmedins_code, field="fixmedins_code", limit=30)
    who = text(actor, field="actor", limit=60)
    why = text(explanation, field="explanation", limit=4000)
    refs = evidence_refs(evidence)
    appealed = _appealable(connection, finding_ids, code)
    first = appealed[0]
    amount = sum((f.amount for f in appealed), ZERO)
    [case_id] = open_cases(connection, [NewCase(
        reason=CaseReason.FINDING, mdtrt_id=first.mdtrt_id, psn_no=first.psn_no,
        fixmedins_code=code, period=min(f.period for f in appealed), amount_at_issue=amount,
        actor=who, text=f"appeal of {len(appealed)} violation(s)", opened_by=code,
        finding_ids=tuple(f.finding_id for f in appealed),
    )], now=now)  # fmt: skip
    return answer_case(connection, case_id=case_id, fixmedins_code=code, actor=who,
                       explanation=why, evidence=refs, now=now)  # fmt: skip


def _appealable(
    connection: Connection, finding_ids: Sequence[int], code: str
) -> list[StoredFinding]:
    """The findings named, each a violation of this institution, of one visit, in no case yet."""
    ids = list(dict.fromkeys(finding_ids))
    for n, finding_id in enumerate(ids):
        identifier(finding_id, field=f"finding_ids[{n}]", largest=MAX_FINDING_ID)
    if not ids:
        raise InvalidValue("finding_ids", "empty: name the findings appealed")
    if len(ids) > MAX_APPEAL:
        raise InvalidValue("finding_ids", f"{len(ids)} findings; at most {MAX_APPEAL} at once")
    rows = connection.execute(
        select(findings).where(findings.c.finding_id.in_(ids), findings.c.fixmedins_code == code)
    )
    by_id = {int(r.finding_id): finding_of(r) for r in rows}
    for finding_id in ids:
        if finding_id not in by_id:
            raise NotFound(f"finding_ids: no finding {finding_id} of institution {code}")
        grade = by_id[finding_id].grade
        if grade is not Grade.VIOLATION:
            raise InvalidValue(
                "finding_ids",
                f"finding {finding_id} is {grade.value}: only violations are appealed "
                "(a suspicious finding is answered in its case; a reminder is not deducted)",
            )
    visits = sorted({f.mdtrt_id for f in by_id.values()})
    if len(visits) > 1:
        raise InvalidValue("finding_ids", f"of {len(visits)} visits ({', '.join(visits)}): "
                           "appeal each visit on its own")  # fmt: skip
    taken = connection.execute(
        select(case_findings.c.finding_id, case_findings.c.case_id).where(
            case_findings.c.finding_id.in_(ids)
        )
    ).first()
    if taken is not None:
        raise ReviewConflict(
            "finding_ids", f"finding {taken.finding_id} is already reviewed in case {taken.case_id}"
        )
    return [by_id[i] for i in ids]


def list_queue(
    connection: Connection, *, fixmedins_code: str | None = None,
    states: Iterable[str] | None = None, period: str | None = None, reason: str | None = None,
    limit: int = 100, offset: int = 0,
) -> QueuePage:  # fmt: skip
    """The queue: cases by amount at issue (largest first), then age; filtered as asked.

    ``states`` default to those still waiting (open, answered); ordering by risk score is
    issue J's (the scores do not exist yet).
    """
    chosen = _states(states)
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidValue("limit", f"{limit} is not between 1 and {MAX_PAGE}")
    if not 0 <= offset <= MAX_CASE_ID:
        raise InvalidValue("offset", f"{offset} is not between 0 and {MAX_CASE_ID}")
    c = cases.c
    where: list[ColumnElement[bool]] = [c.state.in_([s.value for s in chosen])]
    if fixmedins_code is not None:
        where.append(c.fixmedins_code == text(fixmedins_code, field="fixmedins_code", limit=30))
    if period is not None:
        where.append(c.period == str(Period.parse(period)))
    if reason is not None:
        where.append(c.reason == _reason(reason).value)
    total = connection.execute(select(func.count()).select_from(cases).where(*where)).scalar_one()
    rows = connection.execute(
        select(cases).where(*where)
        .order_by(c.amount_at_issue.desc(), c.opened_at, c.case_id)
        .limit(limit).offset(offset)
    )  # fmt: skip
    return QueuePage(tuple(case_of(r) for r in rows), int(total), limit, offset)


def get_case(
    connection: Connection, *, case_id: int, fixmedins_code: str | None = None
) -> CaseFile:
    """A case with its findings and every step; with ``fixmedins_code``, only that institution's."""
    case = load_case(connection, case_id, fixmedins_code=fixmedins_code)
    return CaseFile(case, findings_of_case(connection, case_id), steps_of_case(connection, case_id))


def _states(states: Iterable[str] | None) -> tuple[CaseState, ...]:
    if states is None:
        return QUEUE_STATES
    chosen = []
    for value in states:
        if value == "all":
            return tuple(CaseState)
        try:
            chosen.append(CaseState(value))
        except ValueError:
            allowed = ", ".join([*(s.value for s in CaseState), "all"])
            raise InvalidValue("state", f"{value!r} is not one of {allowed}") from None
    return tuple(chosen) or QUEUE_STATES


def _reason(value: str) -> CaseReason:
    try:
        return CaseReason(value)
    except ValueError:
        allowed = ", ".join(r.value for r in CaseReason)
        raise InvalidValue("reason", f"{value!r} is not one of {allowed}") from None
