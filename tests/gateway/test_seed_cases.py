"""Seed 003's deduction cases replayed through the gateway with the seed rules alone.

Each case is audited with 3102 (事中) and, for the self_pay rules, settled with 2207: the amount at
issue must be the deduction the seed reports, to the fen, and the settlement identities must hold.
Each case also has its passing variant. See src/yibao/audit/rulebase/seed/README.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.gateway.test_settlement_calls import (
    assert_identities,
    employee,
    ok,
    outpatient,
    settle_data,
)
from yibao.audit.facts import DiagnosisRecord, FeeLineRecord, VisitRecord
from yibao.audit.formats import load_rule_base
from yibao.audit.model import Moment
from yibao.audit.realtime import RealtimeAuditor
from yibao.gateway.app import create_app
from yibao.gateway.nonces import DatabaseNonceStore
from yibao.gateway.pipeline import Gateway
from yibao.settlement.visits import load_reference
from yibao.store.engine import make_engine

SEED = Path(__file__).resolve().parents[2] / "src" / "yibao" / "audit" / "rulebase" / "seed"
HOSPITAL = "H99010000001"
D = Decimal

ANGIO, WIRE = "003206000010000", "C02010000000000000000000000"
ERCP_31, ERCP_33 = "003107020120000", "003310060150000"
ALBUMIN, DAPTOMYCIN = "XB05AAR001B002010100000", "XJ01XXD050B001010100000"
LINEZOLID, CINACALCET = "XJ01XXL061A001010100000", "XH05BXX019A001010100000"
SEVOFLURANE = "XN01ABQ045L017010100000"
GUANXINNING, SHUXUENING, SHUXUETONG = (
    "ZA12HAG0369010102729",
    "ZA12HAS0775010100142",
    "ZA12HAS0790010103827",
)
KUDIEZI, DANSHEN, YIQIFUMAI = (
    "ZA12GAK0204010101323",
    "ZA12GAZ0403010100722",
    "ZA09HAZ0413010100940",
)
ER_MONITOR, ER_VISIT = "001103000010000", "001102000030000"


@pytest.fixture(scope="module")
def gateway(demo_database_url: str) -> Iterator[Gateway]:
    """A gateway whose settlements and 3101/3102 run the seed rules only."""
    engine = make_engine(demo_database_url)
    auditor = RealtimeAuditor(load_rule_base(SEED))
    with engine.connect() as connection:
        reference = load_reference(connection, auditor)
    yield Gateway(engine=engine, nonces=DatabaseNonceStore(engine), region="990100",
                  clock=datetime.now, reference=reference)  # fmt: skip
    auditor.close()
    engine.dispose()


@pytest.fixture(scope="module")
def client(gateway: Gateway) -> TestClient:
    return TestClient(create_app(gateway))


def order(rx_id: str, code: str, cnt: str, pric: str) -> dict[str, Any]:
    amount = str((D(cnt) * D(pric)).quantize(D("0.01")))
    return {"rx_id": rx_id, "rxno": "RX1", "hilist_code": code, "cnt": cnt, "pric": pric,
            "sumamt": amount}  # fmt: skip


def lab(code: str, value: str, unit: str) -> dict[str, Any]:
    return {"lab_code": code, "rslt_val": value, "unit": unit, "rpt_date": date.today().isoformat()}


def audit(
    client: TestClient,
    orders: list[dict[str, Any]],
    diagnoses: tuple[str, ...] = ("J06.900",),
    labs: tuple[dict[str, Any], ...] = (),
) -> list[tuple[str, str, str, str, str]]:
    """3102 on one inpatient encounter: (rule_id, rx_id, vola_amt, action, vola_cont) each."""
    encounter = {"mdtrt_id": "S1", "medins_id": HOSPITAL, "adm_date": date.today().isoformat(),
                 "med_type": "21", "insutype": "310", "fsi_order_dtos": orders,
                 "fsi_diagnose_dtos": [{"dise_codg": code, "maindise_flag": "1" if n == 0 else "0"}
                                       for n, code in enumerate(diagnoses)],
                 "fsi_lab_dtos": list(labs)}  # fmt: skip
    body = {"data": {"trig_scen": "2", "patient_dtos": [
        {"patn_id": "P-SEED", "gend": "1", "brdy": "1960-03-01", "curr_mdtrt_id": "S1",
         "fsi_encounter_dtos": [encounter]}]}}  # fmt: skip
    result = ok(client, "3102", body)["result"]
    return [(r["rule_id"], r["judge_result_detail_dtos"][0]["rx_id"], r["vola_amt"], r["action"],
             r["vola_cont"]) for r in result]  # fmt: skip


def test_guide_wire_billed_beside_the_angiography_is_252(client: TestClient) -> None:
    angio, wire = order("O1", ANGIO, "1", "1800.00"), order("O2", WIRE, "1", "252.00")
    assert audit(client, [angio, wire]) == [
        ("SEED-GUIDE-WIRE", "O2", "252.00", "self_pay",
         "造影导丝（示例编码）不是经股动脉全脑动脉造影术的除外内容，不得另收（造影导丝（示例编码） 252.00元）")
    ]  # fmt: skip
    assert audit(client, [angio]) == []
    assert audit(client, [wire]) == []


def test_ercp_billed_as_class_31_and_class_33_is_1658(client: TestClient) -> None:
    a, b = order("O1", ERCP_31, "1", "1500.00"), order("O2", ERCP_33, "1", "1658.00")
    assert audit(client, [a, b]) == [
        ("SEED-ERCP-SPLIT", "O2", "1658.00", "self_pay",
         "经内镜奥狄氏括约肌切开取石术(ECT)与经十二指肠胆道取石术（31类，示例编码）为同一次内镜取石，重复记账")
    ]  # fmt: skip
    assert audit(client, [a]) == []


ALBUMIN_CONT = ("人血白蛋白（示例编码）限白蛋白低于30g/L且抢救、重症或肝硬化、癌症引起胸腹水，缺少")  # fmt: skip


def test_albumin_needs_albumin_below_30_and_one_of_the_conditions(client: TestClient) -> None:
    line = [order("O1", ALBUMIN, "4", "380.00")]
    low, normal = lab("ALB", "25", "g/L"), lab("ALB", "35", "g/L")
    assert audit(client, line, ("K74.100",), (normal,)) == [
        ("SEED-ALBUMIN", "O1", "1520.00", "hold", ALBUMIN_CONT + "检验ALB < 30 g/L")
    ]
    missing_diagnosis = audit(client, line, ("J06.900",), (low,))
    assert [r[:4] for r in missing_diagnosis] == [("SEED-ALBUMIN", "O1", "1520.00", "hold")]
    assert missing_diagnosis[0][4].startswith(ALBUMIN_CONT + "诊断R57/")
    assert audit(client, line, ("K74.100",), (low,)) == []  # 肝硬化 and 25 g/L
    assert audit(client, line, ("C78.604",), (low,)) == []  # 恶性腹水


def test_daptomycin_without_staphylococcus_aureus_bacteraemia_is_7650(client: TestClient) -> None:
    line = [order("O1", DAPTOMYCIN, "15", "510.00")]
    assert audit(client, line, ("I61.900",)) == [
        ("SEED-DAPTOMYCIN", "O1", "7650.00", "self_pay",
         "注射用达托霉素（示例编码）限有证据支持的金黄色葡萄球菌菌血症，缺少诊断A41.0")
    ]  # fmt: skip
    assert audit(client, line, ("I61.900", "A41.000")) == []


def test_linezolid_without_vancomycin_intolerance_is_2573(client: TestClient) -> None:
    line = [order("O1", LINEZOLID, "10", "257.30")]
    assert audit(client, line, ("K83.000",)) == [
        ("SEED-LINEZOLID", "O1", "2573.00", "self_pay",
         "利奈唑胺片（示例编码）限万古霉素治疗不可耐受的感染，缺少诊断T88.7/L27.0之一")
    ]  # fmt: skip
    assert audit(client, line, ("K83.000", "T88.700")) == []


def test_cinacalcet_without_supporting_labs_is_held_for_2423(client: TestClient) -> None:
    line = [order("O1", CINACALCET, "1", "2423.00")]
    assert audit(client, line, ("N18.500", "N25.801"), (lab("PTH", "250", "pg/mL"),)) == [
        ("SEED-CINACALCET", "O1", "2423.00", "hold",
         "西那卡塞片（示例编码）限继发性甲状旁腺功能亢进且实验室指标支持，缺少检验PTH > 300 pg/mL")
    ]  # fmt: skip
    assert audit(client, line, ("N18.500", "N25.801"), (lab("PTH", "650", "pg/mL"),)) == []


@pytest.mark.parametrize(
    ("first", "second", "drug_class", "names"),
    [
        (GUANXINNING, SHUXUENING, "A12HA", "冠心宁注射液、舒血宁注射液"),
        (GUANXINNING, SHUXUETONG, "A12HA", "冠心宁注射液、疏血通注射液"),
        (KUDIEZI, DANSHEN, "A12GA", "苦碟子注射液、注射用丹参多酚酸盐"),
    ],
)
def test_two_injections_of_one_class_the_same_day(
    client: TestClient, first: str, second: str, drug_class: str, names: str
) -> None:
    lines = [order("O1", first, "2", "30.00"), order("O2", second, "3", "25.50")]
    assert audit(client, lines) == [
        ("SEED-STACKING", "O2", "76.50", "self_pay", f"同一最小分类{drug_class}药品叠加使用：{names}")
    ]  # fmt: skip
    assert audit(client, lines[:1]) == []


def test_injections_of_two_classes_are_not_stacking(client: TestClient) -> None:
    assert audit(client, [order("O1", GUANXINNING, "2", "30.00"),
                          order("O2", KUDIEZI, "3", "25.50")]) == []  # fmt: skip


def test_yiqifumai_with_danshen_polyphenolate(client: TestClient) -> None:
    lines = [order("O1", DANSHEN, "1", "40.00"), order("O2", YIQIFUMAI, "2", "60.00")]
    assert audit(client, lines) == [
        ("SEED-YIQIFUMAI-STACKING", "O2", "120.00", "self_pay",
         "注射用益气复脉(冻干)与注射用丹参多酚酸盐同日内叠加使用："
         "seed 003 列为同类叠加用药（两者国家编码分类不同：A12GA、A09HA）")
    ]  # fmt: skip
    assert audit(client, lines[1:]) == []


def test_er_monitoring_with_er_consultation(client: TestClient) -> None:
    lines = [order("O1", ER_MONITOR, "1", "30.00"), order("O2", ER_VISIT, "1", "12.00")]
    assert audit(client, lines) == [
        ("SEED-ER-MONITOR", "O2", "12.00", "self_pay",
         "急诊诊查费与急诊监护费同日内重复收费：含监护、床位、诊查、护理")
    ]  # fmt: skip
    assert audit(client, lines[1:]) == []


def test_sevoflurane_20_bottles_for_20_ml() -> None:
    """Not replayable through the gateway: neither 3102's orders nor 2204's lines carry the
    ordered quantity. The engine computes the excess over the order: 116.50 × 4980 / 5000 =
    116.03, not the seed's 116.50 (the seed deducted the whole line)."""
    auditor = RealtimeAuditor(load_rule_base(SEED))
    try:
        today = date.today()
        billed = FeeLineRecord("1", SEVOFLURANE, "七氟烷吸入剂（示例编码）", D("20"), D("5.825"),
                               D("116.50"), today, order_cnt=D("20"), order_unit="ml",
                               billed_unit="支")  # fmt: skip
        visit = VisitRecord(mdtrt_id="S1", psn_no="P-SEED", gend="1", brdy=date(1990, 1, 1),
                            insutype="310", med_type="21", fixmedins_code=HOSPITAL, hosp_lv="01",
                            admdvs="990100", begin=today, end=None, lines=(billed,),
                            diagnoses=(DiagnosisRecord("K35.800", "1", True),))  # fmt: skip
        found = auditor.audit(visit, moment=Moment.DURING, day=today).findings
        assert [(f.rule_id, f.feedetl_sn, f.amount) for f in found] == [
            ("SEED-SEVOFLURANE", "1", D("116.03"))
        ]
        assert found[0].vola_cont == "七氟烷吸入剂（示例编码）记账20支，医嘱20ml"
        ordered_in_bottles = FeeLineRecord("1", SEVOFLURANE, "七氟烷", D("1"), D("1456.25"),
                                           D("1456.25"), today, order_cnt=D("250"),
                                           order_unit="ml", billed_unit="支")  # fmt: skip
        visit = VisitRecord(**{**{n: getattr(visit, n) for n in visit.__slots__},
                               "lines": (ordered_in_bottles,)})  # fmt: skip
        assert auditor.audit(visit, moment=Moment.DURING, day=today).findings == ()
    finally:
        auditor.close()


SETTLED = [
    # lines (code, price, cnt), rule, line no., amount at issue, 全自费, 先行自付, 符合范围
    ([(ANGIO, "1800.00", "1"), (WIRE, "252.00", "1")], "SEED-GUIDE-WIRE", "2", "252.00",
     "252.00", "0.00", "1800.00"),
    ([(ERCP_31, "1500.00", "1"), (ERCP_33, "1658.00", "1")], "SEED-ERCP-SPLIT", "2", "1658.00",
     "1658.00", "0.00", "1500.00"),
    ([(DAPTOMYCIN, "510.00", "15")], "SEED-DAPTOMYCIN", "1", "7650.00", "7650.00", "0.00",
     "0.00"),
    ([(LINEZOLID, "257.30", "10")], "SEED-LINEZOLID", "1", "2573.00", "2573.00", "0.00", "0.00"),
    ([(ER_MONITOR, "30.00", "1"), (ER_VISIT, "12.00", "1")], "SEED-ER-MONITOR", "2", "12.00",
     "12.00", "0.00", "30.00"),
]  # fmt: skip


@pytest.mark.parametrize(("lines", "rule_id", "sn", "amount", "own", "pre", "inscp"), SETTLED)
def test_2207_moves_the_seed_deduction_to_self_pay(
    client: TestClient,
    gateway: Gateway,
    lines: list[tuple[str, str, str]],
    rule_id: str,
    sn: str,
    amount: str,
    own: str,
    pre: str,
    inscp: str,
) -> None:
    psn_no, _ = employee(gateway)
    mdtrt_id = outpatient(client, psn_no, lines)
    total = str(sum(D(p) * D(c) for _, p, c in lines).quantize(D("0.01")))
    done = ok(client, "2207", settle_data(mdtrt_id, psn_no, total))
    assert [(a["rule_id"], a["jr_id"], a["vola_amt"], a["action"]) for a in done["auditinfo"]] == [
        (rule_id, f"{mdtrt_id}-{rule_id}-{sn}", amount, "self_pay")
    ]
    info = done["setlinfo"]
    assert (D(info["fulamt_ownpay_amt"]), D(info["preselfpay_amt"]), D(info["inscp_scp_amt"])) == (
        D(own),
        D(pre),
        D(inscp),
    )
    assert_identities(info, done["setldetail"])
