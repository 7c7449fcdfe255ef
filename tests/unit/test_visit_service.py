"""settlement.formats and settlement.service: visit documents checked and replayed call by call."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from yibao.bootstrap import bootstrap
from yibao.demo.visits import demo_visit_files
from yibao.kernel.errors import InvalidValue, RejectedFile, SettlementRefused
from yibao.settlement.formats import load_visit_file, parse_visit_document
from yibao.settlement.service import VisitReplay, replay_visit

SERVICES = bootstrap()
FILES = {path.stem: path for path in demo_visit_files()}


def doc(stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FILES[stem].read_text(encoding="utf-8"), parse_float=Decimal)
    return data


def replay(raw: dict[str, Any]) -> VisitReplay:
    return replay_visit(
        document=parse_visit_document(raw, source="visit.json"),
        policies=SERVICES.policies,
        catalogs=SERVICES.catalog.catalogs,
        institutions=SERVICES.catalog.institutions,
    )


def stay() -> dict[str, Any]:
    """Demo visit 05 (a long stay) with its first five calls: upload, mid-stay, upload, discharge, final."""
    raw = doc("05-mid-stay-refund-reversal")
    raw["transactions"] = raw["transactions"][:5]
    return raw


def refund(raw: dict[str, Any], **change: str) -> dict[str, Any]:
    line = raw["transactions"][2]["feedetail"][1]
    line.update(change)
    return raw


def test_a_refund_must_carry_its_originals_price() -> None:
    raw = refund(stay(), pric="850.00", det_item_fee_sumamt="-8500.00")
    with pytest.raises(
        InvalidValue, match=r"feedetail\.1\.pric: a refund must carry its original's price 85"
    ):
        replay(raw)


def test_a_full_refund_must_return_exactly_what_is_left() -> None:
    raw = stay()
    raw["transactions"][2]["feedetail"][0].update(cnt="3", pric="0.335", det_item_fee_sumamt="1.01")
    backs = [
        dict(
            raw["transactions"][2]["feedetail"][1],
            feedetl_sn=f"r{i}",
            cnt="-1",
            pric="0.335",
            det_item_fee_sumamt="-0.34",
        )
        for i in range(3)
    ]
    raw["transactions"][2]["feedetail"][1:] = backs
    with pytest.raises(
        InvalidValue, match=r"feedetail\.3\.det_item_fee_sumamt: refunds must return exactly"
    ):
        replay(raw)


def test_counters_cannot_be_negative_or_fractional_admissions() -> None:
    raw = doc("01-employee-inpatient")
    raw["year_state"]["accumulators"] = {"admissions": "-1"}
    with pytest.raises(RejectedFile, match="greater than or equal to 0"):
        replay(raw)
    raw["year_state"]["accumulators"] = {"admissions": "1.5"}
    with pytest.raises(RejectedFile, match="a whole number"):
        replay(raw)


def test_discharge_before_admission_is_refused() -> None:
    raw = doc("01-employee-inpatient")
    raw["mdtrtinfo"]["endtime"] = "2026-03-01 09:00:00"
    with pytest.raises(RejectedFile, match="discharge is before admission"):
        replay(raw)


def test_a_final_settlement_after_a_mid_stay_reports_its_own_part() -> None:
    raw = stay()
    result = replay(raw)
    mid, final = result.steps[1].settlement, result.steps[4].settlement
    assert mid is not None and final is not None
    pool_mid, pool_final = mid.funds[0], final.funds[0]
    assert pool_final.crt_payb_lmt_amt == pool_mid.crt_payb_lmt_amt - pool_mid.fund_payamt
    raw["transactions"][4]["data"]["medfee_sumamt"] = str(final.amounts.medfee_sumamt)
    assert replay(raw).steps[4].settlement == final
    raw["transactions"][4]["data"]["medfee_sumamt"] = str(final.visit_amounts.medfee_sumamt)
    with pytest.raises(InvalidValue, match="the uploaded lines not yet settled"):
        replay(raw)


def test_a_year_end_mid_stay_uses_its_own_day_and_a_new_year_part_is_refused_clearly() -> None:
    raw = stay()
    raw["mdtrtinfo"]["begntime"] = "2025-12-20 08:00:00"
    for call in raw["transactions"]:
        for line in call.get("feedetail", []):
            line["fee_ocur_time"] = "2025-12-21 10:00:00"
    raw["transactions"][1]["inf_time"] = "2025-12-31 17:00:00"
    raw["transactions"] = raw["transactions"][:2]
    raw["year_state"]["year"] = 2025
    mid = replay(raw).steps[1].settlement
    assert mid is not None and mid.policy_version == "2025"
    raw = stay()
    raw["mdtrtinfo"]["begntime"] = "2025-12-20 08:00:00"
    raw["transactions"][1]["inf_time"] = "2025-12-31 17:00:00"
    raw["year_state"]["year"] = 2026
    with pytest.raises(
        SettlementRefused,
        match=r"year_state\.year: 2026 is not the year of the settlement day 2025-12-31",
    ):
        replay(raw)


def test_an_outpatient_visit_cannot_be_settled_mid_stay() -> None:
    raw = doc("03-retiree-outpatient")
    raw["data"]["mid_setl_flag"] = "1"
    with pytest.raises(
        SettlementRefused, match="mid_setl_flag: a mid-stay settlement is for stays"
    ):
        replay(raw)


def test_an_unknown_filing_type_is_refused_not_settled_as_local() -> None:
    raw = doc("01-employee-inpatient")
    raw["filing_type"] = "referal"
    with pytest.raises(SettlementRefused, match="filing_type: 'referal' is not a filing type"):
        replay(raw)
    raw["filing_type"] = "referral"
    settled = replay(raw).steps[-1].settlement
    assert settled is not None and settled.pool_prop_selfpay == Decimal("0.7500")  # 85% − 10 points


@pytest.mark.parametrize(
    "text",
    ['{"year_state": ' + "9" * 5000 + "}", "[" * 200_000 + "]" * 200_000],
    ids=["huge number", "deep nesting"],
)
def test_unusable_json_is_a_problem_not_a_crash(tmp_path: Path, text: str) -> None:
    path = tmp_path / "visit.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RejectedFile, match="not a usable JSON document"):
        load_visit_file(path)


def test_replaying_twice_gives_the_same_settlements() -> None:
    first, second = replay(copy.deepcopy(stay())), replay(copy.deepcopy(stay()))
    assert first == second
