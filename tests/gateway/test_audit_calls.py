"""3101/3102 and the audit inside 2206/2207, through the gateway, with the example rule base."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.gateway.support import envelope, post
from tests.gateway.test_settlement_calls import (
    assert_identities,
    employee,
    ok,
    outpatient,
    settle_data,
)
from yibao.audit.formats import load_rule_base
from yibao.audit.realtime import RealtimeAuditor
from yibao.audit.tables import findings
from yibao.gateway.app import create_app
from yibao.gateway.nonces import DatabaseNonceStore
from yibao.gateway.pipeline import Gateway
from yibao.settlement.visits import load_reference
from yibao.store.engine import make_engine

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "audit-examples"
HOSPITAL = "H99010000001"
APALUTAMIDE = "XL02BBA326A001010102180"  # 阿帕他胺片: men only (EX-SEX)
ER_MONITOR, ER_VISIT = "001103000010000", "001102000030000"  # 急诊监护费 ⟂ 急诊诊查费 (EX-PAIR)
D = Decimal


@pytest.fixture(scope="module")
def gateway(demo_database_url: str) -> Iterator[Gateway]:
    """A gateway whose settlements and 3101/3102 run the example rules."""
    engine = make_engine(demo_database_url)
    auditor = RealtimeAuditor(load_rule_base(EXAMPLES))
    with engine.connect() as connection:
        reference = load_reference(connection, auditor)
    yield Gateway(engine=engine, nonces=DatabaseNonceStore(engine), region="990100",
                  clock=datetime.now, reference=reference)  # fmt: skip
    auditor.close()
    engine.dispose()


@pytest.fixture(scope="module")
def client(gateway: Gateway) -> TestClient:
    return TestClient(create_app(gateway))


def request(gend: str, *orders: dict[str, Any], trig_scen: str = "1") -> dict[str, Any]:
    today = date.today().isoformat()
    encounter = {"mdtrt_id": "E1", "medins_id": HOSPITAL, "adm_date": today, "med_type": "11",
                 "insutype": "310", "fsi_order_dtos": list(orders),
                 "fsi_diagnose_dtos": [{"dise_codg": "C61", "maindise_flag": "1"}]}  # fmt: skip
    return {"data": {"trig_scen": trig_scen, "patient_dtos": [
        {"patn_id": "P-AUDIT", "gend": gend, "brdy": "1970-05-01", "curr_mdtrt_id": "E1",
         "fsi_encounter_dtos": [encounter]}]}}  # fmt: skip


def order(rx_id: str, code: str, cnt: str, pric: str) -> dict[str, Any]:
    amount = str((D(cnt) * D(pric)).quantize(D("0.01")))
    return {"rx_id": rx_id, "rxno": "RX1", "hilist_code": code, "hilist_name": "阿帕他胺片",
            "cnt": cnt, "pric": pric, "sumamt": amount}  # fmt: skip


def test_3101_warns_of_a_men_only_drug_ordered_for_a_woman(client: TestClient) -> None:
    result = ok(client, "3101", request("2", order("O1", APALUTAMIDE, "2", "150.50")))["result"]
    assert [(r["rule_id"], r["mdtrt_id"], r["vola_amt"], r["sev_deg"], r["vola_bhvr_type"],
             r["vola_amt_stas"]) for r in result] == [("EX-SEX", "E1", "301.00", "1", "1", "1")]  # fmt: skip
    assert result[0]["vola_cont"] == f"阿帕他胺片（{APALUTAMIDE}）限男性使用，参保人性别为女性"
    assert result[0]["judge_result_detail_dtos"] == [
        {"jrd_id": "E1-EX-SEX-O1-1", "patn_id": "P-AUDIT", "mdtrt_id": "E1", "rx_id": "O1",
         "vola_item_type": "1", "vola_amt": "301.00"}]  # fmt: skip
    assert ok(client, "3101", request("1", order("O1", APALUTAMIDE, "2", "150.50")))["result"] == []


def test_3101_and_3102_refuse_bad_input_naming_the_field(client: TestClient) -> None:
    cases = [
        ({"data": {"trig_scen": "1"}}, "input.data.patient_dtos"),
        ({"data": {"trig_scen": "9", "patient_dtos": request("2")["data"]["patient_dtos"]}},
         "input.data.trig_scen"),
        (request("2", {**order("O1", APALUTAMIDE, "1", "1.00"), "cnt": "abc"}),
         "input.data.patient_dtos.0.fsi_encounter_dtos.0.fsi_order_dtos.0.cnt"),
        ({"data": {"rule_ids": ["NO-SUCH"], "patient_dtos": request("2")["data"]["patient_dtos"]}},
         "input.data.rule_ids"),
    ]  # fmt: skip
    for body, field in cases:
        for infno in ("3101", "3102"):
            answer = post(client, envelope(infno, body)).json()
            assert answer["infcode"] == -1, (infno, field)
            assert field in answer["err_msg"], (infno, answer["err_msg"])


def test_2207_moves_a_duplicate_charge_to_self_pay_and_says_why(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, _ = employee(gateway)
    mdtrt_id = outpatient(client, psn_no, [(ER_MONITOR, "30.00", "1"), (ER_VISIT, "12.00", "1")])
    pre = ok(client, "2206", settle_data(mdtrt_id, psn_no, "42.00"))
    done = ok(client, "2207", settle_data(mdtrt_id, psn_no, "42.00"))
    for answer in (pre, done):
        assert [(a["rule_id"], a["jr_id"], a["vola_amt"], a["action"]) for a in answer["auditinfo"]] \
            == [("EX-PAIR", f"{mdtrt_id}-EX-PAIR-2", "12.00", "self_pay")]  # fmt: skip
        info = answer["setlinfo"]
        # 急诊诊查费 (12.00, 乙类 20%) moves whole to 全自费; 急诊监护费 stays 甲类
        assert D(info["fulamt_ownpay_amt"]) == D("12.00")
        assert D(info["preselfpay_amt"]) == D("0.00")
        assert D(info["inscp_scp_amt"]) == D("30.00")
        assert_identities(info, answer["setldetail"])
    assert pre["setlinfo"]["fund_pay_sumamt"] == done["setlinfo"]["fund_pay_sumamt"]
    with gateway.engine.connect() as connection:  # 2207 keeps its findings; 2206 kept none
        kept = connection.execute(
            select(findings.c.rule_id, findings.c.feedetl_sn, findings.c.amount, findings.c.moment)
            .where(findings.c.mdtrt_id == mdtrt_id)
        ).all()  # fmt: skip
    assert [tuple(row) for row in kept] == [("EX-PAIR", "2", D("12.00"), "during")]


def test_2207_without_a_finding_shows_none(client: TestClient, gateway: Gateway) -> None:
    psn_no, _ = employee(gateway)
    mdtrt_id = outpatient(client, psn_no, [(ER_VISIT, "12.00", "1")])
    done = ok(client, "2207", settle_data(mdtrt_id, psn_no, "12.00"))
    assert done["auditinfo"] == []
    assert D(done["setlinfo"]["preselfpay_amt"]) == D("2.40")
