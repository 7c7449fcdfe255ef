"""``yibao remote``: 异地就医备案 at the insuring region's window (file, renew, withdraw, list).

The agency files for a person who comes to the window (``--by agency``, the default) or records
what the person filed through the portal (``--by person``). Each command is one transaction of
:mod:`yibao.registry.remote_filings`; errors name the option and the reason.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.catalog.repository import region_codes
from yibao.cli.errors import reporting
from yibao.cli.output import Json, console, emit
from yibao.kernel.dates import parse_date
from yibao.registry.remote_filings import (
    file_remote,
    remote_filings_of,
    renew_remote,
    withdraw_remote,
)
from yibao.registry.remote_model import FilingType, RemoteFiling
from yibao.store.engine import read_transaction, write_transaction

__all__ = ["app"]

app = typer.Typer(help="异地就医备案: out-of-area care filings of insured persons.")

Psn = Annotated[str, typer.Argument(help="The person's psn_no.")]
FilingId = Annotated[str, typer.Argument(help="The filing's id (YDBA…).")]
By = Annotated[str, typer.Option("--by", help="Who files: agency (the window) or person.")]
Operator = Annotated[str, typer.Option(help="The clerk, or the portal account.")]
_TYPES = ", ".join(f"{t.value} {t.label}" for t in FilingType)


def _summary(f: RemoteFiling) -> str:
    until = f.enddate or "open-ended"
    return (f"{f.filing_id}: {f.psn_no} {f.filing_type.label} in {f.mdtrtarea_admdvs} "
            f"from {f.begndate} to {until}")  # fmt: skip


@app.command("file")
def file_command(
    psn_no: Psn,
    area: Annotated[str, typer.Option("--area", help="Care area: a region, or xx0000 for a province.")],
    filing_type: Annotated[str, typer.Option("--type", help=f"Filing type: {_TYPES}.")],
    begin: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    end: Annotated[str | None, typer.Option(help="Last day; long-term filings may omit it.")] = None,
    by: By = "agency", operator: Operator = "window", memo: str = "", as_json: Json = False,
) -> None:  # fmt: skip
    """File care outside the insuring region."""
    with reporting():
        begndate = parse_date(begin, field="--begin")
        enddate = None if end is None else parse_date(end, field="--end")
        with write_transaction(bootstrap().engine) as connection:
            filing = file_remote(connection, psn_no=psn_no, mdtrtarea_admdvs=area,
                                 filing_type=filing_type, begndate=begndate, enddate=enddate,
                                 filed_by=by, operator=operator, now=datetime.now(),
                                 regions=region_codes(connection), memo=memo)  # fmt: skip
        emit(as_json, filing.as_json(), _summary(filing))


@app.command("renew")
def renew_command(
    filing_id: FilingId, psn_no: Annotated[str, typer.Option("--psn", help="The person's psn_no.")],
    end: Annotated[str, typer.Option(help="Last day of the renewal, YYYY-MM-DD.")],
    by: By = "agency", operator: Operator = "window", as_json: Json = False,
) -> None:  # fmt: skip
    """Renew a filing from the day after it ends."""
    with reporting():
        enddate = parse_date(end, field="--end")
        with write_transaction(bootstrap().engine) as connection:
            filing = renew_remote(connection, filing_id=filing_id, psn_no=psn_no, enddate=enddate,
                                  filed_by=by, operator=operator, now=datetime.now(),
                                  regions=region_codes(connection))  # fmt: skip
        emit(as_json, filing.as_json(), _summary(filing))


@app.command("withdraw")
def withdraw_command(
    filing_id: FilingId, psn_no: Annotated[str, typer.Option("--psn", help="The person's psn_no.")],
    reason: Annotated[str, typer.Option(help="Why the filing is withdrawn.")],
    as_json: Json = False,
) -> None:  # fmt: skip
    """Withdraw a filing from now on."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            held = withdraw_remote(connection, filing_id=filing_id, psn_no=psn_no, memo=reason,
                                   now=datetime.now())  # fmt: skip
        emit(as_json, {"withdrawn": held.as_json()}, f"withdrawn: {_summary(held)}")


@app.command("list")
def list_command(psn_no: Psn, as_json: Json = False) -> None:
    """A person's filings, withdrawn ones too."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            found = remote_filings_of(connection, psn_no)
        if as_json:
            emit(True, {"filings": [f.as_json() for f in found]}, "")
            return
        table = Table("filing", "type", "area", "from", "to", "by", "state")
        today = date.today()
        for f in found:
            state = "withdrawn" if f.withdrawn_at else "valid" if f.valid_on(today) else "not today"
            table.add_row(f.filing_id, f.filing_type.label, f.mdtrtarea_admdvs, str(f.begndate),
                          str(f.enddate or "—"), f.filed_by, state)  # fmt: skip
        console.print(table)
