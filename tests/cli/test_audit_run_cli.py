"""``yibao demo month`` and ``yibao audit run`` from the command line (DuckDB; Spark: integration)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from yibao.audit.facts import LINES, VISITS
from yibao.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def facts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("month") / "facts"
    result = runner.invoke(
        app, ["demo", "month", "--period", "2026-03", "--lines", "3000", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "3,000 fee lines in 2026-03" in result.stdout
    return out


def test_the_month_has_the_fact_schemas_and_its_history(facts: Path) -> None:
    assert sorted(p.name for p in (facts / "lines").iterdir()) == [
        "2026-01.parquet", "2026-02.parquet", "2026-03.parquet"]  # fmt: skip
    # Parquet has no seconds unit: fee_time is stored in ms; read with the schema, it is LINES
    stored = pq.read_schema(facts / "lines" / "2026-03.parquet")
    assert [f.name for f in stored] == LINES.names
    assert [f for f in stored if f.name != "fee_time"] == [f for f in LINES if f.name != "fee_time"]
    lines = pq.read_table(facts / "lines" / "2026-03.parquet", schema=LINES)
    assert lines.schema.equals(LINES) and lines.num_rows == 3000
    assert pq.read_schema(facts / "visits" / "2026-03.parquet").equals(VISITS)
    for name in ("diagnoses", "labs", "records", "stock"):
        assert list((facts / name).glob("*.parquet")), name


def test_run_prints_the_figures_and_writes_json_lines(facts: Path, tmp_path: Path) -> None:
    out = tmp_path / "findings.jsonl"
    result = runner.invoke(
        app, ["audit", "run", "--period", "2026-03", "--facts", str(facts), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "lines evaluated: 3,000" in text and "ratio run/GROUP BY" in text
    assert "lines/s" in text and "amount at issue" in text
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert records and all(isinstance(r["amount"], str) for r in records)
    assert all("2026-03-01" <= r["fee_date"] <= "2026-03-31" for r in records)
    assert sum(Decimal(r["amount"]) for r in records) > 0
    assert len({r["family"] for r in records}) >= 5


def test_run_writes_parquet_with_decimal_money(facts: Path, tmp_path: Path) -> None:
    out = tmp_path / "findings.parquet"
    result = runner.invoke(
        app, ["audit", "run", "--period", "2026-03", "--facts", str(facts), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.schema.field("amount").type == pa.decimal128(16, 2)
    assert table.num_rows > 0


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["audit", "run", "--period", "2026-13", "--facts", "."], "--period"),
        (["audit", "run", "--period", "2026-03", "--facts", "/nonexistent"], "--facts"),
        (["demo", "month", "--period", "26-03", "--lines", "10", "--out", "x"], "--period"),
        (["demo", "month", "--period", "2026-03", "--lines", "0", "--out", "x"], "--lines"),
    ],
)
def test_a_bad_option_is_named_without_a_traceback(args: list[str], option: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert option in result.output and "Traceback" not in result.output


def test_out_must_be_parquet_or_json_lines(facts: Path, tmp_path: Path) -> None:
    args = ["audit", "run", "--period", "2026-03", "--facts", str(facts)]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "findings.csv")])
    assert result.exit_code == 2 and "--out" in result.output


def test_month_refuses_a_directory_that_is_not_empty(facts: Path) -> None:
    args = ["demo", "month", "--period", "2026-03", "--lines", "10", "--out", str(facts)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "--out" in result.output
