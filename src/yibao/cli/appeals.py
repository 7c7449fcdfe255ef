"""``yibao appeals file | decide | show``: an institution's appeal (申诉) of a deduction.

``file`` registers the institution's appeal with its evidence before the deadline of the
deduction letter; ``decide`` is the agency's decision (a win is refunded in the next clearing run
still open); ``show`` prints an appeal with every step. The gateway has no appeal transaction:
the institution's own channel is the portal of issue J, which calls the same use cases
(:mod:`yibao.clearing.appeals`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from yibao.bootstrap import bootstrap
from yibao.clearing.appeals import Appeal, decide_appeal, file_appeal, get_appeal
from yibao.cli.deductions import Actor
from yibao.cli.errors import reporting
from yibao.cli.output import Json, console, emit
from yibao.documents.pdf import yuan
from yibao.store.engine import read_transaction, write_transaction

__all__ = ["app"]

app = typer.Typer(
    no_args_is_help=True, help="申诉: appeals of deductions, with evidence and deadlines."
)

Reason = Annotated[
    str, typer.Option(help="Why: the institution's grounds, or the agency's decision.")
]


@app.command("file")
def file_command(
    deduction_id: Annotated[int, typer.Argument(help="The deduction appealed (its number without the D).")],
    institution: Annotated[str, typer.Option(help="The appealing institution (fixmedins_code).")],
    reason: Reason, actor: Actor,
    evidence: Annotated[list[str], typer.Option(help="A piece of evidence (病程记录, lab value, report); repeat.")],
    as_json: Json = False,
) -> None:  # fmt: skip
    """File an institution's appeal of one of its deductions, before the letter's deadline."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            appeal = file_appeal(connection, deduction_id=deduction_id, fixmedins_code=institution, reason=reason,
                                 evidence=evidence, actor=actor, now=datetime.now())  # fmt: skip
        _print(appeal, as_json)


@app.command("decide")
def decide_command(
    appeal_id: Annotated[int, typer.Argument(help="The appeal.")],
    won: Annotated[bool, typer.Option("--won/--lost", help="The appeal succeeds, or not.")],
    reason: Reason, actor: Actor,
    refund: Annotated[str | None, typer.Option(help="Part of the deduction to refund (default: all of it).")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """The agency's decision on an appeal."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            appeal = decide_appeal(connection, appeal_id=appeal_id, won=won, reason=reason, actor=actor,
                                   now=datetime.now(), refund_amount=refund)  # fmt: skip
        _print(appeal, as_json)


@app.command("show")
def show_command(
    appeal_id: Annotated[int, typer.Argument(help="The appeal.")], as_json: Json = False
) -> None:
    """An appeal with every step."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            appeal = get_appeal(connection, appeal_id)
        _print(appeal, as_json)
        if not as_json:
            for n, step in enumerate(appeal.steps, start=1):
                at = step["at"].isoformat(sep=" ", timespec="seconds")
                console.print(
                    f"  {n}. {at} {step['kind']} {step['actor']}: {step['text']}", markup=False
                )


def _print(appeal: Appeal, as_json: bool) -> None:
    refund = "" if appeal.refund_amount is None else f", refund {yuan(appeal.refund_amount)} 元"
    emit(as_json, {"appeal_id": appeal.appeal_id, "deduction_id": appeal.deduction_id,
                   "fixmedins_code": appeal.fixmedins_code, "state": appeal.state, "amount": appeal.amount,
                   "refund_amount": appeal.refund_amount, "steps": list(appeal.steps)},
         f"appeal {appeal.appeal_id} of D{appeal.deduction_id} ({appeal.fixmedins_code}, "
         f"{yuan(appeal.amount)} 元): {appeal.state}{refund}")  # fmt: skip
