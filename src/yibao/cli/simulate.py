"""``yibao simulate``: realistic HIS traffic against a running gateway, with a summary."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from yibao.cli.bench import InfoOption, client_info
from yibao.cli.errors import reporting
from yibao.demo.simulate import run_simulation

__all__ = ["simulate"]


def simulate(
    minutes: Annotated[float, typer.Option(min=0.01, help="How long visits keep arriving.")] = 1.0,
    rate: Annotated[float, typer.Option(min=0.1, help="Visits per minute.")] = 60.0,
    base_url: Annotated[
        str | None, typer.Option(help="The running gateway (default: YIBAO_BASE_URL).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the visit mix (same seed, same visits).")] = 1,
    info: InfoOption = None,
) -> None:
    """Play outpatient and inpatient visits, refunds, lost answers (2601) and repeated msgids
    against a running gateway; check every settlement's identities; print a summary."""
    with reporting():
        data = client_info(info)
        out = Console(highlight=False, soft_wrap=True)
        result = run_simulation(base_url=base_url or data["base_url"], info=data, minutes=minutes,
                                rate=rate, seed=seed, console=Console(stderr=True))  # fmt: skip
        for table in result.tables():
            out.print(table)
        out.print(result.summary(), markup=False)
