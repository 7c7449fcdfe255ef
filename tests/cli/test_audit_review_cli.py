"""``yibao audit queue | case | answer | appeal | decide | sample`` on a migrated SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tests.support.review_data import H1, H1_STAYS, H2, MAY, finding, seed_store
from yibao.audit.findings import Finding
from yibao.audit.model import Grade, Moment
from yibao.audit.review import record_findings
from yibao.audit.review_records import Recorded
from yibao.cli.main import app
from yibao.store.engine import make_engine

runner = CliRunner()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite+pysqlite:///{tmp_path_factory.mktemp('review') / 'yibao.db'}"
    assert run(url, "db", "upgrade").exit_code == 0
    engine = make_engine(url)
    with engine.begin() as connection:
        seed_store(connection)
    engine.dispose()
    yield url


def run(database: str, *args: str) -> Result:
    # wide enough that rich tables do not wrap the cells the tests look for
    return runner.invoke(app, list(args), env={"YIBAO_DATABASE_URL": database, "COLUMNS": "250"})


def ok(database: str, *args: str) -> Any:
    result = run(database, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def record(database: str, *found: Finding) -> Recorded:
    engine = make_engine(database)
    with engine.begin() as connection:
        done = record_findings(connection, list(found), moment=Moment.DURING, reference="m1",
                               now=datetime(2026, 5, 20, 10))  # fmt: skip
    engine.dispose()
    return done


def test_the_sample_is_drawn_once_and_shown(database: str) -> None:
    drawn = ok(database, "audit", "sample", "--period", MAY, "--seed", "cli", "--actor", "科长")
    counts = {
        i["fixmedins_code"]: (i["population"], len(i["drawn"])) for i in drawn["institutions"]
    }
    assert counts == {H1: (25, 3), H2: (7, 1)} and drawn["drawn"] == 4
    again = run(database, "audit", "sample", "--period", MAY, "--seed", "other", "--actor", "科长")
    assert again.exit_code == 0 and "drawn earlier (seed cli)" in again.stdout
    low = run(
        database,
        "audit",
        "sample",
        "--period",
        MAY,
        "--seed",
        "x",
        "--actor",
        "y",
        "--share",
        "0.05",
    )
    assert low.exit_code == 2 and "share: 0.05 is below the national minimum" in low.output
    queue = ok(database, "audit", "queue", "--reason", "sample", "--period", MAY)
    assert queue["total"] == 4 and {c["state"] for c in queue["cases"]} == {"open"}


def test_answer_then_decide_and_a_closed_case_refuses(database: str) -> None:
    [case_id] = record(database, finding(H1_STAYS[20], "R1", "1", "2423.00")).opened
    answered = ok(database, "audit", "answer", str(case_id), "--institution", H1, "--actor", "王医生",
                  "--explanation", "血钙升高 [见检验]", "--evidence", "检验报告", "--evidence", "病程记录")  # fmt: skip
    assert answered["state"] == "answered"
    other = run(database, "audit", "answer", str(case_id), "--institution", H2, "--actor", "x",
                "--explanation", "y")  # fmt: skip
    assert (
        other.exit_code == 4 and f"case_id: no case {case_id} of institution {H2}" in other.output
    )
    bad = run(database, "audit", "decide", str(case_id), "--actor", "甲", "--outcome",
              "partly_uphold", "--reason", "r", "--amount", "1.005")  # fmt: skip
    assert bad.exit_code == 2 and "--amount" in bad.output
    closed = ok(database, "audit", "decide", str(case_id), "--actor", "审核员甲", "--outcome",
                "partly_uphold", "--reason", "两日用量超出", "--amount", "846.1")  # fmt: skip
    assert closed["state"] == "closed" and closed["amount_upheld"] == "846.10"
    again = run(database, "audit", "decide", str(case_id), "--actor", "乙", "--outcome", "dismiss",
                "--reason", "r")  # fmt: skip
    assert again.exit_code == 5 and "state: the case is closed" in again.output
    file = ok(database, "audit", "case", str(case_id))
    assert [(s["kind"], s["actor"]) for s in file["steps"]] == [
        ("opened", "system"), ("answered", "王医生"), ("decided", "审核员甲")]  # fmt: skip
    assert file["steps"][1]["evidence"] == ["检验报告", "病程记录"]
    assert Decimal(file["findings"][0]["amount"]) == Decimal("2423.00")
    shown = run(database, "audit", "case", str(case_id))
    assert shown.exit_code == 0, shown.output
    for text in ("王医生", "审核员甲", "[见检验]", "846.10", "2423.00", "decided: partly_uphold"):
        assert text in shown.stdout, text


def test_the_queue_as_a_table_and_its_filters(database: str) -> None:
    record(database, finding(H1_STAYS[21], "R1", "1", "77.70"))
    table = run(database, "audit", "queue", "--institution", H1, "--reason", "finding")
    assert table.exit_code == 0 and "77.70" in table.stdout and H1_STAYS[21] in table.stdout
    bad = run(database, "audit", "queue", "--state", "pending")
    assert bad.exit_code == 2 and "state: 'pending' is not one of" in bad.output
    closed = ok(database, "audit", "queue", "--state", "closed")
    assert all(c["state"] == "closed" for c in closed["cases"])


def test_an_institution_appeals_violations(database: str) -> None:
    violation = finding(H1_STAYS[22], "V1", "1", "252.00", grade=Grade.VIOLATION)
    ids = record(database, violation).finding_ids
    case = ok(database, "audit", "appeal", *map(str, ids), "--institution", H1, "--actor", "医保办",
              "--explanation", "导丝不在打包内", "--evidence", "价格文件")  # fmt: skip
    assert case["state"] == "answered" and case["amount_at_issue"] == "252.00"
    twice = run(database, "audit", "appeal", *map(str, ids), "--institution", H1, "--actor", "x",
                "--explanation", "y")  # fmt: skip
    assert twice.exit_code == 5 and "already reviewed in case" in twice.output


def test_a_missing_case_is_named(database: str) -> None:
    missing = run(database, "audit", "case", "99999")
    assert missing.exit_code == 4 and "case_id: no case 99999" in missing.output
