"""Inter-region clearing (跨地区清算): the use cases, from building a month to its totals check.

Every function takes a connection inside the caller's transaction (``store.engine``'s
``write_transaction`` for the writers, ``read_transaction`` for the readers), checks all of its
input before reading or writing, and raises a :class:`~yibao.kernel.errors.YibaoError` naming
the field: ``InvalidValue`` (bad input: a period that is not ``YYYY-MM``, a region code, an
unknown region, a side that is not one of the pair, a missing reason, a line of another
statement), ``NotFound`` (no such statement or line), ``ClearingConflict`` (the stored state
refuses the step: a month built twice, a line already agreed). The caller's transaction then
rolls back: nothing is half-written.

* :func:`build_period` (``clearing_build``): the month's statements, one per pair of regions.
* :func:`agree_line`, :func:`dispute_line`: a side (one of the two regions) reconciles a line.
* :func:`resolve_line`: a dispute ends, agreed or withdrawn, with its reason.
* :func:`list_statements`, :func:`get_statement`, :func:`get_line_history`: what is stated.
* :func:`period_balance`: Σ receivables of every region = Σ payables of the others, to the fen.

Every step is kept in ``clearing_steps`` with the region, the person and the time. The acting
region is the one the caller names: logins and roles are issue I's (as in ADR 0013).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from yibao.crossregion.clearing_build import build_period
from yibao.crossregion.clearing_model import (
    ClearingConflict,
    LineStatus,
    Pair,
    PeriodBalance,
    Role,
    StepKind,
    agree,
    dispute,
    pair_of,
    resolution_of,
    resolve,
)
from yibao.crossregion.clearing_queries import (
    built,
    lines_query,
    missing_statement,
    on_statement,
    period_figures,
    statement_lines,
    summaries,
)
from yibao.crossregion.clearing_queries import line_history as _line_history
from yibao.crossregion.clearing_records import (
    LineHistory,
    StatementFile,
    StatementLine,
    StatementSummary,
    line_of,
)
from yibao.crossregion.clearing_tables import clearing_lines, clearing_statements, clearing_steps
from yibao.crossregion.clearing_values import check_region, parse_period, text
from yibao.kernel.errors import InvalidValue, NotFound

__all__ = [
    "agree_line",
    "build_period",
    "dispute_line",
    "get_line_history",
    "get_statement",
    "list_statements",
    "period_balance",
    "resolve_line",
]

L = clearing_lines.c
S = clearing_steps.c
_REASON = 2000


def agree_line(
    connection: Connection, *, period: str, pair: Sequence[str], setl_id: str, side: str,
    actor: str, now: datetime, note: str | None = None,
) -> StatementLine:  # fmt: skip
    """``side`` agrees with the line; agreed by both regions, the line is agreed. The line after."""
    remark = None if note is None or not note.strip() else text(note, field="note", limit=_REASON)
    return _step(connection, StepKind.AGREED, period=period, pair=pair, setl_id=setl_id, side=side,
                 actor=actor, now=now, reason=remark,
                 move=lambda status, region, role: agree(status, role))  # fmt: skip


def dispute_line(
    connection: Connection, *, period: str, pair: Sequence[str], setl_id: str, side: str,
    actor: str, reason: str | None, now: datetime,
) -> StatementLine:  # fmt: skip
    """``side`` disputes an open line, with its reason (required): held back from the net."""
    why = text(reason, field="reason", limit=_REASON)
    return _step(connection, StepKind.DISPUTED, period=period, pair=pair, setl_id=setl_id,
                 side=side, actor=actor, now=now, reason=why,
                 move=lambda status, region, role: dispute(status, region, why))  # fmt: skip


def resolve_line(
    connection: Connection, *, period: str, pair: Sequence[str], setl_id: str, side: str,
    actor: str, resolution: str, reason: str | None, now: datetime,
) -> StatementLine:  # fmt: skip
    """End a dispute: ``agreed`` by the side that disputed, ``withdrawn`` by the creditor (the
    receivable is then owed no more); the reason is required. Resolved where it now stands: a
    dispute carried to a later month is resolved on that month's statement."""
    why = text(reason, field="reason", limit=_REASON)
    resolution_of(resolution)
    return _step(connection, StepKind.RESOLVED, period=period, pair=pair, setl_id=setl_id,
                 side=side, actor=actor, now=now, reason=why,
                 move=lambda status, region, role: resolve(
                     status, region=region, role=role, resolution=resolution, reason=why))  # fmt: skip


def _step(
    connection: Connection, kind: StepKind, *, period: str, pair: Sequence[str], setl_id: str,
    side: str, actor: str, now: datetime, reason: str | None,
    move: Callable[[LineStatus, str, Role], LineStatus],
) -> StatementLine:  # fmt: skip
    month = parse_period(period)
    key = pair_of(pair)
    region = check_region(side, field="side")
    if region not in (key.a, key.b):
        raise InvalidValue("side", f"{region} is not a party of the statement {key}: "
                           f"it is {key.a} or {key.b}")  # fmt: skip
    who = text(actor, field="actor", limit=60)
    sid = text(setl_id, field="setl_id", limit=40)
    line = _load_line(connection, month, key, sid)
    if line.carried_to is not None:
        raise ClearingConflict("state", f"the dispute on {sid} was carried to {line.carried_to}: "
                               "act on that month's statement")  # fmt: skip
    role = key.role_of(region, creditor=line.creditor)
    after = move(line.status, region, role)
    before = line.status
    done = connection.execute(
        update(clearing_lines)
        .where(on_statement(month, key), L.setl_id == sid, L.carried_to.is_(None),
               L.state == before.state.value,
               L.creditor_agreed == before.creditor_agreed, L.debtor_agreed == before.debtor_agreed)
        .values(state=after.state.value, creditor_agreed=after.creditor_agreed,
                debtor_agreed=after.debtor_agreed, disputed_by=after.disputed_by,
                reason=after.reason, resolution=None if after.resolution is None else after.resolution.value,
                updated_at=now)
    )  # fmt: skip
    if done.rowcount != 1:
        raise ClearingConflict("state", f"line {sid} changed meanwhile: read it again")
    step_no = connection.execute(
        select(func.coalesce(func.max(S.step_no), 0) + 1).where(
            S.period == month, S.region_a == key.a, S.region_b == key.b, S.setl_id == sid)
    ).scalar_one()  # fmt: skip
    connection.execute(insert(clearing_steps).values(
        period=month, region_a=key.a, region_b=key.b, setl_id=sid, step_no=int(step_no),
        kind=kind.value, region=region, role=role.value, actor=who, at=now,
        state_after=after.state.value, reason=reason,
        resolution=None if after.resolution is None else after.resolution.value,
    ))  # fmt: skip
    return replace(line, status=after, updated_at=now)


def _load_line(connection: Connection, month: str, key: Pair, setl_id: str) -> StatementLine:
    """The line, locked on PostgreSQL; a line elsewhere or nowhere is refused naming the field."""
    row = connection.execute(
        lines_query(on_statement(month, key), L.setl_id == setl_id).with_for_update(
            of=clearing_lines
        )
    ).first()
    if row is not None:
        return line_of(row)
    c = clearing_statements.c
    statement = connection.execute(
        select(c.period).where(c.period == month, c.region_a == key.a, c.region_b == key.b)
    ).first()
    if statement is None:
        raise missing_statement(connection, month, key)
    elsewhere = connection.execute(
        select(L.period, L.region_a, L.region_b).where(L.setl_id == setl_id).order_by(L.period)
    ).all()
    same_month = [f"{r.region_a}–{r.region_b}" for r in elsewhere if r.period == month]
    if same_month:
        raise InvalidValue("setl_id", f"{setl_id} is on the statement {same_month[0]} of {month}, "
                           f"not on {key}")  # fmt: skip
    if elsewhere:
        months = ", ".join(sorted({r.period for r in elsewhere}))
        raise InvalidValue("setl_id", f"{setl_id} is not on the {month} statement {key}; it is on "
                           f"the statement of {months}")  # fmt: skip
    raise NotFound(f"setl_id: no line {setl_id} on any statement")


def list_statements(connection: Connection, *, period: str) -> list[StatementSummary]:
    """The month's statements, one per pair of regions, with totals, net and status."""
    month = parse_period(period)
    found = summaries(connection, month)
    if not found and built(connection, month) is None:
        raise ClearingConflict("period", f"{month} is not built yet: build its statements first")
    return found


def get_statement(connection: Connection, *, period: str, pair: Sequence[str]) -> StatementFile:
    """One statement with every line."""
    month = parse_period(period)
    key = pair_of(pair)
    found = summaries(connection, month, key)
    if not found:
        raise missing_statement(connection, month, key)
    return StatementFile(found[0], statement_lines(connection, month, key))


def get_line_history(connection: Connection, *, setl_id: str) -> LineHistory:
    """A receivable on every statement it appeared on, with every step."""
    return _line_history(connection, text(setl_id, field="setl_id", limit=40))


def period_balance(connection: Connection, *, period: str) -> PeriodBalance:
    """The month's totals check (see :func:`~yibao.crossregion.clearing_model.check_balance`)."""
    return period_figures(connection, parse_period(period))
