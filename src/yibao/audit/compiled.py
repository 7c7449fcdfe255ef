"""A rule base compiled for a SQL engine: the tables to create, the queries, the findings.

:class:`CompiledRules` is what every engine (DuckDB in process, Spark for a province) shares:

* the rules each family evaluates, and the rules a family cannot evaluate (reported as
  :class:`~yibao.audit.findings.RuleFailure` at every evaluation, never run);
* :meth:`CompiledRules.tables`: every table to create once, as ``(name, Arrow table of text
  columns, SELECT list casting them)``: one ``k_<family>`` per family with ``rule_id`` and the
  rule's parameters as columns, the parameter tables, ``rule_off`` (regions and institution levels
  that switch a rule off), ``hosp_lv_rank`` and ``tier_rank``;
* :meth:`CompiledRules.sql`: a family's query with the switches applied;
* :meth:`CompiledRules.finding`: a result row turned into a :class:`~yibao.audit.findings.Finding`
  (amount at issue rounded to the fen by ``kernel.money``, ``vola_cont`` filled, evidence cited).

Money stays Decimal: the engines read SQL DECIMAL into ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

from yibao.audit.families import FAMILIES, LABELLED
from yibao.audit.findings import AuditResult, Finding, RuleFailure, fill_vola_cont, value_label
from yibao.audit.model import Moment, Rule, RuleBase
from yibao.audit.queries import COMMON, QUERIES, FamilyQuery
from yibao.kernel.codes import HospLv
from yibao.kernel.money import fen
from yibao.kernel.tiers import HospitalTier, tier_of

__all__ = ["CompiledRules", "Table"]

#: a table to create: its name, an Arrow table of text columns, the SELECT list casting them
Table = tuple[str, Any, str]

#: knowledge columns renamed in SQL (keywords) and back in the findings
_SQL_NAME = {"window": "win", "group": "grp"}
_FILL_NAME = {v: k for k, v in _SQL_NAME.items()}
_NOT_DETAIL = frozenset((*COMMON, "cnt", "excess_cnt", "amount_at_issue"))
_TIER_RANK = {HospitalTier.PRIMARY: 1, HospitalTier.TIER1: 2, HospitalTier.TIER2: 3,
              HospitalTier.TIER3: 4}  # fmt: skip
_V, _I = "VARCHAR", "INTEGER"
_OFF_COLUMNS = {"rule_id": _V, "kind": _V, "value": _V, "prefix_len": _I}

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


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _all_text(columns: Iterable[str], rows: Sequence[Mapping[str, Any]]) -> Any:
    """An Arrow table of text columns (the engines cast them in SQL)."""
    return pa.table({n: pa.array([_cell(r.get(n)) for r in rows], type=pa.string())
                     for n in columns})  # fmt: skip


def _cast(columns: Mapping[str, str]) -> str:
    return ", ".join(f"CAST({n} AS {t}) AS {n}" for n, t in columns.items())


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


class CompiledRules:
    """The rules of a rule base grouped by family query, ready for a SQL engine."""

    def __init__(
        self, rule_base: RuleBase, queries: Mapping[str, FamilyQuery] | None = None
    ) -> None:
        self.queries: dict[str, FamilyQuery] = dict(QUERIES if queries is None else queries)
        self.rules: dict[str, Rule] = {}
        self._unsupported: dict[str, tuple[Rule, str]] = {}
        for rule in rule_base:
            query = self.queries.get(rule.family)
            if query is None:
                continue
            reason = query.unsupported(rule)
            if reason is None:
                self.rules[rule.rule_id] = rule
            else:
                self._unsupported[rule.rule_id] = (rule, reason)

    def active(self, moment: Moment, day: date) -> list[Rule]:
        """The rules in force on ``day`` at ``moment``."""
        return [r for r in self.rules.values() if moment in r.moments and r.in_force(day)]

    def failures(self, moment: Moment, day: date) -> list[RuleFailure]:
        """The rules in force that cannot be evaluated, each as a failure."""
        return [
            RuleFailure(rule.family, (rule.rule_id,), reason)
            for rule, reason in self._unsupported.values()
            if moment in rule.moments and rule.in_force(day)
        ]

    def tables(self) -> Iterator[Table]:
        """Every table an engine creates once, before any evaluation."""
        for family, query in self.queries.items():
            rules = [r for r in self.rules.values() if r.family == family]
            rows = [
                {"rule_id": rule.rule_id, **record, **query.param_columns(rule)}
                for rule in rules
                if rule.table is not None
                for record in rule.table.records()
            ]
            names = ["rule_id", *FAMILIES[family].column_names]
            names += sorted({k for r in rows for k in r} - set(names))
            rows = [{_SQL_NAME.get(k, k): v for k, v in r.items()} for r in rows]
            columns = {_SQL_NAME.get(n, n): query.typed.get(n, _V) for n in names}
            yield f"k_{family}", _all_text(columns, rows), _cast(columns)
            for table in query.param_tables:
                found = [row for rule in rules for row in table.rows(rule)]
                yield table.name, _all_text(table.columns, found), _cast(table.columns)
        switches = list(_switches(self.rules.values()))
        yield "rule_off", _all_text(_OFF_COLUMNS, switches), _cast(_OFF_COLUMNS)
        levels = [{"hosp_lv": str(lv), "tier_rank": _TIER_RANK[tier_of(lv)]} for lv in HospLv]
        yield (
            "hosp_lv_rank",
            _all_text(("hosp_lv", "tier_rank"), levels),
            _cast({"hosp_lv": _V, "tier_rank": _I}),
        )
        tiers = [{"tier": str(t), "tier_rank": rank} for t, rank in _TIER_RANK.items()]
        yield (
            "tier_rank",
            _all_text(("tier", "tier_rank"), tiers),
            _cast({"tier": _V, "tier_rank": _I}),
        )

    def sql(self, family: str) -> str:
        """The family's query with the region and level switches applied."""
        return _OFF.format(query=self.queries[family].sql)

    def run(
        self,
        execute: Callable[[str], tuple[Sequence[str], Sequence[Sequence[Any]]]],
        active: Sequence[Rule],
        failures: Sequence[RuleFailure],
        *,
        families: Collection[str] | None = None,
        on_family: Callable[[str], None] | None = None,
    ) -> AuditResult:
        """Every family's query through ``execute`` (SQL → column names and rows), as findings.

        The one loop every engine shares: families with no rule in ``active`` are skipped, a
        family whose query fails becomes a :class:`RuleFailure` and the others still run.
        """
        found: list[Finding] = []
        failed = list(failures)
        for family in self.queries:
            if families is not None and family not in families:
                continue
            rule_ids = tuple(r.rule_id for r in active if r.family == family)
            if rule_ids:
                try:
                    names, rows = execute(self.sql(family))
                    found.extend(self.finding(family, dict(zip(names, r, strict=True)))
                                 for r in rows)  # fmt: skip
                except Exception as exc:
                    failed.append(RuleFailure(family, rule_ids, f"{type(exc).__name__}: {exc}"))
            if on_family is not None:
                on_family(family)
        found.sort(key=lambda f: (f.mdtrt_id, f.fee_date, f.feedetl_sn, f.rule_id))
        return AuditResult(tuple(found), tuple(failed))

    def finding(self, family: str, row: Mapping[str, Any]) -> Finding:
        """A result row of ``family``'s query as a finding."""
        query = self.queries[family]
        rule = self.rules[row["rule_id"]]
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
