"""The gateway end to end on SQLite and PostgreSQL: signed envelopes in, response envelopes out.

Requests go through the real ASGI application (and, once, through a real HTTP server on
127.0.0.1); the store is a migrated database holding the demo region.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from tests.gateway.support import a_person, count, envelope, headers, post
from yibao.bench.his import Person, settle_input
from yibao.gateway.app import MAX_BODY, PATH, create_app
from yibao.gateway.pipeline import Gateway
from yibao.gateway.tables import message_log, sign_ins


def test_sign_in_answers_with_the_response_envelope(client: TestClient) -> None:
    reply = post(
        client, envelope("9001", {"signIn": {"opter_no": "0001", "mac": "", "ip": "127.0.0.1"}})
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body["infcode"] == 0 and body["err_msg"] is None
    assert len(body["inf_refmsgid"]) == 30 and body["inf_refmsgid"].startswith("990100")
    assert len(body["refmsg_time"]) == 17 and len(body["respond_time"]) == 17
    assert len(body["output"]["signinoutb"]["sign_no"]) == 30


def test_person_information_by_identity_card(client: TestClient, gateway: Gateway) -> None:
    certno, name = a_person(gateway)
    body = post(
        client,
        envelope(
            "1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": certno, "psn_name": name}}
        ),
    ).json()
    assert body["infcode"] == 0, body["err_msg"]
    assert body["output"]["baseinfo"]["certno"] == certno
    assert body["output"]["insuinfo"][0]["insutype"] in {"310", "390"}
    wrong = post(
        client,
        envelope(
            "1101",
            {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": certno, "psn_name": "某某某"}},
        ),
    ).json()
    assert wrong["infcode"] == -1 and "input.data.psn_name" in wrong["err_msg"]


def test_institutions_and_code_tables(client: TestClient) -> None:
    found = post(client, envelope("1201", {"medinsinfo": {"fixmedins_name": "社区"}})).json()
    codes = [i["fixmedins_code"] for i in found["output"]["medinsinfo"]]
    assert codes == ["H99010000006", "H99020000004"]  # 东城社区… of 990100, 西山社区… of 990200
    table = post(
        client, envelope("1901", {"data": {"type": "insutype", "admdvs": "990100"}})
    ).json()
    values = {row["value"]: row["label"] for row in table["output"]["list"]}
    assert values["310"] == "职工基本医疗保险" and values["390"] == "城乡居民基本医疗保险"


def test_a_repeated_msgid_returns_the_stored_answer_and_changes_nothing(
    client: TestClient, gateway: Gateway
) -> None:
    body = envelope("9001", {"signIn": {"opter_no": "0002"}})
    first = post(client, body).json()
    before = count(gateway, sign_ins)
    again = post(client, body).json()
    assert again == first
    assert count(gateway, sign_ins) == before
    other = post(
        client, {**body, "infno": "1901", "input": {"data": {"type": "gend", "admdvs": "990100"}}}
    ).json()
    assert other["infcode"] == -1 and other["err_msg"].startswith("[YB1001] msgid:")


def test_concurrent_requests_with_one_msgid_are_answered_once(gateway: Gateway) -> None:
    body = json.dumps(envelope("9001", {"signIn": {"opter_no": "0003"}})).encode()
    before = count(gateway, sign_ins)
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: gateway.handle(body, headers()), range(8)))
    answers = {json.dumps(r.body, sort_keys=True) for r in replies}
    assert len(answers) == 1 and replies[0].body["infcode"] == 0
    assert count(gateway, sign_ins) == before + 1


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: headers(token="not-the-token"), "does not match"),
        (lambda: headers(stamp=int(time.time()) - 3600), "timestamp"),
        (lambda: {k: v for k, v in headers().items() if k != "x-tif-nonce"}, "x-tif-nonce"),
        (lambda: {**headers(), "x-tif-paasid": "paas-nobody"}, "unknown paasid"),
    ],
    ids=["bad signature", "old timestamp", "missing nonce", "unknown caller"],
)
def test_authentication_failures_are_401_with_the_reason(
    client: TestClient, make: Any, reason: str
) -> None:
    reply = post(client, envelope("1901", {"data": {"type": "gend", "admdvs": "990100"}}), make())
    assert reply.status_code == 401
    assert reason in reply.json()["err_msg"]


def test_a_nonce_used_twice_is_refused(client: TestClient) -> None:
    hdrs = headers()
    assert (
        post(
            client, envelope("1901", {"data": {"type": "gend", "admdvs": "990100"}}), hdrs
        ).status_code
        == 200
    )
    again = post(client, envelope("1901", {"data": {"type": "gend", "admdvs": "990100"}}), hdrs)
    assert again.status_code == 401 and "already used" in again.json()["err_msg"]


@pytest.mark.parametrize(
    ("first", "field"),
    [
        (b"{not json", "body"),  # refused before the call's transaction
        (
            envelope(
                "2207",
                settle_input("2207", "X" * 30, Person("P1", "310", "990100"), Decimal("1.00")),
            ),
            "mdtrt_id: no visit",
        ),  # refused by the call itself
    ],
    ids=["bad envelope", "refused call"],
)
def test_a_refused_request_still_uses_up_its_nonce(
    client: TestClient, gateway: Gateway, first: Any, field: str
) -> None:
    hdrs = headers()
    answer = post(client, first, hdrs).json()
    assert answer["infcode"] == -1 and field in answer["err_msg"], answer["err_msg"]
    again = post(client, envelope("1901", {"data": {"type": "gend", "admdvs": "990100"}}), hdrs)
    assert again.status_code == 401 and "already used" in again.json()["err_msg"]


def test_one_nonce_sent_by_eight_requests_at_once_is_accepted_once(gateway: Gateway) -> None:
    hdrs = headers()
    bodies = [
        json.dumps(envelope("9001", {"signIn": {"opter_no": "0004"}})).encode() for _ in range(8)
    ]
    before = count(gateway, sign_ins)
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda body: gateway.handle(body, hdrs), bodies))
    assert sorted(r.status for r in replies) == [200] + [401] * 7
    assert count(gateway, sign_ins) == before + 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (envelope("9999", {}), "infno"),
        (envelope("9001", {"signIn": {"mac": "x"}}), "input.signIn.opter_no"),
        (envelope("9001", {"signIn": {"opter_no": "1"}}, msgid="M" * 31), "msgid"),
        (envelope("9001", {"signIn": {"opter_no": "1"}}, code="H99010000003"), "fixmedins_code"),
        (envelope("1901", {"data": {"type": "nope", "admdvs": "990100"}}), "input.data.type"),
    ],
    ids=[
        "malformed JSON",
        "unknown infno",
        "missing field",
        "over-long msgid",
        "foreign institution",
        "unknown code table",
    ],
)
def test_bad_input_is_infcode_minus_one_naming_the_field_and_writes_nothing(
    client: TestClient, gateway: Gateway, body: Any, field: str
) -> None:
    logged, signed = count(gateway, message_log), count(gateway, sign_ins)
    reply = post(client, body)
    assert reply.status_code == 200
    answer = reply.json()
    assert answer["infcode"] == -1 and field in answer["err_msg"]
    assert count(gateway, sign_ins) == signed
    served = field in {
        "input.data.type",
        "input.signIn.opter_no",
    }  # a served call's failure is logged
    expected = logged + (1 if served else 0)
    assert count(gateway, message_log) == expected


def test_a_real_http_server_on_loopback(gateway: Gateway) -> None:
    config = uvicorn.Config(create_app(gateway), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        body = json.dumps(
            envelope("1901", {"data": {"type": "med_type", "admdvs": "990100"}})
        ).encode()
        reply = httpx.post(
            f"http://127.0.0.1:{port}{PATH}/1901", content=body, headers=headers(), timeout=10
        )
        assert reply.status_code == 200 and reply.json()["infcode"] == 0
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_an_oversized_body_is_refused_naming_the_limit(client: TestClient) -> None:
    reply = client.post(PATH, content=b" " * (MAX_BODY + 1), headers=headers())
    assert reply.status_code == 413
    assert reply.json()["err_msg"] == f"body: larger than {MAX_BODY} bytes"


def test_other_methods_and_paths_are_not_the_gateway(client: TestClient) -> None:
    assert client.get(PATH).status_code == 405
    assert client.post(PATH + "/2201/more", content=b"{}").status_code == 404
    assert client.get("/healthz").json() == {"status": "ok"}
