"""异地就医 through the gateway: direct settlement under "就医地目录、参保地政策", each filing type,
the special cases of 医保发〔2022〕22号, and the filing API."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.gateway.support import envelope, headers, post
from tests.gateway.test_settlement_calls import NOW, assert_identities, line
from yibao.gateway.pipeline import Gateway
from yibao.registry.remote_filings import file_remote
from yibao.registry.tables import accounts, enrolments
from yibao.settlement import codec
from yibao.settlement.model import Settlement
from yibao.settlement.tables import region_receivables, settlements
from yibao.store.engine import write_transaction

D = Decimal
TODAY = date.today()
CROSS = "H98010000001"  # 邻省市第一人民医院, 980100, enabled
CROSS_OFF = "H98010000003"  # 邻省市第二人民医院, 980100, not enabled
IN_PROVINCE = "H99020000001"  # 示范二市人民医院, 990200, enabled
REGION = {CROSS: "980100", CROSS_OFF: "980100", IN_PROVINCE: "990200"}
LOCAL_ITEM_980 = "L98010000001"  # 远程会诊: 甲类 in 980100 only
ONLY_AT_HOME = "XG04BET001A001010102313"  # 他达拉非片: 甲类 in 990100 and 990200, not in 980100
DRUG_B20 = "XB05BAF150B002010100269"  # 乙类 0.20 at home, 甲类 in 980100 and 990200


def call(client: TestClient, code: str, infno: str, input_: dict[str, Any]) -> dict[str, Any]:
    body = envelope(infno, input_, code=code, mdtrtarea_admvs=REGION[code])
    answer: dict[str, Any] = post(client, body, headers(code)).json()
    return answer


def ok(client: TestClient, code: str, infno: str, input_: dict[str, Any]) -> dict[str, Any]:
    answer = call(client, code, infno, input_)
    assert answer["infcode"] == 0, f"{infno}: {answer['err_msg']}"
    output: dict[str, Any] = answer["output"]
    return output


def visit(
    client: TestClient, code: str, psn_no: str, lines: list[tuple[str, str, str]],
    med_type: str = "11",
) -> tuple[str, list[dict[str, Any]]]:  # fmt: skip
    """An outpatient visit at ``code`` with ``lines``; its id and the 2204 split."""
    mdtrt_id = ok(client, code, "2201", {"data": {
        "psn_no": psn_no, "insutype": "310", "begntime": NOW, "mdtrt_cert_type": "02",
        "mdtrt_cert_no": "x", "ipt_otp_no": "OP1", "atddr_no": "DR1", "dr_name": "医生",
        "dept_code": "D01", "dept_name": "内科", "caty": "A03"}})["data"]["mdtrt_id"]  # fmt: skip
    ok(client, code, "2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no,
                                            "med_type": med_type, "begntime": NOW},
                              "diseinfo": [{"diag_type": "1", "diag_srt_no": "1",
                                            "diag_code": "J06.900", "diag_name": "急性上呼吸道感染",
                                            "diag_dept": "内科", "dise_dor_no": "DR1",
                                            "dise_dor_name": "医生", "diag_time": NOW,
                                            "vali_flag": "1"}]})  # fmt: skip
    feedetail = [line(str(i), mdtrt_id, psn_no, *spec, med_type=med_type)
                 for i, spec in enumerate(lines, 1)]  # fmt: skip
    return mdtrt_id, ok(client, code, "2204", {"feedetail": feedetail})["result"]


def settle(
    client: TestClient, code: str, mdtrt_id: str, psn_no: str, medfee: str, infno: str = "2207",
    med_type: str = "11",
) -> dict[str, Any]:  # fmt: skip
    data = {"psn_no": psn_no, "mdtrt_id": mdtrt_id, "insutype": "310", "mdtrt_cert_type": "02",
            "mdtrt_cert_no": "x", "med_type": med_type, "psn_setlway": "01", "chrg_bchno": "B1",
            "acct_used_flag": "0", "mid_setl_flag": "0", "medfee_sumamt": medfee}  # fmt: skip
    return call(client, code, infno, {"data": data})


def file(gateway: Gateway, psn_no: str, kind: str, area: str = "980100", **days: date) -> str:
    long_term = kind in {"retiree_resettled", "long_term_residence", "posted_worker"}
    begin = days.get("begin", TODAY - timedelta(days=1))
    end = days.get("end", None if long_term else TODAY + timedelta(days=30))
    with write_transaction(gateway.engine) as connection:
        return file_remote(connection, psn_no=psn_no, mdtrtarea_admdvs=area, filing_type=kind,
                           begndate=begin, enddate=end, filed_by="agency", operator="窗口01",
                           now=datetime.now(), regions=("990100", "990200", "980100")).filing_id  # fmt: skip


_USED: set[str] = set()


def fresh_person(gateway: Gateway) -> str:
    with gateway.engine.connect() as connection:
        rows = connection.execute(
            select(accounts.c.psn_no)
            .join(enrolments, enrolments.c.psn_no == accounts.c.psn_no)
            .where(enrolments.c.psn_type == "1101", enrolments.c.insuplc_admdvs == "990100")
            .order_by(accounts.c.psn_no)
        ).scalars()
        for psn_no in rows:
            if psn_no not in _USED:
                _USED.add(psn_no)
                return str(psn_no)
    raise AssertionError("no unused employee left")


def test_the_care_regions_catalogue_splits_and_the_home_policy_pays(
    gateway: Gateway, client: TestClient
) -> None:
    psn_no = fresh_person(gateway)
    file(gateway, psn_no, "referral")
    mdtrt_id, split = visit(client, CROSS, psn_no, [(LOCAL_ITEM_980, "100.00", "1"),
                                                     (ONLY_AT_HOME, "20.00", "2"),
                                                     (DRUG_B20, "30.00", "1")])  # fmt: skip
    by_sn = {row["feedetl_sn"]: row for row in split}
    # in 980100's catalogue but not 990100's: paid; the reverse: not paid (全自费)
    assert (by_sn["1"]["fulamt_ownpay_amt"], by_sn["1"]["inscp_scp_amt"]) == ("0.00", "100.00")
    assert (by_sn["2"]["fulamt_ownpay_amt"], by_sn["2"]["inscp_scp_amt"]) == ("40.00", "0.00")
    # 乙类 0.20 at home, 甲类 where care happens: no 先行自付
    assert (by_sn["3"]["preselfpay_amt"], by_sn["3"]["inscp_scp_amt"]) == ("0.00", "30.00")
    answer = settle(client, CROSS, mdtrt_id, psn_no, "170.00")
    assert answer["infcode"] == 0, answer["err_msg"]
    out = answer["output"]
    setlinfo = out["setlinfo"]
    assert setlinfo["pay_loc"] == "3" and setlinfo["medfee_sumamt"] == "170.00"
    assert_identities(setlinfo, out["setldetail"])
    kept = stored(gateway, setlinfo["setl_id"])
    assert (kept.visit.filing_type, kept.policy_region) == ("referral", "990100")
    steps = {t.step: t.text for t in kept.trace}
    assert steps["place_of_care"].startswith("异地就医（跨省异地，异地转诊）：就医地 980100 的目录")
    with gateway.engine.connect() as connection:
        owed = connection.execute(
            select(region_receivables).where(region_receivables.c.mdtrt_id == mdtrt_id)
        ).one()
    assert (owed.care_admdvs, owed.insu_admdvs, owed.pay_loc) == ("980100", "990100", "3")
    assert owed.amount == D(setlinfo["fund_pay_sumamt"]) + D(setlinfo["acct_pay"])


def stored(gateway: Gateway, setl_id: str) -> Settlement:
    """The settlement as kept, with its trace and the filing type it settled under."""
    with gateway.engine.connect() as connection:
        document = connection.execute(
            select(settlements.c.document).where(settlements.c.setl_id == setl_id)
        ).scalar_one()
    return codec.decode(json.loads(document))


def _pool_ratio_drop(settled: Settlement) -> str | None:
    step = next((t for t in settled.trace if t.step == "out_of_area"), None)
    return None if step is None else str(step.amount)


@pytest.mark.parametrize(
    ("kind", "drop"),
    [("retiree_resettled", None), ("long_term_residence", None), ("posted_worker", None),
     ("referral", "0.10"), ("emergency", "0.10"), ("other_temporary", "0.20")],
)  # fmt: skip
def test_each_filing_type_lowers_the_home_ratio_by_its_points(
    gateway: Gateway, client: TestClient, kind: str, drop: str | None
) -> None:
    psn_no = fresh_person(gateway)
    file(gateway, psn_no, kind)
    mdtrt_id, _ = visit(client, CROSS, psn_no, [(LOCAL_ITEM_980, "100.00", "40")])
    answer = settle(client, CROSS, mdtrt_id, psn_no, "4000.00")
    assert answer["infcode"] == 0, answer["err_msg"]
    settled = stored(gateway, answer["output"]["setlinfo"]["setl_id"])
    assert settled.visit.filing_type == kind
    assert _pool_ratio_drop(settled) == drop
    assert_identities(answer["output"]["setlinfo"], answer["output"]["setldetail"])


def test_without_a_filing_direct_settlement_is_refused_until_one_is_filed(
    gateway: Gateway, client: TestClient
) -> None:
    psn_no = fresh_person(gateway)
    mdtrt_id, _ = visit(client, CROSS, psn_no, [(LOCAL_ITEM_980, "100.00", "1")])
    refused = settle(client, CROSS, mdtrt_id, psn_no, "100.00")
    assert refused["infcode"] == -1
    assert refused["err_msg"].startswith(
        f"[YB4001] psn_no: person {psn_no} (insured in 990100) has no out-of-area filing"
    )
    # filed during the visit (today), before settlement: settles directly (第16条)
    file(gateway, psn_no, "other_temporary", begin=TODAY)
    answer = settle(client, CROSS, mdtrt_id, psn_no, "100.00")
    assert answer["infcode"] == 0, answer["err_msg"]
    assert stored(gateway, answer["output"]["setlinfo"]["setl_id"]).visit.filing_type == (
        "other_temporary"
    )


def test_emergency_care_counts_as_filed(gateway: Gateway, client: TestClient) -> None:
    psn_no = fresh_person(gateway)
    mdtrt_id, _ = visit(client, CROSS, psn_no, [(LOCAL_ITEM_980, "100.00", "1")], med_type="13")
    answer = settle(client, CROSS, mdtrt_id, psn_no, "100.00", med_type="13")
    assert answer["infcode"] == 0, answer["err_msg"]
    assert stored(gateway, answer["output"]["setlinfo"]["setl_id"]).visit.filing_type == "emergency"


def test_an_institution_not_enabled_refuses_and_sends_the_person_home(
    gateway: Gateway, client: TestClient
) -> None:
    psn_no = fresh_person(gateway)
    file(gateway, psn_no, "referral")
    mdtrt_id, _ = visit(client, CROSS_OFF, psn_no, [(LOCAL_ITEM_980, "100.00", "1")])
    refused = settle(client, CROSS_OFF, mdtrt_id, psn_no, "100.00")
    assert refused["err_msg"].startswith(
        f"[YB4001] fixmedins_code: {CROSS_OFF} is not enabled for cross-region direct settlement"
    )


def test_in_province_care_is_pay_loc_2_and_a_filing_of_another_area_does_not_count(
    gateway: Gateway, client: TestClient
) -> None:
    psn_no = fresh_person(gateway)
    file(gateway, psn_no, "posted_worker", area="980000")  # the other province only
    mdtrt_id, _ = visit(client, IN_PROVINCE, psn_no, [(ONLY_AT_HOME, "20.00", "1")])
    assert settle(client, IN_PROVINCE, mdtrt_id, psn_no, "20.00")["infcode"] == -1
    file(gateway, psn_no, "long_term_residence", area="990200")
    answer = settle(client, IN_PROVINCE, mdtrt_id, psn_no, "20.00")
    assert answer["infcode"] == 0, answer["err_msg"]
    assert answer["output"]["setlinfo"]["pay_loc"] == "2"


def test_the_envelope_must_name_the_institutions_region_and_the_persons(
    gateway: Gateway, client: TestClient
) -> None:
    psn_no = fresh_person(gateway)
    data = {"data": {"psn_no": psn_no, "insutype": "310", "begntime": NOW, "mdtrt_cert_type": "02",
                     "mdtrt_cert_no": "x", "ipt_otp_no": "OP1", "atddr_no": "DR1",
                     "dr_name": "医生", "dept_code": "D01", "dept_name": "内科", "caty": "A03"}}  # fmt: skip
    wrong_area = post(client, envelope("2201", data, code=CROSS), headers(CROSS)).json()
    assert wrong_area["err_msg"] == (
        f"[YB1001] mdtrtarea_admvs: 990100 is not the region of institution {CROSS} (980100)"
    )
    wrong_home = post(client, envelope("2201", data, code=CROSS, mdtrtarea_admvs="980100",
                                       insuplc_admdvs="980100"), headers(CROSS)).json()  # fmt: skip
    assert wrong_home["err_msg"] == (
        f"[YB4001] insuplc_admdvs: 980100 is not the insuring region of person {psn_no} (990100)"
    )


def test_the_filing_api_files_renews_withdraws_and_refuses_bad_input(
    gateway: Gateway, client: TestClient
) -> None:
    psn_no = fresh_person(gateway)
    body = {"psn_no": psn_no, "mdtrtarea_admdvs": "980000", "filing_type": "referral",
            "begndate": str(TODAY), "enddate": str(TODAY + timedelta(days=29)),
            "operator": "portal"}  # fmt: skip
    made = client.post("/api/remote-filings", json=body)
    assert made.status_code == 201, made.text
    filing = made.json()["filing"]
    assert (filing["filed_by"], filing["insuplc_admdvs"], filing["long_term"]) == (
        "person", "990100", False)  # fmt: skip
    clash = client.post("/api/remote-filings", json={**body, "mdtrtarea_admdvs": "980100"})
    assert clash.status_code == 409 and clash.json()["error"]["field"] == "begndate"
    for change, field in [({"enddate": str(TODAY - timedelta(days=1))}, "enddate"),
                          ({"mdtrtarea_admdvs": "970100"}, "mdtrtarea_admdvs"),
                          ({"filing_type": "holiday"}, "filing_type"),
                          ({"begndate": "2026-02-30"}, "begndate")]:  # fmt: skip
        refused = client.post("/api/remote-filings", json={**body, **change})
        assert refused.status_code == 422 and refused.json()["error"]["field"] == field
    renewed = client.post(f"/api/remote-filings/{filing['filing_id']}/renewal",
                          json={"psn_no": psn_no, "enddate": str(TODAY + timedelta(days=60)),
                                "operator": "portal"})  # fmt: skip
    assert renewed.status_code == 201 and renewed.json()["filing"]["renews"] == filing["filing_id"]
    gone = client.post(f"/api/remote-filings/{filing['filing_id']}/withdrawal",
                       json={"psn_no": psn_no, "memo": "行程取消"})  # fmt: skip
    assert gone.status_code == 200
    listed = client.get("/api/remote-filings", params={"psn_no": psn_no}).json()["filings"]
    assert [f["renews"] for f in listed] == [None, filing["filing_id"]]
    assert listed[0]["withdrawn_at"] is not None
