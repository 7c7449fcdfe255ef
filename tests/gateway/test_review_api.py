"""The review queue's JSON API (/api/audit/…) through the gateway's ASGI app, on SQLite and PostgreSQL.

Every state transition, every refusal answered as JSON naming the field and the reason (4xx, never
a 500 or a traceback), and the steps keeping who and when.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.databases import migrated_engine
from tests.support.review_data import H1, H1_STAYS, H2, NOW, finding, seed_store
from yibao.audit.model import Grade, Moment
from yibao.audit.review import record_findings
from yibao.gateway.app import create_app
from yibao.gateway.nonces import DatabaseNonceStore
from yibao.gateway.pipeline import Gateway

API = "/api/audit"
_TICKS = itertools.count(1)


def _clock() -> datetime:
    """Each call a minute later: the steps' times are distinct and known."""
    return NOW + timedelta(minutes=next(_TICKS))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def review_gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    """A gateway over a migrated database holding the review fixture (review_data)."""
    with migrated_engine(request, tmp_path_factory, "review-api") as engine:
        with engine.begin() as connection:
            seed_store(connection)
        yield Gateway(
            engine=engine, nonces=DatabaseNonceStore(engine), region="990100", clock=_clock
        )


@pytest.fixture(scope="module")
def api(review_gateway: Gateway) -> TestClient:
    return TestClient(create_app(review_gateway), raise_server_exceptions=False)


def opened(gateway: Gateway, *found: Any, moment: Moment = Moment.DURING) -> list[int]:
    """Record findings as settlement would; the cases opened (or, for violations, finding ids).

    A visit the fixture does not hold (``API-…``) is taken as H1's.
    """
    given = {f.mdtrt_id: H1 for f in found if f.mdtrt_id.startswith("API-")}
    with gateway.engine.begin() as connection:
        done = record_findings(connection, list(found), moment=moment, reference="msg", now=NOW,
                               institutions=given)  # fmt: skip
    return list(done.opened) if done.opened else list(done.finding_ids)


def refused(response: Any, status: int, field: str, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["field"] == field and reason in error["reason"], error
    assert "Traceback" not in response.text
    return dict(error)


def test_answer_twice_then_partly_uphold_keeps_who_and_when(
    api: TestClient, review_gateway: Gateway
) -> None:
    [case_id] = opened(review_gateway, finding(H1_STAYS[1], "R1", "1", "2423.00"))
    first = api.post(f"{API}/cases/{case_id}/answer", json={
        "actor": "王医生", "fixmedins_code": H1, "explanation": "血钙升高",
        "evidence": ["检验报告 2026-05-03"]})  # fmt: skip
    assert first.status_code == 200 and first.json()["case"]["state"] == "answered"
    second = api.post(f"{API}/cases/{case_id}/answer", json={
        "actor": "李主任", "fixmedins_code": H1, "explanation": "补充病程记录"})  # fmt: skip
    assert second.json()["case"]["state"] == "answered"
    decided = api.post(f"{API}/cases/{case_id}/decision", json={
        "actor": "审核员甲", "outcome": "partly_uphold", "reason": "两日用量超出",
        "amount_upheld": "846.10"})  # fmt: skip
    case = decided.json()["case"]
    assert decided.status_code == 200
    assert (case["state"], case["outcome"], case["amount_upheld"]) == (
        "closed", "partly_uphold", "846.10")  # fmt: skip
    file = api.get(f"{API}/cases/{case_id}").json()
    steps = file["steps"]
    assert [(s["kind"], s["actor"], s["fixmedins_code"], s["state_after"]) for s in steps] == [
        ("opened", "system", None, "open"),
        ("answered", "王医生", H1, "answered"),
        ("answered", "李主任", H1, "answered"),
        ("decided", "审核员甲", None, "closed"),
    ]  # fmt: skip
    times = [datetime.fromisoformat(s["at"]) for s in steps]
    assert times == sorted(times) and len(set(times)) == 4
    assert steps[1]["evidence"] == ["检验报告 2026-05-03"] and steps[3]["amount"] == "846.10"
    assert (
        file["findings"][0]["amount"] == "2423.00" and file["case"]["closed_at"] == steps[3]["at"]
    )


def test_uphold_and_dismiss_from_open(api: TestClient, review_gateway: Gateway) -> None:
    one, two = opened(review_gateway, finding(H1_STAYS[2], amount="30.00"),
                      finding(H1_STAYS[3], amount="40.00"))  # fmt: skip
    upheld = api.post(f"{API}/cases/{one}/decision",
                      json={"actor": "甲", "outcome": "uphold", "reason": "无依据"}).json()["case"]  # fmt: skip
    assert (upheld["state"], upheld["amount_upheld"]) == ("closed", "30.00")
    dismissed = api.post(f"{API}/cases/{two}/decision", json={
        "actor": "甲", "outcome": "dismiss", "reason": "符合适应症", "amount_upheld": "0"}).json()["case"]  # fmt: skip
    assert (dismissed["state"], dismissed["amount_upheld"]) == ("closed", "0.00")


def test_a_closed_case_refuses_decisions_and_answers(
    api: TestClient, review_gateway: Gateway
) -> None:
    [case_id] = opened(review_gateway, finding(H1_STAYS[4]))
    api.post(
        f"{API}/cases/{case_id}/decision", json={"actor": "甲", "outcome": "dismiss", "reason": "r"}
    )
    again = api.post(f"{API}/cases/{case_id}/decision",
                     json={"actor": "乙", "outcome": "uphold", "reason": "r"})  # fmt: skip
    error = refused(again, 409, "state", "closed")
    assert error["code"] == "YB5002"
    answer = api.post(f"{API}/cases/{case_id}/answer",
                      json={"actor": "x", "fixmedins_code": H1, "explanation": "y"})  # fmt: skip
    refused(answer, 409, "state", "closed")
    assert len(api.get(f"{API}/cases/{case_id}").json()["steps"]) == 2


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"outcome": "partly_uphold", "amount_upheld": 12.5}, "amount_upheld", "float"),
        ({"outcome": "partly_uphold"}, "amount_upheld", "missing"),
        ({"outcome": "partly_uphold", "amount_upheld": "50.00"}, "amount_upheld", "less than"),
        ({"outcome": "partly_uphold", "amount_upheld": "1.005"}, "amount_upheld", "decimal places"),
        ({"outcome": "partly_uphold", "amount_upheld": "abc"}, "amount_upheld", "not a number"),
        ({"outcome": "uphold", "amount_upheld": "10"}, "amount_upheld", "partly_uphold"),
        ({"outcome": "revoke"}, "outcome", "is not one of"),
        ({"outcome": "dismiss", "reason": " "}, "reason", "empty"),
        ({"outcome": "dismiss", "actor": ""}, "actor", "empty"),
        ({"outcome": "dismiss", "actor": None}, "actor", "valid string"),
        ({"outcome": "dismiss", "extra": 1}, "extra", "not permitted"),
    ],
)
def test_bad_decisions_name_the_field(
    api: TestClient, review_gateway: Gateway, body: dict[str, Any], field: str, reason: str
) -> None:
    [case_id] = opened(review_gateway, finding(f"API-{next(_TICKS)}", amount="50.00"))
    full = {"actor": "甲", "reason": "r", **body}
    refused(api.post(f"{API}/cases/{case_id}/decision", json=full), 422, field, reason)
    assert api.get(f"{API}/cases/{case_id}").json()["case"]["state"] == "open"


def test_requests_that_cannot_be_read_are_named(api: TestClient, review_gateway: Gateway) -> None:
    [case_id] = opened(review_gateway, finding(H1_STAYS[6]))
    answer = f"{API}/cases/{case_id}/answer"
    refused(api.post(answer, content=b"{not json", headers={"content-type": "application/json"}),
            422, "body", "JSON")  # fmt: skip
    refused(
        api.post(answer, json={"actor": "x", "fixmedins_code": H1}),
        422,
        "explanation",
        "Field required",
    )
    refused(api.post(answer, json={"actor": "x", "fixmedins_code": H1, "explanation": "y",
                                   "evidence": ["ok", ""]}), 422, "evidence[1]", "empty")  # fmt: skip
    refused(api.post(answer, json={"actor": "x", "fixmedins_code": H2, "explanation": "y"}),
            404, "case_id", f"of institution {H2}")  # fmt: skip
    refused(api.post(f"{API}/cases/abc/answer", json={}), 422, "case_id", "integer")
    refused(api.get(f"{API}/cases/999999"), 404, "case_id", "no case 999999")
    refused(
        api.get(f"{API}/cases/{case_id}", params={"fixmedins_code": H2}), 404, "case_id", "no case"
    )
    refused(api.get(f"{API}/cases", params={"limit": 0}), 422, "limit", "between 1 and 1000")
    refused(api.get(f"{API}/cases", params={"limit": "x"}), 422, "limit", "integer")
    refused(api.get(f"{API}/cases", params={"state": "pending"}), 422, "state", "'pending'")
    refused(api.get(f"{API}/cases", params={"period": "2026-5"}), 422, "period", "YYYY-MM")
    refused(api.get(f"{API}/cases", params={"reason": "x"}), 422, "reason", "finding, sample")


def test_the_queue_lists_filters_and_pages(api: TestClient, review_gateway: Gateway) -> None:
    opened(
        review_gateway,
        finding(H1_STAYS[7], amount="9000.00"),
        finding(H1_STAYS[8], amount="8000.00"),
    )
    page = api.get(f"{API}/cases", params={"fixmedins_code": H1, "limit": 2}).json()
    assert [c["amount_at_issue"] for c in page["cases"]] == ["9000.00", "8000.00"]
    assert page["total"] >= 2 and page["limit"] == 2
    both = api.get(f"{API}/cases", params=[("state", "open"), ("state", "closed")]).json()
    assert {c["state"] for c in both["cases"]} <= {"open", "closed"}
    assert api.get(f"{API}/cases", params={"fixmedins_code": H2}).json()["total"] == 0


def test_an_appeal_opens_an_answered_case_once(api: TestClient, review_gateway: Gateway) -> None:
    ids = opened(review_gateway, finding(H1_STAYS[9], "V1", "1", "252.00", grade=Grade.VIOLATION))
    body = {"actor": "医保办", "fixmedins_code": H1, "explanation": "导丝另行收费有依据",
            "evidence": ["价格文件"], "finding_ids": ids}  # fmt: skip
    made = api.post(f"{API}/appeals", json=body)
    assert made.status_code == 201, made.text
    case = made.json()["case"]
    assert (case["state"], case["amount_at_issue"], case["reason"]) == (
        "answered",
        "252.00",
        "finding",
    )
    refused(api.post(f"{API}/appeals", json=body), 409, "finding_ids", "already reviewed")
    refused(
        api.post(f"{API}/appeals", json={**body, "finding_ids": []}), 422, "finding_ids", "empty"
    )
    refused(
        api.post(f"{API}/appeals", json={**body, "fixmedins_code": H2}),
        404,
        "finding_ids",
        "no finding",
    )


def test_the_gateway_still_answers_its_own_paths(api: TestClient) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    assert api.get("/api/audit/nothing-here").status_code == 404


def test_hostile_input_gets_a_4xx_naming_the_field(
    api: TestClient, review_gateway: Gateway
) -> None:
    [case_id] = opened(review_gateway, finding(H1_STAYS[10]))
    answer = f"{API}/cases/{case_id}/answer"
    huge = 10**20
    refused(api.get(f"{API}/cases/{huge}"), 422, "case_id", "from 1 to")
    refused(api.get(f"{API}/cases/0"), 422, "case_id", "from 1 to")
    refused(api.get(f"{API}/cases", params={"offset": huge}), 422, "offset", "between 0 and")
    refused(
        api.get(f"{API}/cases", params={"fixmedins_code": "H\x001"}), 422, "fixmedins_code", "NUL"
    )
    refused(api.get(f"{API}/cases/{case_id}", params={"fixmedins_code": "x" * 31}), 422,
            "fixmedins_code", "longer than 30")  # fmt: skip
    refused(api.post(answer, json={"actor": "x", "fixmedins_code": H1, "explanation": "a\x00b"}),
            422, "explanation", "NUL")  # fmt: skip
    refused(api.post(answer, json={"actor": "x", "fixmedins_code": H1, "explanation": "y" * 4001}),
            422, "explanation", "at most 4000")  # fmt: skip
    refused(api.post(answer, json={"actor": "x", "fixmedins_code": H1, "explanation": "y",
                                   "evidence": "not a list"}), 422, "evidence", "valid list")  # fmt: skip
    refused(api.post(answer, json=[1, 2]), 422, "body", "valid dictionary")
    refused(api.post(f"{API}/appeals", json={"actor": "x", "fixmedins_code": H1, "explanation": "y",
                                             "finding_ids": [huge]}), 422, "finding_ids[0]", "from 1 to")  # fmt: skip
    decision = f"{API}/cases/{case_id}/decision"
    refused(api.post(decision, json={"actor": "x", "outcome": "partly_uphold", "reason": "r",
                                     "amount_upheld": "1e400"}), 422, "amount_upheld", "not a number")  # fmt: skip
    refused(api.post(decision, json={"actor": "x", "outcome": "partly_uphold", "reason": "r",
                                     "amount_upheld": True}), 422, "amount_upheld", "expected a number")  # fmt: skip
    assert api.get(f"{API}/cases/{case_id}").json()["case"]["state"] == "open"
