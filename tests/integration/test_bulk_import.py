"""Bulk import of persons on SQLite and PostgreSQL: all or nothing, known persons refused."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from yibao.cli.registry_import import bench_import, import_persons
from yibao.demo.people_file import people_rows, write_people_csv, write_people_xlsx
from yibao.kernel.errors import RejectedFile
from yibao.registry import bulk
from yibao.registry.bulk import ImportSummary, import_people
from yibao.registry.formats import COLUMNS, PeopleFile, read_people_file
from yibao.registry.service import find_person
from yibao.registry.tables import accounts, enrolments, persons
from yibao.store.engine import make_engine, write_transaction
from yibao.store.migrate import upgrade


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def counts(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as connection:
        return tuple(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (persons, enrolments, accounts)
        )


def imported(engine: Engine, people: PeopleFile) -> ImportSummary:
    with write_transaction(engine) as connection:
        return import_people(connection, people)


def write_rows(path: Path, rows: Sequence[Sequence[str | None]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([["" if cell is None else cell for cell in row] for row in rows])
    return path


def test_a_generated_xlsx_is_imported_whole(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    rows = write_people_xlsx(path, 300, seed=5)
    people = read_people_file(path)
    assert len(people.rows) == rows > 300  # some employees have an earlier 390 row
    employees = {r.person.psn_no for r in people.rows if r.enrolment.insutype == "310"}
    assert imported(engine, people) == ImportSummary(str(path), 300, rows, len(employees))
    assert counts(engine) == (300, rows, len(employees))
    with engine.connect() as connection:
        balances = set(connection.execute(select(accounts.c.balance)).scalars())
        someone = people.rows[0]
        info = find_person(connection, certno=someone.person.certno, day=date(2026, 1, 1))
        naty = connection.execute(
            select(persons.c.naty).where(persons.c.psn_no == someone.person.psn_no)
        ).scalar_one()
        stored = {
            r.psn_no: (r.emp_no, r.contribution_base)
            for r in connection.execute(select(enrolments).where(enrolments.c.insutype == "310"))
        }
    sent = {r.person.psn_no: (r.enrolment.emp_no, r.enrolment.contribution_base)
            for r in people.rows if r.enrolment.insutype == "310"}  # fmt: skip
    assert stored == sent and all(emp_no for emp_no, _ in sent.values())
    assert any(base is not None for _, base in sent.values())
    assert balances == {Decimal("0.00")}
    assert info.person == someone.person and naty == someone.naty
    assert {e.insutype for e in info.enrolments} == {someone.enrolment.insutype}


def test_a_known_certno_or_psn_no_refuses_the_whole_file(engine: Engine, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    write_people_csv(first, 50, seed=1)
    imported(engine, read_people_file(first))
    before = counts(engine)
    stored = list(people_rows(50, seed=1))
    one, other = stored[0], next(row for row in stored if row[0] != stored[0][0])
    new = list(people_rows(20, seed=2))
    same_certno = ["990100NEW00000001", *one[1:]]
    second = write_rows(tmp_path / "second.csv", [*new, same_certno, other])
    people = read_people_file(second)
    with pytest.raises(RejectedFile) as caught:
        imported(engine, people)
    found = [(p.row, p.column) for p in caught.value.problems]
    assert found == [(len(new) + 2, "certno"), (len(new) + 3, "psn_no")]
    assert f"for psn_no {one[0]}" in caught.value.problems[0].reason
    assert counts(engine) == before  # none of the 20 new persons either
    with engine.connect() as connection:
        assert (
            connection.execute(
                select(func.count()).select_from(persons).where(persons.c.psn_no == new[0][0])
            ).scalar_one()
            == 0
        )


def test_a_failure_half_way_leaves_nothing_written(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "people.csv"
    write_people_csv(path, 30, seed=3)
    people = read_people_file(path)
    broken = people.rows[25]
    orphan = dataclasses.replace(broken.enrolment, psn_no="NOSUCHPERSON")
    rows = (*people.rows[:25], dataclasses.replace(broken, enrolment=orphan), *people.rows[26:])
    monkeypatch.setattr(bulk, "INSERT_CHUNK", 10)  # the persons and early chunks are written first
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        imported(engine, PeopleFile(people.name, rows))
    assert counts(engine) == (0, 0, 0)


def command_app() -> typer.Typer:
    app = typer.Typer()
    app.command("import")(import_persons)
    app.command("bench")(bench_import)
    return app


def test_the_command_prints_json_and_refuses_bad_files(
    database_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YIBAO_DATABASE_URL", database_url)
    path = tmp_path / "people.csv"
    write_people_csv(path, 40, seed=4)
    runner = CliRunner()
    result = runner.invoke(command_app(), ["import", str(path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["persons"] == 40 and figures["enrolments"] >= 40 and figures["seconds"] >= 0
    again = runner.invoke(command_app(), ["import", str(path)], catch_exceptions=False)
    assert again.exit_code == 2
    assert (
        f"{path}, row 2, psn_no: psn_no" in again.stderr and "nothing was changed" in again.stderr
    )
    assert counts(engine)[0] == 40


def test_the_benchmark_runs_on_a_small_file() -> None:
    result = CliRunner().invoke(command_app(), ["bench", "--count", "300"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "inserted 300 persons" in result.stdout and "persons/s" in result.stdout
