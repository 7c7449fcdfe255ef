"""The catalogue transactions end to end (1312, 1316–1319, 3301, 3302) on SQLite and PostgreSQL.

Values come from the demo catalogue's role codes (``src/yibao/demo/data/catalog/README.md``). The
database lives for the module, so every test maps its own codes (``T<test>-…``) and never counts
on the mappings other tests (or the demo loader) left behind.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.gateway.support import HOSPITAL, count, envelope, headers, post
from yibao.catalog.tables import catalog_mappings
from yibao.gateway.pipeline import Gateway

OTHER = "H99010000003"
BED = "001109000010000"  # 普通病房床位费, 甲类, ceilings 50/45/40/35
DRUG_B10 = "ZA14AAX0455010100286"  # 小儿七星茶颗粒, 乙类, self-pay share 0.10, no ceiling
RESTRICTED = "XA10BJD332B002010178403"  # 度拉糖肽注射液, 限定机构等级：二级
PAGE = {"updt_time": "2024-01-01", "page_num": 1, "page_size": 100}


def call(client: TestClient, infno: str, data: dict[str, Any], code: str = HOSPITAL) -> Any:
    body = envelope(infno, {"data": data}, code=code)
    return post(client, body, headers(code)).json()


def ok(answer: Any) -> Any:
    assert answer["infcode"] == 0, answer["err_msg"]
    return answer["output"]


def refused(answer: Any, field: str) -> str:
    assert answer["infcode"] == -1 and answer["output"] is None, answer
    message: str = answer["err_msg"]
    assert field in message, message
    return message


def upload(client: TestClient, own: str, national: str, code: str = HOSPITAL, **extra: Any) -> Any:
    data = {"fixmedins_hilist_id": own, "fixmedins_hilist_name": f"{own} 本院名称",
            "med_list_codg": national, "begndate": "2024-01-01", **extra}  # fmt: skip
    return call(client, "3301", data, code)


def test_1312_finds_an_entry_by_its_code(client: TestClient) -> None:
    out = ok(call(client, "1312", {"hilist_code": BED, **PAGE}))
    assert out["recordCounts"] == 1 and out["pageNum"] == 1 and out["pages"] == 1
    assert out["data"] == [
        {"hilist_code": BED, "insu_admdvs": "990100", "poolarea_no": "990100",
         "begndate": "2024-01-01", "enddate": None, "vali_flag": "1", "hilist_name": "普通病房床位费",
         "list_type": "201", "chrgitm_lv": "01", "med_chrgitm_type": "01", "selfpay_prop": "0.0000",
         "lmt_used_flag": "0", "lmt_used_scope": "", "pinyin": "PTBFCWF"}
    ]  # fmt: skip
    drug = ok(call(client, "1312", {"hilist_code": DRUG_B10, **PAGE}))["data"][0]
    assert (drug["hilist_name"], drug["list_type"], drug["chrgitm_lv"], drug["selfpay_prop"]) == (
        "小儿七星茶颗粒",
        "102",
        "02",
        "0.1000",
    )
    limited = ok(call(client, "1312", {"hilist_code": RESTRICTED, **PAGE}))["data"][0]
    assert (limited["lmt_used_flag"], limited["lmt_used_scope"]) == ("1", "限定机构等级：二级")
    none = ok(call(client, "1312", {"hilist_code": "NO-SUCH-CODE", **PAGE}))
    assert none["recordCounts"] == 0 and none["data"] == [] and none["pages"] == 0


def test_1312_finds_entries_by_name_fragment_a_page_at_a_time(client: TestClient) -> None:
    first = ok(call(client, "1312", {"hilist_name": "普通病房床位费", **PAGE, "page_size": 2}))
    assert first["recordCounts"] >= 3 and first["size"] == 2 and first["firstPage"]
    assert [row["hilist_code"] for row in first["data"]] == [BED, "001109000010100"]
    assert all("普通病房床位费" in row["hilist_name"] for row in first["data"])
    second = ok(
        call(
            client, "1312", {"hilist_name": "普通病房床位费", **PAGE, "page_num": 2, "page_size": 2}
        )
    )
    assert second["startRow"] == 3 and second["data"][0]["hilist_code"] == "001109000010200"
    assert not second["firstPage"]


def test_1312_finds_entries_by_pinyin_initials(client: TestClient) -> None:
    out = ok(call(client, "1312", {"pinyin": "ptbf", **PAGE}))
    codes = [row["hilist_code"] for row in out["data"]]
    assert BED in codes and out["recordCounts"] == len(codes)
    assert out["data"][0]["pinyin"] == "PTBFCWF"
    upper = ok(call(client, "1312", {"pinyin": "PTBFCWF", "chrgitm_lv": "01", **PAGE}))
    assert BED in [row["hilist_code"] for row in upper["data"]]
    assert {row["chrgitm_lv"] for row in upper["data"]} == {"01"}
    drug = ok(call(client, "1312", {"pinyin": "xeqxc", **PAGE}))  # 小儿七星茶
    assert DRUG_B10 in [row["hilist_code"] for row in drug["data"]]


def test_1318_gives_the_ceiling_of_every_tier(client: TestClient) -> None:
    out = ok(call(client, "1318", {"hilist_code": BED, **PAGE}))
    ceilings = {row["hilist_lmtpric_type"]: row["hilist_pric_uplmt_amt"] for row in out["data"]}
    assert ceilings == {"tier3": "50.000000", "tier2": "45.000000", "tier1": "40.000000",
                        "primary": "35.000000"}  # fmt: skip
    assert {row["lmtpric_hosp_lv"] for row in out["data"]} == {
        "三级医院",
        "二级医院",
        "一级医院",
        "基层医疗机构",
    }
    assert all(row["hilist_code"] == BED and row["insu_admdvs"] == "990100" for row in out["data"])
    without = ok(call(client, "1318", {"hilist_code": DRUG_B10, **PAGE}))
    assert without["data"] == [] and without["recordCounts"] == 0
    refused(call(client, "1318", {"hilist_code": "NO-SUCH-CODE", **PAGE}), "input.data.hilist_code")
    refused(call(client, "1318", PAGE), "input.data.hilist_code")


def test_1319_gives_the_self_pay_share(client: TestClient) -> None:
    out = ok(call(client, "1319", {"hilist_code": DRUG_B10, **PAGE}))
    assert [(r["hilist_code"], r["selfpay_prop"], r["begndate"]) for r in out["data"]] == [
        (DRUG_B10, "0.1000", "2024-01-01")
    ]
    bed = ok(call(client, "1319", {"hilist_code": BED, "query_date": "2025-06-30", **PAGE}))
    assert bed["data"][0]["selfpay_prop"] == "0.0000"
    before = ok(call(client, "1319", {"hilist_code": BED, "query_date": "2023-12-31", **PAGE}))
    assert before["data"] == []
    refused(call(client, "1319", {"hilist_code": "NO-SUCH-CODE", **PAGE}), "input.data.hilist_code")


def test_a_mapping_is_uploaded_queried_and_revoked(client: TestClient, gateway: Gateway) -> None:
    before = count(gateway, catalog_mappings)
    result = ok(upload(client, "T1-BED", BED, list_type="201"))["result"]
    assert result == {"fixmedins_code": HOSPITAL, "fixmedins_hilist_id": "T1-BED",
                      "med_list_codg": BED, "list_type": "201", "begndate": "2024-01-01",
                      "enddate": None}  # fmt: skip
    assert count(gateway, catalog_mappings) == before + 1

    mine = ok(call(client, "1317", {"medins_list_codg": "T1-BED", **PAGE}))
    assert mine["recordCounts"] == 1
    assert mine["data"][0] == {
        "fixmedins_code": HOSPITAL, "medins_list_codg": "T1-BED", "medins_list_name": None,
        "med_list_codg": BED, "list_type": "201", "insu_admdvs": "990100",
        "begndate": "2024-01-01", "enddate": None, "vali_flag": "1",
    }  # fmt: skip
    by_national = ok(call(client, "1316", {"hilist_code": BED, **PAGE}))
    row = next(r for r in by_national["data"] if r["medins_list_codg"] == "T1-BED")
    assert (row["med_list_codg"], row["hilist_code"], row["list_type"]) == (BED, BED, "201")
    services = ok(call(client, "1317", {"list_type": "201", "medins_list_codg": "T1-BED", **PAGE}))
    assert services["recordCounts"] == 1
    drugs = ok(call(client, "1317", {"list_type": "102", "medins_list_codg": "T1-BED", **PAGE}))
    assert drugs["recordCounts"] == 0

    revoked = ok(call(client, "3302", {"fixmedins_hilist_id": "T1-BED"}))["result"]
    assert [(r["fixmedins_hilist_id"], r["med_list_codg"]) for r in revoked] == [("T1-BED", BED)]
    assert count(gateway, catalog_mappings) == before
    assert ok(call(client, "1317", {"medins_list_codg": "T1-BED", **PAGE}))["data"] == []
    again = call(client, "3302", {"fixmedins_hilist_id": "T1-BED"})
    refused(again, "input.data.fixmedins_hilist_id")


def test_successive_mappings_of_one_code_may_follow_each_other(client: TestClient) -> None:
    ok(upload(client, "T2-DRUG", BED, enddate="2024-06-30"))
    ok(upload(client, "T2-DRUG", DRUG_B10, begndate="2024-07-01"))
    spans = ok(call(client, "1317", {"medins_list_codg": "T2-DRUG", **PAGE}))["data"]
    assert [(r["med_list_codg"], r["begndate"], r["enddate"], r["vali_flag"]) for r in spans] == [
        (BED, "2024-01-01", "2024-06-30", "0"), (DRUG_B10, "2024-07-01", None, "1")
    ]  # fmt: skip
    on_day = ok(
        call(client, "1317", {"medins_list_codg": "T2-DRUG", "query_date": "2024-03-01", **PAGE})
    )
    assert [r["med_list_codg"] for r in on_day["data"]] == [BED]
    one = ok(call(client, "3302", {"fixmedins_hilist_id": "T2-DRUG", "med_list_codg": BED}))
    assert [r["med_list_codg"] for r in one["result"]] == [BED]
    left = ok(call(client, "1317", {"medins_list_codg": "T2-DRUG", **PAGE}))["data"]
    assert [r["med_list_codg"] for r in left] == [DRUG_B10]


def test_a_refused_upload_names_the_field_and_writes_nothing(
    client: TestClient, gateway: Gateway
) -> None:
    ok(upload(client, "T3-BED", BED))
    before = count(gateway, catalog_mappings)
    refused(upload(client, "T3-NEW", "NO-SUCH-CODE"), "input.data.med_list_codg")
    refused(upload(client, "T3-NEW", BED, begndate="2023-06-01"), "input.data.med_list_codg")
    refused(upload(client, "T3-BED", DRUG_B10, begndate="2025-01-01"), "input.data.begndate")
    refused(upload(client, "T3-NEW", BED, list_type="101"), "input.data.list_type")
    refused(upload(client, "T3-NEW", BED, enddate="2023-12-31"), "input.data.enddate")
    refused(upload(client, "T3-NEW", BED, list_type="999"), "input.data.list_type")
    refused(upload(client, "", BED), "input.data.fixmedins_hilist_id")
    refused(call(client, "3301", {"fixmedins_hilist_id": "T3-NEW"}), "input.data.med_list_codg")
    assert count(gateway, catalog_mappings) == before


def test_an_institution_neither_sees_nor_revokes_another_s_mappings(
    client: TestClient, gateway: Gateway
) -> None:
    ok(upload(client, "T4-BED", BED))
    before = count(gateway, catalog_mappings)
    seen = ok(call(client, "1317", {"medins_list_codg": "T4-BED", **PAGE}, code=OTHER))
    assert seen["recordCounts"] == 0 and seen["data"] == []
    matched = ok(call(client, "1316", {"hilist_code": BED, **PAGE}, code=OTHER))
    assert all(row["fixmedins_code"] == OTHER for row in matched["data"])
    refused(
        call(client, "1317", {"fixmedins_code": HOSPITAL, **PAGE}, code=OTHER),
        "input.data.fixmedins_code",
    )
    refused(
        call(client, "3302", {"fixmedins_hilist_id": "T4-BED"}, code=OTHER),
        "input.data.fixmedins_hilist_id",
    )
    refused(
        call(
            client,
            "3302",
            {"fixmedins_hilist_id": "T4-BED", "fixmedins_code": HOSPITAL},
            code=OTHER,
        ),
        "input.data.fixmedins_code",
    )
    assert count(gateway, catalog_mappings) == before
    assert ok(call(client, "1317", {"medins_list_codg": "T4-BED", **PAGE}))["recordCounts"] == 1
    # the other institution may map the same own code for itself
    ok(upload(client, "T4-BED", DRUG_B10, code=OTHER))
    theirs = ok(call(client, "1317", {"medins_list_codg": "T4-BED", **PAGE}, code=OTHER))["data"]
    assert [(r["fixmedins_code"], r["med_list_codg"]) for r in theirs] == [(OTHER, DRUG_B10)]


def test_paging_is_bounded(client: TestClient) -> None:
    refused(call(client, "1312", {**PAGE, "page_size": 1001}), "input.data.page_size")
    refused(call(client, "1312", {**PAGE, "page_num": 0}), "input.data.page_num")
    refused(call(client, "1317", {**PAGE, "page_size": 0}), "input.data.page_size")
    refused(
        call(client, "1312", {"hilist_code": BED, "updt_time": "2024-01-01"}), "input.data.page_num"
    )
    beyond = ok(call(client, "1312", {"hilist_code": BED, **PAGE, "page_num": 5}))
    assert beyond["data"] == [] and beyond["recordCounts"] == 1 and beyond["lastPage"]


def test_queries_answer_for_the_region_asked(client: TestClient) -> None:
    elsewhere = ok(call(client, "1312", {"hilist_code": BED, "insu_admdvs": "110100", **PAGE}))
    assert elsewhere["recordCounts"] == 0
    here = ok(call(client, "1312", {"hilist_code": BED, "insu_admdvs": "990100", **PAGE}))
    assert here["recordCounts"] == 1
    refused(
        call(client, "1318", {"hilist_code": BED, "insu_admdvs": "110100", **PAGE}),
        "input.data.hilist_code",
    )
