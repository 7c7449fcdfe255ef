"""``yibao payout build | close | show | statement | instruction | account | adjust | release-deposit``.

The monthly payment to institutions (月度清算拨付) from a terminal: the clearing run (a draft
rebuilt at will, then closed for good), each institution's clearing statement as PDF or XLSX,
the payment instruction of a closed run as the bank's CSV file, the receiving accounts, refunds
and supplementary payments, and the year-end deposit release. Each command is one transaction
calling :mod:`yibao.clearing`; ``--json`` prints money as exact text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.clearing.adjustments import add_adjustment, release_deposit
from yibao.clearing.agreement import shipped_agreement
from yibao.clearing.payments import instruction_csv, issue_instruction, set_account
from yibao.clearing.queries import list_statements
from yibao.clearing.runs import RunSummary, build_run, close_run
from yibao.clearing.statements import render_statement_pdf, statement_xlsx
from yibao.cli.deductions import Actor
from yibao.cli.errors import reporting
from yibao.cli.output import Json, console, emit, write_out
from yibao.documents.pdf import yuan
from yibao.kernel.errors import InvalidValue
from yibao.store.engine import read_transaction, write_transaction

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="月度清算拨付: the monthly payment to institutions.")

Period = Annotated[str, typer.Argument(help="The clearing month, YYYY-MM.")]
_TOTALS = ("settlements", "fund_payments", "case_payments", "deductions", "penalties", "deposit", "appeal_refunds",
           "deposit_releases", "refunds", "supplements", "net")  # fmt: skip


@app.command("build")
def build_command(period: Period, actor: Actor, as_json: Json = False) -> None:
    """Build (or rebuild) the month's draft run: one statement per institution."""
    _run(build_run, period=period, actor=actor, as_json=as_json)


@app.command("close")
def close_command(period: Period, actor: Actor, as_json: Json = False) -> None:
    """Rebuild the month's run with everything landed in it and close it: it never changes again."""
    _run(close_run, period=period, actor=actor, as_json=as_json)


@app.command("show")
def show_command(period: Period, as_json: Json = False) -> None:
    """The month's statements: each institution's totals and net."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            state, rows = list_statements(connection, period=period)
        if as_json:
            emit(True, {"period": period, "state": state, "statements": rows}, "")
            return
        table = Table(title=f"清算 {period}: {state or 'no run'}, {len(rows)} statement(s)")
        table.add_column("institution")
        for name in _TOTALS:
            table.add_column(name, justify="right")
        for r in rows:
            table.add_row(
                r["fixmedins_code"], str(r["settlements"]), *(yuan(r[n]) for n in _TOTALS[1:])
            )
        console.print(table)


@app.command("statement")
def statement_command(
    period: Period,
    institution: Annotated[str, typer.Argument(help="The institution (fixmedins_code).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write it: a .pdf or a .xlsx file.")],
) -> None:
    """Print an institution's clearing statement (清算单) as PDF or XLSX, by the file's suffix."""
    with reporting():
        suffix = out.suffix.lower()
        if suffix not in (".pdf", ".xlsx"):
            raise InvalidValue("--out", f"{out.name}: use a .pdf or a .xlsx file")
        with read_transaction(bootstrap().engine) as connection:
            if suffix == ".pdf":
                data = render_statement_pdf(connection, period=period, fixmedins_code=institution,
                                            printed_on=date.today())  # fmt: skip
            else:
                data = statement_xlsx(connection, period=period, fixmedins_code=institution)
        write_out(out, data)
        console.print(f"{out}: 清算单 {period} {institution}, {len(data)} bytes", markup=False)


@app.command("instruction")
def instruction_command(
    period: Period, actor: Actor,
    out: Annotated[Path, typer.Option("--out", help="Where to write the bank's CSV file.")],
    as_json: Json = False,
) -> None:  # fmt: skip
    """Issue (or print again) the payment instruction of a closed run as the bank's CSV file."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            found = issue_instruction(connection, period=period, actor=actor, now=datetime.now())
        write_out(out, instruction_csv(found).encode("utf-8"))
        collect = [x for x in found.lines if x.direction == "collect"]
        payload = {
            "instr_no": found.instr_no, "period": found.period, "paid_total": found.total("pay"),
            "collected_total": found.total("collect"),
            "lines": [{"line_no": x.line_no, "fixmedins_code": x.fixmedins_code, "direction": x.direction,
                       "amount": x.amount} for x in found.lines],
        }  # fmt: skip
        emit(as_json, payload, f"{out}: {found.instr_no}, {len(found.lines) - len(collect)} payment(s) of "
                               f"{yuan(found.total('pay'))} 元")  # fmt: skip
        if not as_json:
            for x in collect:
                console.print(
                    f"  应缴回 {x.fixmedins_code} {x.fixmedins_name}: {yuan(x.amount)} 元",
                    markup=False,
                )


@app.command("account")
def account_command(
    institution: Annotated[str, typer.Argument(help="The institution (fixmedins_code).")],
    bank: Annotated[str, typer.Option(help="The bank and branch (开户行).")],
    account_no: Annotated[str, typer.Option(help="The account number (8–32 digits).")],
    name: Annotated[str, typer.Option(help="The account holder's name (户名).")],
    actor: Actor,
) -> None:  # fmt: skip
    """Record the account an institution is paid into (收款账户)."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            set_account(connection, fixmedins_code=institution, bank_name=bank, account_no=account_no,
                        account_name=name, actor=actor, now=datetime.now())  # fmt: skip
        console.print(f"{institution}: paid into {bank} {account_no} ({name})", markup=False)


@app.command("adjust")
def adjust_command(
    kind: Annotated[str, typer.Option(help="refund (退付: the fund pays) or supplement (补缴: the party pays).")],
    party_type: Annotated[str, typer.Option(help="institution or person.")],
    party: Annotated[str, typer.Option(help="The fixmedins_code or psn_no.")],
    amount: Annotated[str, typer.Option(help="Amount in yuan, above zero, to the fen.")],
    reason: Annotated[str, typer.Option(help="Why.")],
    corrects_type: Annotated[str, typer.Option(help="settlement, deduction, payout or claim.")],
    corrects_ref: Annotated[str, typer.Option(help="Its id (setl_id, deduction id, YYYY-MM, claim_no).")],
    actor: Actor,
    as_json: Json = False,
) -> None:  # fmt: skip
    """Record a refund or supplementary payment with its reason and what it corrects."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            done = add_adjustment(connection, kind=kind, party_type=party_type, party=party, amount=amount,
                                  reason=reason, corrects_type=corrects_type, corrects_ref=corrects_ref,
                                  actor=actor, now=datetime.now())  # fmt: skip
        emit(
            as_json,
            {"adjustment_id": done},
            f"adjustment J{done}: {kind} {amount} 元 ({party_type} {party})",
        )


@app.command("release-deposit")
def release_deposit_command(
    institution: Annotated[str, typer.Argument(help="The institution (fixmedins_code).")],
    year: Annotated[int, typer.Option(help="The year whose deposit is settled.")],
    rating: Annotated[str, typer.Option(help="The year's rating: good (released) or poor (forfeited).")],
    actor: Actor,
) -> None:  # fmt: skip
    """Release (good rating) or forfeit (poor) the quality deposit withheld in a year."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            done, held = release_deposit(connection, fixmedins_code=institution, year=year, rating=rating,
                                         actor=actor, now=datetime.now())  # fmt: skip
        said = "released" if rating == "good" else "forfeited"
        console.print(
            f"adjustment J{done}: deposit of {year} {said}, {yuan(held)} 元", markup=False
        )


def _run(step: Callable[..., RunSummary], *, period: str, actor: str, as_json: bool) -> None:
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            run = step(
                connection,
                period=period,
                actor=actor,
                now=datetime.now(),
                agreement=shipped_agreement(),
            )
        _print_run(run, as_json)


def _print_run(run: RunSummary, as_json: bool) -> None:
    payload = {
        "period": run.period, "state": run.state,
        "statements": {code: {n: getattr(t, n) for n in _TOTALS} for code, t in run.statements.items()},
    }  # fmt: skip
    emit(as_json, payload, f"清算 {run.period} ({run.state}): {len(run.statements)} statement(s), fund payments "
                           f"{yuan(run.sum('fund_payments'))}, net {yuan(run.sum('net'))} 元")  # fmt: skip
