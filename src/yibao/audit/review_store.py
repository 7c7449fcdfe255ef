"""Reading and writing the review tables for the review service: rows to records, cases and steps.

* Cases are opened in bulk (:func:`open_cases`): one ``INSERT … RETURNING`` for the cases, one for
  their findings, one for their first steps; the visit's next ``case_no`` is read first.
* A case's row is the only one that changes (:func:`move`): the update names the state it read,
  so a concurrent step that got there first makes this one fail instead of overwriting it. On
  PostgreSQL :func:`load_case` with ``lock=True`` also holds the row (``SELECT … FOR UPDATE``);
  SQLite runs one writer at a time.
* Steps are appended (:func:`add_step`), numbered from 1 per case; never updated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Connection, func, insert, select, update

from yibao.audit.model import Action, Grade, Moment
from yibao.audit.review_model import (
    MAX_CASE_ID,
    CaseReason,
    CaseState,
    Outcome,
    ReviewConflict,
    StepKind,
    identifier,
    next_state,
    text,
)
from yibao.audit.review_records import Case, Step, StoredFinding
from yibao.audit.review_sources import chunks
from yibao.audit.tables import case_findings, case_steps, cases, findings
from yibao.kernel.errors import NotFound

__all__ = [
    "NewCase",
    "add_step",
    "case_of",
    "finding_of",
    "findings_of_case",
    "insert_numbered",
    "load_case",
    "move",
    "open_cases",
    "steps_of_case",
]


def finding_of(row: Any) -> StoredFinding:
    """A stored finding from its row."""
    m = row._mapping
    return StoredFinding(
        finding_id=int(m["finding_id"]), moment=Moment(m["moment"]), reference=m["reference"],
        period=m["period"], rule_id=m["rule_id"], rule_name=m["rule_name"], family=m["family"],
        grade=Grade(m["grade"]), action=Action(m["action"]), mdtrt_id=m["mdtrt_id"],
        psn_no=m["psn_no"], fixmedins_code=m["fixmedins_code"], feedetl_sn=m["feedetl_sn"],
        amount=m["amount"], fee_date=m["fee_date"], vola_cont=m["vola_cont"],
        evidence=m["evidence"], created_at=m["created_at"], detail=dict(m["detail"] or {}),
    )  # fmt: skip


def case_of(row: Any) -> Case:
    """A case from its row."""
    m = row._mapping
    outcome = m["outcome"]
    return Case(
        case_id=int(m["case_id"]), reason=CaseReason(m["reason"]), mdtrt_id=m["mdtrt_id"],
        case_no=int(m["case_no"]), psn_no=m["psn_no"], fixmedins_code=m["fixmedins_code"],
        period=m["period"], state=CaseState(m["state"]), amount_at_issue=m["amount_at_issue"],
        outcome=None if outcome is None else Outcome(outcome), amount_upheld=m["amount_upheld"],
        opened_at=m["opened_at"], updated_at=m["updated_at"], closed_at=m["closed_at"],
    )  # fmt: skip


def step_of(row: Any) -> Step:
    """A step from its row."""
    m = row._mapping
    outcome = m["outcome"]
    return Step(
        case_id=int(m["case_id"]), step_no=int(m["step_no"]), kind=StepKind(m["kind"]),
        actor=m["actor"], fixmedins_code=m["fixmedins_code"], at=m["at"],
        state_after=CaseState(m["state_after"]), text=m["text"],
        evidence=tuple(m["evidence"] or ()), outcome=None if outcome is None else Outcome(outcome),
        amount=m["amount"],
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class NewCase:
    """A case to open, with the findings it reviews and who opens it and why."""

    reason: CaseReason
    mdtrt_id: str
    psn_no: str
    fixmedins_code: str
    period: str
    amount_at_issue: Decimal
    actor: str
    text: str
    finding_ids: tuple[int, ...] = ()
    #: the institution that opens it (an appeal); None: the agency or the system
    opened_by: str | None = None
    evidence: tuple[str, ...] = field(default=())


def _next_case_numbers(
    connection: Connection, reason: CaseReason, mdtrt_ids: Iterable[str]
) -> dict[str, int]:
    """The next ``case_no`` of each visit for ``reason`` (1 for a visit with none)."""
    c = cases.c
    numbers: dict[str, int] = {}
    for part in chunks(sorted(set(mdtrt_ids))):
        rows = connection.execute(
            select(c.mdtrt_id, func.max(c.case_no).label("last"))
            .where(c.reason == reason.value, c.mdtrt_id.in_(part))
            .group_by(c.mdtrt_id)
        )
        numbers.update({r.mdtrt_id: int(r.last) + 1 for r in rows})
    return numbers


def open_cases(connection: Connection, new: Sequence[NewCase], *, now: datetime) -> list[int]:
    """Open ``new`` cases (state ``open``, step 1 ``opened``); their ids, in order."""
    if not new:
        return []
    state = next_state(None, StepKind.OPENED)
    numbers: dict[CaseReason, dict[str, int]] = {}
    for reason in {n.reason for n in new}:
        visits = [n.mdtrt_id for n in new if n.reason is reason]
        numbers[reason] = _next_case_numbers(connection, reason, visits)
    rows = [{
        "reason": n.reason.value, "mdtrt_id": n.mdtrt_id,
        "case_no": numbers[n.reason].get(n.mdtrt_id, 1), "psn_no": n.psn_no,
        "fixmedins_code": n.fixmedins_code, "period": n.period, "state": state.value,
        "amount_at_issue": n.amount_at_issue, "outcome": None, "amount_upheld": None,
        "opened_at": now, "updated_at": now, "closed_at": None,
    } for n in new]  # fmt: skip
    ids = insert_numbered(connection, cases.c.case_id, rows)
    links = [
        {"case_id": case_id, "finding_id": finding_id}
        for case_id, n in zip(ids, new, strict=True)
        for finding_id in n.finding_ids
    ]
    if links:
        connection.execute(insert(case_findings), links)
    connection.execute(insert(case_steps), [{
        "case_id": case_id, "step_no": 1, "kind": StepKind.OPENED.value, "actor": n.actor,
        "fixmedins_code": n.opened_by, "at": now, "state_after": state.value, "text": n.text,
        "evidence": list(n.evidence), "outcome": None, "amount": n.amount_at_issue,
    } for case_id, n in zip(ids, new, strict=True)])  # fmt: skip
    return ids


def insert_numbered(
    connection: Connection, key: Column[Any], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` with new keys drawn first; the keys, in the order of the rows.

    PostgreSQL draws them from the column's sequence (``nextval`` over ``generate_series``): a
    plain multi-row insert is several times faster than ``INSERT … RETURNING`` in parameter
    order (measured: 0.7 s against 3.6 s for 20,000 findings). SQLite numbers after the
    largest key, which is safe because its writers run one at a time.
    """
    if not rows:
        return []
    table = key.table
    if connection.dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, key.name)
        drawn = select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))
        ids = [int(i) for i in connection.execute(drawn).scalars()]
    else:
        last = connection.execute(select(func.max(key))).scalar_one_or_none()
        ids = list(range(int(last or 0) + 1, int(last or 0) + 1 + len(rows)))
    connection.execute(
        insert(table), [{**row, key.name: i} for i, row in zip(ids, rows, strict=True)]
    )
    return ids


def load_case(
    connection: Connection, case_id: int, *, fixmedins_code: str | None = None, lock: bool = False
) -> Case:
    """A case by id; with ``fixmedins_code``, only that institution's (another's reads as missing)."""
    query = select(cases).where(
        cases.c.case_id == identifier(case_id, field="case_id", largest=MAX_CASE_ID)
    )
    if fixmedins_code is not None:
        code = text(fixmedins_code, field="fixmedins_code", limit=30)
        query = query.where(cases.c.fixmedins_code == code)
    if lock and connection.dialect.name != "sqlite":
        query = query.with_for_update()
    row = connection.execute(query).first()
    if row is None:
        whose = "" if fixmedins_code is None else f" of institution {fixmedins_code}"
        raise NotFound(f"case_id: no case {case_id}{whose}")
    return case_of(row)


def move(
    connection: Connection, case: Case, *, state: CaseState, now: datetime, **values: Any
) -> Case:
    """Set the case's state (and ``values``) if it is still in the state read; the case after."""
    c = cases.c
    done = connection.execute(
        update(cases)
        .where(c.case_id == case.case_id, c.state == case.state.value)
        .values(state=state.value, updated_at=now, **values)
    )
    if done.rowcount != 1:
        raise ReviewConflict("state", f"case {case.case_id} changed meanwhile; read it again")
    return load_case(connection, case.case_id)


def add_step(
    connection: Connection, case_id: int, *, kind: StepKind, actor: str, at: datetime,
    state_after: CaseState, text: str, fixmedins_code: str | None = None,
    evidence: Sequence[str] = (), outcome: Outcome | None = None, amount: Decimal | None = None,
) -> int:  # fmt: skip
    """Append a step to a case; its number."""
    last = connection.execute(
        select(func.max(case_steps.c.step_no)).where(case_steps.c.case_id == case_id)
    ).scalar_one_or_none()
    step_no = int(last or 0) + 1
    connection.execute(insert(case_steps), [{
        "case_id": case_id, "step_no": step_no, "kind": kind.value, "actor": actor,
        "fixmedins_code": fixmedins_code, "at": at, "state_after": state_after.value,
        "text": text, "evidence": list(evidence),
        "outcome": None if outcome is None else outcome.value, "amount": amount,
    }])  # fmt: skip
    return step_no


def findings_of_case(connection: Connection, case_id: int) -> tuple[StoredFinding, ...]:
    """The findings a case reviews, by visit line, date and rule."""
    f = findings.c
    rows = connection.execute(
        select(findings)
        .join(case_findings, case_findings.c.finding_id == f.finding_id)
        .where(case_findings.c.case_id == case_id)
        .order_by(f.fee_date, f.feedetl_sn, f.rule_id, f.finding_id)
    )
    return tuple(finding_of(r) for r in rows)


def steps_of_case(connection: Connection, case_id: int) -> tuple[Step, ...]:
    """Every step of a case, in order."""
    rows = connection.execute(
        select(case_steps).where(case_steps.c.case_id == case_id).order_by(case_steps.c.step_no)
    )
    return tuple(step_of(r) for r in rows)
