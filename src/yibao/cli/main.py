"""The ``yibao`` command: thin Typer commands, each parsing its options and calling one service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from yibao.bootstrap import bootstrap
from yibao.catalog.service import CatalogStore, import_catalog_file
from yibao.cli import (
    appeals,
    audit,
    bench,
    claims,
    clearing,
    db,
    deductions,
    demo,
    drg,
    payout,
    registry,
    remote,
    settlement,
)
from yibao.cli.errors import reporting
from yibao.cli.serve import serve
from yibao.cli.simulate import simulate
from yibao.policy.service import check_policies
from yibao.settlement.formats import load_visit_file
from yibao.settlement.report import replay_as_json
from yibao.settlement.service import replay_visit

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, add_completion=False, help="yibao: 医保结算与审核平台")
policy_app = typer.Typer(no_args_is_help=True, help="Benefit policy files (待遇政策).")
catalog_app = typer.Typer(no_args_is_help=True, help="Catalogue, institutions and mapping (目录).")
app.add_typer(policy_app, name="policy")
app.add_typer(catalog_app, name="catalog")
app.add_typer(bench.app, name="bench")
app.add_typer(demo.app, name="demo")
app.add_typer(db.app, name="db")
app.add_typer(registry.app, name="registry")
app.add_typer(audit.app, name="audit")
app.add_typer(remote.app, name="remote")
app.add_typer(claims.app, name="claims")
app.add_typer(clearing.app, name="clearing")
app.add_typer(settlement.app, name="settlement")
app.add_typer(deductions.app, name="deductions")
app.add_typer(appeals.app, name="appeals")
app.add_typer(payout.app, name="payout")
app.add_typer(drg.app, name="drg")
app.command()(serve)
app.command()(simulate)

_out = Console(highlight=False, soft_wrap=True)


@app.command()
def settle(
    visit: Annotated[Path, typer.Option("--visit", help="Visit document (JSON, NHSA shape).")],
    trace: Annotated[bool, typer.Option(help="Include the trace of every step.")] = True,
) -> None:
    """Settle a visit document and print the settlement JSON (setlinfo, setldetail, result)."""
    with reporting():
        services = bootstrap()
        document = load_visit_file(visit)
        replay = replay_visit(
            document=document,
            policies=services.policies,
            catalogs=services.catalog.catalogs,
            institutions=services.catalog.institutions,
        )
        typer.echo(json.dumps(replay_as_json(replay, trace=trace), ensure_ascii=False, indent=2))


@policy_app.command("check")
def policy_check(
    directory: Annotated[Path, typer.Argument(help="Directory of policy files.")],
) -> None:
    """Validate every policy file of a directory; name the file, key and reason of each problem."""
    with reporting():
        _out.print(check_policies(directory=directory).summary(), markup=False)


@catalog_app.command("import")
def catalog_import(
    file: Annotated[
        Path, typer.Argument(help="Catalogue, institution or mapping file (CSV/XLSX).")
    ],
    into: Annotated[
        Path | None,
        typer.Option(help="Catalogue directory (default: YIBAO_CATALOG_DIR or var/catalog)."),
    ] = None,
) -> None:
    """Import a file into a catalogue directory; a file with any bad row changes nothing."""
    with reporting():
        settings = bootstrap().settings
        directory = into or settings.catalog_dir or settings.var_dir / "catalog"
        report = import_catalog_file(store=CatalogStore(directory), path=file)
        _out.print(report.summary(), markup=False)
