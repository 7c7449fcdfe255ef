"""What a family's query is: its SQL and the few Python pieces the engine needs around it.

A :class:`FamilyQuery` carries the SQL of one family (read by DuckDB, and by Spark after sqlglot
transpiles it), the rule parameters the SQL reads as columns of the family's knowledge table, the
columns stored with another SQL type than text, the small parameter tables expanded from a rule's
parameters, the placeholders computed from a result row, whether the query reads the person's
past visits (the realtime path then loads the person's history), and the knowledge column a line's
code must match for the query to find anything (the realtime path skips a family no line of the
visit can match).

Pure: the engine does the I/O. ``COMMON`` is the column list every query returns first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from yibao.audit.model import Rule

__all__ = ["COMMON", "JOIN", "LINE", "FamilyQuery", "ParamTable", "mapping_param"]

#: the columns every family query returns first
COMMON = ("rule_id", "mdtrt_id", "psn_no", "feedetl_sn", "amount", "fee_date", "admdvs",
          "hosp_lv")  # fmt: skip

#: the COMMON columns of a fee line aliased ``l`` (after ``rule_id``)
LINE = "l.mdtrt_id, l.psn_no, l.feedetl_sn, l.amount, l.fee_date, l.admdvs, l.hosp_lv"
#: keeps the rules in force: join a knowledge table aliased ``k`` to ``active_rules``
JOIN = "JOIN active_rules a ON a.rule_id = k.rule_id"


def _no_columns(rule: Rule) -> Mapping[str, Any]:
    return {}


def _no_fills(row: Mapping[str, Any]) -> Mapping[str, str]:
    return {}


def _supported(rule: Rule) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class ParamTable:
    """A table expanded from each rule's parameters (age bands, med_type classes …)."""

    name: str
    #: column name → SQL type (``VARCHAR``, ``INTEGER``, ``DECIMAL(16, 4)`` …)
    columns: Mapping[str, str]
    rows: Callable[[Rule], Iterable[Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class FamilyQuery:
    """One family's SQL and what the engine needs to run it and to explain its rows."""

    family: str
    sql: str
    #: the rule's parameters read as columns of ``k_<family>`` (one value per rule)
    param_columns: Callable[[Rule], Mapping[str, Any]] = _no_columns
    #: columns of ``k_<family>`` stored with another SQL type than VARCHAR
    typed: Mapping[str, str] = field(default_factory=dict)
    param_tables: tuple[ParamTable, ...] = ()
    #: placeholders computed from a result row (beyond its columns)
    fills: Callable[[Mapping[str, Any]], Mapping[str, str]] = _no_fills
    #: why a rule cannot be evaluated by this query (then it is reported, not run)
    unsupported: Callable[[Rule], str | None] = _supported
    #: the query reads the person's earlier visits, not only the visit at hand
    history: bool = False
    #: the knowledge column a fee line's code must match for the query to find anything
    #: (``drug_class``: characters 2–6 of the code); None: the query may find lines of any code
    trigger: str | None = None


def mapping_param(rule: Rule, name: str) -> Mapping[str, Any]:
    """The mapping parameter ``name`` of ``rule`` (the loader validated its shape)."""
    value = rule.params.get(name)
    if not isinstance(value, Mapping):
        raise ValueError(f"rule {rule.rule_id}.params.{name}: expected a mapping")
    return value
