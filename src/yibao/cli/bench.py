"""``yibao bench …``: benchmark commands that print their figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError

from yibao.bench.drg import bench_drg
from yibao.bench.engine import bench_engine
from yibao.bench.gateway import bench_gateway
from yibao.bootstrap import bootstrap
from yibao.cli.bench_audit import bench_audit_realtime
from yibao.cli.errors import reporting
from yibao.cli.registry_import import bench_import
from yibao.demo.load import demo_info
from yibao.kernel.errors import ConflictError, InvalidValue

__all__ = ["InfoOption", "app", "client_info"]

InfoOption = Annotated[
    Path | None,
    typer.Option(
        "--info",
        help="Output of `yibao demo info --json` (default: read it from the database of "
        "YIBAO_DATABASE_URL, i.e. the server's own).",
    ),
]

app = typer.Typer(no_args_is_help=True, help="Benchmarks (figures for the closing notes and docs).")
app.command("import")(bench_import)


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


@app.command("drg")
def drg(
    cases: Annotated[int, typer.Option(min=1, help="Generated cases per round.")] = 50_000,
    rounds: Annotated[int, typer.Option(min=1, help="Rounds; the median is reported.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the generated cases.")] = 1,
) -> None:
    """Group generated cases with the CHS-DRG 1.1 grouper in process; prints the compile time and
    a line ending in 'cases/s'."""
    with reporting():
        typer.echo(bench_drg(cases=cases, rounds=rounds, seed=seed).summary())


@app.command("audit-realtime")
def audit_realtime(
    calls: Annotated[int, typer.Option(min=10, help="Measured calls.")] = 200,
    lines: Annotated[int, typer.Option(min=1, help="Orders of the current encounter.")] = 50,
    history: Annotated[int, typer.Option(min=0, help="Past encounters (two weeks apart).")] = 26,
    history_lines: Annotated[int, typer.Option(min=1, help="Orders per past encounter.")] = 15,
    seed: Annotated[int, typer.Option(help="Seed of the generated request.")] = 1,
) -> None:
    """3102 in process against the configured rule base; prints median and p99 in ms."""
    with reporting():
        result = bench_audit_realtime(bootstrap(), calls=calls, lines=lines, history=history,
                                      history_lines=history_lines, seed=seed)  # fmt: skip
        typer.echo(result.summary())


@app.command("gateway")
def gateway(
    clients: Annotated[int, typer.Option(min=1, help="Client threads, one connection each.")] = 4,
    seconds: Annotated[
        float, typer.Option(min=0.1, help="Measured seconds (after 1 s warm-up).")
    ] = 10,
    lines: Annotated[int, typer.Option(min=1, help="Fee lines per 2204.")] = 20,
    base_url: Annotated[
        str | None, typer.Option(help="The running gateway (default: YIBAO_BASE_URL).")
    ] = None,
    info: InfoOption = None,
) -> None:
    """Full outpatient settlements (2201 → 2204 → 2206 → 2207) against a running gateway; prints
    p50/p99 per transaction and a last line ending in 'settlements/s'."""
    with reporting():
        data = client_info(info)
        result = bench_gateway(base_url=base_url or data["base_url"], info=data, clients=clients,
                               seconds=seconds, lines=lines)  # fmt: skip
        for line in result.report():
            typer.echo(line)
    if result.settlements == 0:
        raise typer.Exit(1)  # nothing was measured: a script must not take this for a figure


def client_info(path: Path | None) -> dict[str, Any]:
    """What a client needs (base URL, institutions with credentials, persons): the file or the database."""
    if path is not None:
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidValue("--info", f"{path}: {exc}") from None
        return data
    services = bootstrap()
    try:
        with services.engine.connect() as connection:
            return demo_info(connection, base_url=services.settings.base_url)
    except SQLAlchemyError as exc:
        raise ConflictError(
            f"cannot read the institutions and persons from the database ({type(exc).__name__}): "
            "run `yibao db upgrade` and `yibao demo load` with the server's YIBAO_DATABASE_URL, "
            "or pass --info"
        ) from None
