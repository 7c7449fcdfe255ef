"""异地就医备案 as values: types, care areas, validity, and the checks of a new filing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from yibao.kernel.codes import PayLoc
from yibao.kernel.errors import InvalidValue
from yibao.registry.remote_model import (
    TEMPORARY_DAYS,
    FilingType,
    RemoteFiling,
    area_covers,
    areas_meet,
    check_remote_filing,
)
from yibao.settlement.model import pay_loc_of


def test_three_long_term_and_three_temporary_types() -> None:
    assert [t.value for t in FilingType if t.long_term] == [
        "retiree_resettled", "long_term_residence", "posted_worker"]  # fmt: skip
    assert [t.label for t in FilingType if not t.long_term] == [
        "异地转诊", "异地急诊抢救", "其他临时外出就医"]  # fmt: skip


@pytest.mark.parametrize(
    ("area", "region", "covered"),
    [("980000", "980100", True), ("980000", "990100", False), ("980100", "980100", True),
     ("980100", "980200", False), ("980100", "980102", True), ("980102", "980100", False)],
)  # fmt: skip
def test_a_province_or_city_area_holds_its_regions(area: str, region: str, covered: bool) -> None:
    assert area_covers(area, region) is covered


def test_areas_meet_when_one_holds_the_other() -> None:
    assert areas_meet("980000", "980100") and areas_meet("980100", "980000")
    assert not areas_meet("980100", "990100")


def test_pay_loc_tells_local_in_province_and_cross_province() -> None:
    assert pay_loc_of("990100", "990100") is PayLoc.LOCAL
    assert pay_loc_of("990200", "990100") is PayLoc.IN_PROVINCE
    assert pay_loc_of("980100", "990100") is PayLoc.CROSS_PROVINCE


def _filing(**change: object) -> RemoteFiling:
    values: dict[str, object] = dict(
        filing_id="F1", psn_no="P1", insuplc_admdvs="990100", mdtrtarea_admdvs="980000",
        filing_type=FilingType.REFERRAL, begndate=date(2026, 3, 1), enddate=date(2026, 3, 31),
        filed_by="person", operator="portal", filed_at=datetime(2026, 2, 28, 9, 0))  # fmt: skip
    values.update(change)
    return RemoteFiling(**values)  # type: ignore[arg-type]


def test_validity_is_inclusive_and_ends_the_day_before_a_withdrawal() -> None:
    filing = _filing()
    assert not filing.valid_on(date(2026, 2, 28))
    assert filing.valid_on(date(2026, 3, 1)) and filing.valid_on(date(2026, 3, 31))
    assert not filing.valid_on(date(2026, 4, 1))
    withdrawn = _filing(withdrawn_at=datetime(2026, 3, 10, 15, 0))
    assert withdrawn.valid_on(date(2026, 3, 9)) and not withdrawn.valid_on(date(2026, 3, 10))
    assert withdrawn.last_day == date(2026, 3, 9)
    assert filing.covers("980100", date(2026, 3, 5)) and not filing.covers(
        "990200", date(2026, 3, 5)
    )


def _check(**change: object) -> FilingType:
    values: dict[str, object] = dict(filing_type="referral", insuplc_admdvs="990100",
                                     mdtrtarea_admdvs="980100", begndate=date(2026, 3, 1),
                                     enddate=date(2026, 3, 31))  # fmt: skip
    values.update(change)
    return check_remote_filing(**values)  # type: ignore[arg-type]


def test_a_good_filing_gives_its_type() -> None:
    assert _check() is FilingType.REFERRAL
    assert _check(filing_type="retiree_resettled", enddate=None) is FilingType.RETIREE_RESETTLED


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"filing_type": "holiday"}, "filing_type", "'holiday' is not a filing type"),
        ({"enddate": date(2026, 2, 1)}, "enddate", "2026-02-01 is before begndate 2026-03-01"),
        ({"enddate": None}, "enddate", "required: a 异地转诊 filing is temporary"),
        ({"enddate": date(2026, 12, 31)}, "enddate", f"lasts at most {TEMPORARY_DAYS} days"),
        ({"mdtrtarea_admdvs": "990000"}, "mdtrtarea_admdvs", "holds the insuring region 990100"),
        ({"mdtrtarea_admdvs": "98010"}, "mdtrtarea_admdvs", "not a six-digit region code"),
    ],
)
def test_a_bad_filing_names_the_field(change: dict[str, object], field: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        _check(**change)
    assert caught.value.field == field
    assert reason in caught.value.reason
