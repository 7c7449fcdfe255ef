"""``yibao bench …``: benchmark commands that print their figures."""

from __future__ import annotations

from typing import Annotated

import typer

from yibao.bench.engine import bench_engine
from yibao.bootstrap import bootstrap
from yibao.cli.errors import reporting

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Benchmarks (figures for the closing notes and docs).")


@app.command("engine")
def engine(
    visits: Annotated[int, typer.Option(min=1, help="Visits per round.")] = 2000,
    lines: Annotated[int, typer.Option(min=1, help="Fee lines per visit.")] = 100,
    rounds: Annotated[int, typer.Option(min=1, help="Rounds; the median is reported.")] = 5,
    region: Annotated[
        str, typer.Option(help="Region whose policy and catalogue are used.")
    ] = "990100",
) -> None:
    """Settle generated inpatient visits in process; prints a line ending in 'visits/s'."""
    with reporting():
        services = bootstrap()
        data = services.catalog
        hospitals = [
            i for i in data.institutions.values() if i.admdvs == region and i.kind != "pharmacy"
        ]
        result = bench_engine(
            policies=services.policies,
            catalog=data.catalogs[region],
            institutions=hospitals,
            visits=visits,
            lines=lines,
            rounds=rounds,
        )
        typer.echo(result.summary())
