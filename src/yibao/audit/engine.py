"""The set-based audit engine: every rule of a family evaluated by one SQL query on DuckDB.

:class:`AuditEngine` holds one in-process DuckDB connection. When built, it loads the knowledge
table of every rule of the families it evaluates (``audit.queries``) once, one DuckDB table per
family with a ``rule_id`` column and the rule's parameters as columns, plus small parameter
tables (age bands, med_type classes, insutype schemes, tiers) and ``rule_off`` (the regions and
institution levels that switch a rule off). :meth:`AuditEngine.evaluate` registers the Arrow fact
tables (``audit.facts``), selects the rules in force on the day at the moment, runs each family's
query, drops the rows a switch turns off (in SQL, by joining ``rule_off``), and turns the rows
into :class:`~yibao.audit.findings.Finding` s. A family whose query fails is reported as a
:class:`~yibao.audit.findings.RuleFailure`; the other families still run. Money is read as
DuckDB DECIMAL → ``Decimal``, never float.

One evaluation at a time per engine (a lock serialises them); build one engine per worker.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from yibao.audit.facts import Facts
from yibao.audit.families import FAMILIES, LABELLED
from yibao.audit.findings import AuditResult, Finding, RuleFailure, fill_vola_cont, value_label
from yibao.audit.model import Moment, Rule, RuleBase
from yibao.audit.queries import COMMON, QUERIES, FamilyQuery
from yibao.kernel.codes import HospLv
from yibao.kernel.money import fen
from yibao.kernel.tiers import HospitalTier, tier_of

__all__ = ["AuditEngine"]

#: columns renamed in DuckDB (``window`` is a keyword) and back in the findings
_SQL_NAME = {"window": "win"}
_FILL_NAME = {"win": "window"}
_NOT_DETAIL = frozenset((*COMMON, "cnt", "excess_cnt", "amount_at_issue"))
_TIER_RANK = {HospitalTier.PRIMARY: 1, HospitalTier.TIER1: 2, HospitalTier.TIER2: 3,
              HospitalTier.TIER3: 4}  # fmt: skip

_OFF = """
SELECT f.* FROM ({query}) f
LEFT JOIN rule_off o ON o.rule_id = f.rule_id
     AND ((o.kind = 'level' AND o.value = f.hosp_lv)
          OR (o.kind = 'region'
              AND SUBSTR(f.admdvs, 1, o.prefix_len) = SUBSTR(o.value, 1, o.prefix_len)))
WHERE o.rule_id IS NULL
"""


def _switches(rules: Iterable[Rule]) -> Iterator[dict[str, Any]]:
    for rule in rules:
        for level in sorted(rule.off_levels):
            yield {"rule_id": rule.rule_id, "kind": "level", "value": level, "prefix_len": 6}
        for region in sorted(rule.off_regions):
            width = 2 if region.endswith("0000") else 4 if region.endswith("00") else 6
            yield {"rule_id": rule.rule_id, "kind": "region", "value": region,
                   "prefix_len": width}  # fmt: skip


_OFF_COLUMNS = {"rule_id": "VARCHAR", "kind": "VARCHAR", "value": "VARCHAR",
                "prefix_len": "INTEGER"}  # fmt: skip


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _labels(family: str, detail: Mapping[str, str]) -> dict[str, str]:
    """The Chinese names of the family's coded table columns (``{<column>_label}``)."""
    return {
        f"{c.name}_label": value_label(c.name, detail[c.name])
        for c in FAMILIES[family].columns
        if c.kind in LABELLED and c.name in detail
    }


def _amount_at_issue(row: Mapping[str, Any]) -> Decimal:
    explicit = row.get("amount_at_issue")
    if explicit is not None:
        return fen(Decimal(explicit))
    amount: Decimal = row["amount"]
    excess, cnt = row.get("excess_cnt"), row.get("cnt")
    if excess is None or cnt is None or excess >= cnt or not cnt:
        return amount
    return fen(amount * excess / cnt)


def _all_text(columns: Iterable[str], rows: Sequence[Mapping[str, Any]]) -> Any:
    """An Arrow table of text columns (the engine casts them in SQL)."""

    def text(value: object) -> str | None:
        return (
            None
            if value is None
            else str(value).lower()
            if value in (True, False) and isinstance(value, bool)
            else str(value)
        )

    return pa.table({n: pa.array([text(r.get(n)) for r in rows], type=pa.string())
                     for n in columns})  # fmt: skip


def _cast(columns: Mapping[str, str]) -> str:
    return ", ".join(f'CAST("{n}" AS {t}) AS "{n}"' for n, t in columns.items())


class AuditEngine:
    """One DuckDB connection with the knowledge tables of a rule base, evaluating fact tables."""

    def __init__(
        self, rule_base: RuleBase, *, queries: Mapping[str, FamilyQuery] | None = None
    ) -> None:
        self._queries = dict(QUERIES if queries is None else queries)
        self._lock = threading.Lock()
        self._rules: dict[str, Rule] = {}
        self._unsupported: dict[str, tuple[Rule, str]] = {}
        for rule in rule_base:
            query = self._queries.get(rule.family)
            if query is None:
                continue
            reason = query.unsupported(rule)
            if reason is None:
                self._rules[rule.rule_id] = rule
            else:
                self._unsupported[rule.rule_id] = (rule, reason)
        self._con = duckdb.connect(":memory:")
        self._load()

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The rules this engine evaluates."""
        return tuple(self._rules)

    def close(self) -> None:
        """Close the DuckDB connection."""
        self._con.close()

    def __enter__(self) -> AuditEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _create(self, name: str, table: Any, select: str = "*") -> None:
        self._con.register("staging", table)
        self._con.execute(f"CREATE TABLE {name} AS SELECT {select} FROM staging")
        self._con.unregister("staging")

    def _load(self) -> None:
        for family, query in self._queries.items():
            rules = [r for r in self._rules.values() if r.family == family]
            rows = [
                {"rule_id": rule.rule_id, **record, **query.param_columns(rule)}
                for rule in rules
                if rule.table is not None
                for record in rule.table.records()
            ]
            names = ["rule_id", *FAMILIES[family].column_names]
            names += sorted({k for r in rows for k in r} - set(names))
            select = ", ".join(
                f'CAST("{n}" AS {query.typed[n]}) AS "{_SQL_NAME.get(n, n)}"'
                if n in query.typed
                else f'"{n}" AS "{_SQL_NAME.get(n, n)}"'
                for n in names
            )
            self._create(f"k_{family}", _all_text(names, rows), select)
            for table in query.param_tables:
                found = [row for rule in rules for row in table.rows(rule)]
                self._create(table.name, _all_text(table.columns, found), _cast(table.columns))
        switches = list(_switches(self._rules.values()))
        self._create("rule_off", _all_text(_OFF_COLUMNS, switches), _cast(_OFF_COLUMNS))
        levels = [{"hosp_lv": str(lv), "tier_rank": _TIER_RANK[tier_of(lv)]} for lv in HospLv]
        self._create("hosp_lv_rank", pa.Table.from_pylist(levels))
        tiers = [{"tier": str(t), "tier_rank": rank} for t, rank in _TIER_RANK.items()]
        self._create("tier_rank", pa.Table.from_pylist(tiers))

    def evaluate(self, facts: Facts, *, moment: Moment, day: date) -> AuditResult:
        """The findings of every rule in force on ``day`` at ``moment`` over ``facts``."""
        active = [r for r in self._rules.values() if moment in r.moments and r.in_force(day)]
        failures = [
            RuleFailure(rule.family, (rule.rule_id,), reason)
            for rule, reason in self._unsupported.values()
            if moment in rule.moments and rule.in_force(day)
        ]
        findings: list[Finding] = []
        tables = {f.name: getattr(facts, f.name) for f in fields(facts)}
        with self._lock:
            for name, table in tables.items():
                self._con.register(name, table)
            ids = pa.table({"rule_id": pa.array([r.rule_id for r in active], type=pa.string())})
            self._con.register("active_rules", ids)
            try:
                for family, query in self._queries.items():
                    rule_ids = tuple(r.rule_id for r in active if r.family == family)
                    if rule_ids:
                        self._run(query, rule_ids, findings, failures)
            finally:
                for name in (*tables, "active_rules"):
                    self._con.unregister(name)
        findings.sort(key=lambda f: (f.mdtrt_id, f.fee_date, f.feedetl_sn, f.rule_id))
        return AuditResult(tuple(findings), tuple(failures))

    def _run(
        self,
        query: FamilyQuery,
        rule_ids: tuple[str, ...],
        findings: list[Finding],
        failures: list[RuleFailure],
    ) -> None:
        try:
            cursor = self._con.execute(_OFF.format(query=query.sql))
            names = [d[0] for d in cursor.description or ()]
            rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
            found = [self._finding(query, row) for row in rows]
        except Exception as exc:
            failures.append(RuleFailure(query.family, rule_ids, f"{type(exc).__name__}: {exc}"))
            return
        findings.extend(found)

    def _finding(self, query: FamilyQuery, row: Mapping[str, Any]) -> Finding:
        rule = self._rules[row["rule_id"]]
        family = query.family
        amount = _amount_at_issue(row)
        detail = {_FILL_NAME.get(k, k): _text(v) for k, v in row.items() if k not in _NOT_DETAIL}
        detail.update(_labels(family, detail))
        detail.update(query.fills(row))
        values = {**detail, "rule_name": rule.name, "fee_date": _text(row["fee_date"]),
                  "amount": str(amount)}  # fmt: skip
        source = detail.get("source", "")
        table = "" if rule.table is None else rule.table.name
        evidence = str(rule.evidence) + (f"；知识库 {table} {source}".rstrip() if table else "")
        return Finding(
            rule_id=rule.rule_id,
            rule_name=rule.name,
            family=family,
            grade=rule.grade,
            action=rule.action,
            mdtrt_id=str(row["mdtrt_id"]),
            psn_no=str(row["psn_no"]),
            feedetl_sn=str(row["feedetl_sn"]),
            amount=amount,
            fee_date=row["fee_date"],
            vola_cont=fill_vola_cont(rule, values),
            evidence=evidence,
            detail=detail,
        )
