"""What the audit engine returns: findings, failed families, and the filling of ``vola_cont``.

A :class:`Finding` is one fee line found by one rule, with the amount at issue (Decimal), the
rule's grade and action, the filled 违规内容 (``vola_cont``) and the evidence cited. A
:class:`RuleFailure` is a family that could not be evaluated (its query failed, or a rule uses a
parameter this engine does not evaluate yet): it is reported beside the findings, never raised,
so that one broken family does not hide the others.

Pure: the engine hands over plain values; the labels of coded columns (``{gend_label}``,
``{window_label}`` …) are defined here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from yibao.audit.model import Action, Grade, Rule
from yibao.kernel.codes import Gend, HospLv, InsuType, MedType

__all__ = [
    "AuditResult",
    "Finding",
    "RuleFailure",
    "code_label",
    "fill_vola_cont",
    "value_label",
]


@dataclass(frozen=True, slots=True)
class Finding:
    """One fee line found by one rule."""

    rule_id: str
    rule_name: str
    family: str
    grade: Grade
    action: Action
    mdtrt_id: str
    psn_no: str
    #: the line found (for a pair rule, the line that is the duplicate)
    feedetl_sn: str
    #: the amount at issue (N16,2): the line amount, or the part beyond a limit (see audit.sql)
    amount: Decimal
    fee_date: date
    vola_cont: str
    evidence: str
    #: the values the template was filled from, as text (JSON-able)
    detail: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RuleFailure:
    """A family (or some of its rules) that could not be evaluated, and why."""

    family: str
    rule_ids: tuple[str, ...]
    error: str

    def __str__(self) -> str:
        return f"family {self.family} ({', '.join(self.rule_ids)}): {self.error}"


@dataclass(frozen=True, slots=True)
class AuditResult:
    """The findings of one evaluation and the families that failed."""

    findings: tuple[Finding, ...]
    failures: tuple[RuleFailure, ...] = ()


_GEND = {"1": "男", "2": "女"}
_TIER = {"tier3": "三级", "tier2": "二级", "tier1": "一级", "primary": "基层"}
_WINDOW = {"1h": "1小时", "6h": "6小时", "day": "同日", "visit": "同次就诊"}
_UNIT = {"day": "日", "hour": "小时"}
#: the keys the national and example rules use for classes and schemes
_KEYS = {
    "inpatient": "住院",
    "emergency": "急诊",
    "outpatient": "门诊",
    "work_injury": "工伤保险",
    "maternity": "生育保险",
}
_BY_COLUMN = {"gend": _GEND, "min_tier": _TIER, "tier": _TIER, "window": _WINDOW, "unit": _UNIT}


def value_label(column: str, value: str) -> str:
    """The Chinese name of a coded table value (``{<column>_label}``); unknown keys stay as is.

    Keys (``band``, ``allowed``, ``scheme``) name a parameter mapping's key; several keys
    (``inpatient|emergency``) read as 住院或急诊.
    """
    if column == "hosp_lv":
        return code_label(HospLv, value)
    names = _BY_COLUMN.get(column)
    if names is not None:
        return names.get(value, value)
    return "或".join(_KEYS.get(key, key) for key in value.split("|"))


def code_label(kind: type[Gend] | type[HospLv] | type[InsuType] | type[MedType], code: str) -> str:
    """The Chinese name of an NHSA code, or the code itself when the table does not list it."""
    try:
        return kind(code).label
    except ValueError:
        return code


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "—"


def fill_vola_cont(rule: Rule, values: Mapping[str, str]) -> str:
    """``rule.vola_cont`` with its placeholders filled; a value the engine lacks shows as —."""
    return rule.vola_cont.format_map(_Values(values))
