"""Reading the clearing tables: statements with their totals, lines, a line's history, the balance.

Totals are never stored: they are sums over ``clearing_lines`` grouped in SQL (exact: amounts
are integers of fen in the database) and netted by :mod:`yibao.crossregion.clearing_model`.
The balance of a month adds up the same lines twice more, by creditor and by debtor, and the
month's ``region_receivables`` by care and by insuring region, so that each figure is checked
against sums it was not computed from.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, exists, func, or_, select

from yibao.catalog.tables import regions
from yibao.crossregion.clearing_model import (
    Bucket,
    ClearingConflict,
    LineState,
    Pair,
    PeriodBalance,
    RegionFigures,
    Resolution,
    bucket,
    check_balance,
    statement_status,
    statement_totals,
)
from yibao.crossregion.clearing_records import (
    LineHistory,
    StatementLine,
    StatementSummary,
    line_of,
    step_of,
)
from yibao.crossregion.clearing_tables import (
    clearing_lines,
    clearing_periods,
    clearing_statements,
    clearing_steps,
)
from yibao.kernel.errors import InvalidValue, NotFound
from yibao.kernel.money import ZERO
from yibao.settlement.tables import region_receivables

__all__ = [
    "built",
    "known_region",
    "line_history",
    "lines_query",
    "missing_statement",
    "period_figures",
    "statement_lines",
    "summaries",
]

L = clearing_lines.c
R = region_receivables.c


def built(connection: Connection, period: str) -> Any:
    """The month's ``clearing_periods`` row, or None."""
    return connection.execute(
        select(clearing_periods).where(clearing_periods.c.period == period)
    ).first()


def on_statement(period: str, pair: Pair) -> ColumnElement[bool]:
    """The key of a statement, as a condition on ``clearing_lines``."""
    return and_(L.period == period, L.region_a == pair.a, L.region_b == pair.b)


def lines_query(*where: ColumnElement[bool]) -> Any:
    """Lines joined with the receivables they state (the visit, person, institution, time)."""
    return (
        select(
            clearing_lines, R.mdtrt_id, R.psn_no, R.fixmedins_code, R.kind, R.setl_time, R.pay_loc
        )
        .join(region_receivables, R.setl_id == L.setl_id)
        .where(*where)
    )


def summaries(
    connection: Connection, period: str, pair: Pair | None = None
) -> list[StatementSummary]:
    """The month's statements (or one pair's) with their totals and status, by pair."""
    where = [clearing_statements.c.period == period]
    if pair is not None:
        where += [
            clearing_statements.c.region_a == pair.a,
            clearing_statements.c.region_b == pair.b,
        ]
    heads = connection.execute(
        select(clearing_statements).where(*where)
        .order_by(clearing_statements.c.region_a, clearing_statements.c.region_b)
    ).all()  # fmt: skip
    line_where = [L.period == period] + ([] if pair is None else [on_statement(period, pair)])
    carried = case((L.carried_to.is_(None), 0), else_=1).label("carried")
    groups = connection.execute(
        select(L.region_a, L.region_b, L.creditor, L.state, L.resolution, carried,
               func.count().label("n"), func.sum(L.amount).label("amount"))
        .where(*line_where)
        .group_by(L.region_a, L.region_b, L.creditor, L.state, L.resolution, carried)
    ).all()  # fmt: skip
    by_pair: dict[Pair, list[Any]] = {}
    for g in groups:
        by_pair.setdefault(Pair(g.region_a, g.region_b), []).append(g)
    found = []
    for head in heads:
        key = Pair(head.region_a, head.region_b)
        rows = by_pair.get(key, [])
        totals = statement_totals(key, [(g.creditor, g.amount, _bucket(g), int(g.n)) for g in rows])
        status = statement_status((LineState(g.state), bool(g.carried)) for g in rows)
        found.append(StatementSummary(period, totals, status, head.built_at))
    return found


def _bucket(row: Any) -> Bucket:
    return bucket(
        LineState(row.state), None if row.resolution is None else Resolution(row.resolution)
    )


def statement_lines(connection: Connection, period: str, pair: Pair) -> tuple[StatementLine, ...]:
    """Every line of a statement, by settlement time."""
    rows = connection.execute(
        lines_query(on_statement(period, pair)).order_by(R.setl_time, L.setl_id)
    )
    return tuple(line_of(r) for r in rows)


def line_history(connection: Connection, setl_id: str) -> LineHistory:
    """A receivable on every statement it appeared on, with every step, oldest first."""
    lines = tuple(line_of(r) for r in connection.execute(
        lines_query(L.setl_id == setl_id).order_by(L.period)))  # fmt: skip
    if not lines:
        raise NotFound(f"setl_id: no line {setl_id} on any statement")
    steps = connection.execute(
        select(clearing_steps).where(clearing_steps.c.setl_id == setl_id)
        .order_by(clearing_steps.c.period, clearing_steps.c.step_no)
    )  # fmt: skip
    return LineHistory(setl_id, lines, tuple(step_of(s) for s in steps))


def known_region(connection: Connection, region: str) -> bool:
    """A region of the store's list, or one that ever had a receivable or a statement."""
    c = clearing_statements.c
    return bool(connection.execute(select(
        exists().where(regions.c.admdvs == region)
        | exists().where(or_(R.care_admdvs == region, R.insu_admdvs == region))
        | exists().where(or_(c.region_a == region, c.region_b == region))
    )).scalar())  # fmt: skip


def missing_statement(connection: Connection, period: str, pair: Pair) -> Exception:
    """Why a month has no statement for a pair: an unknown region, a month not built, no traffic."""
    for region in (pair.a, pair.b):
        if not known_region(connection, region):
            return InvalidValue("pair", f"unknown region {region}: not in the regions, on no "
                                "receivable and no statement")  # fmt: skip
    if built(connection, period) is None:
        return ClearingConflict("period", f"{period} is not built yet: build its statements first")
    return NotFound(f"pair: no statement between {pair.a} and {pair.b} for {period} (no traffic)")


def _sums(rows: Iterable[Any]) -> dict[str, dict[str, Decimal]]:
    """(region, what, amount) rows → region → what → amount."""
    out: dict[str, dict[str, Decimal]] = {}
    for region, what, amount in rows:
        into = out.setdefault(region, {})
        into[what] = into.get(what, ZERO) + amount
    return out


def _stated(connection: Connection, period: str, party: Any) -> dict[str, dict[str, Decimal]]:
    """Per region as ``party`` (creditor or debtor): new lines' amount, due amount."""
    new = case((L.carried_from.is_(None), 1), else_=0).label("new")
    rows = connection.execute(
        select(party, new, L.state, L.resolution, func.sum(L.amount).label("amount"))
        .where(L.period == period).group_by(party, new, L.state, L.resolution)
    ).all()  # fmt: skip
    flat = []
    for r in rows:
        if r.new:
            flat.append((r[0], "gross", r.amount))
        if _bucket(r) is Bucket.DUE:
            flat.append((r[0], "due", r.amount))
    return _sums(flat)


def period_figures(connection: Connection, period: str) -> PeriodBalance:
    """The month's totals check: every region's figures, every statement's net, the problems."""
    if built(connection, period) is None:
        raise ClearingConflict("period", f"{period} is not built yet: build its statements first")
    as_creditor, as_debtor = (
        _stated(connection, period, L.creditor),
        _stated(connection, period, L.debtor),
    )
    source: dict[str, dict[str, Decimal]] = {}
    source_lines = 0
    for party, what in ((R.care_admdvs, "receivable"), (R.insu_admdvs, "payable")):
        rows = connection.execute(
            select(party, func.count().label("n"), func.sum(R.amount).label("amount"))
            .where(R.period == period).group_by(party)
        ).all()  # fmt: skip
        for region, n, amount in rows:
            source.setdefault(region, {})[what] = amount
            source_lines += int(n) if what == "receivable" else 0
    stated_lines = connection.execute(
        select(func.count()).select_from(clearing_lines)
        .where(L.period == period, L.carried_from.is_(None))
    ).scalar_one()  # fmt: skip
    figures = []
    for region in sorted(set(as_creditor) | set(as_debtor) | set(source)):
        cr, db, src = as_creditor.get(region, {}), as_debtor.get(region, {}), source.get(region, {})
        figures.append(RegionFigures(
            region, receivable=cr.get("gross", ZERO), payable=db.get("gross", ZERO),
            due_receivable=cr.get("due", ZERO), due_payable=db.get("due", ZERO),
            source_receivable=src.get("receivable", ZERO), source_payable=src.get("payable", ZERO),
        ))  # fmt: skip
    statements = [s.totals for s in summaries(connection, period)]
    return check_balance(period, figures, statements, source_lines=source_lines,
                         stated_lines=int(stated_lines))  # fmt: skip
