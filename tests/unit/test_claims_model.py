"""The pure rules of manual reimbursement (ADR 0015): states, documents, liability, deadline, catalogue."""

from __future__ import annotations

from datetime import date

import pytest

from yibao.crossregion.claims_input import parse_claim
from yibao.crossregion.claims_model import (
    TRANSITIONS,
    ClaimConflict,
    ClaimState,
    DocType,
    InjuryCause,
    StepKind,
    catalogue_region,
    clock_after,
    deadline_status,
    filing_type_for,
    next_state,
    required_documents,
    third_party_refusal,
)
from yibao.kernel.errors import InvalidValue
from yibao.registry.remote_model import FilingType

S = ClaimState


def test_every_state_but_the_closed_ones_has_a_way_on() -> None:
    closed = {s for s in ClaimState if not any(before is s for before, _ in TRANSITIONS)}
    assert closed == {S.REFUSED, S.PAID}
    assert next_state(S.IN_REVIEW, StepKind.APPROVED) is S.APPROVED
    with pytest.raises(ClaimConflict) as refused:
        next_state(S.PAID, StepKind.DOCUMENT_ADDED)
    assert refused.value.field == "state" and "nothing: it is closed" in refused.value.reason
    with pytest.raises(ClaimConflict) as early:
        next_state(S.FILED, StepKind.SETTLED)
    assert "it takes document_added, taken" in early.value.reason


@pytest.mark.parametrize(
    ("med_type", "emergency", "filed", "needed"),
    [
        ("21", False, False, ["invoice", "fee_list", "discharge_summary", "filing_proof"]),
        ("21", False, True, ["invoice", "fee_list", "discharge_summary"]),
        ("24", True, False, ["invoice", "fee_list", "discharge_summary"]),
        ("11", False, False, ["invoice", "fee_list", "filing_proof"]),
        ("13", True, False, ["invoice", "fee_list"]),
    ],
)
def test_required_documents(med_type: str, emergency: bool, filed: bool, needed: list[str]) -> None:
    got = required_documents(med_type, emergency=emergency, filing_on_record=filed)
    assert [d.value for d in got] == needed and all(isinstance(d, DocType) for d in got)


def test_third_party_liability_excludes_unless_cleared() -> None:
    assert third_party_refusal(InjuryCause.NONE, cleared=False) is None
    assert third_party_refusal(InjuryCause.TRAFFIC_ACCIDENT, cleared=True) is None
    traffic = third_party_refusal(InjuryCause.TRAFFIC_ACCIDENT, cleared=False)
    work = third_party_refusal(InjuryCause.WORK_INJURY, cleared=False)
    assert traffic is not None and "第三方责任（交通事故）" in traffic and "第三人负担" in traffic
    assert work is not None and "工伤保险基金" in work and "《社会保险法》第三十条" in work


def test_the_deadline_clock() -> None:
    day = date(2026, 4, 1)
    assert clock_after(S.FILED, due_on=None, complete=True, today=day) == (day, date(2026, 5, 1))
    assert clock_after(S.FILED, due_on=None, complete=False, today=day) is None
    assert clock_after(S.IN_REVIEW, due_on=date(2026, 4, 20), complete=True, today=day) is None
    assert clock_after(S.MORE_REQUESTED, due_on=date(2026, 4, 20), complete=True, today=day) == (
        None,
        None,
    )
    due = date(2026, 5, 1)
    assert deadline_status(S.IN_REVIEW, due, date(2026, 5, 2)) == "overdue"
    assert deadline_status(S.APPROVED, due, date(2026, 4, 26)) == "due_soon"
    assert deadline_status(S.FILED, due, date(2026, 4, 25)) == "on_time"
    assert deadline_status(S.SETTLED, due, date(2026, 6, 1), closed_on=date(2026, 5, 1)) == "met"
    assert deadline_status(S.REFUSED, due, date(2026, 6, 1), closed_on=date(2026, 5, 2)) == "missed"
    assert deadline_status(S.MORE_REQUESTED, None, date(2026, 6, 1)) == "none"


def test_whose_catalogue() -> None:
    regions = {"990100", "980100"}
    assert catalogue_region(care_admdvs="980100", insuplc_admdvs="990100", reason="network",
                            regions=regions)[0] == "980100"  # fmt: skip
    for reason in ("not_enabled", "no_filing", None):
        region, why = catalogue_region(care_admdvs="980100", insuplc_admdvs="990100", reason=reason,
                                       regions=regions)  # fmt: skip
        assert region == "990100" and "第14条" in why
    assert catalogue_region(care_admdvs="440300", insuplc_admdvs="990100", reason="network",
                            regions=regions)[0] == "990100"  # fmt: skip


def test_filing_type() -> None:
    assert filing_type_for(FilingType.REFERRAL, emergency=True) is FilingType.REFERRAL
    assert filing_type_for(None, emergency=True) is FilingType.EMERGENCY
    assert filing_type_for(None, emergency=False) is FilingType.OTHER_TEMPORARY


def test_parsing_names_the_field() -> None:
    good = {"psn_no": "P1", "insutype": "310", "diagnoses": [{"diag_code": "K35", "diag_name": "阑尾炎"}],
            "lines": [{"code": "X", "name": "n", "cnt": "3", "pric": "0.333333", "amount": "1.00"}]}  # fmt: skip
    draft = parse_claim(good)
    assert str(draft.medfee_sumamt) == "1.00" and draft.injury_cause is InjuryCause.NONE
    for change, field in (({"lines": "x"}, "lines"), ({"diagnoses": [7]}, "diagnoses[0]"),
                          ({"memo": 5}, "memo"), ({"lines": [{"code": "X"}]}, "lines[0].cnt")):  # fmt: skip
        with pytest.raises(InvalidValue) as refused:
            parse_claim({**good, **change})
        assert refused.value.field == field
    with pytest.raises(InvalidValue) as not_an_object:
        parse_claim(["not", "a", "claim"])
    assert not_an_object.value.field == "body"
