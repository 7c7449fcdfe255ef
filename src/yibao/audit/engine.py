"""The set-based audit engine: every rule of a family evaluated by one SQL query on DuckDB.

:class:`AuditEngine` holds one in-process DuckDB connection. When built, it loads the knowledge
table of every rule of the families it evaluates (``audit.sql.SLICE``) once, one DuckDB table per
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
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from yibao.audit.facts import Facts
from yibao.audit.families import FAMILIES, LABELLED
from yibao.audit.findings import (
    AuditResult,
    Finding,
    RuleFailure,
    code_label,
    fill_vola_cont,
    value_label,
)
from yibao.audit.model import Moment, Rule, RuleBase
from yibao.audit.sql import COMMON, FAMILY_SQL
from yibao.kernel.codes import Gend, HospLv, InsuType, MedType
from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import fen
from yibao.kernel.tiers import HospitalTier, tier_of

__all__ = ["AuditEngine"]

#: knowledge-table columns stored with another SQL type than text
_TYPED = {"max_days": "INTEGER", "max_quantity": "DECIMAL(16, 4)", "max_count": "INTEGER",
          "cycle_days": "INTEGER"}  # fmt: skip
#: columns renamed in DuckDB (``window`` is a keyword) and back in the findings
_SQL_NAME = {"window": "win"}
_FILL_NAME = {"win": "window", "cycle_count": "count"}
_NOT_DETAIL = frozenset((*COMMON, "cnt", "excess_cnt"))
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


def _mapping(rule: Rule, name: str) -> Mapping[str, Any]:
    """The mapping parameter ``name`` (the loader validated its shape)."""
    value = rule.params.get(name)
    if not isinstance(value, Mapping):
        raise InvalidValue(f"rule {rule.rule_id}.params.{name}", "expected a mapping")
    return value


def _param_columns(rule: Rule) -> dict[str, Any]:
    """The parameters a family's query reads as columns of its knowledge table."""
    p = rule.params
    if rule.family == "pay_course":
        return {"episode": p["episode"], "measure": p["measure"], "group_by": p["group_by"]}
    if rule.family == "frequency":
        return {"count_mode": p["count"], "per": p["per"]}
    if rule.family == "cycle":
        return {"count_mode": p["count"], "across": bool(p["across_institutions"])}
    if rule.family == "duplicate_pair":
        return {"flag": p["flag"]}
    return {}


def _unsupported(rule: Rule) -> str | None:
    if rule.family == "pay_course" and rule.params["episode"] != "visit":
        return "episode 'person' is not evaluated yet (only 'visit')"
    return None


def _age_limit(limit: Any, sex: str) -> tuple[str | None, int | None]:
    if limit is None:
        return None, None
    text = str(limit if isinstance(limit, str) else limit[sex])
    return text[-1], int(text[:-1])


def _age_bands(rule: Rule) -> Iterator[dict[str, Any]]:
    for band, spec in _mapping(rule, "bands").items():
        low, high = spec.get("from", "0d"), spec.get("below")
        per_sex = not isinstance(low, str) or (high is not None and not isinstance(high, str))
        for gend, sex in (("1", "male"), ("2", "female")) if per_sex else (("*", "male"),):
            from_unit, from_n = _age_limit(low, sex)
            below_unit, below_n = _age_limit(high, sex)
            yield {"rule_id": rule.rule_id, "band": band, "gend": gend, "from_unit": from_unit,
                   "from_n": from_n, "below_unit": below_unit, "below_n": below_n}  # fmt: skip


def _med_types_allowed(rule: Rule) -> Iterator[dict[str, Any]]:
    classes = _mapping(rule, "classes")
    seen = set()
    for row in rule.table.records() if rule.table is not None else ():
        for name in row["allowed"].split("|"):
            for med_type in classes[name]:
                if (row["code"], med_type) not in seen:
                    seen.add((row["code"], med_type))
                    yield {"rule_id": rule.rule_id, "code": row["code"], "med_type": med_type}


def _schemes(rule: Rule) -> Iterator[dict[str, Any]]:
    for scheme, spec in _mapping(rule, "schemes").items():
        for kind, key in (("insutype", "insutypes"), ("med_type", "med_types")):
            for value in spec.get(key, ()):
                yield {"rule_id": rule.rule_id, "scheme": scheme, "kind": kind, "value": value}


def _switches(rules: Iterable[Rule]) -> Iterator[dict[str, Any]]:
    for rule in rules:
        for level in sorted(rule.off_levels):
            yield {"rule_id": rule.rule_id, "kind": "level", "value": level, "prefix_len": 6}
        for region in sorted(rule.off_regions):
            width = 2 if region.endswith("0000") else 4 if region.endswith("00") else 6
            yield {"rule_id": rule.rule_id, "kind": "region", "value": region,
                   "prefix_len": width}  # fmt: skip


_STR, _INT = pa.string(), pa.int32()
_PARAM_TABLES = {
    "p_age_band": (("age", _age_bands), pa.schema([("rule_id", _STR), ("band", _STR),
                   ("gend", _STR), ("from_unit", _STR), ("from_n", _INT),
                   ("below_unit", _STR), ("below_n", _INT)])),
    "p_med_type_allowed": (("med_type", _med_types_allowed),
                           pa.schema([("rule_id", _STR), ("code", _STR), ("med_type", _STR)])),
    "p_insutype": (("insutype", _schemes), pa.schema([("rule_id", _STR), ("scheme", _STR),
                   ("kind", _STR), ("value", _STR)])),
}  # fmt: skip
_OFF_SCHEMA = pa.schema([("rule_id", _STR), ("kind", _STR), ("value", _STR),
                         ("prefix_len", _INT)])  # fmt: skip


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _age_text(row: Mapping[str, Any]) -> str:
    years, months, days = row.get("age_years"), row.get("age_months"), row.get("age_days")
    if years:
        return f"{years}岁"
    if months:
        return f"{months}个月"
    return "" if days is None else f"{days}天"


def _fills(family: str, row: Mapping[str, Any], detail: Mapping[str, str]) -> dict[str, str]:
    """The family's computed placeholders and the labels of its coded columns."""
    fills = {
        f"{c.name}_label": value_label(c.name, detail[c.name])
        for c in FAMILIES[family].columns
        if c.kind in LABELLED and c.name in detail
    }
    if family == "sex":
        fills["person_gend"] = code_label(Gend, str(row["person_gend"]))
    elif family == "age":
        fills["age"] = _age_text(row)
    elif family == "inst_level":
        fills["hosp_lv_name"] = code_label(HospLv, str(row["hosp_lv"]))
    elif family == "med_type":
        fills["med_type_name"] = code_label(MedType, str(row["med_type"]))
    elif family == "insutype":
        fills["insutype_name"] = code_label(InsuType, str(row["insutype"]))
    return fills


def _amount_at_issue(row: Mapping[str, Any]) -> Decimal:
    amount: Decimal = row["amount"]
    excess, cnt = row.get("excess_cnt"), row.get("cnt")
    if excess is None or cnt is None or excess >= cnt or not cnt:
        return amount
    return fen(amount * excess / cnt)


class AuditEngine:
    """One DuckDB connection with the knowledge tables of a rule base, evaluating fact tables."""

    def __init__(self, rule_base: RuleBase, *, queries: Mapping[str, str] | None = None) -> None:
        self._queries = dict(FAMILY_SQL if queries is None else queries)
        self._lock = threading.Lock()
        self._rules: dict[str, Rule] = {}
        self._unsupported: dict[str, tuple[Rule, str]] = {}
        for rule in rule_base:
            if rule.family not in self._queries:
                continue
            reason = _unsupported(rule)
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
        for family in self._queries:
            fam = FAMILIES[family]
            rows: list[dict[str, Any]] = []
            for rule in self._rules.values():
                if rule.family == family and rule.table is not None:
                    extra = _param_columns(rule)
                    rows.extend({"rule_id": rule.rule_id, **r, **extra}
                                for r in rule.table.records())  # fmt: skip
            names = ["rule_id", *fam.column_names, *(rows[0].keys() - {"rule_id",
                     *fam.column_names} if rows else ())]  # fmt: skip
            columns = {n: [r[n] for r in rows] for n in names}
            table = pa.table({n: pa.array(v, type=pa.bool_() if n == "across" else pa.string())
                              for n, v in columns.items()})  # fmt: skip
            select = ", ".join(
                f'CAST("{n}" AS {_TYPED[n]}) AS {n}'
                if n in _TYPED
                else f'"{n}" AS {_SQL_NAME.get(n, n)}'
                for n in names
            )
            self._create(f"k_{family}", table, select)
        for name, ((family, expand), schema) in _PARAM_TABLES.items():
            found = [row for rule in self._rules.values() if rule.family == family
                     for row in expand(rule)]  # fmt: skip
            self._create(name, pa.Table.from_pylist(found, schema=schema))
        self._create("rule_off", pa.Table.from_pylist(list(_switches(self._rules.values())),
                                                      schema=_OFF_SCHEMA))  # fmt: skip
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
        with self._lock:
            self._con.register("lines", facts.lines)
            self._con.register("visits", facts.visits)
            self._con.register("diagnoses", facts.diagnoses)
            ids = pa.table({"rule_id": pa.array([r.rule_id for r in active], type=pa.string())})
            self._con.register("active_rules", ids)
            try:
                for family, query in self._queries.items():
                    rule_ids = tuple(r.rule_id for r in active if r.family == family)
                    if rule_ids:
                        self._run(family, query, rule_ids, findings, failures)
            finally:
                for name in ("lines", "visits", "diagnoses", "active_rules"):
                    self._con.unregister(name)
        findings.sort(key=lambda f: (f.mdtrt_id, f.fee_date, f.feedetl_sn, f.rule_id))
        return AuditResult(tuple(findings), tuple(failures))

    def _run(
        self,
        family: str,
        query: str,
        rule_ids: tuple[str, ...],
        findings: list[Finding],
        failures: list[RuleFailure],
    ) -> None:
        try:
            cursor = self._con.execute(_OFF.format(query=query))
            names = [d[0] for d in cursor.description or ()]
            rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
            found = [self._finding(family, row) for row in rows]
        except Exception as exc:
            failures.append(RuleFailure(family, rule_ids, f"{type(exc).__name__}: {exc}"))
            return
        findings.extend(found)

    def _finding(self, family: str, row: Mapping[str, Any]) -> Finding:
        rule = self._rules[row["rule_id"]]
        amount = _amount_at_issue(row)
        detail = {_FILL_NAME.get(k, k): _text(v) for k, v in row.items() if k not in _NOT_DETAIL}
        detail.update(_fills(family, row, detail))
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
