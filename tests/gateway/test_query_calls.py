"""2001, 2403 and the queries 5201–5206 through the gateway, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.gateway.support import envelope, headers, post
from tests.gateway.test_settlement_calls import (
    CLASS_A_DRUG,
    NOW,
    admit,
    diagnosis,
    employee,
    line,
    ok,
    outpatient,
    settle_data,
)
from yibao.gateway.pipeline import Gateway
from yibao.settlement.tables import operations


def test_benefit_check_says_yes_and_no_with_the_reason(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, _ = employee(gateway, minimum="0")
    yes = ok(
        client,
        "2001",
        {"data": {"psn_no": psn_no, "insutype": "310", "med_type": "21", "begntime": NOW}},
    )
    assert yes["trtinfo"][0]["trt_enjymnt_flag"] == "1"
    no = ok(
        client,
        "2001",
        {"data": {"psn_no": psn_no, "insutype": "390", "med_type": "21", "begntime": NOW}},
    )
    assert no["trtinfo"][0]["trt_enjymnt_flag"] == "0" and "390" in no["trtinfo"][0]["trt_chk_rslt"]
    pharmacy = ok(
        client,
        "2001",
        {"data": {"psn_no": psn_no, "insutype": "310", "med_type": "41", "begntime": NOW}},
    )
    assert pharmacy["trtinfo"][0]["trt_enjymnt_flag"] == "0"
    assert "med_type: 41" in pharmacy["trtinfo"][0]["trt_chk_rslt"]


def test_queries_answer_about_the_callers_own_visits(client: TestClient, gateway: Gateway) -> None:
    psn_no, _ = employee(gateway)
    mdtrt_id = outpatient(client, psn_no, [(CLASS_A_DRUG, "40.00", "2")])
    settled = ok(client, "2207", settle_data(mdtrt_id, psn_no, "80.00"))["setlinfo"]
    found = ok(client, "5201", {"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id}})["mdtrtinfo"]
    assert [v["mdtrt_id"] for v in found] == [mdtrt_id] and found[0]["med_type"] == "11"
    assert (
        ok(client, "5202", {"data": {"mdtrt_id": mdtrt_id, "psn_no": psn_no}})["diseinfo"][0][
            "diag_code"
        ]
        == "J06.900"
    )
    again = ok(client, "5203", {"data": {"psn_no": psn_no, "setl_id": settled["setl_id"]}})
    assert again["setlinfo"] == settled
    lines = ok(client, "5204", {"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id}})["feedetail"]
    assert [(x["feedetl_sn"], x["det_item_fee_sumamt"]) for x in lines] == [("1", "80.00")]
    cum = ok(client, "5206", {"data": {"psn_no": psn_no}})["cuminfo"]
    assert Decimal(next(c["cum"] for c in cum if c["cum_type_code"] == "deductible:outpatient")) > 0
    other = "H99010000003"
    hidden = post(client, envelope("5204", {"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id}}, code=other),
                  headers(other)).json()  # fmt: skip
    assert hidden["infcode"] == -1 and "no visit" in hidden["err_msg"]
    assert (
        ok(client, "5201", {"data": {"mdtrt_id": mdtrt_id}})
        and post(
            client, envelope("5201", {"data": {"mdtrt_id": mdtrt_id}}, code=other), headers(other)
        ).json()["output"]["mdtrtinfo"]
        == []
    )


def test_a_stay_changes_its_care_type_before_settlement(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, _ = employee(gateway, minimum="0")
    stay = admit(client, psn_no, ipt_no="IP9", dept=("D03", "骨科"), main=("S72.000", "股骨颈骨折"))
    change = {"mdtrt_id": stay, "psn_no": psn_no, "begntime": NOW, "mdtrt_cert_type": "02", "med_type": "22",
              "ipt_otp_no": "IP9", "atddr_no": "DR1", "chfpdr_name": "医生", "adm_diag_dscr": "外伤",
              "adm_dept_codg": "D03", "adm_dept_name": "骨科", "adm_bed": "1", "dscg_maindiag_code": "S72.000",
              "dscg_maindiag_name": "股骨颈骨折"}  # fmt: skip
    ok(
        client,
        "2403",
        {"adminfo": change, "diseinfo": [dict(d, mdtrt_id=stay) for d in diagnosis(psn_no)]},
    )
    assert ok(client, "5201", {"data": {"mdtrt_id": stay}})["mdtrtinfo"][0]["med_type"] == "22"
    ok(
        client,
        "2403",
        {
            "adminfo": {
                **change,
                "oprn_oprt_code": "79.3500",
                "oprn_oprt_name": "股骨开放性复位术",
            },
            "diseinfo": [dict(d, mdtrt_id=stay) for d in diagnosis(psn_no)],
        },
    )
    with gateway.engine.connect() as connection:
        stored = connection.execute(
            select(operations.c.oprn_oprt_code).where(operations.c.mdtrt_id == stay)
        ).all()
    assert [row.oprn_oprt_code for row in stored] == ["79.3500"]


def test_undo_calls_and_sign_out(client: TestClient, gateway: Gateway) -> None:
    psn_no, _ = employee(gateway, minimum="0")
    mdtrt_id = outpatient(client, psn_no, [(CLASS_A_DRUG, "10.00", "1")])
    refused = post(
        client,
        envelope("2202", {"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id, "ipt_otp_no": "OP1"}}),
    )
    assert refused.json()["infcode"] == -1 and "has lines" in refused.json()["err_msg"]
    ok(client, "2205", {"data": {"chrg_bchno": "0000", "mdtrt_id": mdtrt_id, "psn_no": psn_no}})
    assert (
        ok(client, "5204", {"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id}})["feedetail"][0][
            "vali_flag"
        ]
        == "0"
    )
    ok(client, "2202", {"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id, "ipt_otp_no": "OP1"}})
    assert ok(client, "5201", {"data": {"mdtrt_id": mdtrt_id}})["mdtrtinfo"][0]["vali_flag"] == "0"

    stay = admit(client, psn_no, ipt_no="IP8", dept=("D01", "内科"), main=("J18.900", "肺炎"))
    ok(client, "2301", {"feedetail": [line("1", stay, psn_no, CLASS_A_DRUG, "5.00", "2")]})
    ok(client, "2302", {"data": {"feedetl_sn": "1", "mdtrt_id": stay, "psn_no": psn_no}})
    ok(client, "2402", {"dscginfo": {"mdtrt_id": stay, "psn_no": psn_no, "insutype": "310", "endtime": NOW,
                                     "dscg_dept_codg": "D01", "dscg_dept_name": "内科", "dscg_way": "1"},
                        "diseinfo": diagnosis(psn_no)})  # fmt: skip
    ok(client, "2405", {"data": {"mdtrt_id": stay, "psn_no": psn_no}})
    assert ok(client, "5201", {"data": {"mdtrt_id": stay}})["mdtrtinfo"][0]["endtime"] is None
    ok(client, "2404", {"data": {"mdtrt_id": stay, "psn_no": psn_no}})

    sign_no = ok(client, "9001", {"signIn": {"opter_no": "0009"}})["signinoutb"]["sign_no"]
    ok(client, "9002", {"data": {"sign_no": sign_no, "opter_no": "0009"}})
    twice = post(
        client, envelope("9002", {"data": {"sign_no": sign_no, "opter_no": "0009"}})
    ).json()
    assert twice["infcode"] == -1 and "no open sign-in" in twice["err_msg"]


def test_2203a_is_served_as_2203(client: TestClient, gateway: Gateway) -> None:
    psn_no, _ = employee(gateway, minimum="0")
    mdtrt_id = outpatient(client, psn_no, [(CLASS_A_DRUG, "10.00", "1")])
    ok(
        client,
        "2203A",
        {
            "mdtrtinfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": psn_no,
                "med_type": "13",
                "begntime": NOW,
            },
            "diseinfo": [
                {
                    "diag_type": "1",
                    "diag_srt_no": "1",
                    "diag_code": "R50.900",
                    "diag_name": "发热",
                    "vali_flag": "1",
                }
            ],
        },
    )
    assert ok(client, "5201", {"data": {"mdtrt_id": mdtrt_id}})["mdtrtinfo"][0]["med_type"] == "13"
