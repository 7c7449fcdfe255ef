"""Audit rules as immutable values: what a rule checks, when, where, and what happens to a finding.

A :class:`Rule` is a rule family (a template, see ``audit.families``) + its parameters + an
optional :class:`KnowledgeTable` + effective dates + a :class:`Grade` and an :class:`Action`.
The same rule runs at three :class:`Moment` s (事前 3101, 事中 3102 and inside settlement, 事后
monthly batch); a region or an institution level can switch it off. :class:`RuleBase` holds the
rules by id and answers which are active for a day, a region, a level and a moment.

Pure: built by ``audit.formats`` from validated files; read by the engine.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias

from yibao.kernel.errors import InvalidValue

__all__ = [
    "Action",
    "Evidence",
    "Grade",
    "KnowledgeTable",
    "Moment",
    "ParamValue",
    "Rule",
    "RuleBase",
    "Scope",
    "region_covers",
    "template_fields",
]

#: A parameter value as the rule holds it: frozen (tuples, read-only mappings), exact (Decimal).
ParamValue: TypeAlias = (
    "str | int | bool | Decimal | date | tuple[ParamValue, ...] | Mapping[str, ParamValue] | None"
)


class Grade(StrEnum):
    """Result grade (结果等级) of a finding."""

    #: 违规: deducted automatically
    VIOLATION = "violation"
    #: 可疑: the institution explains, then a person decides
    SUSPICIOUS = "suspicious"
    #: 提醒: a reminder only
    REMINDER = "reminder"

    @property
    def label(self) -> str:
        """The Chinese name."""
        return _GRADE_LABELS[self]


class Action(StrEnum):
    """What settlement (事中) does with a finding."""

    #: move the line to self-pay (转自费)
    SELF_PAY = "self_pay"
    #: hold the visit for review (挂起待审)
    HOLD = "hold"
    #: warn, settle as usual (提示)
    WARN = "warn"

    @property
    def label(self) -> str:
        """The Chinese name."""
        return _ACTION_LABELS[self]


class Moment(StrEnum):
    """When a rule runs."""

    #: 事前提醒: the doctor orders (3101)
    BEFORE = "before"
    #: 事中预警: pre-settlement and settlement (3102, 2206/2207, 2303/2304)
    DURING = "during"
    #: 事后审核: the monthly batch over settled visits
    AFTER = "after"

    @property
    def label(self) -> str:
        """The Chinese name."""
        return _MOMENT_LABELS[self]


class Scope(StrEnum):
    """What one evaluation of a family looks at: the rows the engine groups fee lines by."""

    #: one fee line (with its person, visit and institution)
    LINE = "line"
    #: the lines of one visit (per day or per visit)
    VISIT = "visit"
    #: one person's visits and lines over time
    PERSON_HISTORY = "person_history"
    #: several persons together (group patterns)
    CROSS_PERSON = "cross_person"

    @property
    def label(self) -> str:
        """The Chinese name."""
        return _SCOPE_LABELS[self]


_GRADE_LABELS = {Grade.VIOLATION: "违规", Grade.SUSPICIOUS: "可疑", Grade.REMINDER: "提醒"}
_ACTION_LABELS = {Action.SELF_PAY: "转自费", Action.HOLD: "挂起待审", Action.WARN: "提示"}
_MOMENT_LABELS = {Moment.BEFORE: "事前", Moment.DURING: "事中", Moment.AFTER: "事后"}
_SCOPE_LABELS = {
    Scope.LINE: "明细",
    Scope.VISIT: "就诊",
    Scope.PERSON_HISTORY: "参保人历史",
    Scope.CROSS_PERSON: "跨参保人",
}


@dataclass(frozen=True, slots=True)
class KnowledgeTable:
    """A knowledge table (知识库表): named columns and rows of text, validated by the loader."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: the file it was read from, relative to the rule base
    file: str = ""

    def __post_init__(self) -> None:
        if len(set(self.columns)) != len(self.columns):
            raise InvalidValue(f"table {self.name}", f"duplicate columns in {self.columns}")
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.columns):
                raise InvalidValue(
                    f"table {self.name}",
                    f"row {number} has {len(row)} cells for {len(self.columns)} columns",
                )

    def __len__(self) -> int:
        return len(self.rows)

    def index(self, column: str) -> int:
        """The position of ``column``; names the table when it has no such column."""
        try:
            return self.columns.index(column)
        except ValueError:
            raise InvalidValue(f"table {self.name}", f"no column {column!r}") from None

    def values(self, column: str) -> tuple[str, ...]:
        """Every row's value in ``column``, in row order."""
        at = self.index(column)
        return tuple(row[at] for row in self.rows)

    def records(self) -> Iterator[dict[str, str]]:
        """The rows as ``{column: value}``."""
        for row in self.rows:
            yield dict(zip(self.columns, row, strict=True))


@dataclass(frozen=True, slots=True)
class Evidence:
    """The source a rule cites (依据): the document, its batch, and the rows or clause."""

    document: str
    batch: str = ""
    rows: str = ""

    def __str__(self) -> str:
        return "，".join(part for part in (self.document, self.batch, self.rows) if part)


def template_fields(template: str) -> frozenset[str]:
    """The ``{placeholder}`` names in a ``vola_cont`` template; a malformed brace names the reason."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InvalidValue("vola_cont", f"malformed template: {exc}") from None
    names = set()
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise InvalidValue("vola_cont", f"{{{name}}}: use plain {{name}} placeholders")
        names.add(name)
    return frozenset(names)


def region_covers(off: str, admdvs: str) -> bool:
    """Whether the region code ``off`` covers ``admdvs``: itself, or below it.

    ``440000`` (a province, ``0000`` at the end) covers every ``44xxxx``; ``440100`` (a city,
    ``00`` at the end) covers every ``4401xx``; any other code covers only itself.
    """
    if off == admdvs:
        return True
    if off.endswith("0000"):
        return admdvs[:2] == off[:2]
    if off.endswith("00"):
        return admdvs[:4] == off[:4]
    return False


@dataclass(frozen=True, slots=True)
class Rule:
    """One audit rule: a family (template) with parameters, a table, dates, grade and action."""

    rule_id: str
    name: str
    family: str
    grade: Grade
    action: Action
    moments: frozenset[Moment]
    begin: date
    end: date | None
    params: Mapping[str, ParamValue]
    table: KnowledgeTable | None
    evidence: Evidence
    #: the text shown to the institution (违规内容), with ``{placeholders}`` the family fills
    vola_cont: str
    off_regions: frozenset[str] = frozenset()
    off_levels: frozenset[str] = frozenset()
    version: str = ""
    source_file: str = ""

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.begin:
            raise InvalidValue(
                f"rule {self.rule_id}.end", f"{self.end} is before begin {self.begin}"
            )
        if not self.moments:
            raise InvalidValue(f"rule {self.rule_id}.moments", "a rule runs at one moment at least")
        template_fields(self.vola_cont)

    def in_force(self, day: date) -> bool:
        """Whether ``day`` lies between ``begin`` and ``end`` (both inclusive)."""
        return self.begin <= day and (self.end is None or day <= self.end)

    def switched_off(self, admdvs: str, hosp_lv: str) -> bool:
        """Whether the region (or a region above it) or the institution level switches it off."""
        if hosp_lv in self.off_levels:
            return True
        return any(region_covers(off, admdvs) for off in self.off_regions)

    def applies(self, day: date, admdvs: str, hosp_lv: str, moment: Moment) -> bool:
        """Whether the rule runs for a fee on ``day`` in ``admdvs`` at a ``hosp_lv`` institution."""
        return (
            moment in self.moments and self.in_force(day) and not self.switched_off(admdvs, hosp_lv)
        )

    @property
    def placeholders(self) -> frozenset[str]:
        """The names ``vola_cont`` asks the family to fill."""
        return template_fields(self.vola_cont)


class RuleBase:
    """Every rule by id; :meth:`active` selects the rules that run for a fee."""

    __slots__ = ("_rules",)

    def __init__(self, rules: Iterable[Rule]) -> None:
        by_id: dict[str, Rule] = {}
        for rule in rules:
            if rule.rule_id in by_id:
                first = by_id[rule.rule_id].source_file
                raise InvalidValue(
                    f"rule {rule.rule_id}", f"defined twice ({first} and {rule.source_file})"
                )
            by_id[rule.rule_id] = rule
        self._rules: Mapping[str, Rule] = dict(sorted(by_id.items()))

    @property
    def rules(self) -> Mapping[str, Rule]:
        """The rules by id, sorted by id."""
        return self._rules

    def __len__(self) -> int:
        return len(self._rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __getitem__(self, rule_id: str) -> Rule:
        try:
            return self._rules[rule_id]
        except KeyError:
            raise InvalidValue("rule_id", f"no rule {rule_id!r} in the rule base") from None

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def active(self, day: date, admdvs: str, hosp_lv: str, moment: Moment) -> tuple[Rule, ...]:
        """The rules that run for a fee on ``day`` in ``admdvs`` at a ``hosp_lv`` institution."""
        return tuple(r for r in self._rules.values() if r.applies(day, admdvs, hosp_lv, moment))

    def of_family(self, family: str) -> tuple[Rule, ...]:
        """The rules of one family, by id."""
        return tuple(r for r in self._rules.values() if r.family == family)
