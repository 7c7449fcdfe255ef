"""The request envelope (interface.md §1.1), the response envelope (§1.2) and body decoding."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from yibao.gateway.envelope import (
    RequestEnvelope,
    decode_body,
    new_refmsgid,
    parse_envelope,
    response,
)
from yibao.kernel.errors import InvalidValue

FIXMEDINS = "H51010400123"


def _request(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "infno": "2201",
        "msgid": f"{FIXMEDINS}202403010930000001",
        "mdtrtarea_admvs": "510104",
        "insuplc_admdvs": "510104",
        "recer_sys_code": "YBXT",
        "dev_no": "",
        "dev_safe_info": "",
        "cainfo": "",
        "signtype": "",
        "infver": "V1.0",
        "opter_type": "1",
        "opter": "0012",
        "opter_name": "刘芳",
        "inf_time": "2024-03-01 09:30:00",
        "fixmedins_code": FIXMEDINS,
        "fixmedins_name": "成都市锦江区第一人民医院",
        "sign_no": "510104202403010800001",
        "input": {"data": {"psn_no": "51000051010400001234", "insutype": "310"}},
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


def _problem(body: object) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        parse_envelope(body)
    assert not isinstance(caught.value.__cause__, ValidationError)
    return caught.value


def test_a_complete_envelope_parses() -> None:
    envelope = parse_envelope(_request())
    assert envelope.infno == "2201"
    assert envelope.msgid == "H51010400123202403010930000001"
    assert envelope.inf_time == datetime(2024, 3, 1, 9, 30)
    assert envelope.input["data"]["insutype"] == "310"
    assert envelope.fixmedins_soft_fcty is None


def test_the_envelope_is_frozen() -> None:
    envelope = parse_envelope(_request())
    with pytest.raises(ValidationError):
        envelope.msgid = "other"  # type: ignore[misc]


def test_unknown_top_level_fields_are_ignored_and_soft_fcty_is_kept() -> None:
    envelope = parse_envelope(_request(vendor_extra="x", fixmedins_soft_fcty="东软"))
    assert envelope.fixmedins_soft_fcty == "东软"
    assert not hasattr(envelope, "vendor_extra")


def test_optional_fields_may_be_absent() -> None:
    body = _request(dev_no=..., dev_safe_info=..., cainfo=..., signtype=..., sign_no=...)
    assert parse_envelope(body).sign_no is None


def test_missing_msgid() -> None:
    problem = _problem(_request(msgid=...))
    assert (problem.field, problem.reason) == ("msgid", "missing")


def test_over_long_msgid() -> None:
    problem = _problem(_request(msgid=f"{FIXMEDINS}2024030109300000012"))  # 31 characters
    assert (problem.field, problem.reason) == ("msgid", "longer than 30 characters")
    assert str(problem) == "[YB1001] msgid: longer than 30 characters"


def test_empty_msgid() -> None:
    problem = _problem(_request(msgid=""))
    assert (problem.field, problem.reason) == ("msgid", "empty")


def test_msgid_must_be_a_string() -> None:
    problem = _problem(_request(msgid=202403010930))
    assert (problem.field, problem.reason) == ("msgid", "expected a string, got number")


@pytest.mark.parametrize(
    "inf_time",
    [
        "2024-03-01T09:30:00",
        "2024-3-1 9:30:00",
        "2024-02-30 09:30:00",
        "20240301093000",
        1709256600,
    ],
)
def test_bad_inf_time(inf_time: object) -> None:
    problem = _problem(_request(inf_time=inf_time))
    assert problem.field == "inf_time"
    assert "is not a time yyyy-MM-dd HH:mm:ss" in problem.reason


def test_opter_type_must_be_a_code() -> None:
    problem = _problem(_request(opter_type="9"))
    assert (problem.field, problem.reason) == ("opter_type", "unknown code '9' for opter_type")


@pytest.mark.parametrize(
    ("value", "kind"), [([{"data": {}}], "array"), ("{}", "string"), (None, "null")]
)
def test_input_must_be_an_object(value: object, kind: str) -> None:
    problem = _problem(_request(input=value))
    assert (problem.field, problem.reason) == ("input", f"expected a JSON object, got {kind}")


def test_missing_input() -> None:
    assert _problem(_request(input=...)).field == "input"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("infno", "2201000", "longer than 6 characters"),
        ("mdtrtarea_admvs", ..., "missing"),
        ("recer_sys_code", "YBXT-LONG-1", "longer than 10 characters"),
        ("infver", ..., "missing"),
        ("opter", ..., "missing"),
        ("opter_name", "", "empty"),
        ("fixmedins_code", ..., "missing"),
        ("fixmedins_name", "院" * 201, "longer than 200 characters"),
        ("insuplc_admdvs", "5101040", "longer than 6 characters"),
        ("sign_no", "9" * 31, "longer than 30 characters"),
    ],
)
def test_each_field_is_named(field: str, value: object, reason: str) -> None:
    problem = _problem(_request(**{field: value}))
    assert (problem.field, problem.reason) == (field, reason)


def test_the_first_problem_is_reported() -> None:
    problem = _problem(_request(msgid=..., opter_type="9", input=[]))
    assert problem.field == "msgid"


def test_insuplc_admdvs_is_required_when_the_input_names_a_person() -> None:
    problem = _problem(_request(insuplc_admdvs=...))
    assert problem.field == "insuplc_admdvs"
    assert problem.reason.startswith("missing")
    assert parse_envelope(_request(insuplc_admdvs=..., input={"data": {"type": "insutype"}}))


def test_the_body_must_be_an_object() -> None:
    problem = _problem([_request()])
    assert (problem.field, problem.reason) == ("body", "expected a JSON object, got array")


def test_decode_body_reads_numbers_as_decimal() -> None:
    body = decode_body(b'{"input": {"data": {"medfee_sumamt": 86.20, "cnt": 2}}}')
    assert isinstance(body, dict)
    data = body["input"]["data"]
    assert data["medfee_sumamt"] == Decimal("86.20")
    assert isinstance(data["medfee_sumamt"], Decimal)
    assert data["cnt"] == 2


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"infno": ', "not JSON"),
        (b'{"cnt": NaN}', "NaN is not a number"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "not usable JSON"),
    ],
)
def test_decode_body_refuses_what_is_not_json(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        decode_body(raw)
    assert caught.value.field == "body"
    assert reason in caught.value.reason


def test_refmsgid_is_region_time_and_serial() -> None:
    refmsgid = new_refmsgid("510104", datetime(2024, 3, 1, 9, 30, 5), 42)
    assert refmsgid == "510104" + "20240301093005" + "0000000042"
    assert len(refmsgid) == 30


@pytest.mark.parametrize(
    ("region", "serial"), [("51010", 1), ("5101041", 1), ("510104", 10**10), ("510104", -1)]
)
def test_refmsgid_refuses_what_does_not_fit(region: str, serial: int) -> None:
    with pytest.raises(ValueError):
        new_refmsgid(region, datetime(2024, 3, 1), serial)


def test_success_response() -> None:
    received = datetime(2024, 3, 1, 9, 30, 0, 123000)
    responded = datetime(2024, 3, 1, 9, 30, 0, 456789)
    body = response(
        infcode=0,
        refmsgid="510104202403010930000000000042",
        received=received,
        responded=responded,
        output={"data": {"mdtrt_id": "510104G0000000001", "psn_no": "51000051010400001234"}},
        err_msg=None,
    )
    assert body == {
        "infcode": 0,
        "inf_refmsgid": "510104202403010930000000000042",
        "refmsg_time": "20240301093000123",
        "respond_time": "20240301093000456",
        "err_msg": None,
        "warn_msg": None,
        "cainfo": None,
        "signtype": None,
        "output": {"data": {"mdtrt_id": "510104G0000000001", "psn_no": "51000051010400001234"}},
    }


def test_failure_response_carries_the_reason() -> None:
    problem = InvalidValue("input.feedetail[3].pric", "1.2345678 has more than 6 decimal places")
    body = response(
        infcode=-1,
        refmsgid="510104202403010930000000000043",
        received=datetime(2024, 3, 1, 9, 30),
        responded=datetime(2024, 3, 1, 9, 30, 1),
        output=None,
        err_msg=str(problem),
        warn_msg="本次结算未使用个人账户",
    )
    assert body["infcode"] == -1
    assert (
        body["err_msg"]
        == "[YB1001] input.feedetail[3].pric: 1.2345678 has more than 6 decimal places"
    )
    assert body["warn_msg"] == "本次结算未使用个人账户"
    assert body["output"] is None


@pytest.mark.parametrize(
    ("infcode", "err_msg"), [(1, None), (999, "x"), (-1, None), (-1, ""), (0, "boom")]
)
def test_response_refuses_inconsistent_status(infcode: int, err_msg: str | None) -> None:
    with pytest.raises(ValueError):
        response(
            infcode=infcode,
            refmsgid="510104202403010930000000000044",
            received=datetime(2024, 3, 1),
            responded=datetime(2024, 3, 1),
            output=None,
            err_msg=err_msg,
        )


def test_envelope_model_lists_the_interface_fields() -> None:
    fields = set(RequestEnvelope.model_fields)
    assert len(fields) == 19  # the 18 of §1.1 and fixmedins_soft_fcty
    assert {"infno", "msgid", "mdtrtarea_admvs", "insuplc_admdvs", "input"} <= fields
