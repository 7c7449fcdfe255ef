"""The review queue's pure rules: transitions, decisions and their amounts, the period, the sample."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest

from yibao.audit.model import Grade, Moment
from yibao.audit.review_model import (
    INPATIENT_MED_TYPES,
    MIN_SHARE,
    TRANSITIONS,
    CaseState,
    Outcome,
    Period,
    ReviewConflict,
    StepKind,
    check_share,
    decide,
    draw_sample,
    evidence_refs,
    next_state,
    opens_case,
    rank_key,
    sample_size,
)
from yibao.kernel.errors import ConflictError, InvalidValue

D = Decimal


@pytest.mark.parametrize(
    ("before", "step", "after"),
    [
        (None, StepKind.OPENED, CaseState.OPEN),
        (CaseState.OPEN, StepKind.FINDINGS_ADDED, CaseState.OPEN),
        (CaseState.OPEN, StepKind.ANSWERED, CaseState.ANSWERED),
        (CaseState.ANSWERED, StepKind.ANSWERED, CaseState.ANSWERED),
        (CaseState.OPEN, StepKind.DECIDED, CaseState.CLOSED),
        (CaseState.ANSWERED, StepKind.DECIDED, CaseState.CLOSED),
    ],
)
def test_every_allowed_transition(
    before: CaseState | None, step: StepKind, after: CaseState
) -> None:
    assert next_state(before, step) is after


def test_the_table_lists_exactly_the_allowed_transitions() -> None:
    assert len(TRANSITIONS) == 6


@pytest.mark.parametrize("step", list(StepKind))
def test_a_closed_case_takes_no_step(step: StepKind) -> None:
    with pytest.raises(ReviewConflict) as caught:
        next_state(CaseState.CLOSED, step)
    assert caught.value.field == "state" and "closed" in caught.value.reason
    assert isinstance(caught.value, ConflictError) and caught.value.code == "YB5002"


@pytest.mark.parametrize(
    ("before", "step"),
    [
        (CaseState.ANSWERED, StepKind.FINDINGS_ADDED),
        (CaseState.OPEN, StepKind.OPENED),
        (None, StepKind.ANSWERED),
        (None, StepKind.DECIDED),
    ],
)
def test_other_steps_are_refused_naming_the_state(before: CaseState | None, step: StepKind) -> None:
    with pytest.raises(ReviewConflict, match=r"^\[YB5002\] state: "):
        next_state(before, step)


def test_only_suspicious_findings_at_or_after_settlement_open_cases() -> None:
    assert opens_case(Grade.SUSPICIOUS, Moment.DURING)
    assert opens_case(Grade.SUSPICIOUS, Moment.AFTER)
    assert not opens_case(Grade.SUSPICIOUS, Moment.BEFORE)
    assert not opens_case(Grade.VIOLATION, Moment.AFTER)
    assert not opens_case(Grade.REMINDER, Moment.DURING)


def test_uphold_upholds_the_amount_at_issue() -> None:
    done = decide("uphold", at_issue=D("2423.00"), amount_upheld=None, reason=" 无检验依据 ")
    assert done.outcome is Outcome.UPHOLD
    assert done.amount_upheld == D("2423.00") and done.reason == "无检验依据"
    same = decide("uphold", at_issue=D("2423.00"), amount_upheld=D("2423"), reason="r")
    assert same.amount_upheld == D("2423.00")


def test_dismiss_upholds_nothing() -> None:
    done = decide("dismiss", at_issue=D("2423.00"), amount_upheld=None, reason="检验值支持")
    assert done.outcome is Outcome.DISMISS and str(done.amount_upheld) == "0.00"


def test_partly_upheld_amount_is_kept_to_the_fen() -> None:
    done = decide("partly_uphold", at_issue=D("100.00"), amount_upheld=D("99.99"), reason="r")
    assert done.amount_upheld == D("99.99") and str(done.amount_upheld) == "99.99"
    low = decide("partly_uphold", at_issue=D("100.00"), amount_upheld=D("0.01"), reason="r")
    assert str(low.amount_upheld) == "0.01"
    whole = decide("partly_uphold", at_issue=D("100.00"), amount_upheld=D("3"), reason="r")
    assert str(whole.amount_upheld) == "3.00"


@pytest.mark.parametrize(
    ("outcome", "amount", "reason_part"),
    [
        ("partly_uphold", None, "missing"),
        ("partly_uphold", D("0"), "more than 0"),
        ("partly_uphold", D("100.00"), "less than the amount at issue 100.00"),
        ("partly_uphold", D("100.01"), "less than the amount at issue"),
        ("partly_uphold", D("50.005"), "more than 2 decimal places"),
        ("partly_uphold", D("-1"), "negative"),
        ("uphold", D("99"), "use partly_uphold"),
        ("dismiss", D("1"), "upholds nothing"),
    ],
)
def test_bad_amounts_are_refused_naming_amount_upheld(
    outcome: str, amount: Decimal | None, reason_part: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        decide(outcome, at_issue=D("100.00"), amount_upheld=amount, reason="r")
    assert caught.value.field == "amount_upheld" and reason_part in caught.value.reason


def test_partly_upholding_a_single_fen_is_impossible() -> None:
    with pytest.raises(InvalidValue, match="amount_upheld"):
        decide("partly_uphold", at_issue=D("0.01"), amount_upheld=D("0.01"), reason="r")


def test_a_float_amount_is_refused() -> None:
    with pytest.raises(InvalidValue, match="float"):
        decide("partly_uphold", at_issue=D("100.00"), amount_upheld=0.5, reason="r")  # type: ignore[arg-type]


def test_unknown_outcome_and_blank_reason_are_named() -> None:
    with pytest.raises(InvalidValue) as caught:
        decide("reverse", at_issue=D("1.00"), amount_upheld=None, reason="r")
    assert (
        caught.value.field == "outcome" and "uphold, partly_uphold, dismiss" in caught.value.reason
    )
    with pytest.raises(InvalidValue) as blank:
        decide("dismiss", at_issue=D("1.00"), amount_upheld=None, reason="  ")
    assert blank.value.field == "reason" and blank.value.reason == "empty"


def test_evidence_references_are_checked_one_by_one() -> None:
    assert evidence_refs([" 病程记录 p.3 ", "检验报告 2026-05-03"]) == (
        "病程记录 p.3",
        "检验报告 2026-05-03",
    )
    with pytest.raises(InvalidValue) as caught:
        evidence_refs(["ok", ""])
    assert caught.value.field == "evidence[1]"
    with pytest.raises(InvalidValue, match="at most 50"):
        evidence_refs([f"ref {i}" for i in range(51)])


def test_periods_parse_and_bound_a_month() -> None:
    may = Period.parse("2026-05")
    assert (may.first_day, may.next_first_day, str(may)) == (
        date(2026, 5, 1),
        date(2026, 6, 1),
        "2026-05",
    )
    assert Period.parse("2026-12").next_first_day == date(2027, 1, 1)
    assert Period.of(date(2026, 2, 28)) == Period(2026, 2)
    for bad in ("2026-13", "2026-5", "202605", "2026-05-01", "２０２６-05", ""):
        with pytest.raises(InvalidValue, match="period"):
            Period.parse(bad)


@pytest.mark.parametrize(
    ("population", "size"),
    [(0, 0), (1, 1), (5, 1), (9, 1), (10, 1), (11, 2), (19, 2), (20, 2), (21, 3), (100, 10)],
)
def test_the_sample_is_ten_percent_rounded_up_and_at_least_one(population: int, size: int) -> None:
    assert sample_size(population) == size
    assert size == 0 or size * 10 >= population


def test_a_larger_share_draws_more() -> None:
    assert sample_size(30, D("0.25")) == 8
    assert sample_size(30, D("1")) == 30


def test_the_share_is_never_below_the_national_minimum() -> None:
    assert check_share("0.10") == MIN_SHARE
    assert check_share(D("0.15")) == D("0.15")
    with pytest.raises(InvalidValue) as caught:
        check_share("0.05")
    assert caught.value.field == "share" and "national minimum" in caught.value.reason
    with pytest.raises(InvalidValue, match="share"):
        check_share("1.5")


def test_the_draw_is_deterministic_and_depends_on_the_seed() -> None:
    visits = [f"V{i:04d}" for i in range(57)]
    first = draw_sample(visits, seed="2026-05", share=MIN_SHARE)
    assert len(first) == 6  # ceil(5.7)
    assert draw_sample(reversed(visits), seed="2026-05", share=MIN_SHARE) == first
    assert draw_sample(visits + visits[:3], seed="2026-05", share=MIN_SHARE) == first
    assert set(first) <= set(visits)
    others = {draw_sample(visits, seed=f"seed-{n}", share=MIN_SHARE) for n in range(5)}
    assert len(others) > 1
    ranked = sorted(visits, key=lambda v: rank_key(v, "2026-05"))
    assert first == tuple(ranked[:6])


def test_the_rank_is_sha256_of_seed_and_visit() -> None:
    # fixed here so that a change of the draw (which would change every past sample) fails a test
    assert rank_key("V0001", "s") == hashlib.sha256(b"s\x1fV0001").hexdigest()


def test_an_empty_seed_is_refused() -> None:
    with pytest.raises(InvalidValue, match="seed"):
        draw_sample(["V1"], seed=" ", share=MIN_SHARE)


def test_inpatient_care_types() -> None:
    assert {"21", "22", "23", "24", "28", "52"} <= INPATIENT_MED_TYPES
    assert not {"11", "13", "14", "41"} & INPATIENT_MED_TYPES
