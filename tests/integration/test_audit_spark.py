"""The same month through DuckDB and through local Spark gives the same findings (docs/adr/0012).

A generated month (`yibao demo month`, 20,000 fee lines and two months of history) is audited
with the national rule base and docs/audit-examples by the batch run on both engines; every
finding must agree: rule, visit, line, amount at issue and 违规内容.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from yibao.audit.batch import SCHEMAS, DuckDBBatch, FactFiles, Period, run_batch
from yibao.audit.batch_output import load_rule_bases
from yibao.audit.engine import AuditEngine
from yibao.audit.facts import Facts
from yibao.audit.findings import Finding
from yibao.audit.model import Moment, RuleBase
from yibao.audit.service import shipped_rule_base_dir
from yibao.audit.spark import SparkAuditEngine
from yibao.demo.month import generate_month

ROOT = Path(__file__).resolve().parents[2]
PERIOD = Period.parse("2026-03")
#: the families the Arrow-facts check runs on Spark (every family runs in the batch check)
FEW = ("sex", "age", "med_type", "frequency", "duplicate_pair", "readmission")

Key = tuple[str, str, str, Decimal, str, date]


def keys(findings: tuple[Finding, ...] | list[Finding]) -> Counter[Key]:
    return Counter((f.rule_id, f.mdtrt_id, f.feedetl_sn, f.amount, f.vola_cont, f.fee_date)
                   for f in findings)  # fmt: skip


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> FactFiles:
    out = tmp_path_factory.mktemp("month") / "facts"
    generate_month(out, period=PERIOD, lines=20_000, seed=11, violations=10)
    return FactFiles.under(out)


@pytest.fixture(scope="module")
def rule_base() -> RuleBase:
    return load_rule_bases([shipped_rule_base_dir(), ROOT / "docs" / "audit-examples"])


@pytest.fixture(scope="module")
def spark(java_home: str, rule_base: RuleBase) -> Iterator[SparkAuditEngine]:
    with SparkAuditEngine(rule_base) as engine:
        yield engine


def test_duckdb_and_spark_find_the_same_lines(
    month: FactFiles, rule_base: RuleBase, spark: SparkAuditEngine
) -> None:
    with DuckDBBatch(rule_base) as duck:
        expected = run_batch(duck, month, PERIOD)
    found = run_batch(spark, month, PERIOD, engine_name="spark")
    assert expected.failures == [] and found.failures == []
    assert keys(found.findings) == keys(expected.findings)
    assert [f.detail for f in found.findings] == [f.detail for f in expected.findings]
    families = {f.family for f in expected.findings}
    assert len(families) >= 20, sorted(families)
    assert all(PERIOD.first <= f.fee_date <= PERIOD.last for f in found.findings)
    assert found.lines == expected.lines == 20_000


def test_spark_reads_arrow_facts_as_duckdb_does(
    month: FactFiles, rule_base: RuleBase, spark: SparkAuditEngine
) -> None:
    # one visit in 50 of the month, as Arrow tables (the realtime and test shape)
    tables = {name: pq.read_table(list(month.files[name])) for name in SCHEMAS}
    visits = pa.array(tables["visits"]["mdtrt_id"].to_pylist()[::50], type=pa.string())
    facts = Facts(**{
        name: t.filter(pc.is_in(t["mdtrt_id"], value_set=visits)) if "mdtrt_id" in t.schema.names
        else t for name, t in tables.items()})  # fmt: skip
    with AuditEngine(rule_base) as duck:
        expected = duck.evaluate(facts, moment=Moment.AFTER, day=PERIOD.first)
    found = spark.evaluate(facts, moment=Moment.AFTER, day=PERIOD.first, families=FEW)
    expected = replace(expected, findings=tuple(f for f in expected.findings if f.family in FEW))
    assert expected.findings and not found.failures
    assert keys(found.findings) == keys(expected.findings)
