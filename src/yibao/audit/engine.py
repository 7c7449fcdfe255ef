"""The set-based audit engine on DuckDB in process: one SQL query per family.

:class:`AuditEngine` holds one in-process DuckDB connection. When built, it creates the tables of
:meth:`~yibao.audit.compiled.CompiledRules.tables` once (knowledge tables, parameter tables,
switches). :meth:`AuditEngine.evaluate` registers the fact tables (``audit.facts``: Arrow tables,
or Arrow datasets over Parquet for the monthly run), selects the rules in force on the day at the
moment, runs each family's query with the switches applied, and turns the rows into
:class:`~yibao.audit.findings.Finding` s. A family whose query fails is reported as a
:class:`~yibao.audit.findings.RuleFailure`; the other families still run. Money is read as
DuckDB DECIMAL → ``Decimal``, never float.

One evaluation at a time per engine (a lock serialises them); build one engine per worker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import fields
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from yibao.audit.compiled import CompiledRules
from yibao.audit.facts import Facts
from yibao.audit.findings import AuditResult
from yibao.audit.model import Moment, RuleBase
from yibao.audit.queries import FamilyQuery

__all__ = ["AuditEngine"]


class AuditEngine:
    """One DuckDB connection with the knowledge tables of a rule base, evaluating fact tables."""

    def __init__(
        self,
        rule_base: RuleBase,
        *,
        queries: Mapping[str, FamilyQuery] | None = None,
        threads: int | None = None,
    ) -> None:
        self.compiled = CompiledRules(rule_base, queries)
        self._lock = threading.Lock()
        config: dict[str, Any] = {} if threads is None else {"threads": threads}
        self._con = duckdb.connect(":memory:", config=config)
        for name, table, select in self.compiled.tables():
            self._con.register("staging", table)
            self._con.execute(f"CREATE TABLE {name} AS SELECT {select} FROM staging")
            self._con.unregister("staging")

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The rules this engine evaluates."""
        return tuple(self.compiled.rules)

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The engine's DuckDB connection (for the monthly run's own statements)."""
        return self._con

    def close(self) -> None:
        """Close the DuckDB connection."""
        self._con.close()

    def __enter__(self) -> AuditEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def evaluate(
        self,
        facts: Facts,
        *,
        moment: Moment,
        day: date,
        families: Collection[str] | None = None,
        on_family: Callable[[str], None] | None = None,
    ) -> AuditResult:
        """The findings of every rule in force on ``day`` at ``moment`` over ``facts``.

        ``families`` limits the run to those families (the realtime path skips families no line
        can match); ``on_family`` is told each family as it finishes (a progress bar).
        """
        active = self.compiled.active(moment, day)
        tables = {f.name: getattr(facts, f.name) for f in fields(facts)}
        with self._lock:
            for name, table in tables.items():
                self._con.register(name, table)
            ids = pa.table({"rule_id": pa.array([r.rule_id for r in active], type=pa.string())})
            self._con.register("active_rules", ids)
            try:
                return self.compiled.run(self._execute, active,
                                         self.compiled.failures(moment, day),
                                         families=families, on_family=on_family)  # fmt: skip
            finally:
                for name in (*tables, "active_rules"):
                    self._con.unregister(name)

    def _execute(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = self._con.execute(sql)
        return [d[0] for d in cursor.description or ()], cursor.fetchall()
