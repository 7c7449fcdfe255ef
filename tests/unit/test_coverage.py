"""registry.coverage: from which day a resident is covered and what premium they owe, at every edge."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest

from yibao.kernel.errors import InvalidValue
from yibao.registry.coverage import (
    Coverage,
    CoverRule,
    EnrolmentReason,
    EnrolmentWindow,
    Premium,
    PremiumShare,
    YearRules,
    coverage_for,
    is_covered,
    refusal_reason,
)

R = EnrolmentReason
SPECIAL = [R.LEFT_EMPLOYEE, R.VETERAN, R.MARRIAGE, R.RELEASED, R.GRADUATE]


def rules(year: int = 2026, **changes: object) -> YearRules:
    """The seed's figures: 580 = 210 personal + 370 subsidy; window Sept–Dec of the year before."""
    base = YearRules(
        region="990100",
        year=year,
        premium=Premium(Decimal("580"), Decimal("210"), Decimal("370")),
        window=EnrolmentWindow(date(year - 1, 9, 1), date(year - 1, 12, 31)),
        regular_start=date(year, 1, 1),
        half_year_from=date(year, 7, 1),
        newborn_days=90,
        waiting_days=0,
        source="t.toml",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def owed(cover: Coverage) -> tuple[str, str, str]:
    return (cover.share.value, str(cover.personal), str(cover.subsidy))


FULL = ("full", "210.00", "370.00")
HALF = ("half", "105.00", "185.00")


def field_of(**kwargs: object) -> str:
    with pytest.raises(InvalidValue) as caught:
        coverage_for(**kwargs)  # type: ignore[arg-type]
    return caught.value.field


# ------------------------------------------------------------------ newborns (rule 一)


def test_a_newborn_enrolled_on_day_90_is_covered_from_birth() -> None:
    birth = date(2026, 1, 5)
    cover = coverage_for(rules(), reason=R.NEWBORN, birth_date=birth, paid_on=date(2026, 4, 5))
    assert (cover.paid_on - birth).days == 90
    assert (cover.rule, cover.start, cover.end) == (CoverRule.NEWBORN, birth, date(2026, 12, 31))
    assert owed(cover) == FULL
    assert cover.basis == (
        "newborn enrolled 90 days after birth (≤ 90): covered from birth (2026-01-05); "
        "born in the first half: full year 210.00 (t.toml)"
    )


def test_a_newborn_enrolled_on_day_91_is_a_late_enrolee_from_the_month_after_payment() -> None:
    birth = date(2026, 1, 5)
    cover = coverage_for(rules(), reason=R.NEWBORN, birth_date=birth, paid_on=date(2026, 4, 6))
    assert (cover.rule, cover.start) == (CoverRule.LATE_SPECIAL, date(2026, 5, 1))
    assert owed(cover) == FULL  # paid in the first half
    assert cover.start_basis == (
        "newborn enrolled 91 days after birth (> 90), a late enrolment paid 2026-04-06: "
        "covered from the month after payment"
    )


def test_a_late_newborn_is_a_named_group_and_waits_no_waiting_period() -> None:
    cover = coverage_for(
        rules(waiting_days=60),
        reason=R.NEWBORN,
        birth_date=date(2026, 1, 5),
        paid_on=date(2026, 4, 6),
    )
    assert cover.start == date(2026, 5, 1)


def test_born_on_30_june_pays_the_full_year_born_on_1_july_half() -> None:
    june = coverage_for(
        rules(), reason=R.NEWBORN, birth_date=date(2026, 6, 30), paid_on=date(2026, 7, 10)
    )
    july = coverage_for(
        rules(), reason=R.NEWBORN, birth_date=date(2026, 7, 1), paid_on=date(2026, 7, 10)
    )
    assert (june.start, owed(june)) == (date(2026, 6, 30), FULL)
    assert (july.start, owed(july)) == (date(2026, 7, 1), HALF)
    assert july.basis.endswith("born in the second half: half year 105.00 (t.toml)")


def test_a_newborn_paid_on_the_birth_day_is_day_0() -> None:
    day = date(2026, 3, 3)
    cover = coverage_for(rules(), reason=R.NEWBORN, birth_date=day, paid_on=day)
    assert (cover.start, cover.rule) == (day, CoverRule.NEWBORN)
    assert cover.start_basis.startswith("newborn enrolled 0 days after birth")


def test_a_december_birth_may_be_enrolled_for_its_year_in_the_next_january() -> None:
    birth, paid = date(2025, 12, 20), date(2026, 1, 10)
    for_2025 = coverage_for(rules(2025), reason=R.NEWBORN, birth_date=birth, paid_on=paid)
    assert (for_2025.start, for_2025.end, owed(for_2025)) == (birth, date(2025, 12, 31), HALF)
    for_2026 = coverage_for(rules(2026), reason=R.NEWBORN, birth_date=birth, paid_on=paid)
    assert (for_2026.start, for_2026.rule, owed(for_2026)) == (
        date(2026, 1, 1),
        CoverRule.NEWBORN,
        FULL,
    )
    assert "born 2025-12-20 before the 2026 cover" in for_2026.basis


def test_a_newborn_past_90_days_cannot_pay_into_the_next_year() -> None:
    late = date(2025, 12, 20) + timedelta(days=91)
    assert (
        field_of(rules=rules(2025), reason=R.NEWBORN, birth_date=date(2025, 12, 20), paid_on=late)
        == "paid_on"
    )


# ------------------------------------------------------------------ late enrolees (rule 二)


def test_a_late_enrolee_paying_on_30_june_pays_full_on_1_july_half() -> None:
    june = coverage_for(rules(), reason=R.OTHER_LATE, paid_on=date(2026, 6, 30))
    july = coverage_for(rules(), reason=R.OTHER_LATE, paid_on=date(2026, 7, 1))
    assert (june.start, owed(june)) == (date(2026, 7, 1), FULL)
    assert (july.start, owed(july)) == (date(2026, 8, 1), HALF)


def test_cover_starts_on_the_first_of_the_month_after_payment() -> None:
    last = coverage_for(rules(), reason=R.VETERAN, paid_on=date(2026, 3, 31))
    first = coverage_for(rules(), reason=R.VETERAN, paid_on=date(2026, 4, 1))
    assert (last.start, first.start) == (date(2026, 4, 1), date(2026, 5, 1))
    assert last.rule is CoverRule.LATE_SPECIAL


def test_a_late_payment_in_november_starts_cover_on_1_december() -> None:
    cover = coverage_for(rules(), reason=R.GRADUATE, paid_on=date(2026, 11, 30))
    assert (cover.start, cover.end, owed(cover)) == (date(2026, 12, 1), date(2026, 12, 31), HALF)


@pytest.mark.parametrize("reason", SPECIAL)
def test_the_seeds_named_groups_wait_no_waiting_period(reason: EnrolmentReason) -> None:
    cover = coverage_for(rules(waiting_days=90), reason=reason, paid_on=date(2026, 3, 31))
    assert (cover.rule, cover.start) == (CoverRule.LATE_SPECIAL, date(2026, 4, 1))
    assert cover.start_basis == (
        f"late enrolment ({reason.value}) paid 2026-03-31: covered from the month after payment"
    )


@pytest.mark.parametrize("reason", [R.OTHER_LATE, R.REGULAR])
def test_other_late_enrolees_add_the_waiting_period(reason: EnrolmentReason) -> None:
    cover = coverage_for(rules(waiting_days=90), reason=reason, paid_on=date(2026, 3, 31))
    assert (cover.rule, cover.start) == (CoverRule.LATE, date(2026, 6, 30))
    assert cover.start_basis.endswith(
        "covered from the month after payment plus a 90-day waiting period"
    )


def test_a_payment_between_window_and_year_start_is_late_and_covered_from_january() -> None:
    early = rules(window=EnrolmentWindow(date(2025, 9, 1), date(2025, 12, 25)))
    inside = coverage_for(early, reason=R.REGULAR, paid_on=date(2025, 12, 25))
    outside = coverage_for(early, reason=R.REGULAR, paid_on=date(2025, 12, 26))
    assert (inside.rule, inside.start) == (CoverRule.REGULAR, date(2026, 1, 1))
    assert (outside.rule, outside.start, owed(outside)) == (CoverRule.LATE, date(2026, 1, 1), FULL)


def test_a_late_payment_in_december_would_start_cover_after_the_year() -> None:
    assert field_of(rules=rules(), reason=R.VETERAN, paid_on=date(2026, 12, 1)) == "paid_on"
    last = coverage_for(rules(waiting_days=30), reason=R.OTHER_LATE, paid_on=date(2026, 11, 15))
    assert last.start == date(2026, 12, 31)
    assert (
        field_of(rules=rules(waiting_days=31), reason=R.OTHER_LATE, paid_on=date(2026, 11, 15))
        == "paid_on"
    )


# ------------------------------------------------------------------ regular enrolment


def test_a_regular_payment_on_the_windows_last_day_is_covered_from_1_january() -> None:
    cover = coverage_for(rules(), reason=R.REGULAR, paid_on=date(2025, 12, 31))
    assert (cover.rule, cover.start, cover.end) == (
        CoverRule.REGULAR,
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    assert owed(cover) == FULL
    assert cover.basis == (
        "regular enrolment paid 2025-12-31 in the collection period 2025-09-01..2025-12-31: "
        "covered from the regular start (2026-01-01); paid in the collection period: "
        "full year 210.00 (t.toml)"
    )


def test_a_regular_payment_on_the_windows_first_day_counts_too() -> None:
    cover = coverage_for(rules(), reason=R.REGULAR, paid_on=date(2025, 9, 1))
    assert (cover.rule, cover.start) == (CoverRule.REGULAR, date(2026, 1, 1))


def test_a_regular_payment_the_day_after_the_window_is_a_late_enrolment() -> None:
    cover = coverage_for(rules(), reason=R.REGULAR, paid_on=date(2026, 1, 1))
    assert (cover.rule, cover.start, owed(cover)) == (CoverRule.LATE, date(2026, 2, 1), FULL)
    assert cover.start_basis == (
        "regular enrolment paid 2026-01-01 outside the collection period 2025-09-01..2025-12-31, "
        "so a late enrolment: covered from the month after payment"
    )


@pytest.mark.parametrize("reason", [*SPECIAL, R.OTHER_LATE])
def test_any_group_paying_in_the_window_is_a_regular_enrolee(reason: EnrolmentReason) -> None:
    cover = coverage_for(rules(), reason=reason, paid_on=date(2025, 10, 15))
    assert (cover.rule, cover.start, cover.reason) == (CoverRule.REGULAR, date(2026, 1, 1), reason)


def test_regular_cover_never_starts_before_birth() -> None:
    long_window = rules(window=EnrolmentWindow(date(2025, 9, 1), date(2026, 2, 28)))
    cover = coverage_for(
        long_window, reason=R.REGULAR, birth_date=date(2026, 1, 10), paid_on=date(2026, 2, 1)
    )
    assert (cover.start, cover.rule) == (date(2026, 1, 10), CoverRule.REGULAR)
    assert cover.start_basis.endswith("covered from birth")


def test_the_reason_may_be_given_as_its_code() -> None:
    cover = coverage_for(rules(), reason="marriage", paid_on=date(2026, 5, 20))
    assert (cover.reason, cover.start) == (R.MARRIAGE, date(2026, 6, 1))


# ------------------------------------------------------------------ premium arithmetic


def test_half_of_an_odd_fen_rounds_the_personal_share_and_the_subsidy_takes_the_rest() -> None:
    odd = rules(premium=Premium(Decimal("580.00"), Decimal("210.01"), Decimal("369.99")))
    cover = coverage_for(odd, reason=R.VETERAN, paid_on=date(2026, 8, 3))
    assert (cover.share, cover.personal, cover.subsidy) == (
        PremiumShare.HALF,
        Decimal("105.01"),
        Decimal("184.99"),
    )
    assert cover.total == Decimal("290.00")


# ------------------------------------------------------------------ cover on a day, refusals


def test_is_covered_holds_from_start_to_31_december_inclusive() -> None:
    cover = coverage_for(rules(), reason=R.OTHER_LATE, paid_on=date(2026, 7, 15))
    assert not is_covered(cover, date(2026, 7, 31))
    assert is_covered(cover, date(2026, 8, 1))
    assert is_covered(cover, date(2026, 12, 31))
    assert not is_covered(cover, date(2027, 1, 1))


def test_the_refusal_reason_names_the_start_and_the_rule_behind_it() -> None:
    cover = coverage_for(rules(), reason=R.VETERAN, paid_on=date(2026, 7, 15))
    assert refusal_reason(cover, date(2026, 7, 31)) == (
        "not covered before 2026-08-01 "
        "(late enrolment (veteran) paid 2026-07-15: covered from the month after payment)"
    )
    assert refusal_reason(cover, date(2026, 8, 1)) is None
    assert refusal_reason(cover, date(2027, 1, 1)) == (
        "not covered after 2026-12-31 (the 2026 cover ends on 31 December; "
        "enrolment for 2027 is needed)"
    )


# ------------------------------------------------------------------ wrong input


def test_paid_before_birth_names_paid_on() -> None:
    assert (
        field_of(
            rules=rules(), reason=R.NEWBORN, birth_date=date(2026, 3, 2), paid_on=date(2026, 3, 1)
        )
        == "paid_on"
    )


def test_a_newborn_without_a_birth_date_names_birth_date() -> None:
    assert field_of(rules=rules(), reason=R.NEWBORN, paid_on=date(2026, 3, 1)) == "birth_date"


def test_a_birth_after_the_cover_year_names_birth_date() -> None:
    assert (
        field_of(
            rules=rules(), reason=R.NEWBORN, birth_date=date(2027, 1, 1), paid_on=date(2027, 1, 2)
        )
        == "birth_date"
    )


@pytest.mark.parametrize("paid", [date(2025, 8, 31), date(2027, 1, 1)])
def test_a_payment_outside_the_rules_year_names_paid_on(paid: date) -> None:
    with pytest.raises(InvalidValue) as caught:
        coverage_for(rules(), reason=R.REGULAR, paid_on=paid)
    assert caught.value.field == "paid_on" and str(paid) in caught.value.reason


def test_an_unknown_reason_or_a_non_date_names_the_field() -> None:
    assert field_of(rules=rules(), reason="tourist", paid_on=date(2026, 3, 1)) == "reason"
    assert field_of(rules=rules(), reason=R.REGULAR, paid_on="2026-13-01") == "paid_on"


# ------------------------------------------------------------------ the rules themselves


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"region": "99010"}, "region"),
        ({"region": 990100}, "region"),
        ({"regular_start": date(2025, 12, 31)}, "regular_start"),
        ({"half_year_from": date(2026, 1, 1)}, "half_year_from"),
        ({"newborn_days": -1}, "newborn_days"),
        ({"waiting_days": 400}, "waiting_days"),
        ({"window": EnrolmentWindow(date(2025, 12, 1), date(2025, 11, 30))}, "window.last_day"),
        ({"window": EnrolmentWindow(date(2025, 9, 1), date(2027, 1, 1))}, "window.last_day"),
        ({"window": EnrolmentWindow(date(2024, 12, 31), date(2025, 12, 31))}, "window.first_day"),
    ],
)
def test_inconsistent_rules_name_the_key(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        rules(**changes)
    assert caught.value.field == field


def test_the_premium_total_must_be_personal_plus_subsidy() -> None:
    with pytest.raises(InvalidValue) as caught:
        Premium(Decimal("580"), Decimal("210"), Decimal("360"))
    assert caught.value.field == "premium.total"
    assert caught.value.reason == "580.00 is not personal 210.00 + subsidy 360.00 = 570.00"


def test_the_premium_refuses_floats_and_negative_amounts() -> None:
    with pytest.raises(InvalidValue) as caught:
        Premium(580.0, Decimal("210"), Decimal("370"))  # type: ignore[arg-type]
    assert caught.value.field == "premium.total"
    with pytest.raises(InvalidValue) as negative:
        Premium(Decimal("0"), Decimal("-10"), Decimal("10"))
    assert negative.value.field == "premium.personal"
