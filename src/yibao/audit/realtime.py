"""The realtime audit of one visit (3101 before, 3102 and 2206/2207/2303/2304 during).

The same compiled rules and SQL as the monthly run, on an in-process DuckDB engine, with two
savings that cannot change a finding:

* **families no line can match are skipped.** A family's query joins fee lines to its knowledge
  table on the column :attr:`~yibao.audit.queries.FamilyQuery.trigger` names (``code``,
  ``sub_code`` …), so a visit none of whose codes is in that column of a rule in force finds
  nothing; the trigger sets are built once. Families without a trigger always run.
* **the person's history is loaded only when a family that reads it runs** (``history``), through
  the ``history`` callable the caller passes (the store's settled visits of the last year).

Findings are those of the visit at hand (a history family may also find lines of past visits,
which the monthly run reports). One evaluation at a time per auditor (the engine's lock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date

from yibao.audit.engine import AuditEngine
from yibao.audit.facts import StockRecord, VisitRecord, build_facts
from yibao.audit.findings import AuditResult
from yibao.audit.model import Moment, RuleBase
from yibao.audit.queries import FamilyQuery

__all__ = ["RealtimeAuditor"]

History = Callable[[], Iterable[VisitRecord]]


def _class_of(code: str) -> str:
    return code[1:6]


class RealtimeAuditor:
    """Audits one visit at a time against a rule base."""

    def __init__(
        self, rule_base: RuleBase, *, queries: Mapping[str, FamilyQuery] | None = None
    ) -> None:
        self.engine = AuditEngine(rule_base, queries=queries, threads=1)
        compiled = self.engine.compiled
        self._triggers: dict[str, frozenset[str]] = {}
        for family, query in compiled.queries.items():
            if query.trigger is None:
                continue
            values: set[str] = set()
            for rule in compiled.rules.values():
                if rule.family == family and rule.table is not None:
                    at = rule.table.columns.index(query.trigger)
                    values.update(row[at] for row in rule.table.rows)
            self._triggers[family] = frozenset(values)

    def close(self) -> None:
        """Close the engine."""
        self.engine.close()

    def families(self, codes: Iterable[str]) -> set[str]:
        """The families that may find something in a visit billing ``codes``."""
        codes = set(codes)
        classes = {_class_of(code) for code in codes}
        chosen = set()
        for family, query in self.engine.compiled.queries.items():
            trigger = self._triggers.get(family)
            if trigger is None or not trigger.isdisjoint(
                classes if query.trigger == "drug_class" else codes
            ):
                chosen.add(family)
        return chosen

    def audit(
        self,
        visit: VisitRecord,
        *,
        moment: Moment,
        day: date,
        history: History | None = None,
        stock: Iterable[StockRecord] = (),
    ) -> AuditResult:
        """The findings of the rules in force on ``day`` at ``moment`` on ``visit``'s lines."""
        families = self.families(line.code for line in visit.lines)
        queries = self.engine.compiled.queries
        needs_history = any(queries[f].history for f in families)
        visits = [visit]
        if needs_history and history is not None:
            visits.extend(v for v in history() if v.mdtrt_id != visit.mdtrt_id)
        result = self.engine.evaluate(
            build_facts(visits, stock), moment=moment, day=day, families=families
        )
        mine = tuple(f for f in result.findings if f.mdtrt_id == visit.mdtrt_id)
        return AuditResult(mine, result.failures)
