"""The claims JSON API (``/api/claims``) over a demo database: a claim from upload to payment, a
third-party refusal, bad documents and bad input answered 4xx with the field named."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from tests.integration.test_claims import (
    BEGIN,
    END,
    EXE,
    FEE_LIST,
    NOT_ENABLED,
    NOW,
    ZIP,
    minimal_pdf,
    minimal_png,
    referral_filing,
)
from yibao.crossregion.claim_tables import claim_documents, claims
from yibao.crossregion.claims_model import MAX_DOCUMENT_BYTES
from yibao.gateway.app import create_app
from yibao.gateway.claims_api import PREFIX
from yibao.gateway.nonces import DatabaseNonceStore
from yibao.gateway.pipeline import Gateway
from yibao.registry.tables import enrolments, persons
from yibao.settlement.visits import load_reference
from yibao.store.engine import make_engine, write_transaction


@pytest.fixture(scope="module")
def engine(demo_database_url: str) -> Iterator[Engine]:
    engine = make_engine(demo_database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="module")
def api(engine: Engine, var_dir: Path) -> TestClient:
    with engine.connect() as connection:
        reference = load_reference(connection)
    gateway = Gateway(engine=engine, nonces=DatabaseNonceStore(engine), region="990100",
                      clock=lambda: NOW + timedelta(days=3), reference=reference, var_dir=var_dir)  # fmt: skip
    return TestClient(create_app(gateway))  # the gateway's application, as `yibao serve` mounts it


_TAKEN: set[str] = set()


def employee(engine: Engine) -> tuple[str, str]:
    e = enrolments.c
    with engine.connect() as connection:
        rows = connection.execute(
            select(e.psn_no, persons.c.psn_name).join(persons, persons.c.psn_no == e.psn_no)
            .where(e.insutype == "310", e.psn_type == "1101", e.cvlserv_flag.is_(False),
                   e.insuplc_admdvs == "990100").order_by(e.psn_no)
        ).all()  # fmt: skip
    psn_no, name = next((r.psn_no, r.psn_name) for r in rows if r.psn_no not in _TAKEN)
    _TAKEN.add(psn_no)
    return psn_no, name


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: httpx.Response, status: int, field: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["field"] == field, error
    return str(error["reason"])


def new_claim(api: TestClient, engine: Engine, *, cause: str = "none") -> str:
    psn_no, name = employee(engine)
    with write_transaction(engine) as connection:
        referral_filing(connection, psn_no)
    record = ok(api.post(f"{PREFIX}/failures", json={"issued_by": "收费处", "record": {
        "fixmedins_code": NOT_ENABLED, "psn_no": psn_no, "psn_name": name, "insuplc_admdvs": "990100",
        "med_type": "21", "begndate": BEGIN.isoformat(), "enddate": END.isoformat(),
        "medfee_sumamt": "2281.50", "reason": "not_enabled", "detail": "本院未开通跨省直接结算"}}), 201)  # fmt: skip
    claim = {"psn_no": psn_no, "insutype": "310", "failure_no": record["failure"]["failure_no"],
             "diagnoses": [{"diag_code": "K35.800", "diag_name": "急性阑尾炎"}], "injury_cause": cause,
             "lines": [{"code": c, "name": n, "cnt": q, "pric": p, "amount": a}
                       for c, n, q, p, a in FEE_LIST]}  # fmt: skip
    filed = ok(
        api.post(PREFIX, json={"filed_by": "person", "operator": "APP", "claim": claim}), 201
    )
    return str(filed["claim"]["claim_no"])


def put(api: TestClient, claim_no: str, doc_type: str, content: bytes, media: str = "application/pdf",
        name: str = "scan.pdf") -> httpx.Response:  # fmt: skip
    return api.put(f"{PREFIX}/{claim_no}/documents", params={"doc_type": doc_type, "actor": "参保人", "filename": name},
                   content=content, headers={"content-type": media})  # fmt: skip


def documents(engine: Engine, claim_no: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(claim_documents)
                                      .where(claim_documents.c.claim_no == claim_no)).scalar_one())  # fmt: skip


def test_a_claim_from_upload_to_payment(api: TestClient, engine: Engine) -> None:
    claim_no = new_claim(api, engine)
    ok(put(api, claim_no, "invoice", minimal_pdf("api invoice"), name="发票.pdf"), 201)
    ok(put(api, claim_no, "fee_list", minimal_pdf("api fees")), 201)
    png = ok(
        put(api, claim_no, "discharge_summary", minimal_png(9), "image/png", "出院小结.png"), 201
    )
    assert png["document"]["media_type"] == "image/png" and png["document"]["size_bytes"] == len(
        minimal_png(9)
    )
    file = ok(api.get(f"{PREFIX}/{claim_no}"))
    assert file["missing_documents"] == [] and file["claim"]["due_on"] == "2026-05-04"
    ok(api.post(f"{PREFIX}/{claim_no}/take", json={"clerk": "王五"}))
    ok(api.post(f"{PREFIX}/{claim_no}/decision", json={"clerk": "王五", "outcome": "approve"}))
    settled = ok(api.post(f"{PREFIX}/{claim_no}/settlement", json={"clerk": "王五"}))
    info = settled["settlement"]["setlinfo"]
    assert (info["medfee_sumamt"], info["fund_pay_sumamt"], info["psn_part_amt"], info["pay_loc"]) == (
        "2281.50", "789.44", "1492.06", "3")  # fmt: skip
    assert settled["claim"]["payable"] == "789.44"
    float_amount = api.post(f"{PREFIX}/{claim_no}/payment", json={
        "actor": "财务", "paid_on": "2026-04-04", "bank_ref": "B1", "amount": 789.44})  # fmt: skip
    assert "float" in refused(float_amount, 422, "amount")
    paid = ok(api.post(f"{PREFIX}/{claim_no}/payment", json={
        "actor": "财务", "paid_on": "2026-04-04", "bank_ref": "ICBC0001", "amount": "789.44"}))  # fmt: skip
    assert (paid["claim"]["state"], paid["claim"]["paid_amount"]) == ("paid", "789.44")
    again = api.post(
        f"{PREFIX}/{claim_no}/payment",
        json={"actor": "x", "paid_on": "2026-04-04", "bank_ref": "B"},
    )
    refused(again, 409, "state")
    back = api.get(f"{PREFIX}/{claim_no}/documents/3")
    assert (
        back.status_code == 200
        and back.content == minimal_png(9)
        and back.headers["content-type"] == "image/png"
    )
    steps = [s["kind"] for s in ok(api.get(f"{PREFIX}/{claim_no}"))["steps"]]
    assert steps == ["filed", "document_added", "document_added", "document_added", "taken", "approved",
                     "settled", "paid"]  # fmt: skip


def test_a_third_party_claim_is_refused_with_the_reason(api: TestClient, engine: Engine) -> None:
    claim_no = new_claim(api, engine, cause="traffic_accident")
    for doc_type, content in (("invoice", minimal_pdf("3p i")), ("fee_list", minimal_pdf("3p f")),
                              ("discharge_summary", minimal_png(1))):  # fmt: skip
        ok(put(api, claim_no, doc_type, content, "application/octet-stream"), 201)
    ok(api.post(f"{PREFIX}/{claim_no}/take", json={"clerk": "王五"}))
    liability = api.post(
        f"{PREFIX}/{claim_no}/liability", json={"clerk": "王五", "finding": "对方全责"}
    )
    assert "liability_papers" in refused(liability, 409, "documents")
    done = ok(
        api.post(f"{PREFIX}/{claim_no}/decision", json={"clerk": "王五", "outcome": "approve"})
    )
    assert (
        done["claim"]["state"] == "refused"
        and done["claim"]["refusal_code"] == "third_party_liability"
    )
    assert "第三方责任（交通事故）" in done["claim"]["decision_reason"]
    refused(api.post(f"{PREFIX}/{claim_no}/settlement", json={"clerk": "王五"}), 409, "state")


def test_bad_documents_are_4xx_and_nothing_is_stored(
    api: TestClient, engine: Engine, var_dir: Path
) -> None:
    claim_no = new_claim(api, engine)
    assert "application/zip" in refused(
        put(api, claim_no, "invoice", ZIP, "application/zip"), 422, "content"
    )
    assert "x-msdownload" in refused(
        put(api, claim_no, "invoice", EXE, "application/octet-stream"), 422, "content"
    )
    assert "empty" in refused(put(api, claim_no, "invoice", b""), 422, "content")
    big = b"%PDF-1.4\n" + b"0" * MAX_DOCUMENT_BYTES
    assert "over the limit" in refused(put(api, claim_no, "invoice", big), 422, "content")
    refused(put(api, claim_no, "photo", minimal_pdf()), 422, "doc_type")
    refused(put(api, claim_no, "invoice", minimal_pdf(), "image/png"), 422, "media_type")
    missing_actor = api.put(
        f"{PREFIX}/{claim_no}/documents", params={"doc_type": "invoice"}, content=minimal_pdf()
    )
    refused(missing_actor, 422, "actor")
    refused(put(api, "SGBX-NONE", "invoice", minimal_pdf()), 404, "claim_no")
    assert documents(engine, claim_no) == 0 and not (var_dir / "claims" / claim_no).exists()
    ok(put(api, claim_no, "invoice", minimal_pdf("once")), 201)
    assert "already document 1" in refused(
        put(api, claim_no, "other", minimal_pdf("once")), 409, "content"
    )
    assert documents(engine, claim_no) == 1
    refused(api.get(f"{PREFIX}/{claim_no}/documents/9"), 404, "doc_no")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [{"code": "X", "name": "n", "cnt": "2", "pric": "1.00", "amount": "3.00"}]}, "lines[0].amount"),
        ({"lines": [{"code": "X", "name": "n", "cnt": "1", "pric": 1.5, "amount": "1.50"}]}, "lines[0].pric"),
        ({"med_type": "x"}, "med_type"),
        ({"begndate": "yesterday"}, "begndate"),
        ({"injury_cause": "meteor"}, "injury_cause"),
        ({"extra": True}, "extra"),
    ],
)  # fmt: skip
def test_bad_claims_are_422_naming_the_field(
    api: TestClient, engine: Engine, change: dict[str, Any], field: str
) -> None:
    psn_no, _ = employee(engine)
    claim = {"psn_no": psn_no, "insutype": "310", "fixmedins_code": NOT_ENABLED, "fixmedins_name": "邻省市第二人民医院",
             "hosp_lv": "06", "care_admdvs": "980100", "med_type": "21", "begndate": BEGIN.isoformat(),
             "enddate": END.isoformat(), "diagnoses": [{"diag_code": "K35.800", "diag_name": "急性阑尾炎"}],
             "lines": [{"code": "X", "name": "n", "cnt": "1", "pric": "1.00", "amount": "1.00"}], **change}  # fmt: skip
    with engine.connect() as connection:
        before = connection.execute(select(func.count()).select_from(claims)).scalar_one()
    refused(api.post(PREFIX, json={"operator": "APP", "claim": claim}), 422, field)
    refused(api.post(PREFIX, json={"claim": claim}), 422, "operator")
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(claims)).scalar_one() == before


def test_the_list_shows_overdue_claims(api: TestClient, engine: Engine) -> None:
    claim_no = new_claim(api, engine)
    for doc_type, content in (("invoice", minimal_pdf("od i")), ("fee_list", minimal_pdf("od f")),
                              ("discharge_summary", minimal_png(2))):  # fmt: skip
        ok(put(api, claim_no, doc_type, content, "application/octet-stream"), 201)
    overdue = ok(api.get(PREFIX, params={"deadline": "overdue", "on": "2026-05-05"}))["claims"]
    assert claim_no in [c["claim_no"] for c in overdue]
    assert all(c["deadline"] == "overdue" for c in overdue)
    soon = ok(api.get(PREFIX, params={"deadline": "due_soon", "on": "2026-05-01"}))["claims"]
    assert claim_no in [c["claim_no"] for c in soon]
    refused(api.get(PREFIX, params={"deadline": "later"}), 422, "deadline")
    refused(api.get(PREFIX, params={"on": "someday"}), 422, "on")
