"""Check a case before grouping: the first problem found becomes an ``invalid`` grouping.

Pure. The checks follow OpenDRG's CHS-DRG 1.1 grouper (GroupProxy.check: sex, age, age in days at
age 0, birth weight for a newborn of at most 28 days, at least one diagnosis) plus what a grouper
that is fed settlement lists needs: every code known to the dictionaries and no impossible value.
"""

from __future__ import annotations

from yibao.drg.model import Case, Grouping, Rules

__all__ = ["MAX_AGE", "MAX_WEIGHT", "NEWBORN_DAYS", "validate"]

MAX_AGE = 150
MAX_AGE_DAYS = 365
MAX_WEIGHT = 10_000
"""Grams: no birth weight is heavier."""
NEWBORN_DAYS = 28
"""A newborn (新生儿) is at most 28 days old: CHS-DRG's "出生年龄＜29 天"."""
LEAVING_TYPES = frozenset({"1", "2", "3", "4", "5", "9"})
"""离院方式: 1 医嘱离院, 2 医嘱转院, 3 转社区/乡镇, 4 非医嘱离院, 5 死亡, 9 其他."""


def validate(case: Case, rules: Rules) -> Grouping | None:
    """None when the case can be grouped; else an ``invalid`` grouping naming the field."""
    return _demography(case) or _codes(case, rules)


def _demography(case: Case) -> Grouping | None:  # noqa: C901, PLR0911 - one check per field
    if case.gender not in ("1", "2"):
        return Grouping.invalid("gender", f"must be 1 or 2, not {case.gender!r}")
    if case.age is None:
        return Grouping.invalid("age", "missing")
    if not 0 <= case.age <= MAX_AGE:
        return Grouping.invalid("age", f"{case.age} is not between 0 and {MAX_AGE}")
    if case.age == 0:
        if case.age_days is None:
            return Grouping.invalid("age_days", "missing for age 0")
        if not 0 <= case.age_days <= MAX_AGE_DAYS:
            return Grouping.invalid("age_days", f"{case.age_days} is not between 0 and 365")
    if case.weight is not None and not 0 < case.weight <= MAX_WEIGHT:
        return Grouping.invalid("weight", f"{case.weight} g is not between 1 and {MAX_WEIGHT}")
    if case.age == 0 and (case.age_days or 0) <= NEWBORN_DAYS and case.weight is None:
        return Grouping.invalid("weight", "birth weight missing for a newborn (≤ 28 days)")
    if case.los is not None and case.los < 0:
        return Grouping.invalid("los", f"{case.los} is negative")
    if case.leaving_type is not None and case.leaving_type not in LEAVING_TYPES:
        return Grouping.invalid("leaving_type", f"{case.leaving_type!r} is not 1-5 or 9")
    return None


def _codes(case: Case, rules: Rules) -> Grouping | None:
    if not case.diagnoses or not case.diagnoses[0]:
        return Grouping.invalid("diagnoses", "no main diagnosis")
    for i, code in enumerate(case.diagnoses):
        if code not in rules.diagnoses:
            return Grouping.invalid(f"diagnoses[{i}]", f"unknown diagnosis code {code!r}")
    for i, code in enumerate(case.procedures):
        if code not in rules.procedures:
            return Grouping.invalid(f"procedures[{i}]", f"unknown procedure code {code!r}")
    return None
