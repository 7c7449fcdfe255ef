"""Settlement through the gateway on SQLite and PostgreSQL: outpatient and inpatient flows.

Every settlement made here is checked against the identities of settlement.md §6; the store's
counters and account are checked after settling and after reversing.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.gateway.support import envelope, headers, post
from yibao.gateway.pipeline import Gateway
from yibao.registry.tables import accounts, enrolments
from yibao.settlement.tables import fee_lines, year_counters

D = Decimal
NOW = f"{datetime.now():%Y-%m-%d %H:%M:%S}"
CLASS_A_DRUG = "XG01AFK079A008010100225"  # 甲类, no ceiling
BED = "001109000010000"  # 甲类 bed, ceiling 50.00 at 三级
CLASS_C_DRUG = "XG04BET001A001010100299"  # 丙类


def employee(gateway: Gateway, *, minimum: str = "100.00") -> tuple[str, Decimal]:
    """An employee (310, in work, insured in 990100) with at least ``minimum`` in the account."""
    with gateway.engine.connect() as connection:
        row = connection.execute(
            select(accounts.c.psn_no, accounts.c.balance)
            .join(enrolments, enrolments.c.psn_no == accounts.c.psn_no)
            .where(
                enrolments.c.psn_type == "1101",
                enrolments.c.insuplc_admdvs == "990100",
                accounts.c.balance >= D(minimum),
            )
            .order_by(accounts.c.psn_no)
        ).first()
    assert row is not None
    return row.psn_no, row.balance


def ok(client: TestClient, infno: str, input_: dict[str, Any]) -> dict[str, Any]:
    body = post(client, envelope(infno, input_)).json()
    assert body["infcode"] == 0, f"{infno}: {body['err_msg']}"
    output: dict[str, Any] = body["output"]
    return output


def line(
    sn: str, mdtrt_id: str, psn_no: str, code: str, pric: str, cnt: str, **extra: str
) -> dict[str, Any]:
    amount = (D(pric) * D(cnt)).quantize(D("0.01"))
    return {"feedetl_sn": sn, "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "B1", "med_list_codg": code,
            "medins_list_codg": f"HIS-{sn}", "det_item_fee_sumamt": str(amount), "cnt": cnt, "pric": pric,
            "fee_ocur_time": NOW, "bilg_dept_codg": "D01", "bilg_dept_name": "内科", "bilg_dr_codg": "DR1",
            "bilg_dr_name": "医生", "hosp_appr_flag": "1", "rx_circ_flag": "0", "med_type": "21", **extra}  # fmt: skip


def diagnosis(psn_no: str) -> list[dict[str, str]]:
    return [{"psn_no": psn_no, "diag_type": "1", "maindiag_flag": "1", "diag_srt_no": "1", "diag_code": "I63.900",
             "diag_name": "脑梗死", "diag_dept": "神经内科", "dise_dor_no": "DR1", "dise_dor_name": "医生",
             "diag_time": NOW}]  # fmt: skip


def admit(
    client: TestClient, psn_no: str, *, ipt_no: str, dept: tuple[str, str], main: tuple[str, str]
) -> str:
    """2401 for an employee's ordinary stay; returns the ``mdtrt_id``."""
    info = {"psn_no": psn_no, "insutype": "310", "begntime": NOW, "med_type": "21", "mdtrt_cert_type": "02",
            "mdtrt_cert_no": "x", "ipt_no": ipt_no, "atddr_no": "DR1", "chfpdr_name": "医生",
            "adm_diag_dscr": main[1], "adm_dept_codg": dept[0], "adm_dept_name": dept[1], "adm_bed": "1",
            "dscg_maindiag_code": main[0], "dscg_maindiag_name": main[1]}  # fmt: skip
    mdtrt_id: str = ok(client, "2401", {"mdtrtinfo": info, "diseinfo": diagnosis(psn_no)})[
        "result"
    ]["mdtrt_id"]
    return mdtrt_id


def settle_data(mdtrt_id: str, psn_no: str, medfee: str, **extra: str) -> dict[str, Any]:
    return {"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id, "insutype": "310", "mdtrt_cert_type": "02",
                     "mdtrt_cert_no": "x", "med_type": "11", "psn_setlway": "01", "chrg_bchno": "B1",
                     "acct_used_flag": "1", "mid_setl_flag": "0", "medfee_sumamt": medfee, **extra}}  # fmt: skip


def assert_identities(setlinfo: dict[str, str], setldetail: list[dict[str, str]]) -> None:
    a = {
        k: D(v)
        for k, v in setlinfo.items()
        if k.endswith(("_amt", "_pay", "_sumamt", "_selfpay", "dedc"))
    }
    assert (
        a["medfee_sumamt"]
        == a["fulamt_ownpay_amt"] + a["overlmt_selfpay"] + a["preselfpay_amt"] + a["inscp_scp_amt"]
    )
    assert a["fund_pay_sumamt"] == sum(D(row["fund_payamt"]) for row in setldetail)
    assert a["psn_part_amt"] == a["medfee_sumamt"] - a["fund_pay_sumamt"] - a["hosp_part_amt"]
    assert a["psn_part_amt"] == a["acct_pay"] + a["psn_cash_pay"]


def outpatient(client: TestClient, psn_no: str, lines: list[tuple[str, str, str]]) -> str:
    mdtrt_id = ok(client, "2201", {"data": {"psn_no": psn_no, "insutype": "310", "begntime": NOW,
                                            "mdtrt_cert_type": "02", "mdtrt_cert_no": "x", "ipt_otp_no": "OP1",
                                            "atddr_no": "DR1", "dr_name": "医生", "dept_code": "D01",
                                            "dept_name": "内科", "caty": "A03"}})["data"]["mdtrt_id"]  # fmt: skip
    ok(client, "2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": "11", "begntime": NOW},
                        "diseinfo": [{"diag_type": "1", "diag_srt_no": "1", "diag_code": "J06.900",
                                      "diag_name": "急性上呼吸道感染", "diag_dept": "内科", "dise_dor_no": "DR1",
                                      "dise_dor_name": "医生", "diag_time": NOW, "vali_flag": "1"}]})  # fmt: skip
    ok(
        client,
        "2204",
        {"feedetail": [line(str(i), mdtrt_id, psn_no, *spec) for i, spec in enumerate(lines, 1)]},
    )
    return mdtrt_id


def counters(gateway: Gateway, psn_no: str) -> dict[str, Decimal]:
    with gateway.engine.connect() as connection:
        rows = connection.execute(select(year_counters).where(year_counters.c.psn_no == psn_no))
        return {r.counter: r.value for r in rows}


def balance(gateway: Gateway, psn_no: str) -> Decimal:
    with gateway.engine.connect() as connection:
        return connection.execute(
            select(accounts.c.balance).where(accounts.c.psn_no == psn_no)
        ).scalar_one()


def test_an_outpatient_visit_settles_and_reverses_exactly(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, start = employee(gateway)
    before = counters(gateway, psn_no)
    mdtrt_id = outpatient(
        client, psn_no, [(CLASS_A_DRUG, "120.00", "10"), (CLASS_C_DRUG, "96.00", "1")]
    )
    pre = ok(client, "2206", settle_data(mdtrt_id, psn_no, "1296.00"))
    done = ok(client, "2207", settle_data(mdtrt_id, psn_no, "1296.00"))
    info = done["setlinfo"]
    assert_identities(info, done["setldetail"])
    assert {k: v for k, v in info.items() if k != "setl_id"} == {
        k: v for k, v in pre["setlinfo"].items() if k != "setl_id"
    }
    assert info["fulamt_ownpay_amt"] == "96.00" and info["inscp_scp_amt"] == "1200.00"
    assert balance(gateway, psn_no) == start - D(info["acct_pay"]) == D(info["balc"])
    undone = ok(
        client,
        "2208",
        {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": psn_no}},
    )
    assert undone["setlinfo"]["medfee_sumamt"] == "-1296.00"
    assert balance(gateway, psn_no) == start
    after = counters(gateway, psn_no)
    assert all(after.get(k, D(0)) == v for k, v in before.items())
    assert all(v == 0 for k, v in after.items() if k not in before)


def test_an_inpatient_stay_with_mid_stay_settlement_refund_and_discharge(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, _ = employee(gateway, minimum="0")
    stay = admit(client, psn_no, ipt_no="IP1", dept=("D02", "神经内科"), main=("I63.900", "脑梗死"))
    ok(
        client,
        "2301",
        {
            "feedetail": [
                line("1", stay, psn_no, BED, "60.00", "10"),
                line("2", stay, psn_no, CLASS_A_DRUG, "500.00", "20"),
            ]
        },
    )
    mid = ok(
        client, "2304", settle_data(stay, psn_no, "10600.00", mid_setl_flag="1", acct_used_flag="0")
    )
    assert mid["setlinfo"]["act_pay_dedc"] == "800.00"  # first admission at a 三级 hospital
    assert mid["setlinfo"]["overlmt_selfpay"] == "100.00"  # (60 − 50) × 10
    ok(
        client,
        "2301",
        {"feedetail": [line("3", stay, psn_no, CLASS_A_DRUG, "500.00", "-5", init_feedetl_sn="2")]},
    )
    ok(client, "2402", {"dscginfo": {"mdtrt_id": stay, "psn_no": psn_no, "insutype": "310", "endtime": NOW,
                                     "dscg_dept_codg": "D02", "dscg_dept_name": "神经内科", "dscg_way": "1"},
                        "diseinfo": diagnosis(psn_no)})  # fmt: skip
    final = ok(client, "2304", settle_data(stay, psn_no, "-2500.00", acct_used_flag="0"))
    assert_identities(final["setlinfo"], final["setldetail"])
    assert (
        final["setlinfo"]["medfee_sumamt"] == "-2500.00"
        and final["setlinfo"]["act_pay_dedc"] == "0.00"
    )
    again = post(
        client, envelope("2301", {"feedetail": [line("4", stay, psn_no, BED, "50.00", "1")]})
    ).json()
    assert again["infcode"] == -1 and "is settled" in again["err_msg"]


def test_another_institutions_visit_is_answered_like_a_missing_one(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, _ = employee(gateway, minimum="0")
    mdtrt_id = outpatient(client, psn_no, [(CLASS_A_DRUG, "10.00", "1")])
    other = "H99010000003"
    foreign = post(
        client, envelope("2207", settle_data(mdtrt_id, psn_no, "10.00"), code=other), headers(other)
    ).json()
    missing = post(
        client,
        envelope("2207", settle_data("NO-SUCH-VISIT", psn_no, "10.00"), code=other),
        headers(other),
    ).json()
    assert foreign["infcode"] == missing["infcode"] == -1
    assert foreign["err_msg"].replace(mdtrt_id, "X") == missing["err_msg"].replace(
        "NO-SUCH-VISIT", "X"
    )


def test_a_line_whose_amount_is_not_price_times_count_is_refused_and_nothing_is_written(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, _ = employee(gateway, minimum="0")
    mdtrt_id = outpatient(client, psn_no, [(CLASS_A_DRUG, "10.00", "1")])
    bad = line("9", mdtrt_id, psn_no, CLASS_A_DRUG, "10.00", "2", det_item_fee_sumamt="25.00")
    with gateway.engine.connect() as connection:
        rows = len(
            connection.execute(
                select(fee_lines.c.feedetl_sn).where(fee_lines.c.mdtrt_id == mdtrt_id)
            ).all()
        )
    answer = post(client, envelope("2204", {"feedetail": [bad]})).json()
    assert (
        answer["infcode"] == -1
        and "input.feedetail[0]" in answer["err_msg"]
        and "pric × cnt" in answer["err_msg"]
    )
    with gateway.engine.connect() as connection:
        assert (
            len(
                connection.execute(
                    select(fee_lines.c.feedetl_sn).where(fee_lines.c.mdtrt_id == mdtrt_id)
                ).all()
            )
            == rows
        )


def test_fifty_concurrent_settlements_of_one_person_keep_the_account_exact(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, start = employee(gateway, minimum="500.00")
    visits = [outpatient(client, psn_no, [(CLASS_A_DRUG, "37.77", "1")]) for _ in range(50)]
    before = counters(gateway, psn_no)
    bodies = [
        json.dumps(envelope("2207", settle_data(v, psn_no, "37.77"))).encode() for v in visits
    ]
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda b: gateway.handle(b, headers()), bodies))
    infos = [r.body["output"]["setlinfo"] for r in replies if r.body["infcode"] == 0]
    assert len(infos) == 50, [r.body["err_msg"] for r in replies if r.body["infcode"] != 0][:3]
    for r in replies:
        assert_identities(r.body["output"]["setlinfo"], r.body["output"]["setldetail"])
    paid = sum(D(i["acct_pay"]) for i in infos)
    assert balance(gateway, psn_no) == start - paid >= 0
    assert (
        sorted(D(i["balc"]) for i in infos)[0] == start - paid
    )  # the last one saw every earlier payment
    after = counters(gateway, psn_no)
    pool_paid = sum(D(i["hifp_pay"]) for i in infos)
    assert after.get("fund:310100", D(0)) - before.get("fund:310100", D(0)) == pool_paid
    assert after.get("deductible:outpatient", D(0)) <= D("1000.00")
    assert all(value >= 0 for value in after.values())


def test_reversing_an_unknown_visit_names_the_field(client: TestClient) -> None:
    answer = post(
        client, envelope("2208", {"data": {"setl_id": "X", "mdtrt_id": "Y", "psn_no": "Z"}})
    ).json()
    assert (
        answer["infcode"] == -1 and "mdtrt_id: no visit Y of this institution" in answer["err_msg"]
    )


def test_2601_reverses_a_settlement_whose_answer_was_lost(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, start = employee(gateway)
    mdtrt_id = outpatient(client, psn_no, [(CLASS_A_DRUG, "50.00", "3")])
    lost = envelope("2207", settle_data(mdtrt_id, psn_no, "150.00"))
    assert (
        post(client, lost).json()["infcode"] == 0
    )  # settled; suppose the HIS never saw this answer
    ok(client, "2601", {"data": {"psn_no": psn_no, "omsgid": lost["msgid"], "oinfno": "2207"}})
    assert balance(gateway, psn_no) == start
    again = ok(
        client, "2207", settle_data(mdtrt_id, psn_no, "150.00")
    )  # the visit can be settled afresh
    assert_identities(again["setlinfo"], again["setldetail"])
    twice = post(
        client,
        envelope("2601", {"data": {"psn_no": psn_no, "omsgid": lost["msgid"], "oinfno": "2207"}}),
    )
    assert twice.json()["infcode"] == -1 and "already reversed" in twice.json()["err_msg"]


def test_2601_before_the_original_arrives_makes_the_late_original_a_no(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, _ = employee(gateway, minimum="0")
    mdtrt_id = outpatient(client, psn_no, [(CLASS_A_DRUG, "20.00", "1")])
    late = envelope("2207", settle_data(mdtrt_id, psn_no, "20.00"))
    ok(client, "2601", {"data": {"psn_no": psn_no, "omsgid": late["msgid"], "oinfno": "2207"}})
    answer = post(client, late).json()
    assert answer["infcode"] == -1 and "reversed by 2601" in answer["err_msg"]
    with gateway.engine.connect() as connection:
        assert connection.execute(
            select(fee_lines.c.setl_id).where(fee_lines.c.mdtrt_id == mdtrt_id)
        ).all()
    fresh = ok(client, "2207", settle_data(mdtrt_id, psn_no, "20.00"))
    assert fresh["setlinfo"]["medfee_sumamt"] == "20.00"


def test_2601_cancels_a_registration_and_refuses_a_mismatched_oinfno(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, _ = employee(gateway, minimum="0")
    register = envelope("2201", {"data": {"psn_no": psn_no, "insutype": "310", "begntime": NOW, "mdtrt_cert_type": "02",
                                          "mdtrt_cert_no": "x", "caty": "A03"}})  # fmt: skip
    mdtrt_id = post(client, register).json()["output"]["data"]["mdtrt_id"]
    wrong = post(
        client,
        envelope(
            "2601", {"data": {"psn_no": psn_no, "omsgid": register["msgid"], "oinfno": "2207"}}
        ),
    )
    assert wrong.json()["infcode"] == -1 and "input.data.oinfno" in wrong.json()["err_msg"]
    ok(client, "2601", {"data": {"psn_no": psn_no, "omsgid": register["msgid"], "oinfno": "2201"}})
    gone = post(
        client,
        envelope("2204", {"feedetail": [line("1", mdtrt_id, psn_no, CLASS_A_DRUG, "1.00", "1")]}),
    )
    assert gone.json()["infcode"] == -1
