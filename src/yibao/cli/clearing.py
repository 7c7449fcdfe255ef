"""``yibao clearing build | show | line | agree | dispute | resolve | balance | simulate``.

Inter-region clearing (跨地区清算) from a terminal: each command parses its options, calls one
use case of :mod:`yibao.crossregion.clearing` in one transaction and prints a rich table (or
``--json``: money as exact text). A pair of regions is written ``990100,980100`` in any order.
The acting region is ``--side`` and the person ``--actor``, as typed: logins and roles come with
issue I (ADR 0016).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from yibao.bootstrap import bootstrap
from yibao.cli.errors import reporting
from yibao.cli.output import Json, console, emit
from yibao.crossregion.clearing import (
    agree_line,
    build_period,
    dispute_line,
    get_line_history,
    get_statement,
    list_statements,
    period_balance,
    resolve_line,
)
from yibao.crossregion.clearing_model import StatementTotals
from yibao.crossregion.clearing_records import (
    StatementLine,
    StatementSummary,
    balance_json,
    money_text,
)
from yibao.crossregion.clearing_sim import simulate_month, store_month
from yibao.store.engine import read_transaction, write_transaction

__all__ = ["app"]

app = typer.Typer(
    no_args_is_help=True, help="Inter-region clearing (跨地区清算): monthly statements."
)

Period = Annotated[str, typer.Option(help="The clearing month (settlement month), YYYY-MM.")]
PairOption = Annotated[str, typer.Option("--pair", help="The two regions, e.g. 990100,980100.")]
SetlId = Annotated[str, typer.Option("--setl-id", help="The line: its settlement (setl_id).")]
Side = Annotated[str, typer.Option(help="The region acting: one of the pair.")]
Actor = Annotated[str, typer.Option(help="Who acts (name or staff id; not yet authenticated).")]


def _pair(value: str) -> list[str]:
    return [part.strip() for part in value.split(",")]


@app.command("build")
def build_command(
    period: Period, actor: Actor,
    rebuild: Annotated[bool, typer.Option(help="Build a built month again (nothing reconciled yet).")] = False,
    as_json: Json = False,
) -> None:  # fmt: skip
    """Build the month's statements: one per pair of regions, disputes carried over."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            done = build_period(connection, period=period, actor=actor, now=datetime.now(),
                                rebuild=rebuild)  # fmt: skip
        if as_json:
            emit(True, done.as_json(), "")
            return
        title = (f"清算 {done.period}: {len(done.statements)} statement(s), {done.new_lines} new "
                 f"line(s), {done.carried_lines} carried{' (rebuilt)' if done.rebuilt else ''}")  # fmt: skip
        console.print(_summaries_table(done.statements, title))


@app.command("show")
def show_command(
    period: Period,
    pair: Annotated[str | None, typer.Option("--pair", help="One statement with its lines.")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """The month's statements (totals, net, who pays whom), or one statement with every line."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            if pair is None:
                found = list_statements(connection, period=period)
            else:
                file = get_statement(connection, period=period, pair=_pair(pair))
        if pair is None:
            if as_json:
                emit(True, {"period": period, "statements": [s.as_json() for s in found]}, "")
            else:
                console.print(_summaries_table(found, f"清算 {period}"))
            return
        if as_json:
            emit(True, file.as_json(), "")
            return
        console.print(_summaries_table([file.summary], f"清算 {period} {file.summary.pair}"))
        console.print(_lines_table(file.lines, "lines"))


@app.command("line")
def line_command(setl_id: Annotated[str, typer.Argument(help="The settlement (setl_id).")],
                 as_json: Json = False) -> None:  # fmt: skip
    """A line on every statement it appeared on (a dispute carried over), with every step."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            history = get_line_history(connection, setl_id=setl_id)
        if as_json:
            emit(True, history.as_json(), "")
            return
        console.print(_lines_table(history.lines, f"line {setl_id}"))
        steps = Table(title="steps")
        for name in ("month", "#", "what", "region", "who", "when", "state", "reason"):
            steps.add_column(name)
        for s in history.steps:
            what = s.kind.value if s.resolution is None else f"{s.kind.value}: {s.resolution.value}"
            _row(steps, s.period, str(s.step_no), what, f"{s.region} ({s.role.value})", s.actor,
                 s.at.isoformat(sep=" ", timespec="seconds"), s.state_after.value, s.reason)  # fmt: skip
        console.print(steps)


@app.command("agree")
def agree_command(
    period: Period, pair: PairOption, setl_id: SetlId, side: Side, actor: Actor,
    note: Annotated[str | None, typer.Option(help="A remark kept with the step.")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """A region agrees with a line; agreed by both regions, the line is agreed."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            line = agree_line(connection, period=period, pair=_pair(pair), setl_id=setl_id, side=side,
                              actor=actor, note=note, now=datetime.now())  # fmt: skip
        _print_line(line, as_json)


@app.command("dispute")
def dispute_command(
    period: Period, pair: PairOption, setl_id: SetlId, side: Side, actor: Actor,
    reason: Annotated[str | None, typer.Option(help="Why the line is disputed (required).")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """A region disputes a line, with the reason: it is held back from the net until resolved."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            line = dispute_line(connection, period=period, pair=_pair(pair), setl_id=setl_id,
                                side=side, actor=actor, reason=reason, now=datetime.now())  # fmt: skip
        _print_line(line, as_json)


@app.command("resolve")
def resolve_command(
    period: Period, pair: PairOption, setl_id: SetlId, side: Side, actor: Actor,
    resolution: Annotated[str, typer.Option(help="agreed (by the side that disputed) or withdrawn (by the creditor).")],
    reason: Annotated[str | None, typer.Option(help="Why (required).")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """End a dispute: the disputing region agrees after all, or the creditor withdraws the line."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            line = resolve_line(connection, period=period, pair=_pair(pair), setl_id=setl_id,
                                side=side, actor=actor, resolution=resolution, reason=reason,
                                now=datetime.now())  # fmt: skip
        _print_line(line, as_json)


@app.command("balance")
def balance_command(period: Period, as_json: Json = False) -> None:
    """The month's totals check: Σ receivables of every region = Σ payables of the others.

    Exits 1 when a figure does not balance, listing each problem.
    """
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            found = period_balance(connection, period=period)
        if as_json:
            emit(True, balance_json(found), "")
        else:
            table = Table(title=f"清算平衡 {found.period}")
            for name in ("region", "receivable", "payable", "due receivable", "due payable", "net"):
                table.add_column(name, justify="left" if name == "region" else "right")
            for r in found.regions:
                _row(table, r.region, *(money_text(v) for v in (
                    r.receivable, r.payable, r.due_receivable, r.due_payable, r.net)))  # fmt: skip
            _row(table, "Σ", *(money_text(found.total(n)) for n in (
                "receivable", "payable", "due_receivable", "due_payable", "net")))  # fmt: skip
            console.print(table)
            console.print(_nets_table(found.statements))
            verdict = "balanced to the fen" if found.balanced else "NOT balanced"
            console.print(f"{found.period}: {found.source_lines} receivable(s), "
                          f"{found.stated_lines} stated: {verdict}", markup=False)  # fmt: skip
            for problem in found.problems:
                console.print(f"  {problem}", markup=False)
        if not found.balanced:
            raise typer.Exit(1)


@app.command("simulate")
def simulate_command(
    period: Period,
    seed: Annotated[str, typer.Option(help="The draw's seed.")] = "clearing",
) -> None:
    """Write a month of simulated cross-region traffic (demo databases only)."""
    with reporting():
        month = simulate_month(period, seed=seed)
        with write_transaction(bootstrap().engine) as connection:
            count = store_month(connection, month)
        console.print(f"{month.period}: {count} simulated receivable(s) written", markup=False)


def _row(table: Table, *cells: str | None) -> None:
    """A row of plain text: brackets in what people typed are not rich markup."""
    table.add_row(*(Text(cell or "") for cell in cells))


def _direction(t: StatementTotals) -> tuple[str, str, str, str]:
    return (f"{t.to_a.debtor}→{t.to_a.creditor} {money_text(t.to_a.due)}",
            f"{t.to_b.debtor}→{t.to_b.creditor} {money_text(t.to_b.due)}",
            money_text(t.to_a.held + t.to_b.held),
            "—" if t.payer is None else f"{t.payer} pays {t.payee} {money_text(abs(t.net))}")  # fmt: skip


def _summaries_table(found: Sequence[StatementSummary], title: str) -> Table:
    table = Table(title=title)
    for name in ("pair", "lines", "owed to a", "owed to b", "held", "net", "status"):
        table.add_column(name, justify="right" if name in {"lines", "held"} else "left")
    for s in found:
        t = s.totals
        _row(table, str(t.pair), str(t.to_a.lines + t.to_b.lines), *_direction(t), s.status.value)
    return table


def _nets_table(found: Iterable[StatementTotals]) -> Table:
    table = Table(title="statements")
    for name in ("pair", "owed to a", "owed to b", "held", "net"):
        table.add_column(name, justify="right" if name == "held" else "left")
    for t in found:
        _row(table, str(t.pair), *_direction(t))
    return table


def _lines_table(lines: Sequence[StatementLine], title: str) -> Table:
    table = Table(title=title)
    for name in ("month", "setl_id", "kind", "time", "creditor", "debtor", "amount", "state",
                 "agreed", "disputed", "reason", "carried"):  # fmt: skip
        table.add_column(name, justify="right" if name == "amount" else "left")
    for line in lines:
        s = line.status
        agreed = "/".join(r for r, ok in ((line.creditor, s.creditor_agreed),
                                          (line.debtor, s.debtor_agreed)) if ok)  # fmt: skip
        state = s.state.value if s.resolution is None else f"{s.state.value}: {s.resolution.value}"
        carried = " ".join(x for x in (line.carried_from and f"from {line.carried_from}",
                                       line.carried_to and f"to {line.carried_to}") if x)  # fmt: skip
        _row(table, line.period, line.setl_id, line.kind, line.setl_time.isoformat(sep=" "),
             line.creditor, line.debtor, money_text(line.amount), state, agreed, s.disputed_by,
             s.reason, carried)  # fmt: skip
    return table


def _print_line(line: StatementLine, as_json: bool) -> None:
    s = line.status
    emit(as_json, line.as_json(), f"{line.period} {line.pair} {line.setl_id}: {s.state.value}"
         f"{'' if s.resolution is None else ' (' + s.resolution.value + ')'}, {line.creditor} owed "
         f"{money_text(line.amount)} by {line.debtor}, counts as {line.counts_as.value}")  # fmt: skip
