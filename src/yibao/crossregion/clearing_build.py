"""Building a month's clearing statements from the receivables, with disputes carried over.

A month is built once, after it is over, and in order: every earlier month that has
receivables must be built first, and no later month may be built yet (a later month carries
this one's disputes). Building writes, set-based, in one transaction:

1. the month's row in ``clearing_periods`` (first, so a second builder at once fails);
2. one statement per unordered pair of regions with a receivable of the month or a dispute
   still open on an earlier statement;
3. one line per receivable of the month (``INSERT … SELECT`` from ``region_receivables``);
4. one line per line still disputed on an earlier statement and not yet carried: disputed, with
   its side and reason, ``carried_from`` its month; the earlier line gets ``carried_to``.

``rebuild=True`` builds a built month again (receivables that arrived late) while nothing on it
has been reconciled and no later month is built: its lines and statements are deleted and the
disputes it carried go back to their earlier statements first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from yibao.crossregion.clearing_model import (
    ClearingConflict,
    LineState,
    Pair,
)
from yibao.crossregion.clearing_queries import summaries
from yibao.crossregion.clearing_records import BuiltPeriod
from yibao.crossregion.clearing_tables import (
    clearing_lines,
    clearing_periods,
    clearing_statements,
    clearing_steps,
)
from yibao.crossregion.clearing_values import parse_period, period_end, text
from yibao.kernel.errors import InvalidValue
from yibao.settlement.tables import region_receivables

__all__ = ["build_period"]

L = clearing_lines.c
R = region_receivables.c
P = clearing_periods.c
#: the columns of ``clearing_lines`` in table order, as both ``INSERT … SELECT`` fill them
_COLUMNS = [c.name for c in clearing_lines.columns]


def build_period(
    connection: Connection, *, period: str, actor: str, now: datetime, rebuild: bool = False
) -> BuiltPeriod:
    """Build the month's statements (see the module); the statements built, with their totals."""
    month = parse_period(period)
    who = text(actor, field="actor", limit=60)
    end = period_end(month)
    if now.date() < end:
        raise InvalidValue("period", f"{month} is not over: it can be built from {end}")
    before = _check_order(connection, month, rebuild=rebuild)
    if before is not None:
        _unbuild(connection, month)
        connection.execute(update(clearing_periods).where(P.period == month)
                           .values(built_by=who, built_at=now, rebuilds=P.rebuilds + 1))  # fmt: skip
    else:
        try:
            connection.execute(insert(clearing_periods).values(
                period=month, built_by=who, built_at=now, rebuilds=0))  # fmt: skip
        except IntegrityError:  # another session built it meanwhile (PostgreSQL)
            raise ClearingConflict(
                "period", f"{month} was built meanwhile by another session"
            ) from None
    _refuse_same_region(connection, month)
    pairs = _pairs(connection, month)
    if pairs:
        connection.execute(insert(clearing_statements), [
            {"period": month, "region_a": p.a, "region_b": p.b, "built_at": now} for p in sorted(pairs)
        ])  # fmt: skip
    new_lines = _state_receivables(connection, month, now)
    carried = _carry_disputes(connection, month, now)
    return BuiltPeriod(month, tuple(summaries(connection, month)), new_lines, carried,
                       rebuilt=before is not None, built_by=who, built_at=now)  # fmt: skip


def _check_order(connection: Connection, month: str, *, rebuild: bool) -> object | None:
    """The month's row when it is rebuilt (None: a first build); refuses what is out of order."""
    row = connection.execute(
        select(clearing_periods).where(P.period == month).with_for_update()
    ).first()
    if row is not None and not rebuild:
        raise ClearingConflict(
            "period", f"{month} is already built ({row.built_at:%Y-%m-%d %H:%M} by {row.built_by}); "
            "rebuild it explicitly, which is allowed while nothing on it is reconciled",
        )  # fmt: skip
    later = connection.execute(
        select(P.period).where(P.period > month).order_by(P.period).limit(1)
    ).scalar()
    if later is not None:
        raise ClearingConflict("period", f"{later} is already built: months are built in order, "
                               "and disputes carry forward")  # fmt: skip
    unbuilt = connection.execute(
        select(func.min(R.period)).where(R.period < month, ~exists().where(P.period == R.period))
    ).scalar()
    if unbuilt is not None:
        raise ClearingConflict(
            "period", f"{unbuilt} has receivables and is not built: build it first"
        )
    return row


def _unbuild(connection: Connection, month: str) -> None:
    """Remove a month's statements before building it again; refused once a line is reconciled."""
    step = connection.execute(
        select(clearing_steps.c.setl_id, clearing_steps.c.region, clearing_steps.c.kind)
        .where(clearing_steps.c.period == month).limit(1)
    ).first()  # fmt: skip
    if step is not None:
        raise ClearingConflict(
            "period", f"{month} cannot be rebuilt: line {step.setl_id} is already {step.kind} "
            f"by {step.region}",
        )  # fmt: skip
    connection.execute(update(clearing_lines).where(L.carried_to == month).values(carried_to=None))
    connection.execute(delete(clearing_lines).where(L.period == month))
    connection.execute(delete(clearing_statements).where(clearing_statements.c.period == month))


def _refuse_same_region(connection: Connection, month: str) -> None:
    same = connection.execute(
        select(R.setl_id, R.care_admdvs)
        .where(R.period == month, R.care_admdvs == R.insu_admdvs).limit(1)
    ).first()  # fmt: skip
    if same is not None:
        raise ClearingConflict("setl_id", f"receivable {same.setl_id} has the same care and "
                               f"insuring region {same.care_admdvs}: nothing to clear")  # fmt: skip


def _open_disputes(month: str) -> list[ColumnElement[bool]]:
    """Lines disputed on an earlier statement and not carried yet: they carry into ``month``."""
    return [L.period < month, L.state == LineState.DISPUTED.value, L.carried_to.is_(None)]


def _pairs(connection: Connection, month: str) -> set[Pair]:
    traffic = connection.execute(
        select(R.care_admdvs, R.insu_admdvs).where(R.period == month).distinct()
    )
    pairs = {Pair(min(care, insu), max(care, insu)) for care, insu in traffic}
    disputed = connection.execute(
        select(L.region_a, L.region_b).where(*_open_disputes(month)).distinct()
    )
    return pairs | {Pair(a, b) for a, b in disputed}


def _state_receivables(connection: Connection, month: str, now: datetime) -> int:
    """One open line per receivable of the month; the number written."""
    low = case((R.care_admdvs < R.insu_admdvs, R.care_admdvs), else_=R.insu_admdvs)
    high = case((R.care_admdvs < R.insu_admdvs, R.insu_admdvs), else_=R.care_admdvs)
    source = select(
        literal(month), low, high, R.setl_id, R.care_admdvs, R.insu_admdvs, R.amount, R.period,
        literal(None, L.carried_from.type), literal(None, L.carried_to.type),
        literal(LineState.OPEN.value), literal(False), literal(False),
        literal(None, L.disputed_by.type), literal(None, L.reason.type),
        literal(None, L.resolution.type), literal(now, L.updated_at.type),
    ).where(R.period == month)  # fmt: skip
    connection.execute(insert(clearing_lines).from_select(_COLUMNS, source))
    return _count(connection, L.period == month, L.carried_from.is_(None))


def _carry_disputes(connection: Connection, month: str, now: datetime) -> int:
    """Copy the open disputes of earlier statements onto this month's; mark them carried."""
    source = select(
        literal(month), L.region_a, L.region_b, L.setl_id, L.creditor, L.debtor, L.amount,
        L.origin_period, L.period, literal(None, L.carried_to.type), L.state, L.creditor_agreed,
        L.debtor_agreed, L.disputed_by, L.reason, L.resolution, literal(now, L.updated_at.type),
    ).where(*_open_disputes(month))  # fmt: skip
    connection.execute(insert(clearing_lines).from_select(_COLUMNS, source))
    connection.execute(
        update(clearing_lines).where(*_open_disputes(month)).values(carried_to=month)
    )
    return _count(connection, L.period == month, L.carried_from.is_not(None))


def _count(connection: Connection, *where: ColumnElement[bool]) -> int:
    """Lines written (not every driver reports the ``rowcount`` of ``INSERT … SELECT``)."""
    found = connection.execute(select(func.count()).select_from(clearing_lines).where(*where))
    return int(found.scalar_one())
