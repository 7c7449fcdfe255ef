"""门诊慢特病 benefits are unlocked by a chronic-disease filing (2503) valid at the institution."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi.testclient import TestClient

from tests.gateway.support import HOSPITAL, envelope, post
from tests.gateway.test_settlement_calls import CLASS_A_DRUG, employee, line, ok, settle_data
from yibao.gateway.pipeline import Gateway
from yibao.registry.filings import file_chronic
from yibao.store.engine import write_transaction

NOW = f"{datetime.now():%Y-%m-%d %H:%M:%S}"


def chronic_visit(client: TestClient, psn_no: str) -> str:
    data = {"psn_no": psn_no, "insutype": "310", "begntime": NOW, "mdtrt_cert_type": "02",
            "mdtrt_cert_no": "x", "ipt_otp_no": "OP1", "atddr_no": "DR1", "dr_name": "医生",
            "dept_code": "D01", "dept_name": "内科", "caty": "A03"}  # fmt: skip
    mdtrt_id: str = ok(client, "2201", {"data": data})["data"]["mdtrt_id"]
    ok(client, "2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": "14",
                                      "begntime": NOW},
                        "diseinfo": [{"diag_type": "1", "diag_srt_no": "1", "diag_code": "I10.x00",
                                      "diag_name": "高血压", "diag_dept": "内科", "dise_dor_no": "DR1",
                                      "dise_dor_name": "医生", "diag_time": NOW, "vali_flag": "1"}]})  # fmt: skip
    ok(
        client,
        "2204",
        {"feedetail": [line("1", mdtrt_id, psn_no, CLASS_A_DRUG, "12.50", "4", med_type="14")]},
    )
    return mdtrt_id


def test_chronic_benefits_need_a_filing_at_this_institution(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, _ = employee(gateway)
    mdtrt_id = chronic_visit(client, psn_no)
    data = settle_data(mdtrt_id, psn_no, "50.00", med_type="14")
    refused = post(client, envelope("2206", data)).json()
    assert refused["infcode"] == -1
    assert refused["err_msg"].startswith(
        "[YB4001] med_type: 14 (门诊慢特病) needs a chronic-disease filing"
    )
    with write_transaction(gateway.engine) as connection:
        file_chronic(connection, caller=HOSPITAL, psn_no=psn_no, insutype="310", opsp_dise_code="M03900",
                     opsp_dise_name="高血压", fixmedins_code="H99010000002",
                     begndate=date.today() - timedelta(days=30), enddate=None, now=datetime.now())  # fmt: skip
    elsewhere = post(client, envelope("2206", data)).json()
    assert (
        elsewhere["infcode"] == -1 and "for this institution; there is none" in elsewhere["err_msg"]
    )
    with write_transaction(gateway.engine) as connection:
        file_chronic(connection, caller=HOSPITAL, psn_no=psn_no, insutype="310", opsp_dise_code="M03901",
                     opsp_dise_name="糖尿病", fixmedins_code=None,
                     begndate=date.today() - timedelta(days=30), enddate=None, now=datetime.now())  # fmt: skip
    settled = ok(client, "2207", data)["setlinfo"]
    assert settled["med_type"] == "14" and settled["medfee_sumamt"] == "50.00"
