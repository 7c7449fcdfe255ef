"""``yibao demo …``: the demo region's main job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from yibao.audit.batch import Period
from yibao.bootstrap import bootstrap
from yibao.cli.errors import reporting
from yibao.demo.load import demo_info, demo_loaded, load_demo
from yibao.demo.month import generate_month
from yibao.demo.visits import run_demo_visits
from yibao.settlement.report import replay_summary

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="The demo region (示范市 990100).")
_out = Console(highlight=False, soft_wrap=True)


@app.command("run")
def run() -> None:
    """Settle the shipped demo visits and print a short readable summary of each."""
    with reporting():
        services = bootstrap()
        data = services.catalog
        visits = run_demo_visits(
            policies=services.policies, catalogs=data.catalogs, institutions=data.institutions
        )
        for visit in visits:
            _out.print(f"[bold]{visit.title}[/bold]  ({visit.path.name})")
            for line in replay_summary(visit.replay):
                _out.print(f"  {line}", markup=False)
        _out.print(f"{len(visits)} demo visit(s) settled.")


@app.command("load")
def load(
    persons: Annotated[int, typer.Option(min=1000, help="How many persons to create.")] = 1200,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when already loaded.")
    ] = False,
) -> None:
    """Write the demo region (institutions, credentials, catalogue, policies, persons) to the database."""
    with reporting():
        services = bootstrap()
        with services.engine.begin() as connection:
            if if_empty and demo_loaded(connection):
                _out.print("demo region already loaded", markup=False)
                return
            done = load_demo(connection, catalog=services.catalog, persons_count=persons)
        _out.print(done.summary(), markup=False)


@app.command("info")
def info(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """What an outside client needs to drive the demo: base URL, institutions, persons."""
    with reporting():
        services = bootstrap()
        with services.engine.connect() as connection:
            data = demo_info(connection, base_url=services.settings.base_url)
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
        else:
            _out.print(
                f"{data['base_url']}: {len(data['institutions'])} institutions, "
                f"{len(data['persons'])} persons (use --json)",
                markup=False,
            )


@app.command("month")
def month(
    period: Annotated[str, typer.Option("--period", help="The month, YYYY-MM.")],
    lines: Annotated[int, typer.Option("--lines", help="Fee lines dated in the month.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write (new or empty).")],
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same month.")] = 20260301,
    history: Annotated[
        int, typer.Option("--history-months", min=0, max=12, help="Months of history before it.")
    ] = 2,
) -> None:
    """Write a realistic month of settled care as Parquet fact tables (for yibao audit run)."""
    with reporting():
        month_ = Period.parse(period, field="--period")
        columns = (TextColumn("fee lines"), BarColumn(), TextColumn("{task.completed:,.0f}"),
                   TimeElapsedColumn())  # fmt: skip
        with Progress(*columns, console=_out, transient=True) as progress:
            task = progress.add_task("lines", total=lines * (history + 1))
            report = generate_month(out, period=month_, lines=lines, seed=seed,
                                    history_months=history,
                                    on_lines=lambda n: progress.advance(task, n))  # fmt: skip
        _out.print(report.summary(), markup=False)
