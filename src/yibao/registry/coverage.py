"""When a person's resident cover starts and what premium they owe: the enrolment year rules.

Pure (standard library and ``yibao.kernel`` only). The rules of each region and year are data
(:class:`YearRules`, loaded from TOML by ``registry.year_rules``); :func:`coverage_for` applies
them to one enrolment and returns a :class:`Coverage` whose ``basis`` says, in words, which rule
gave the start day and the premium. The rules are those of 城乡居民基本医疗保险 (insutype 390);
an employee (职工, 310) meets them when their employee insurance ends and they join the resident
scheme (:attr:`EnrolmentReason.LEFT_EMPLOYEE`). ``docs/enrolment-rules.md`` states every rule.

Counting: "day N after birth" is ``birth + N days`` (the birth day is day 0). Money: a half-year
personal share is rounded to the fen by ``kernel.money``; the subsidy's half is the remainder of
half the total, so ``personal + subsidy`` is always exactly the (half) standard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from yibao.kernel.dates import parse_date
from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import ZERO, apply_ratio, money
from yibao.registry.model import EmployeeRates

__all__ = [
    "CoverRule",
    "Coverage",
    "EnrolmentReason",
    "EnrolmentWindow",
    "Premium",
    "PremiumShare",
    "YearRules",
    "coverage_for",
    "is_covered",
    "refusal_reason",
]

_HALF = Decimal("0.5")
_MAX_DAYS = 366


class EnrolmentReason(StrEnum):
    """Why a person enrols now (参保原因); decides which rule applies outside the window."""

    #: 集中参保期内参保 — enrolment in the collection period for the coming year
    REGULAR = "regular"
    #: 新生儿 — a newborn, enrolled by a close relative
    NEWBORN = "newborn"
    #: 职工医保中断（或终止）后的人员 — employee insurance (310) interrupted or ended
    LEFT_EMPLOYEE = "left_employee"
    #: 复退军人 — a demobilised or retired serviceman
    VETERAN = "veteran"
    #: 婚嫁迁入 — household moved in by marriage
    MARRIAGE = "marriage"
    #: 归正人员 — a person released from prison or re-education
    RELEASED = "released"
    #: 大学毕业户口迁入人员 — a graduate whose household registration moves in
    GRADUATE = "graduate"
    #: 其他集中参保期外参保人员 — any other late enrolee (no special rule)
    OTHER_LATE = "late"


class CoverRule(StrEnum):
    """The rule that gave the cover start (待遇享受起始规则)."""

    #: 集中参保期参保, 当年度待遇从 1 月 1 日起
    REGULAR = "regular"
    #: 新生儿出生 90 天内参保, 待遇从出生之日起
    NEWBORN = "newborn"
    #: 规定人员期外参保, 待遇从缴费次月起
    LATE_SPECIAL = "late_special"
    #: 其他期外参保, 缴费次月起再加待遇等待期
    LATE = "late"


class PremiumShare(StrEnum):
    """How much of the year's standard is owed (按全年标准 / 按半年标准)."""

    FULL = "full"
    HALF = "half"


#: The groups the seed's rule (二) names: late, but covered from the month after payment.
_SPECIAL = frozenset(
    {
        EnrolmentReason.NEWBORN,
        EnrolmentReason.LEFT_EMPLOYEE,
        EnrolmentReason.VETERAN,
        EnrolmentReason.MARRIAGE,
        EnrolmentReason.RELEASED,
        EnrolmentReason.GRADUATE,
    }
)


@dataclass(frozen=True, slots=True)
class Premium:
    """The resident financing standard per person and year (筹资标准), in yuan.

    ``personal`` is the share the person pays (个人缴纳), ``subsidy`` what public finance adds
    (财政补贴); ``total`` must equal their sum. Values are normalised to two decimals.
    """

    total: Decimal
    personal: Decimal
    subsidy: Decimal

    def __post_init__(self) -> None:
        for name in ("total", "personal", "subsidy"):
            value = money(getattr(self, name), field=f"premium.{name}")
            if value < ZERO:
                raise InvalidValue(f"premium.{name}", f"{value} is negative")
            object.__setattr__(self, name, value)
        if self.total != self.personal + self.subsidy:
            raise InvalidValue(
                "premium.total",
                f"{self.total} is not personal {self.personal} + subsidy {self.subsidy}"
                f" = {self.personal + self.subsidy}",
            )


@dataclass(frozen=True, slots=True)
class EnrolmentWindow:
    """The collection period (集中参保期/缴费期) for one cover year, both days included."""

    first_day: date
    last_day: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first_day <= day <= self.last_day

    def __str__(self) -> str:
        return f"{self.first_day.isoformat()}..{self.last_day.isoformat()}"


@dataclass(frozen=True, slots=True)
class YearRules:
    """One region's resident enrolment rules for one cover year (年度参保规则).

    ``region`` is the six-digit admdvs; ``window`` the collection period for this year's cover
    (usually in the autumn of the year before); ``regular_start`` the day regular cover starts;
    ``half_year_from`` the first day of the second half (1 July); ``newborn_days`` how many days
    after birth a newborn may enrol and be covered from birth; ``waiting_days`` the waiting period
    added for late enrolees that no special rule names. Field names are the keys of the file, so
    an :class:`InvalidValue` raised here names the key to fix.
    """

    region: str
    year: int
    premium: Premium
    window: EnrolmentWindow
    regular_start: date
    half_year_from: date
    newborn_days: int
    waiting_days: int
    document: str = ""
    source: str = ""
    #: the employees' contribution rates of the year (``[employee]``), where the file has them
    employee: EmployeeRates | None = None

    def __post_init__(self) -> None:
        region = self.region if isinstance(self.region, str) else ""
        if not (len(region) == 6 and region.isascii() and region.isdigit()):
            raise InvalidValue("region", f"{self.region!r} is not a six-digit region code")
        for name in ("newborn_days", "waiting_days"):
            days = getattr(self, name)
            if not 0 <= days <= _MAX_DAYS:
                raise InvalidValue(name, f"{days} is not between 0 and {_MAX_DAYS} days")
        self._check_dates()

    def _check_dates(self) -> None:
        first, last = date(self.year, 1, 1), self.year_end
        if not first <= self.regular_start <= last:
            raise InvalidValue("regular_start", f"{self.regular_start} is not in {self.year}")
        if not first < self.half_year_from <= last:
            raise InvalidValue(
                "half_year_from", f"{self.half_year_from} is not after 1 January {self.year}"
            )
        if self.window.last_day < self.window.first_day:
            raise InvalidValue("window.last_day", f"{self.window.last_day} is before first_day")
        if self.window.last_day > last:
            raise InvalidValue(
                "window.last_day", f"{self.window.last_day} is after the {self.year} cover year"
            )
        if self.window.first_day.year < self.year - 1:
            raise InvalidValue(
                "window.first_day",
                f"{self.window.first_day} is more than a year before the {self.year} cover year",
            )

    @property
    def year_end(self) -> date:
        """31 December of the cover year: every cover of the year ends then."""
        return date(self.year, 12, 31)


@dataclass(frozen=True, slots=True)
class Coverage:
    """The outcome of one enrolment: cover dates, premium owed, and the rule behind them.

    ``personal`` is what the person owes, ``subsidy`` the public part for the same period;
    ``start_basis`` is the rule behind ``start`` (quoted when a day before it is refused) and
    ``basis`` the whole explanation, premium included.
    """

    region: str
    year: int
    reason: EnrolmentReason
    rule: CoverRule
    paid_on: date
    start: date
    end: date
    share: PremiumShare
    personal: Decimal
    subsidy: Decimal
    start_basis: str
    basis: str

    @property
    def total(self) -> Decimal:
        """Personal share plus subsidy for the period covered."""
        return self.personal + self.subsidy


def coverage_for(
    rules: YearRules,
    *,
    reason: EnrolmentReason | str,
    birth_date: date | None = None,
    paid_on: date,
) -> Coverage:
    """Apply ``rules`` to one enrolment paid on ``paid_on``; wrong input raises InvalidValue.

    ``birth_date`` is required for a newborn and optional otherwise (cover never starts before it).
    """
    why = _reason(reason)
    paid = parse_date(paid_on, field="paid_on")
    birth = None if birth_date is None else parse_date(birth_date, field="birth_date")
    if birth is not None and paid < birth:
        raise InvalidValue("paid_on", f"paid {paid} before birth on {birth}")
    if why is EnrolmentReason.NEWBORN:
        if birth is None:
            raise InvalidValue("birth_date", "a newborn's enrolment needs the birth date")
        return _newborn(rules, birth, paid)
    _check_paid_in_year(rules, paid)
    if paid in rules.window:
        return _regular(rules, why, paid, birth)
    if why in _SPECIAL:
        return _late(rules, why, paid, f"late enrolment ({why.value}) paid {paid}", waiting=False)
    outside = f"paid {paid} outside the collection period {rules.window}"
    if why is EnrolmentReason.REGULAR:
        said = f"regular enrolment {outside}, so a late enrolment"
    else:
        said = f"late enrolment {outside} (no special rule)"
    return _late(rules, why, paid, said, waiting=True)


def is_covered(coverage: Coverage, day: date) -> bool:
    """Whether ``day`` lies inside the cover (both ends included)."""
    return coverage.start <= day <= coverage.end


def refusal_reason(coverage: Coverage, day: date) -> str | None:
    """Why ``day`` is not covered, in words for ``err_msg``; ``None`` when it is covered."""
    if day < coverage.start:
        return f"not covered before {coverage.start} ({coverage.start_basis})"
    if day > coverage.end:
        return (
            f"not covered after {coverage.end} (the {coverage.year} cover ends on 31 December;"
            f" enrolment for {coverage.year + 1} is needed)"
        )
    return None


def _reason(value: object) -> EnrolmentReason:
    try:
        return EnrolmentReason(value if isinstance(value, str) else "")
    except ValueError:
        allowed = ", ".join(r.value for r in EnrolmentReason)
        raise InvalidValue("reason", f"unknown enrolment reason {value!r} ({allowed})") from None


def _check_paid_in_year(rules: YearRules, paid: date) -> None:
    if paid < rules.window.first_day:
        raise InvalidValue(
            "paid_on",
            f"{paid} is before the collection period for {rules.year} opens "
            f"({rules.window.first_day}); use the rules of the year being paid for",
        )
    if paid > rules.year_end:
        raise InvalidValue(
            "paid_on", f"{paid} is after the {rules.year} cover year; use the {paid.year} rules"
        )


def _newborn(rules: YearRules, birth: date, paid: date) -> Coverage:
    why, age = EnrolmentReason.NEWBORN, (paid - birth).days
    if birth > rules.year_end:
        raise InvalidValue("birth_date", f"born {birth}, after the {rules.year} cover year")
    within = age <= rules.newborn_days
    # A child born late in the year may still be enrolled for it in the next year's first days.
    if not (within and birth.year == rules.year and paid > rules.year_end):
        _check_paid_in_year(rules, paid)
    if not within:
        said = (
            f"newborn enrolled {age} days after birth (> {rules.newborn_days}), "
            f"a late enrolment paid {paid}"
        )
        return _late(rules, why, paid, said, waiting=False)
    said = f"newborn enrolled {age} days after birth (≤ {rules.newborn_days})"
    if birth < rules.regular_start:
        return _coverage(
            rules, why, CoverRule.NEWBORN, paid,
            start=rules.regular_start,
            start_basis=f"{said}, born {birth} before the {rules.year} cover: covered from the regular start",
            share=PremiumShare.FULL,
            premium_said=f"born before {rules.regular_start}: full year",
        )  # fmt: skip
    if birth < rules.half_year_from:
        share, premium_said = PremiumShare.FULL, "born in the first half: full year"
    else:
        share, premium_said = PremiumShare.HALF, "born in the second half: half year"
    return _coverage(rules, why, CoverRule.NEWBORN, paid, start=birth,
                     start_basis=f"{said}: covered from birth", share=share,
                     premium_said=premium_said)  # fmt: skip


def _regular(rules: YearRules, why: EnrolmentReason, paid: date, birth: date | None) -> Coverage:
    start = rules.regular_start if birth is None else max(rules.regular_start, birth)
    said = f"{why.value} enrolment paid {paid} in the collection period {rules.window}"
    whence = "birth" if start != rules.regular_start else "the regular start"
    return _coverage(rules, why, CoverRule.REGULAR, paid, start=start,
                     start_basis=f"{said}: covered from {whence}", share=PremiumShare.FULL,
                     premium_said="paid in the collection period: full year")  # fmt: skip


def _late(
    rules: YearRules, why: EnrolmentReason, paid: date, said: str, *, waiting: bool
) -> Coverage:
    month_after = date(paid.year + paid.month // 12, paid.month % 12 + 1, 1)
    days = rules.waiting_days if waiting else 0
    start = max(month_after + timedelta(days=days), rules.regular_start)
    if start > rules.year_end:
        raise InvalidValue(
            "paid_on",
            f"{said}: cover would start on {start}, after the {rules.year} cover year ends; "
            f"enrol for {rules.year + 1} instead",
        )
    start_basis = f"{said}: covered from the month after payment"
    if days:
        start_basis += f" plus a {days}-day waiting period"
    if paid < rules.half_year_from:
        share, premium = PremiumShare.FULL, "enrolled in the first half: full year"
    else:
        share, premium = PremiumShare.HALF, "enrolled in the second half: half year"
    rule = CoverRule.LATE if waiting else CoverRule.LATE_SPECIAL
    return _coverage(rules, why, rule, paid, start=start, start_basis=start_basis, share=share,
                     premium_said=premium)  # fmt: skip


def _coverage(
    rules: YearRules,
    why: EnrolmentReason,
    rule: CoverRule,
    paid: date,
    *,
    start: date,
    start_basis: str,
    share: PremiumShare,
    premium_said: str,
) -> Coverage:
    personal, subsidy = _premium(rules.premium, share)
    basis = f"{start_basis} ({start}); {premium_said} {personal}"
    if rules.source:
        basis += f" ({rules.source})"
    return Coverage(
        region=rules.region,
        year=rules.year,
        reason=why,
        rule=rule,
        paid_on=paid,
        start=start,
        end=rules.year_end,
        share=share,
        personal=personal,
        subsidy=subsidy,
        start_basis=start_basis,
        basis=basis,
    )


def _premium(premium: Premium, share: PremiumShare) -> tuple[Decimal, Decimal]:
    if share is PremiumShare.FULL:
        return premium.personal, premium.subsidy
    personal = apply_ratio(premium.personal, _HALF)
    return personal, apply_ratio(premium.total, _HALF) - personal
