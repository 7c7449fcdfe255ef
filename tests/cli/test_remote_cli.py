"""``yibao remote …``: 异地就医备案 at the agency's window, on a SQLite database with the demo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from yibao.cli.main import app
from yibao.registry.tables import enrolments
from yibao.store.engine import make_engine

runner = CliRunner()
TODAY = date.today()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite+pysqlite:///{tmp_path_factory.mktemp('remote') / 'yibao.db'}"
    assert runner.invoke(app, ["db", "upgrade"], env={"YIBAO_DATABASE_URL": url}).exit_code == 0
    loaded = runner.invoke(app, ["demo", "load", "--if-empty"], env={"YIBAO_DATABASE_URL": url})
    assert loaded.exit_code == 0, loaded.output
    yield url


def run(database: str, *args: str) -> Any:
    return runner.invoke(app, ["remote", *args], env={"YIBAO_DATABASE_URL": database})


def a_person(database: str) -> str:
    engine = make_engine(database)
    with engine.connect() as connection:
        psn_no = connection.execute(
            select(enrolments.c.psn_no).where(enrolments.c.insuplc_admdvs == "990100")
            .order_by(enrolments.c.psn_no).limit(1)
        ).scalar_one()  # fmt: skip
    engine.dispose()
    return str(psn_no)


def test_the_window_files_renews_lists_and_withdraws(database: str) -> None:
    psn_no = a_person(database)
    end = TODAY + timedelta(days=20)
    made = run(database, "file", psn_no, "--area", "980000", "--type", "referral",
               "--begin", str(TODAY), "--end", str(end), "--operator", "窗口01", "--json")  # fmt: skip
    assert made.exit_code == 0, made.output
    filing = json.loads(made.stdout)
    assert (filing["filed_by"], filing["filing_type_name"], filing["enddate"]) == (
        "agency", "异地转诊", str(end))  # fmt: skip
    renewed = run(database, "renew", filing["filing_id"], "--psn", psn_no,
                  "--end", str(end + timedelta(days=30)))  # fmt: skip
    assert renewed.exit_code == 0 and f"from {end + timedelta(days=1)}" in renewed.stdout
    gone = run(database, "withdraw", filing["filing_id"], "--psn", psn_no, "--reason", "行程取消")
    assert gone.exit_code == 0 and gone.stdout.startswith("withdrawn: ")
    listed = run(database, "list", psn_no)
    assert listed.exit_code == 0 and "withdrawn" in listed.stdout and "异地转诊" in listed.stdout


def test_bad_input_is_named_and_nothing_is_stored(database: str) -> None:
    psn_no = a_person(database)
    before = json.loads(run(database, "list", psn_no, "--json").stdout)["filings"]
    backwards = run(database, "file", psn_no, "--area", "980100", "--type", "other_temporary",
                    "--begin", "2026-03-10", "--end", "2026-03-01")  # fmt: skip
    assert backwards.exit_code != 0
    assert "enddate: 2026-03-01 is before begndate 2026-03-10" in backwards.output
    unknown = run(database, "file", psn_no, "--area", "970100", "--type", "referral",
                  "--begin", "2026-03-01", "--end", "2026-03-10")  # fmt: skip
    assert "mdtrtarea_admdvs: 970100 holds no region known here" in unknown.output
    assert json.loads(run(database, "list", psn_no, "--json").stdout)["filings"] == before
