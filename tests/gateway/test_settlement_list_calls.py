"""Settlement lists through the gateway (4101, 4102, 4103), on SQLite and PostgreSQL.

A stay is admitted, charged, discharged and settled through the gateway; its list is uploaded
with an appendectomy and grouped (CHS-DRG 1.1), read back with its group, voided and restored,
and uploaded again with a correction. Lists that do not describe a final settlement of the
caller's stay, or lack one main diagnosis, are refused naming the field, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.gateway.support import count, envelope, headers, post
from tests.gateway.test_settlement_calls import (
    BED,
    NOW,
    admit,
    diagnosis,
    employee,
    line,
    ok,
    outpatient,
    settle_data,
)
from yibao.casepay.tables import settlement_lists
from yibao.gateway.pipeline import Gateway

HOSPITAL = "H99010000001"


def _settled_stay(client: TestClient, gateway: Gateway) -> tuple[str, str, str]:
    psn_no, _ = employee(gateway, minimum="0")
    stay = admit(
        client, psn_no, ipt_no="IP-QD", dept=("D03", "普外科"), main=("K35.800", "急性阑尾炎")
    )
    ok(client, "2301", {"feedetail": [line("1", stay, psn_no, BED, "50.00", "4")]})
    ok(client, "2402", {"dscginfo": {"mdtrt_id": stay, "psn_no": psn_no, "insutype": "310", "endtime": NOW,
                                     "dscg_dept_codg": "D03", "dscg_dept_name": "普外科", "dscg_way": "1"},
                        "diseinfo": diagnosis(psn_no)})  # fmt: skip
    settled = ok(client, "2304", settle_data(stay, psn_no, "200.00", acct_used_flag="0"))
    return psn_no, stay, settled["setlinfo"]["setl_id"]


def _list(
    stay: str,
    setl_id: str,
    *,
    main: str = "K35.800x001",
    oprn: str | None = "47.0901",
    **change: Any,
) -> dict[str, Any]:
    setlinfo = {
        "mdtrt_id": stay, "setl_id": setl_id, "fixmedins_name": "示范市第一人民医院", "fixmedins_code": HOSPITAL,
        "medcasno": "BA0001", "psn_name": "测试", "gend": "1", "brdy": "1980-05-01", "age": "46", "ntly": "CHN",
        "naty": "01", "patn_cert_type": "01", "certno": "x", "prfs": "90", "coner_name": "家属", "patn_rlts": "1",
        "coner_addr": "示范市", "coner_tel": "1", "hi_type": "310", "insuplc": "990100", "ipt_med_type": "1",
        "adm_time": "2026-11-01 08:00:00", "adm_caty": "A03", "dscg_time": "2026-11-05 10:00:00",
        "dscg_caty": "A03", "act_ipt_days": "4", "maindiag_flag": "1", "dscg_way": "1", "bill_code": "B",
        "bill_no": "1", "biz_sn": "1", "setl_begn_date": "2026-11-01", "setl_end_date": "2026-11-05",
        "psn_selfpay": "0", "psn_ownpay": "0", "acct_pay": "0", "psn_cashpay": "0", "hi_paymtd": "1",
        "hsorg": "示范市医保中心", "hsorg_opter": "经办", "medins_fill_dept": "病案科", "medins_fill_psn": "编码员",
    }  # fmt: skip
    setlinfo.update(change)
    nodes: dict[str, Any] = {
        "setlinfo": setlinfo,
        "diseinfo": [{"diag_type": "1", "diag_code": main, "diag_name": "主诊断", "maindiag_flag": "1"}],
        "payinfo": [{"fund_pay_type": "310100", "fund_payamt": "0.00"}],
        "iteminfo": [{"med_chrgitm": "01", "amt": "200.00", "claa_sumfee": "200.00", "clab_amt": "0.00",
                      "fulamt_ownpay_amt": "0.00", "oth_amt": "0.00"}],
    }  # fmt: skip
    if oprn is not None:
        done = {"oprn_oprt_date": "2026-11-02", "oper_dr_name": "医生", "oper_dr_code": "D1"}
        nodes["oprninfo"] = [
            {"oprn_oprt_type": "1", "oprn_oprt_name": "阑尾切除术", "oprn_oprt_code": oprn, **done}
        ]
    return nodes


def _call(client: TestClient, infno: str, input_: dict[str, Any]) -> dict[str, Any]:
    return dict(post(client, envelope(infno, input_)).json())


def test_a_list_is_grouped_stored_voided_restored_and_corrected(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, stay, setl_id = _settled_stay(client, gateway)
    uploaded = ok(client, "4101", _list(stay, setl_id))
    group = uploaded["drginfo"]
    assert uploaded["setl_list_id"].startswith("QD") and group["status"] == "ok"
    assert (
        group["mdc"] == "MDCG"
        and group["adrg"].startswith("G")
        and group["drg"].startswith(group["adrg"])
    )
    assert any("MDCG" in step for step in group["trace"])

    read = ok(client, "4103", {"data": {"setl_id": setl_id, "psn_no": psn_no}})
    assert read["drginfo"]["drg"] == group["drg"] and read["setlinfo"]["stas_type"] == "1"
    assert read["oprninfo"][0]["oprn_oprt_code"] == "47.0901"

    ok(
        client,
        "4102",
        {"data": {"stastinfo": [{"psn_no": psn_no, "setl_id": setl_id, "stas_type": "0"}]}},
    )
    assert ok(client, "4103", {"data": {"setl_id": setl_id}})["setlinfo"]["stas_type"] == "0"
    twice = _call(client, "4102", {"data": {"stastinfo": [{"setl_id": setl_id, "stas_type": "0"}]}})
    assert twice["infcode"] == -1 and "voided already" in twice["err_msg"]

    corrected = ok(client, "4101", _list(stay, setl_id, oprn=None, act_ipt_days="5"))
    assert corrected["drginfo"]["uploads"] == 2 and corrected["drginfo"]["adrg"] != group["adrg"]
    again = ok(client, "4103", {"data": {"setl_id": setl_id}})
    assert (
        again["setlinfo"]["stas_type"] == "1"
        and again["drginfo"]["drg"] == corrected["drginfo"]["drg"]
    )


def test_a_list_that_describes_no_final_stay_of_the_caller_is_refused(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, stay, setl_id = _settled_stay(client, gateway)
    before = count(gateway, settlement_lists)
    visit = outpatient(client, psn_no, [(BED, "50.00", "1")])
    outpatient_setl = ok(client, "2207", settle_data(visit, psn_no, "50.00"))["setlinfo"]["setl_id"]
    no_main = _list(stay, setl_id)
    no_main["diseinfo"][0]["maindiag_flag"] = "0"
    cases = {
        "input.setlinfo.setl_id: no settlement": _list(stay, "NO-SUCH-SETTLEMENT"),
        "input.setlinfo.mdtrt_id": _list("OTHER-VISIT", setl_id),
        "input.setlinfo.fixmedins_code": _list(stay, setl_id, fixmedins_code="H99010000002"),
        "input.diseinfo.maindiag_flag": no_main,
        "not of an inpatient stay": _list(visit, outpatient_setl),
        "input.setlinfo.gend": _list(stay, setl_id, gend="7"),
    }
    for expected, body in cases.items():
        answer = _call(client, "4101", body)
        assert answer["infcode"] == -1 and expected in answer["err_msg"], (
            expected,
            answer["err_msg"],
        )
    foreign = post(
        client, envelope("4101", _list(stay, setl_id), code="H99010000002"), headers("H99010000002")
    )
    assert foreign.json()["infcode"] == -1 and "no settlement" in foreign.json()["err_msg"]
    assert count(gateway, settlement_lists) == before
    missing = _call(client, "4103", {"data": {"setl_id": setl_id}})
    assert missing["infcode"] == -1 and "no settlement list" in missing["err_msg"]
