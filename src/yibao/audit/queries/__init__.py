"""The SQL of every rule family: one query per family evaluates every rule of that family.

Plain, portable SQL (joins, GROUP BY, window functions, CASE; no engine-specific functions or
date arithmetic), so that the same text runs on DuckDB and, transpiled by sqlglot, on Spark.

Tables a query reads:

* the facts (``audit.facts``): ``lines``, ``visits``, ``diagnoses`` and the clinical evidence;
  ``active_rules(rule_id)``: the rules in force at the moment and on the day evaluated;
* ``k_<family>``: the knowledge tables of every rule of the family, with ``rule_id`` and the
  rule's parameters as columns (:attr:`FamilyQuery.param_columns`); a column named ``window`` is
  stored as ``win`` (``window`` is a keyword);
* parameter tables (:class:`ParamTable`), and the engine's ``hosp_lv_rank`` and ``tier_rank``.

Every query returns the columns of :data:`COMMON`, then the values its ``vola_cont`` needs
(the table row's columns and the family's fills). ``cnt`` and ``excess_cnt``, where a query
returns them, mean that only ``excess_cnt`` of the line's ``cnt`` lies beyond the limit: the
amount at issue is then ``amount × excess_cnt / cnt``, rounded to the fen by the engine. A query
may instead return ``amount_at_issue`` (DECIMAL(16, 2)) when the part at issue is not a share of
the quantity (a price above the ceiling, a secondary operation's excess).

The modules group the families as ``docs/audit-rules.md`` does: ``line``, ``repeat``,
``orders``, ``billing``, ``history``, ``evidence``.
"""

from __future__ import annotations

from collections.abc import Mapping

from yibao.audit.queries import billing, evidence, history, line, orders, repeat
from yibao.audit.queries.base import COMMON, FamilyQuery, ParamTable

__all__ = ["COMMON", "QUERIES", "FamilyQuery", "ParamTable"]

#: every family's query, by family name, in evaluation order
QUERIES: Mapping[str, FamilyQuery] = {
    q.family: q
    for module in (line, repeat, orders, billing, history, evidence)
    for q in module.QUERIES
}
