"""Store a run's findings and put the suspicious ones in the review queue.

:func:`record_findings` is what the realtime path (3102, 2207/2304) and the monthly batch call with
the engine's findings, inside the caller's transaction:

1. every finding is checked (a bad one names ``findings[i].<field>`` and nothing is written) and
   stored, with the moment, the run's reference, the period and the visit's institution;
2. suspicious findings at or after settlement (:func:`~yibao.audit.review_model.opens_case`) go to
   the queue, one case per visit: they join the visit's finding case while it still waits for the
   institution's answer (a ``findings_added`` step, the amount at issue grows), else open a new
   case. A finding of a rule on a line that a case of the visit already reviews (the batch finding
   again what settlement found) is stored but not queued twice.

Findings are written in one multi-row insert; cases and their steps in one each (``review_store``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import Connection, insert, select

from yibao.audit.findings import Finding
from yibao.audit.model import Action, Grade, Moment
from yibao.audit.review_model import (
    CaseReason,
    CaseState,
    Period,
    StepKind,
    next_state,
    opens_case,
    text,
)
from yibao.audit.review_records import Case, Recorded
from yibao.audit.review_sources import chunks, visit_owners
from yibao.audit.review_store import NewCase, add_step, case_of, insert_numbered, open_cases
from yibao.audit.tables import case_findings, cases, findings
from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import ZERO, to_decimal

__all__ = ["SYSTEM_ACTOR", "record_findings"]

#: the actor of the steps the system takes (opening a case for findings)
SYSTEM_ACTOR = "system"
_LIMITS = {"rule_id": 60, "rule_name": 300, "family": 40, "mdtrt_id": 30, "psn_no": 30,
           "feedetl_sn": 30}  # fmt: skip


def record_findings(
    connection: Connection,
    found: Sequence[Finding],
    *,
    moment: Moment,
    reference: str,
    now: datetime,
    period: str | None = None,
    institutions: Mapping[str, str] | None = None,
) -> Recorded:
    """Store ``found`` and queue the suspicious ones; what was stored and which cases moved.

    ``reference``: the message, settlement or batch run the findings come from. ``period``: the
    month they count in (default: the month of ``now``). ``institutions``: ``mdtrt_id`` →
    ``fixmedins_code`` for visits the store may not hold (3102); others are looked up.
    """
    ref = text(reference, field="reference", limit=60)
    month = str(Period.of(now) if period is None else Period.parse(period))
    when = _code(Moment, moment, "moment")
    if not found:
        return Recorded(())
    owners = _owners(connection, found, institutions or {})
    rows = [_row(i, f, owners, moment=when, reference=ref, period=month, now=now)
            for i, f in enumerate(found)]  # fmt: skip
    ids = tuple(insert_numbered(connection, findings.c.finding_id, rows))
    queued = [(fid, row) for fid, row, f in zip(ids, rows, found, strict=True)
              if opens_case(f.grade, when)]  # fmt: skip
    opened, extended = _queue(connection, queued, reference=ref, period=month, now=now)
    return Recorded(ids, tuple(opened), tuple(extended))


def _owners(
    connection: Connection, found: Sequence[Finding], given: Mapping[str, str]
) -> dict[str, str]:
    missing = {f.mdtrt_id for f in found} - set(given)
    stored = visit_owners(connection, missing) if missing else {}
    owners = {**{k: code for k, (code, _) in stored.items()}, **given}
    for i, f in enumerate(found):
        if f.mdtrt_id not in owners:
            raise InvalidValue(
                f"findings[{i}].mdtrt_id",
                f"no visit {f.mdtrt_id!r} in the store and no institution given for it",
            )
    return owners


def _row(
    i: int, f: Finding, owners: Mapping[str, str], *, moment: Moment, reference: str,
    period: str, now: datetime,
) -> dict[str, object]:  # fmt: skip
    """A finding's row, every value checked (``findings[i].<field>``: reason)."""
    where = f"findings[{i}]"
    for name, limit in _LIMITS.items():
        value = getattr(f, name)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise InvalidValue(f"{where}.{name}", f"{value!r} is empty or longer than {limit}")
    grade, action = (
        _code(Grade, f.grade, f"{where}.grade"),
        _code(Action, f.action, f"{where}.action"),
    )
    amount = to_decimal(f.amount, field=f"{where}.amount")
    if amount < ZERO:
        raise InvalidValue(f"{where}.amount", f"{amount} is negative")
    institution = text(owners[f.mdtrt_id], field=f"{where}.fixmedins_code", limit=30)
    return {
        "moment": moment.value, "reference": reference, "period": period, "rule_id": f.rule_id,
        "rule_name": f.rule_name, "family": f.family, "grade": grade.value,
        "action": action.value, "mdtrt_id": f.mdtrt_id, "psn_no": f.psn_no,
        "fixmedins_code": institution, "feedetl_sn": f.feedetl_sn, "amount": amount + ZERO,
        "fee_date": f.fee_date, "vola_cont": f.vola_cont, "evidence": f.evidence,
        "detail": {str(k): str(v) for k, v in f.detail.items()}, "created_at": now,
    }  # fmt: skip


def _reviewed_keys(connection: Connection, mdtrt_ids: Sequence[str]) -> set[tuple[str, str, str]]:
    """(visit, rule, line) already in a finding case of these visits."""
    f, link = findings.c, case_findings.c
    keys: set[tuple[str, str, str]] = set()
    for part in chunks(sorted(mdtrt_ids)):
        rows = connection.execute(
            select(f.mdtrt_id, f.rule_id, f.feedetl_sn)
            .join(case_findings, link.finding_id == f.finding_id)
            .where(f.mdtrt_id.in_(part))
        )
        keys.update((r.mdtrt_id, r.rule_id, r.feedetl_sn) for r in rows)
    return keys


def _open_cases_of(connection: Connection, mdtrt_ids: Sequence[str]) -> dict[str, Case]:
    """Each visit's finding case still waiting for an answer (at most one), held on PostgreSQL."""
    c = cases.c
    found: dict[str, Case] = {}
    for part in chunks(sorted(mdtrt_ids)):
        query = select(cases).where(
            c.reason == CaseReason.FINDING.value, c.state == CaseState.OPEN.value,
            c.mdtrt_id.in_(part),
        )  # fmt: skip
        if connection.dialect.name != "sqlite":
            query = query.with_for_update()
        found.update({r.mdtrt_id: case_of(r) for r in connection.execute(query)})
    return found


def _queue(
    connection: Connection, queued: Sequence[tuple[int, dict[str, object]]], *, reference: str,
    period: str, now: datetime,
) -> tuple[list[int], list[int]]:  # fmt: skip
    """Queue suspicious findings by visit; the cases opened and the cases extended."""
    if not queued:
        return [], []
    by_visit: dict[str, list[tuple[int, dict[str, object]]]] = {}
    seen = _reviewed_keys(connection, sorted({str(r["mdtrt_id"]) for _, r in queued}))
    for fid, row in queued:
        key = (str(row["mdtrt_id"]), str(row["rule_id"]), str(row["feedetl_sn"]))
        if key not in seen:
            seen.add(key)
            by_visit.setdefault(key[0], []).append((fid, row))
    waiting = _open_cases_of(connection, sorted(by_visit))
    new: list[NewCase] = []
    extended: list[int] = []
    for mdtrt_id, items in by_visit.items():
        amount = sum((_amount(row) for _, row in items), ZERO)
        what = f"{len(items)} suspicious finding(s) of {reference}"
        case = waiting.get(mdtrt_id)
        if case is None:
            first = items[0][1]
            new.append(NewCase(
                reason=CaseReason.FINDING, mdtrt_id=mdtrt_id, psn_no=str(first["psn_no"]),
                fixmedins_code=str(first["fixmedins_code"]), period=period, amount_at_issue=amount,
                actor=SYSTEM_ACTOR, text=what, finding_ids=tuple(fid for fid, _ in items),
            ))  # fmt: skip
        else:
            extended.append(_extend(connection, case, items, amount=amount, what=what, now=now))
    return open_cases(connection, new, now=now), extended


def _extend(
    connection: Connection, case: Case, items: Sequence[tuple[int, dict[str, object]]], *,
    amount: Decimal, what: str, now: datetime,
) -> int:  # fmt: skip
    state = next_state(case.state, StepKind.FINDINGS_ADDED)
    connection.execute(
        insert(case_findings), [{"case_id": case.case_id, "finding_id": fid} for fid, _ in items]
    )
    connection.execute(
        cases.update()
        .where(cases.c.case_id == case.case_id)
        .values(amount_at_issue=case.amount_at_issue + amount, updated_at=now)
    )
    add_step(connection, case.case_id, kind=StepKind.FINDINGS_ADDED, actor=SYSTEM_ACTOR, at=now,
             state_after=state, text=what, amount=amount)  # fmt: skip
    return case.case_id


_Code = TypeVar("_Code", Grade, Action, Moment)


def _code(kind: type[_Code], value: str, field: str) -> _Code:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidValue(field, f"{value!r} is not one of {allowed}") from None


def _amount(row: Mapping[str, object]) -> Decimal:
    value = row["amount"]
    assert isinstance(value, Decimal)
    return value
