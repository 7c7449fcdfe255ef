"""``yibao demo …``: the demo region's main job."""

from __future__ import annotations

import typer
from rich.console import Console

from yibao.bootstrap import bootstrap
from yibao.cli.errors import reporting
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
