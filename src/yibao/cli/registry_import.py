"""``yibao registry import FILE`` and its benchmark: persons with enrolments from CSV/XLSX.

:func:`import_persons` reads and checks the whole file first, then writes it in one write
transaction of the configured database (which must already be migrated: it migrates nothing). A
file with any bad row, or any person already in the registry, changes nothing. :func:`bench_import`
generates a persons XLSX, imports it into a fresh temporary SQLite database and prints the seconds
of each phase.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from time import perf_counter
from typing import Annotated

import typer
from rich.console import Console

from yibao.bootstrap import Services, bootstrap
from yibao.cli.errors import reporting
from yibao.demo.people_file import write_people_xlsx
from yibao.registry.bulk import ImportSummary, import_people
from yibao.registry.formats import read_people_file
from yibao.settings import Settings
from yibao.store.engine import sqlite_url, write_transaction
from yibao.store.migrate import require_current_schema, upgrade

__all__ = ["bench_import", "import_persons"]

_out = Console(highlight=False, soft_wrap=True)


def import_persons(
    path: Annotated[
        Path, typer.Argument(help="Persons file (CSV or XLSX, docs in yibao.registry.formats).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Import persons with their enrolments; a file with any bad row or known person changes nothing."""
    with reporting():
        services = bootstrap()
        require_current_schema(services.engine)
        started = perf_counter()
        summary = _import(services, path)
        seconds = perf_counter() - started
        if as_json:
            typer.echo(json.dumps(_figures(summary, seconds)))
        else:
            _out.print(f"{summary.summary()} in {seconds:.1f} s", markup=False)


def bench_import(
    count: Annotated[int, typer.Option(min=1, help="Persons in the generated file.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Seed of the generated persons.")] = 990101,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the temporary directory (file and database).")
    ] = False,
) -> None:
    """Generate a persons XLSX, import it into a fresh SQLite database; print the seconds of each phase."""
    with reporting():
        directory = Path(tempfile.mkdtemp(prefix="yibao-bench-import-"))
        try:
            _bench(directory, count=count, seed=seed)
        finally:
            if keep:
                _out.print(f"kept {directory}", markup=False)
            else:
                shutil.rmtree(directory, ignore_errors=True)


def _import(services: Services, path: Path) -> ImportSummary:
    people = read_people_file(path)  # before the transaction: no write lock while reading
    with write_transaction(services.engine) as connection:
        return import_people(connection, people)


def _figures(summary: ImportSummary, seconds: float) -> dict[str, int | float]:
    return {"persons": summary.persons, "enrolments": summary.enrolments,
            "accounts": summary.accounts, "seconds": round(seconds, 3)}  # fmt: skip


def _bench(directory: Path, *, count: int, seed: int) -> None:
    path = directory / "persons.xlsx"
    started = perf_counter()
    rows = write_people_xlsx(path, count, seed=seed)
    generated = perf_counter()
    size = path.stat().st_size / 1e6
    _out.print(f"generated {count:,} persons ({rows:,} rows, {size:.1f} MB): "
               f"{generated - started:.1f} s", markup=False)  # fmt: skip
    services = bootstrap(Settings(database_url=sqlite_url(directory / "bench.db")))
    upgrade(services.engine)
    began = perf_counter()
    people = read_people_file(path)
    read = perf_counter()
    _out.print(f"read and validated: {read - began:.1f} s", markup=False)
    with write_transaction(services.engine) as connection:
        summary = import_people(connection, people)
    done = perf_counter()
    services.engine.dispose()
    _out.print(f"inserted {summary.persons:,} persons, {summary.enrolments:,} enrolments, "
               f"{summary.accounts:,} accounts: {done - read:.1f} s", markup=False)  # fmt: skip
    total = done - began
    _out.print(f"import total (read + validate + insert): {total:.1f} s, "
               f"{summary.persons / total:,.0f} persons/s", markup=False)  # fmt: skip
