"""``yibao settlement``: documents of stored settlements; ``slip`` prints the 结算单 as PDF.

Thin: reads the settlement in one read-only transaction, renders it with
:mod:`yibao.settlement.slip` and writes the file. An unknown ``setl_id`` or missing Chinese fonts
are one line on stderr and a non-zero exit (:mod:`yibao.cli.errors`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from yibao.bootstrap import bootstrap
from yibao.cli.errors import reporting
from yibao.cli.output import console, write_out
from yibao.settlement.slip import render_slip
from yibao.store.engine import read_transaction

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="结算: documents of stored settlements.")


@app.command("slip")
def slip_command(
    setl_id: Annotated[str, typer.Argument(help="The settlement's id (setl_id).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the PDF.")],
) -> None:
    """Print the settlement slip (结算单) of a stored settlement as PDF."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            pdf = render_slip(connection, setl_id, printed_on=date.today())
        write_out(out, pdf)
        console.print(f"{out}: 结算单 {setl_id}, {len(pdf)} bytes", markup=False)
