"""Filings through the gateway (2501–2506, 5301, 5302), signed, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.gateway.support import HOSPITAL, envelope, headers, post
from tests.gateway.test_settlement_calls import ok
from yibao.gateway.pipeline import Gateway
from yibao.registry.filing_tables import chronic_filings, designated_filings, referral_filings
from yibao.registry.tables import enrolments

TODAY = date.today()
OTHER = "H99010000003"
CLINIC = "H99010000006"
MISSING_SN = "2503" + "0" * 26


def person(gateway: Gateway, n: int) -> str:
    """The n-th employee (310) of 990100 from the end of the demo population: one per test."""
    with gateway.engine.connect() as connection:
        psn_no: str = connection.execute(
            select(enrolments.c.psn_no)
            .where(enrolments.c.insutype == "310", enrolments.c.insuplc_admdvs == "990100")
            .order_by(enrolments.c.psn_no.desc()).offset(n).limit(1)
        ).scalar_one()  # fmt: skip
    return psn_no


def chronic(
    psn_no: str, *, code: str = "M03900", name: str = "高血压病", begndate: date = TODAY,
    enddate: date | None = None, **extra: str,
) -> dict[str, Any]:  # fmt: skip
    """A 2503 input as newtouch's Input_2503 lists it."""
    data = {"psn_no": psn_no, "insutype": "310", "opsp_dise_code": code, "opsp_dise_name": name,
            "insu_optins": "990100", "ide_fixmedins_no": HOSPITAL, "ide_fixmedins_name": "示范市第一人民医院",
            "hosp_ide_date": TODAY.isoformat(), "diag_dr_codg": "DR1", "diag_dr_name": "医生",
            "begndate": begndate.isoformat(), "enddate": None if enddate is None else enddate.isoformat(),
            **extra}  # fmt: skip
    return {"data": data}


def designated(psn_no: str, code: str, begndate: date, **extra: str) -> dict[str, Any]:
    """A 2505 input as newtouch's Input_2505 lists it."""
    return {"data": {"psn_no": psn_no, "biz_appy_type": "01", "begndate": begndate.isoformat(),
                     "fix_srt_no": "1", "fixmedins_code": code, "fixmedins_name": "定点机构", **extra}}  # fmt: skip


def as_other(client: TestClient, infno: str, input_: dict[str, Any]) -> dict[str, Any]:
    body = post(client, envelope(infno, input_, code=OTHER), headers(OTHER)).json()
    assert body["infcode"] == 0, body["err_msg"]
    output: dict[str, Any] = body["output"]
    return output


def refused(client: TestClient, infno: str, input_: dict[str, Any], code: str = HOSPITAL) -> str:
    body = post(client, envelope(infno, input_, code=code), headers(code)).json()
    assert body["infcode"] == -1 and body["output"] is None, body
    message: str = body["err_msg"]
    return message


def test_a_chronic_filing_is_listed_until_its_institution_revokes_it(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no = person(gateway, 0)
    end = TODAY + timedelta(days=364)
    sn = ok(client, "2503", chronic(psn_no, enddate=end, fixmedins_code=HOSPITAL))["result"][
        "trt_dcla_detl_sn"
    ]
    assert len(sn) == 30 and sn.startswith(f"2503{TODAY:%Y%m%d}") and sn.isdigit()
    listed = ok(client, "5301", {"data": {"psn_no": psn_no}})["feedetail"]
    assert listed == [{"opsp_dise_code": "M03900", "opsp_dise_name": "高血压病",
                       "begndate": TODAY.isoformat(), "enddate": end.isoformat(),
                       "trt_dcla_detl_sn": sn, "insutype": "310", "fixmedins_code": HOSPITAL}]  # fmt: skip
    on = ok(client, "5301", {"data": {"psn_no": psn_no, "begntime": f"{end} 23:59:59"}})
    assert on["feedetail"] == listed
    after = ok(client, "5301", {"data": {"psn_no": psn_no, "begntime": str(end + timedelta(1))}})
    assert after["feedetail"] == []

    revoke = {"data": {"trt_dcla_detl_sn": sn, "psn_no": psn_no, "memo": "诊断有误"}}
    theirs = refused(client, "2504", revoke, code=OTHER)
    missing = refused(client, "2504", {"data": {**revoke["data"], "trt_dcla_detl_sn": MISSING_SN}})
    assert theirs == (
        f"[YB5001] trt_dcla_detl_sn: no chronic-disease filing {sn} of person {psn_no} "
        "by this institution"
    )
    assert theirs.replace(sn, "<sn>") == missing.replace(MISSING_SN, "<sn>")
    assert ok(client, "5301", {"data": {"psn_no": psn_no}})["feedetail"] == listed  # still there

    assert ok(client, "2504", revoke) == {}
    assert ok(client, "5301", {"data": {"psn_no": psn_no}})["feedetail"] == []
    assert (
        ok(client, "5301", {"data": {"psn_no": psn_no, "begntime": str(TODAY)}})["feedetail"] == []
    )
    again = refused(client, "2504", revoke)
    assert again.startswith(f"[YB5002] trt_dcla_detl_sn: filing {sn} was revoked at ")
    with gateway.engine.connect() as connection:
        row = connection.execute(
            select(chronic_filings).where(chronic_filings.c.filing_id == sn)
        ).one()
    assert (row.filed_by, row.fixmedins_code, row.memo) == (HOSPITAL, HOSPITAL, "诊断有误")
    assert row.particulars == {  # the identifying institution and doctor, kept as sent
        "insu_optins": "990100", "ide_fixmedins_no": HOSPITAL,
        "ide_fixmedins_name": "示范市第一人民医院", "hosp_ide_date": TODAY.isoformat(),
        "diag_dr_codg": "DR1", "diag_dr_name": "医生",
    }  # fmt: skip
    assert row.revoked_at is not None and row.revoked_at.date() == TODAY


def test_an_overlapping_filing_for_the_same_disease_is_refused(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no = person(gateway, 1)
    end = TODAY + timedelta(days=30)
    first = ok(client, "2503", chronic(psn_no, enddate=end))["result"]["trt_dcla_detl_sn"]
    clash = refused(client, "2503", chronic(psn_no, begndate=end))  # shares the last day
    assert clash == (
        f"[YB5002] opsp_dise_code: person {psn_no} already has filing {first} for M03900, "
        f"valid from {TODAY} to {end}"
    )
    from_other = refused(
        client, "2503", chronic(psn_no, begndate=TODAY - timedelta(days=9)), code=OTHER
    )
    assert from_other.startswith("[YB5002] opsp_dise_code:")
    ok(client, "2503", chronic(psn_no, begndate=end + timedelta(days=1)))  # the day after: fine
    ok(client, "2503", chronic(psn_no, code="M01600", name="糖尿病"))  # another disease
    listed = ok(client, "5301", {"data": {"psn_no": psn_no}})["feedetail"]
    assert sorted((f["opsp_dise_code"], f["begndate"], f["enddate"]) for f in listed) == [
        ("M01600", str(TODAY), None),
        ("M03900", str(TODAY), str(end)),
        ("M03900", str(end + timedelta(days=1)), None),
    ]
    assert all(f["fixmedins_code"] is None for f in listed)  # any designated institution


def test_concurrent_filings_of_one_disease_leave_one(gateway: Gateway) -> None:
    psn_no = person(gateway, 6)
    bodies = [json.dumps(envelope("2503", chronic(psn_no, begndate=TODAY + timedelta(days=n))),
                         ensure_ascii=False).encode() for n in range(8)]  # fmt: skip
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda body: gateway.handle(body, headers()), bodies))
    assert [r.status for r in replies] == [200] * 8
    assert sorted(r.body["infcode"] for r in replies) == [-1] * 7 + [0]
    assert all(
        r.body["err_msg"].startswith(f"[YB5002] opsp_dise_code: person {psn_no} already has filing")
        for r in replies
        if r.body["infcode"] == -1
    )
    with gateway.engine.connect() as connection:
        kept = connection.execute(
            select(func.count())
            .select_from(chronic_filings)
            .where(chronic_filings.c.psn_no == psn_no)
        ).scalar_one()
    assert kept == 1


def test_a_new_designation_replaces_the_one_in_force(client: TestClient, gateway: Gateway) -> None:
    psn_no = person(gateway, 2)
    start = TODAY - timedelta(days=10)
    first = ok(client, "2505", designated(psn_no, HOSPITAL, start))["result"]["trt_dcla_detl_sn"]
    # the person moves to the community clinic from today; another institution files it
    second = as_other(client, "2505", designated(psn_no, CLINIC, TODAY))["result"][
        "trt_dcla_detl_sn"
    ]
    rows = ok(client, "5302", {"data": {"psn_no": psn_no}})["psnfixmedin"]
    assert rows == [
        {"psn_no": psn_no, "insutype": "310", "fix_srt_no": "1", "fixmedins_code": HOSPITAL,
         "fixmedins_name": "示范市第一人民医院", "begndate": str(start), "enddate": str(TODAY - timedelta(1)),
         "memo": f"replaced by {second}", "trt_dcla_detl_sn": first},
        {"psn_no": psn_no, "insutype": "310", "fix_srt_no": "1", "fixmedins_code": CLINIC,
         "fixmedins_name": "东城社区卫生服务中心", "begndate": str(TODAY), "enddate": None, "memo": "",
         "trt_dcla_detl_sn": second},
    ]  # fmt: skip

    def on(day: date) -> list[str]:
        found = ok(client, "5302", {"data": {"psn_no": psn_no, "begntime": str(day)}})
        return [r["trt_dcla_detl_sn"] for r in found["psnfixmedin"]]

    assert (on(TODAY - timedelta(days=1)), on(TODAY)) == ([first], [second])
    # a third from the same day: the second had not begun before it, so it is revoked
    third = ok(client, "2505", designated(psn_no, HOSPITAL, TODAY, insutype="310"))["result"][
        "trt_dcla_detl_sn"
    ]
    assert on(TODAY) == [third] and on(TODAY - timedelta(days=1)) == [first]
    with gateway.engine.connect() as connection:
        revoked = connection.execute(
            select(designated_filings.c.revoked_at, designated_filings.c.memo).where(
                designated_filings.c.filing_id == second
            )
        ).one()
    assert revoked.revoked_at is not None and revoked.memo == f"replaced by {third}"
    with gateway.engine.connect() as connection:
        kept = connection.execute(
            select(designated_filings.c.particulars).where(designated_filings.c.filing_id == first)
        ).scalar_one()
    assert kept == {"biz_appy_type": "01", "fix_srt_no": "1", "fixmedins_name": "定点机构"}

    revoke = {"data": {"trt_dcla_detl_sn": third, "psn_no": psn_no, "memo": "患者要求"}}
    assert refused(client, "2506", revoke, code=OTHER) == (
        f"[YB5001] trt_dcla_detl_sn: no designated-institution filing {third} of person {psn_no} "
        "by this institution"
    )
    assert ok(client, "2506", revoke) == {}
    assert on(TODAY) == [] and on(TODAY - timedelta(days=1)) == [first]


def test_a_referral_is_filed_and_revoked_by_its_institution(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no = person(gateway, 3)
    refmedin = {"psn_no": psn_no, "insutype": "310", "tel": "13800000000", "addr": "示范市示范路1号",
                "insu_optins": "990100", "diag_code": "C34.900", "diag_name": "肺恶性肿瘤",
                "dise_cond_dscr": "需胸外科手术", "reflin_medins_no": "H44010600001",
                "reflin_medins_name": "外省某医院", "mdtrtarea_admdvs": "440106", "hosp_agre_refl_flag": "1",
                "refl_type": "1", "refl_date": str(TODAY), "refl_rea": "本院无法开展该手术",
                "refl_opnn": "同意转院", "enddate": str(TODAY + timedelta(days=90)), "refl_used_flag": "0"}  # fmt: skip
    sn = ok(client, "2501", {"refmedin": refmedin})["result"]["trt_dcla_detl_sn"]
    assert len(sn) == 30 and sn.startswith("2501")
    with gateway.engine.connect() as connection:
        row = connection.execute(
            select(referral_filings).where(referral_filings.c.trt_dcla_detl_sn == sn)
        ).one()
    assert (row.psn_no, row.from_fixmedins_code, row.reflin_medins_no, row.mdtrtarea_admdvs,
            row.refl_type, row.refl_date, row.begndate, row.enddate, row.revoked_at) == (
        psn_no, HOSPITAL, "H44010600001", "440106", "1", TODAY, TODAY, TODAY + timedelta(days=90), None
    )  # fmt: skip
    assert row.particulars == {"tel": "13800000000", "addr": "示范市示范路1号", "insu_optins": "990100",
                               "dise_cond_dscr": "需胸外科手术", "hosp_agre_refl_flag": "1",
                               "refl_used_flag": "0"}  # fmt: skip

    revoke = {"data": {"trt_dcla_detl_sn": sn, "psn_no": psn_no, "memo": "患者放弃转院"}}
    theirs = refused(client, "2502", revoke, code=OTHER)
    assert theirs == (
        f"[YB5001] trt_dcla_detl_sn: no referral filing {sn} of person {psn_no} by this institution"
    )
    other_person = refused(
        client, "2502", {"data": {**revoke["data"], "psn_no": person(gateway, 4)}}
    )
    assert other_person.startswith(f"[YB5001] trt_dcla_detl_sn: no referral filing {sn}")
    assert ok(client, "2502", revoke) == {}
    with gateway.engine.connect() as connection:
        after = connection.execute(
            select(referral_filings).where(referral_filings.c.trt_dcla_detl_sn == sn)
        ).one()
    assert after.revoked_at is not None and after.memo == "患者放弃转院"
    assert refused(client, "2502", revoke).startswith(f"[YB5002] trt_dcla_detl_sn: filing {sn}")


def test_bad_filings_are_refused_naming_the_field(client: TestClient, gateway: Gateway) -> None:
    psn_no = person(gateway, 5)
    good = chronic(psn_no)["data"]
    day_before = "2019-12-31"  # the demo enrolments begin on 2020-01-01
    refmedin = {"psn_no": psn_no, "diag_code": "C34.900", "diag_name": "肺恶性肿瘤",
                "reflin_medins_no": HOSPITAL, "reflin_medins_name": "本院", "mdtrtarea_admdvs": "990100",
                "refl_type": "1", "refl_date": str(TODAY), "refl_rea": "x", "refl_opnn": "y"}  # fmt: skip
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("2503", {"data": {**good, "opsp_dise_code": None}},
         "[YB1001] input.data.opsp_dise_code: missing"),
        ("2503", {"data": {**good, "opsp_dise_code": "M" * 31}},
         "[YB1001] input.data.opsp_dise_code: longer than 30 characters"),
        ("2503", {"data": {**good, "opsp_dise_name": "  "}}, "[YB1001] input.data.opsp_dise_name: empty"),
        ("2503", {"data": {**good, "insutype": "999"}},
         "[YB1001] input.data.insutype: unknown code '999' for insutype"),
        ("2503", {"data": {**good, "begndate": "2026-02-30"}},
         "[YB1001] input.data.begndate: '2026-02-30' is not a date yyyy-MM-dd"),
        ("2503", {"data": {**good, "hosp_ide_date": None}}, "[YB1001] input.data.hosp_ide_date: missing"),
        ("2503", {"data": {**good, "fixmedins_code": "H990100000011"}},
         "[YB1001] input.data.fixmedins_code: longer than 12 characters"),
        ("2503", {"data": {**good, "fixmedins_code": "H99019999999"}},
         "[YB5001] input.data.fixmedins_code: no designated institution H99019999999"),
        ("2503", {"data": {**good, "enddate": str(TODAY - timedelta(days=1))}},
         f"[YB1001] enddate: {TODAY - timedelta(days=1)} is before begndate {TODAY}"),
        ("2503", {"data": {**good, "psn_no": "99010099999999"}},
         "[YB5001] psn_no: no insured person 99010099999999"),
        ("2503", {"data": {**good, "insutype": "390"}},
         f"[YB5002] insutype: no cover on {TODAY}: person {psn_no} is not enrolled in 390"),
        ("2504", {"data": {"trt_dcla_detl_sn": MISSING_SN, "psn_no": psn_no}}, "[YB1001] input.data.memo: missing"),
        ("2505", {"data": {**designated(psn_no, CLINIC, TODAY)["data"], "fix_srt_no": None}},
         "[YB1001] input.data.fix_srt_no: missing"),
        ("2505", designated(psn_no, CLINIC, TODAY, insutype="39"),
         "[YB1001] input.data.insutype: unknown code '39' for insutype"),
        ("2501", {"refmedin": {**refmedin, "reflin_medins_no": None}},
         "[YB1001] input.refmedin.reflin_medins_no: missing"),
        ("2501", {"refmedin": {**refmedin, "reflin_medins_no": "H9901000000012"}},
         "[YB1001] input.refmedin.reflin_medins_no: longer than 12 characters"),
        ("2501", {"refmedin": refmedin},
         f"[YB1001] reflin_medins_no: {HOSPITAL} is the referring institution itself"),
        ("5301", {"data": {"begntime": str(TODAY)}}, "[YB1001] input.data.psn_no: missing"),
        ("5302", {"data": {"psn_no": psn_no, "begntime": "yesterday"}},
         "[YB1001] input.data.begntime: 'yesterday' is not a time yyyy-MM-dd HH:mm:ss"),
    ]  # fmt: skip
    for infno, input_, expected in cases:
        assert refused(client, infno, input_) == expected, (infno, input_)
    early = refused(client, "2503", {"data": {**good, "begndate": day_before}})
    assert early.startswith(
        f"[YB5002] insutype: no cover on {day_before}: {psn_no} is not covered under 310"
    )
    with gateway.engine.connect() as connection:
        stored = [
            connection.execute(
                select(func.count()).select_from(table).where(table.c.psn_no == psn_no)
            ).scalar_one()
            for table in (chronic_filings, designated_filings, referral_filings)
        ]
    assert stored == [0, 0, 0]
