"""``yibao drg …``: group a CSV of inpatient cases with the CHS-DRG 1.1 grouper."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from yibao.cli import drg_pay
from yibao.cli.errors import reporting
from yibao.drg.service import group_file

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="CHS-DRG 1.1 grouping (疾病诊断相关分组).")
_err = Console(stderr=True, highlight=False, soft_wrap=True)


@app.command("group")
def group(
    source: Annotated[
        Path,
        typer.Argument(
            help="CSV: id,gender,age,age_days,weight,los,leaving_type,diagnoses,procedures "
            "(codes separated by |, the main one first)."
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="The output CSV.")],
    trace: Annotated[
        bool, typer.Option(help="Add a trace column (steps joined by ' ; ').")
    ] = False,
    qy: Annotated[
        bool, typer.Option(help="Test for the ambiguous group QY (--no-qy: as OpenDRG does).")
    ] = True,
) -> None:
    """Group every case of SOURCE into OUTPUT (id,status,mdc,adrg,drg); a bad row is 'invalid'."""
    with reporting():
        if _err.is_terminal and source.is_file():
            columns = (TextColumn("grouping"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
            with Progress(*columns, console=_err, transient=True) as bar:
                task = bar.add_task("group", total=source.stat().st_size)
                result = group_file(
                    source, output, trace=trace, qy=qy,
                    progress=lambda done: bar.update(task, completed=done),
                )  # fmt: skip
        else:
            result = group_file(source, output, trace=trace, qy=qy)
        _err.print(result.summary(), markup=False)


drg_pay.register(app)  # weights, weight-sets, pay (issue G parts 4–5)
