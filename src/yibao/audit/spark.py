"""The audit engine on Apache Spark: the compiled rule base's SQL, transpiled, on a Spark session.

:class:`SparkAuditEngine` has the contract of ``audit.engine.AuditEngine``: built from a rule
base, it creates the tables of :meth:`~yibao.audit.compiled.CompiledRules.tables` once (each an
Arrow table of text columns, written as Parquet and cast by its SELECT list, then cached), and
:meth:`SparkAuditEngine.evaluate` registers the fact tables as temporary views, runs every
family's query with the switches applied, and turns the rows into the same
:class:`~yibao.audit.findings.Finding` s through ``CompiledRules.finding``. Every statement is
the DuckDB text run through ``sqlglot.transpile(sql, read="duckdb", write="spark")``: the rule
definitions exist once.

Fact tables may be Arrow tables (written to a temporary directory as Parquet: the tests),
``pyarrow.dataset`` objects or lists of Parquet files (read by Spark: the batch), or Spark
DataFrames (:meth:`SparkAuditEngine.source` makes one over Parquet files with a filter).
Money stays exact: Parquet DECIMAL is Spark's DecimalType, collected as ``Decimal``.

:func:`local_session` starts the session the tests and ``yibao audit run --engine spark`` use:
``local[2]``, no web UI, few shuffle partitions, bound to 127.0.0.1, UTC. The engine stops a
session it started when closed. Java 17 is needed (``tools/java.sh`` installs it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import fields
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import sqlglot
from pyspark.sql import DataFrame, SparkSession

from yibao.audit.compiled import CompiledRules
from yibao.audit.facts import Facts
from yibao.audit.findings import AuditResult
from yibao.audit.model import Moment, RuleBase
from yibao.audit.queries import FamilyQuery

__all__ = ["SparkAuditEngine", "local_session", "to_spark"]


def spark_ddl(schema: Any) -> str:
    """An Arrow schema as a Spark DDL schema (so that reading Parquet needs no inference job).

    A timestamp is TIMESTAMP_NTZ: Arrow writes a timestamp without time zone as a Parquet
    timestamp not adjusted to UTC, which Spark reads as TIMESTAMP_NTZ.
    """
    columns = []
    for f in schema:
        kind = f.type
        if pa.types.is_decimal(kind):
            name = f"DECIMAL({kind.precision},{kind.scale})"
        elif pa.types.is_timestamp(kind):
            name = "TIMESTAMP_NTZ"
        else:
            name = _SPARK_TYPES[str(kind)]
        columns.append(f"`{f.name}` {name}")
    return ", ".join(columns)


_SPARK_TYPES = {"string": "STRING", "date32[day]": "DATE", "int32": "INT", "int64": "BIGINT",
                "bool": "BOOLEAN", "double": "DOUBLE"}  # fmt: skip


@lru_cache(maxsize=256)
def to_spark(sql: str) -> str:
    """DuckDB SQL as Spark SQL (sqlglot)."""
    return str(sqlglot.transpile(sql, read="duckdb", write="spark")[0])


def local_session(*, cores: int = 2, memory: str = "2g", app: str = "yibao-audit") -> SparkSession:
    """A local Spark session for one process: no UI, loopback only, few partitions, UTC."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder: Any = SparkSession.builder
    for key, value in {
        "spark.master": f"local[{cores}]",
        "spark.app.name": app,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.memory": memory,
        "spark.sql.shuffle.partitions": str(cores),
        "spark.default.parallelism": str(cores),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.autoBroadcastJoinThreshold": str(64 * 1024 * 1024),
    }.items():
        builder = builder.config(key, value)
    session: SparkSession = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkAuditEngine:
    """A Spark session with the knowledge tables of a rule base, evaluating fact tables."""

    def __init__(
        self,
        rule_base: RuleBase,
        *,
        queries: Mapping[str, FamilyQuery] | None = None,
        session: SparkSession | None = None,
        memory: str = "2g",
    ) -> None:
        self.compiled = CompiledRules(rule_base, queries)
        self._own = session is None
        self.spark = session if session is not None else local_session(memory=memory)
        self._dir = Path(tempfile.mkdtemp(prefix="yibao-spark-"))
        self._written = 0
        self._sources: dict[tuple[str, tuple[str, ...], str | None], DataFrame] = {}
        for name, table, select in self.compiled.tables():
            # small text tables: local relations in the plan, cast once and cached
            schema = ", ".join(f"`{column}` string" for column in table.column_names)
            rows = [tuple(r.values()) for r in table.to_pylist()]
            staging = f"staging_{name}"
            self.spark.createDataFrame(rows, schema).createOrReplaceTempView(staging)
            frame = self.spark.sql(to_spark(f"SELECT {select} FROM {staging}")).cache()
            frame.createOrReplaceTempView(name)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The rules this engine evaluates."""
        return tuple(self.compiled.rules)

    def close(self) -> None:
        """Stop the session if this engine started it; remove the temporary files."""
        if self._own:
            self.spark.stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> SparkAuditEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _from_arrow(self, table: Any) -> DataFrame:
        self._written += 1
        path = self._dir / f"t{self._written}.parquet"
        pq.write_table(table, path)
        return self.spark.read.schema(spark_ddl(table.schema)).parquet(str(path))

    def source(self, table: str, files: Sequence[str], where: str | None) -> Any:
        """The Parquet ``files`` of a fact table as a DataFrame, filtered by SQL ``where``."""
        from yibao.audit.batch import SCHEMAS

        key = (table, tuple(files), where)
        if key not in self._sources:
            if not files:
                frame = self._from_arrow(SCHEMAS[table].empty_table())
            else:
                frame = self.spark.read.schema(spark_ddl(SCHEMAS[table])).parquet(*files)
            self._sources[key] = frame if where is None else frame.where(where)
        return self._sources[key]

    def _frame(self, value: Any) -> DataFrame:
        if isinstance(value, DataFrame):
            return value
        if isinstance(value, pa.Table):
            return self._from_arrow(value)
        files = getattr(value, "files", None)
        if files is not None:
            return self.spark.read.parquet(*files)
        if isinstance(value, str | Path):
            return self.spark.read.parquet(str(value))
        return self.spark.read.parquet(*(str(v) for v in value))

    def evaluate(
        self,
        facts: Facts,
        *,
        moment: Moment,
        day: date,
        families: Collection[str] | None = None,
        on_family: Callable[[str], None] | None = None,
    ) -> AuditResult:
        """The findings of every rule in force on ``day`` at ``moment`` over ``facts``."""
        active = self.compiled.active(moment, day)
        for f in fields(facts):
            self._frame(getattr(facts, f.name)).createOrReplaceTempView(f.name)
        ids = [(r.rule_id,) for r in active]
        self.spark.createDataFrame(ids, "rule_id string").createOrReplaceTempView("active_rules")
        return self.compiled.run(self._execute, active, self.compiled.failures(moment, day),
                                 families=families, on_family=on_family)  # fmt: skip

    def _execute(self, sql: str) -> tuple[list[str], list[Any]]:
        frame = self.spark.sql(to_spark(sql))
        return frame.columns, frame.collect()
