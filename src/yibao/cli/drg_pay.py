"""``yibao drg weights | weight-sets | pay``: DRG weights from history and one case's payment.

``weights`` builds a new version of the relative weights and the base rate from the valid,
grouped settlement lists of the years given (one transaction); ``weight-sets`` lists the
versions; ``pay`` shows the DRG payment of one stay under a version, with its trace. Each calls
:mod:`yibao.casepay.weights`; ``--json`` prints money as exact text.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.casepay.weights import (
    build_weights,
    list_versions,
    pay_settlement,
    version_json,
)
from yibao.cli.errors import reporting
from yibao.cli.output import Json, console, emit
from yibao.kernel.money import money
from yibao.store.engine import read_transaction, write_transaction

__all__ = ["register"]

_TOP = 15


def weights_command(
    years: Annotated[str, typer.Option(help="Calendar years of history, e.g. 2025,2026.")],
    budget: Annotated[str, typer.Option(help="The budget the base rate spends, in yuan.")],
    actor: Annotated[str, typer.Option(help="Who builds it (name or staff id).")],
    as_json: Json = False,
) -> None:
    """Build a new version of the DRG weights and base rate from the years' settlement lists."""
    with reporting():
        amount = money(budget, field="budget")
        with write_transaction(bootstrap().engine) as connection:
            version = build_weights(
                connection, years=years, budget=amount, actor=actor, now=datetime.now()
            )
        data = version_json(version, top=_TOP)
        if as_json:
            emit(True, dict(data), "")
            return
        w = version.weights
        table = Table(
            title=f"DRG weights v{version.version_no} ({','.join(map(str, version.years))}): {w.cases} cases, "
            f"{w.kept} kept, overall mean {w.overall_mean}, base rate {w.base_rate}"
        )
        for name in ("drg", "cases", "kept", "mean cost", "RW"):
            table.add_column(name, justify="left" if name == "drg" else "right")
        for g in data["groups"]:
            table.add_row(
                g["drg"], str(g["cases"]), str(g["kept"]), str(g["mean_cost"]), str(g["rw"])
            )
        console.print(table)


def weight_sets_command(as_json: Json = False) -> None:
    """The stored versions of the DRG weights, newest first."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            rows = list_versions(connection)
        if as_json:
            emit(True, {"versions": rows}, "")
            return
        table = Table(title=f"{len(rows)} DRG weight version(s)")
        for name in ("version", "years", "budget", "base rate", "cases", "kept", "built by", "at"):
            table.add_column(name)
        for r in rows:
            at = f"{r['built_at']:%Y-%m-%d %H:%M}"
            table.add_row(str(r["version_no"]), r["years"], str(r["budget"]), str(r["base_rate"]),
                          str(r["cases"]), str(r["kept"]), r["built_by"], at)  # fmt: skip
        console.print(table)


def pay_command(
    setl_id: Annotated[str, typer.Argument(help="The final settlement of the stay (setl_id).")],
    version: Annotated[int, typer.Option("--version", help="The weight version to pay under.")],
    as_json: Json = False,
) -> None:
    """One stay's DRG payment: case payment, fund and patient shares, surplus, and the trace."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            paid = pay_settlement(connection, setl_id=setl_id, version_no=version)
        if as_json:
            emit(True, {**asdict(paid), "trace": list(paid.trace), "kind": paid.kind.value}, "")
            return
        console.print(
            f"{paid.case_id} DRG {paid.drg or '-'} {paid.kind.value}: case payment "
            f"{paid.case_payment} = fund {paid.fund_share} + patient {paid.patient_share}; "
            f"cost {paid.cost}, surplus {paid.surplus}",
            markup=False,
        )
        for step in paid.trace:
            console.print(f"  {step}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the commands to the ``yibao drg`` app."""
    app.command("weights")(weights_command)
    app.command("weight-sets")(weight_sets_command)
    app.command("pay")(pay_command)
