"""``yibao deductions build | list | letter | consequences | decide``: the audit's deductions.

A deduction run turns a month's upheld audit results into deductions and proposes the
agreement's consequences (:mod:`yibao.clearing.deductions`); ``letter`` prints the 扣款函 of a
run for one institution; ``decide`` is the agency's decision on a proposed consequence. Each
command is one transaction; ``--json`` prints money as exact text. The acting person is
``--actor``, as typed: logins and roles come with issue I.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.clearing.agreement import shipped_agreement
from yibao.clearing.consequences import decide_consequence
from yibao.clearing.deductions import build_deductions
from yibao.clearing.letters import render_letter
from yibao.clearing.queries import list_consequences, list_deductions
from yibao.cli.errors import reporting
from yibao.cli.output import Json, console, emit, write_out
from yibao.documents.pdf import yuan
from yibao.store.engine import read_transaction, write_transaction

__all__ = ["Actor", "app"]

app = typer.Typer(
    no_args_is_help=True, help="扣款: deductions, the 扣款函 and the agreement's consequences."
)

Actor = Annotated[str, typer.Option(help="Who acts (name or staff id; not yet authenticated).")]
Reason = Annotated[str, typer.Option(help="Why: kept with the decision.")]


@app.command("build")
def build_command(
    period: Annotated[str, typer.Argument(help="The audit month, YYYY-MM.")], actor: Actor, as_json: Json = False
) -> None:  # fmt: skip
    """Turn the month's upheld violations and closed review cases into deductions."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            run = build_deductions(connection, period=period, actor=actor, now=datetime.now(),
                                   agreement=shipped_agreement())  # fmt: skip
        payload = {
            "run_no": run.run_no, "period": run.period, "total": run.total,
            "institutions": {k: {"deductions": n, "amount": a} for k, (n, a) in run.by_institution.items()},
            "proposals": [{"kind": p.kind.value, "fixmedins_code": p.fixmedins_code, "dept_codg": p.dept_codg,
                           "rule": p.rule, "min_amount": p.min_amount, "max_amount": p.max_amount}
                          for p in run.proposals],
        }  # fmt: skip
        count = sum(n for n, _ in run.by_institution.values())
        emit(as_json, payload, f"{run.run_no}: {count} deduction(s), {yuan(run.total)} 元, "
                               f"{len(run.proposals)} consequence(s) proposed")  # fmt: skip


@app.command("list")
def list_command(
    period: Annotated[str | None, typer.Option(help="The clearing month they are withheld in.")] = None,
    run_no: Annotated[str | None, typer.Option("--run", help="One deduction run.")] = None,
    institution: Annotated[str | None, typer.Option(help="One institution (fixmedins_code).")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """Deductions with their state and appeal."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            rows = list_deductions(
                connection, period=period, run_no=run_no, fixmedins_code=institution
            )
        if as_json:
            emit(True, {"deductions": rows}, "")
            return
        table = Table(title=f"{len(rows)} deduction(s)")
        for name in (
            "id",
            "run",
            "institution",
            "kind",
            "visit",
            "line",
            "rule",
            "amount",
            "state",
            "appeal by",
        ):
            table.add_column(name, justify="right" if name == "amount" else "left")
        for r in rows:
            table.add_row(f"D{r['deduction_id']}", r["run_no"], r["fixmedins_code"], r["kind"], r["mdtrt_id"] or "",
                          r["feedetl_sn"] or "", r["rule_name"], yuan(r["amount"]), r["state"],
                          r["appeal_due"].isoformat())  # fmt: skip
        console.print(table)


@app.command("letter")
def letter_command(
    run_no: Annotated[str, typer.Argument(help="The deduction run (e.g. KK202603-001).")],
    institution: Annotated[str, typer.Argument(help="The institution (fixmedins_code).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the PDF.")],
) -> None:
    """Print the deduction letter (扣款函) of a run to one institution as PDF."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            pdf = render_letter(
                connection, run_no=run_no, fixmedins_code=institution, printed_on=date.today()
            )
        write_out(out, pdf)
        console.print(f"{out}: 扣款函 {run_no} {institution}, {len(pdf)} bytes", markup=False)


@app.command("consequences")
def consequences_command(
    run_no: Annotated[str | None, typer.Option("--run", help="One deduction run.")] = None,
    pending: Annotated[bool, typer.Option(help="Only those waiting for a decision.")] = False,
    as_json: Json = False,
) -> None:  # fmt: skip
    """The consequences the agreement proposed, with their rule and state."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            rows = list_consequences(
                connection, run_no=run_no, state="proposed" if pending else None
            )
        if as_json:
            emit(True, {"consequences": rows}, "")
            return
        table = Table(title=f"{len(rows)} consequence(s)")
        for name in (
            "id",
            "run",
            "institution",
            "dept",
            "kind",
            "rule",
            "range",
            "state",
            "amount",
        ):
            table.add_column(name)
        for r in rows:
            span = (
                f"{yuan(r['min_amount'])}–{yuan(r['max_amount'])}" if r["kind"] == "penalty" else ""
            )
            table.add_row(str(r["consequence_id"]), r["run_no"], r["fixmedins_code"], r["dept_codg"] or "", r["kind"],
                          r["rule"], span, r["state"], yuan(r["amount"]))  # fmt: skip
        console.print(table)


@app.command("decide")
def decide_command(
    consequence_id: Annotated[int, typer.Argument(help="The proposed consequence.")],
    accept: Annotated[bool, typer.Option("--accept/--reject", help="Accept or reject the proposal.")],
    reason: Reason, actor: Actor,
    multiplier: Annotated[str | None, typer.Option(help="A penalty's multiplier, within its type's range.")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """The agency's decision on a proposed penalty, department refusal or suspension."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            done = decide_consequence(connection, consequence_id=consequence_id, accept=accept, reason=reason,
                                      actor=actor, now=datetime.now(), agreement=shipped_agreement(),
                                      multiplier=multiplier)  # fmt: skip
        deducted = (
            ""
            if done.deduction_id is None
            else f", deduction D{done.deduction_id} of {yuan(done.amount)} 元"
        )
        emit(as_json, {"consequence_id": done.consequence_id, "state": done.state, "amount": done.amount,
                       "deduction_id": done.deduction_id},
             f"consequence {done.consequence_id}: {done.state}{deducted}")  # fmt: skip
