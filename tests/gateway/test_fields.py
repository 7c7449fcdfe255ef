"""Input field checks against ``field_rules.json``, with realistic inputs from interface.md."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from yibao.gateway.envelope import decode_body
from yibao.gateway.fields import _check_node, check_input, served_transactions, transaction_rule
from yibao.kernel.codes import CODE_TABLES
from yibao.kernel.errors import InvalidValue

ROOT = Path(__file__).resolve().parents[2]
PSN_NO = "51000051010400001234"
CERT_NO = "510104198005061234"
MDTRT_OUT = "510104G0000000001234"
MDTRT_IN = "510104G0000000005678"
# fmt: off
SERVED = (
    "9001", "9002", "1101", "1201", "1901", "1312", "1316", "1317", "1318", "1319", "2001",
    "2201", "2202", "2203", "2204", "2205", "2206", "2207", "2208",
    "2301", "2302", "2303", "2304", "2305", "2401", "2402", "2403", "2404", "2405",
    "2501", "2502", "2503", "2504", "2505", "2506",
    "2601", "3101", "3102", "3301", "3302", "5201", "5202", "5203", "5204", "5206", "5301", "5302",
    "3201", "3202", "3203", "3204", "9101", "9102", "4101", "4102", "4103",
)
# fmt: on

# 2201 门诊挂号: an employee (310) registers with an ID card (02) at internal medicine.
REGISTER_2201: dict[str, Any] = {
    "data": {
        "psn_no": PSN_NO,
        "insutype": "310",
        "begntime": "2024-03-01 09:30:00",
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": CERT_NO,
        "ipt_otp_no": "MZ202403010001",
        "atddr_no": "D510104000123",
        "dr_name": "王建国",
        "dept_code": "A03",
        "dept_name": "内科",
        "caty": "A03",
    }
}

# 2203 门诊就诊信息上传: 普通门诊 (11) with one diagnosis.
VISIT_2203: dict[str, Any] = {
    "mdtrtinfo": {
        "mdtrt_id": MDTRT_OUT,
        "psn_no": PSN_NO,
        "med_type": "11",
        "begntime": "2024-03-01 09:30:00",
        "main_cond_dscr": "咳嗽、咽痛三天",
        "dise_codg": "",
        "dise_name": "",
    },
    "diseinfo": [
        {
            "diag_type": "1",
            "diag_srt_no": 1,
            "diag_code": "J06.900",
            "diag_name": "急性上呼吸道感染",
            "diag_dept": "内科",
            "dise_dor_no": "D510104000123",
            "dise_dor_name": "王建国",
            "diag_time": "2024-03-01 09:42:00",
            "vali_flag": "1",
        }
    ],
}


def _fee_line(sn: str, code: str, pric: str, cnt: str, amount: str) -> dict[str, Any]:
    return {
        "feedetl_sn": sn,
        "mdtrt_id": MDTRT_OUT,
        "psn_no": PSN_NO,
        "chrg_bchno": "CB202403010001",
        "dise_codg": "",
        "rxno": "RX202403010007",
        "rx_circ_flag": "0",
        "fee_ocur_time": "2024-03-01 09:55:00",
        "med_list_codg": code,
        "medins_list_codg": f"HIS-{code[:10]}",
        "det_item_fee_sumamt": amount,
        "cnt": cnt,
        "pric": pric,
        "sin_dos_dscr": "0.25g",
        "used_frqu_dscr": "tid",
        "prd_days": "3",
        "medc_way_dscr": "口服",
        "bilg_dept_codg": "A03",
        "bilg_dept_name": "内科",
        "bilg_dr_codg": "D510104000123",
        "bilg_dr_name": "王建国",
        "hosp_appr_flag": "1",
        "exp_content": {"er_flag": "0"},
    }


# 2204 门诊费用明细信息上传: a drug (two boxes), a blood count and the consultation.
FEES_2204: dict[str, Any] = {
    "feedetail": [
        _fee_line("MZF0001", "XJ01CAA040A001010104023", "12.800000", "2", "25.60"),
        _fee_line("MZF0002", "002502010020000", "18.000000", "1", "18.00"),
        _fee_line("MZF0003", "001102000010000", "42.600000", "1.0000", "42.60"),
    ]
}

# 2207 门诊结算: the four parts add up to medfee_sumamt (86.20).
SETTLE_2207: dict[str, Any] = {
    "data": {
        "psn_no": PSN_NO,
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": CERT_NO,
        "med_type": "11",
        "medfee_sumamt": "86.20",
        "psn_setlway": "01",
        "mdtrt_id": MDTRT_OUT,
        "chrg_bchno": "CB202403010001",
        "insutype": "310",
        "acct_used_flag": "1",
        "invono": "",
        "fulamt_ownpay_amt": "0.00",
        "overlmt_selfpay": "0.00",
        "preselfpay_amt": "2.56",
        "inscp_scp_amt": "83.64",
    }
}


def _ipt_line(sn: str, code: str, pric: str, cnt: str, amount: str, **extra: str) -> dict[str, Any]:
    return {
        "feedetl_sn": sn,
        "mdtrt_id": MDTRT_IN,
        "drord_no": "YZ20240302001",
        "psn_no": PSN_NO,
        "med_type": "21",
        "fee_ocur_time": "2024-03-02 08:00:00",
        "med_list_codg": code,
        "medins_list_codg": f"HIS-{code[:10]}",
        "det_item_fee_sumamt": amount,
        "cnt": cnt,
        "pric": pric,
        "bilg_dept_codg": "A03.01",
        "bilg_dept_name": "呼吸内科",
        "bilg_dr_codg": "D510104000456",
        "bilg_dr_name": "陈静",
        "hosp_appr_flag": "0",
        "memo": "",
        **extra,
    }


# 2301 住院费用明细上传: a bed day, an infusion, and the refund of one infusion (negative cnt).
FEES_2301: dict[str, Any] = {
    "feedetail": [
        _ipt_line("ZYF0001", "001101000010000", "45.000000", "1", "45.00"),
        _ipt_line("ZYF0002", "XJ01DDA120B002010100973", "36.540000", "2", "73.08"),
        _ipt_line(
            "ZYF0003",
            "XJ01DDA120B002010100973",
            "36.540000",
            "-1",
            "-36.54",
            init_feedetl_sn="ZYF0002",
        ),
    ]
}

# 2304 住院结算 at discharge (mid_setl_flag 0).
SETTLE_2304: dict[str, Any] = {
    "data": {
        "psn_no": PSN_NO,
        "mdtrt_cert_type": "03",
        "mdtrt_cert_no": "E51010412345678",
        "medfee_sumamt": "5823.40",
        "psn_setlway": "01",
        "mdtrt_id": MDTRT_IN,
        "insutype": "310",
        "acct_used_flag": "0",
        "invono": "ZY0000123",
        "mid_setl_flag": "0",
        "fulamt_ownpay_amt": "120.00",
        "overlmt_selfpay": "0.00",
        "preselfpay_amt": "310.52",
        "inscp_scp_amt": "5392.88",
        "dscgTime": "2024-03-08",
    }
}

# 2401 入院办理: 普通住院 (21), main and secondary diagnosis.
ADMIT_2401: dict[str, Any] = {
    "mdtrtinfo": {
        "psn_no": PSN_NO,
        "insutype": "310",
        "coner_name": "李娟",
        "tel": "13800000000",
        "begntime": "2024-03-02 07:45:00",
        "mdtrt_cert_type": "03",
        "mdtrt_cert_no": "E51010412345678",
        "med_type": "21",
        "ipt_no": "ZY202403020011",
        "medrcdno": "BA00123456",
        "atddr_no": "D510104000456",
        "chfpdr_name": "陈静",
        "adm_diag_dscr": "社区获得性肺炎",
        "adm_dept_codg": "A03.01",
        "adm_dept_name": "呼吸内科",
        "adm_bed": "12",
        "dscg_maindiag_code": "J18.900",
        "dscg_maindiag_name": "肺炎",
        "main_cond_dscr": "发热咳嗽五天",
        "geso_val": None,
        "fetts": "",
    },
    "diseinfo": [
        {
            "psn_no": PSN_NO,
            "diag_type": "1",
            "maindiag_flag": "1",
            "diag_srt_no": "1",
            "diag_code": "J18.900",
            "diag_name": "肺炎",
            "adm_cond": "有",
            "diag_dept": "呼吸内科",
            "dise_dor_no": "D510104000456",
            "dise_dor_name": "陈静",
            "diag_time": "2024-03-02 08:10:00",
        },
        {
            "psn_no": PSN_NO,
            "diag_type": "1",
            "maindiag_flag": "0",
            "diag_srt_no": "2",
            "diag_code": "I10.x00",
            "diag_name": "高血压",
            "diag_dept": "呼吸内科",
            "dise_dor_no": "D510104000456",
            "dise_dor_name": "陈静",
            "diag_time": "2024-03-02 08:10:00",
        },
    ],
}

# 2601 冲正交易 of a 2207 whose answer was lost.
REVERSE_2601: dict[str, Any] = {
    "data": {"psn_no": PSN_NO, "omsgid": "H51010400123202403011002170003", "oinfno": "2207"}
}

VALID: dict[str, dict[str, Any]] = {
    "2201": REGISTER_2201,
    "2203": VISIT_2203,
    "2204": FEES_2204,
    "2207": SETTLE_2207,
    "2301": FEES_2301,
    "2304": SETTLE_2304,
    "2401": ADMIT_2401,
    "2601": REVERSE_2601,
}


def _changed(
    infno: str, node: str, field: str, value: Any, index: int | None = None
) -> dict[str, Any]:
    body = copy.deepcopy(VALID[infno])
    target = body[node] if index is None else body[node][index]
    if value is ...:
        del target[field]
    else:
        target[field] = value
    return body


def _problem(infno: str, body: dict[str, Any]) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        check_input(infno, body)
    return caught.value


@pytest.mark.parametrize("infno", sorted(VALID))
def test_a_correct_input_passes(infno: str) -> None:
    check_input(infno, VALID[infno])


def test_json_numbers_read_as_decimal_pass() -> None:
    raw = b'{"data": {"psn_no": "P1", "mdtrt_cert_type": "02", "mdtrt_cert_no": "X", "med_type": "11",'
    raw += b' "medfee_sumamt": 86.20, "psn_setlway": "01", "mdtrt_id": "M", "chrg_bchno": "B",'
    raw += b' "insutype": "310", "acct_used_flag": "0", "preselfpay_amt": 2.56}}'
    body = decode_body(raw)
    assert isinstance(body, dict)
    check_input("2207", body)


def test_missing_feedetl_sn_names_the_line() -> None:
    problem = _problem("2204", _changed("2204", "feedetail", "feedetl_sn", ..., index=2))
    assert (problem.field, problem.reason) == ("input.feedetail[2].feedetl_sn", "missing")


def test_blank_required_field_is_empty() -> None:
    problem = _problem("2301", _changed("2301", "feedetail", "feedetl_sn", "  ", index=0))
    assert (problem.field, problem.reason) == ("input.feedetail[0].feedetl_sn", "empty")


def test_over_long_med_list_codg() -> None:
    body = _changed("2301", "feedetail", "med_list_codg", "X" * 51, index=1)
    problem = _problem("2301", body)
    assert (problem.field, problem.reason) == (
        "input.feedetail[1].med_list_codg",
        "longer than 50 characters",
    )


@pytest.mark.parametrize("infno", ["2204", "2301"])
def test_price_with_seven_decimals(infno: str) -> None:
    problem = _problem(infno, _changed(infno, "feedetail", "pric", "12.8000001", index=0))
    assert problem.field == "input.feedetail[0].pric"
    assert problem.reason == "12.8000001 has more than 6 decimal places"


@pytest.mark.parametrize("cnt", ["两盒", "2盒", True, [2]])
def test_cnt_not_a_number(cnt: object) -> None:
    problem = _problem("2204", _changed("2204", "feedetail", "cnt", cnt, index=1))
    assert problem.field == "input.feedetail[1].cnt"
    assert "not a number" in problem.reason or "expected a number" in problem.reason


def test_amount_with_three_decimals() -> None:
    problem = _problem("2207", _changed("2207", "data", "medfee_sumamt", "86.205"))
    assert (problem.field, problem.reason) == (
        "input.data.medfee_sumamt",
        "86.205 has more than 2 decimal places",
    )


def test_integer_digits_follow_the_precision() -> None:
    problem = _problem("2204", _changed("2204", "feedetail", "prd_days", "120", index=0))
    assert (problem.field, problem.reason) == (
        "input.feedetail[0].prd_days",
        "120 exceeds 2 integer digits (N4,2)",
    )


def test_whole_number_field() -> None:
    body = copy.deepcopy(ADMIT_2401)
    body["diseinfo"][1]["diag_srt_no"] = "2.5"
    problem = _problem("2401", body)
    assert (problem.field, problem.reason) == (
        "input.diseinfo[1].diag_srt_no",
        "2.5 is not a whole number (N2,0)",
    )


@pytest.mark.parametrize(
    ("infno", "node", "path"),
    [
        ("2203", "mdtrtinfo", "input.mdtrtinfo.med_type"),
        ("2207", "data", "input.data.med_type"),
        ("2401", "mdtrtinfo", "input.mdtrtinfo.med_type"),
    ],
)
def test_unknown_med_type_code(infno: str, node: str, path: str) -> None:
    problem = _problem(infno, _changed(infno, node, "med_type", "99"))
    assert (problem.field, problem.reason) == (path, "unknown code '99' for med_type")


def test_unknown_code_in_2201_data() -> None:
    # 2201's data carries no med_type in the sources (it arrives with 2203); insutype is coded.
    assert "med_type" not in {f.name for f in transaction_rule("2201").nodes[0].fields}
    problem = _problem("2201", _changed("2201", "data", "insutype", "999"))
    assert (problem.field, problem.reason) == (
        "input.data.insutype",
        "unknown code '999' for insutype",
    )


def test_unknown_code_in_a_nested_extension() -> None:
    body = copy.deepcopy(FEES_2204)
    body["feedetail"][0]["exp_content"] = {"er_flag": "9"}
    problem = _problem("2204", body)
    assert (problem.field, problem.reason) == (
        "input.feedetail[0].exp_content.er_flag",
        "unknown code '9' for er_flag",
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2024-03-01T09:55:00", "is not a time yyyy-MM-dd HH:mm:ss"),
        ("2024-02-30 09:55:00", "is not a time yyyy-MM-dd HH:mm:ss"),
        ("2024/03/01", "is not a time yyyy-MM-dd HH:mm:ss"),
        (20240301, "expected a time yyyy-MM-dd HH:mm:ss, got number"),
    ],
)
def test_bad_fee_time(value: object, reason: str) -> None:
    problem = _problem("2204", _changed("2204", "feedetail", "fee_ocur_time", value, index=0))
    assert problem.field == "input.feedetail[0].fee_ocur_time"
    assert reason in problem.reason


def test_bad_date() -> None:
    problem = _problem("2304", _changed("2304", "data", "dscgTime", "2024-13-08"))
    assert (problem.field, problem.reason) == (
        "input.data.dscgTime",
        "'2024-13-08' is not a date yyyy-MM-dd",
    )


def test_string_field_refuses_a_number() -> None:
    problem = _problem("2601", _changed("2601", "data", "oinfno", 2207))
    assert (problem.field, problem.reason) == ("input.data.oinfno", "expected a string, got number")


def test_optional_blank_fields_are_not_checked() -> None:
    body = _changed("2207", "data", "fulamt_ownpay_amt", "")
    body["data"]["invono"] = None
    check_input("2207", body)


def test_missing_node() -> None:
    problem = _problem("2204", {})
    assert (problem.field, problem.reason) == ("input.feedetail", "missing")


def test_empty_list_node() -> None:
    problem = _problem("2301", {"feedetail": []})
    assert problem.field == "input.feedetail"
    assert problem.reason.startswith("empty")


def test_list_entry_must_be_an_object() -> None:
    problem = _problem("2204", {"feedetail": [FEES_2204["feedetail"][0], "MZF0002"]})
    assert (problem.field, problem.reason) == (
        "input.feedetail[1]",
        "expected a JSON object, got string",
    )


def test_a_single_object_stands_for_a_list_of_one() -> None:
    check_input("2204", {"feedetail": FEES_2204["feedetail"][0]})


def test_an_object_node_refuses_a_list() -> None:
    problem = _problem("2207", {"data": [SETTLE_2207["data"]]})
    assert (problem.field, problem.reason) == ("input.data", "expected a JSON object, got array")


def test_unknown_fields_and_nodes_are_ignored() -> None:
    body = _changed("2601", "data", "vendor_note", "补发")
    body["extra_node"] = {"x": 1}
    check_input("2601", body)


def test_unknown_transaction() -> None:
    problem = _problem("9999", {"data": {}})
    assert (problem.field, problem.reason) == ("infno", "unknown transaction 9999")


def test_an_optional_list_node_may_be_absent_but_its_entries_are_checked() -> None:
    rule = {n.name: n for n in transaction_rule("4101").nodes}
    assert (
        rule["payinfo"].required and not rule["icuinfo"].required and not rule["oprninfo"].required
    )
    node = rule["oprninfo"]
    with pytest.raises(InvalidValue) as bad:
        _check_node(transaction_rule("4101"), node, [{"oprn_oprt_type": "1"}], "input.oprninfo")
    assert bad.value.message.startswith("input.oprninfo[0].oprn_oprt_name")


def test_every_served_transaction_has_rules() -> None:
    assert served_transactions() == frozenset(SERVED)
    for infno in SERVED:
        assert transaction_rule(infno).nodes, infno


def test_every_code_table_in_the_rules_exists() -> None:
    for infno in SERVED:
        rule = transaction_rule(infno)
        for node in (*rule.nodes, *rule.nested.values()):
            for field in node.fields:
                assert field.code_table is None or field.code_table in CODE_TABLES
                assert field.type in {"C", "N", "D", "DT"}


def test_rules_json_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_field_rules.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_are_not_read_at_import_time() -> None:
    code = "import yibao.gateway.fields as f; print(f._rules.cache_info().currsize)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "0"
