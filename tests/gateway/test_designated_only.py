"""Care the policy pays only at the person's designated institution (``designated_only``, 2505)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.gateway.support import HOSPITAL, envelope, post
from tests.gateway.test_settlement_calls import CLASS_A_DRUG, employee, ok, outpatient, settle_data
from yibao.gateway.app import create_app
from yibao.gateway.pipeline import Gateway
from yibao.policy.service import demo_policy_dir, load_policy_book
from yibao.registry.filings import file_designated
from yibao.settlement.visits import Reference
from yibao.store.engine import write_transaction

OTHER = "H99010000003"
TODAY = date.today()


@pytest.fixture(scope="module")
def designated_client(
    gateway: Gateway, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The demo policies with 职工普通门诊 (310 outpatient) paid only at the designated institution."""
    directory = Path(tmp_path_factory.mktemp("policies"))
    shutil.copytree(demo_policy_dir(), directory, dirs_exist_ok=True)
    for path in directory.rglob("*.toml"):
        text = path.read_text(encoding="utf-8")
        marker = "[plans.310.care.outpatient]"
        assert marker in text
        path.write_text(text.replace(marker, f"{marker}\ndesignated_only = true"), encoding="utf-8")
    base = gateway.reference
    assert base is not None
    reference = Reference(load_policy_book(directory=directory), base.catalogs, base.institutions)
    strict = Gateway(engine=gateway.engine, nonces=gateway.nonces, region=gateway.region,
                     clock=gateway.clock, reference=reference)  # fmt: skip
    yield TestClient(create_app(strict))


def designate(gateway: Gateway, psn_no: str, code: str, begndate: date) -> None:
    """A designation at ``code`` from ``begndate``, filed by that institution."""
    with write_transaction(gateway.engine) as connection:
        file_designated(connection, caller=code, psn_no=psn_no, insutype="310", fixmedins_code=code,
                        begndate=begndate, enddate=None, now=datetime.now())  # fmt: skip


def refusal(client: TestClient, data: dict[str, object]) -> str:
    body = post(client, envelope("2206", data)).json()
    assert body["infcode"] == -1, body
    message: str = body["err_msg"]
    return message


def test_designated_only_care_settles_only_at_the_designation_valid_that_day(
    gateway: Gateway, designated_client: TestClient
) -> None:
    client = designated_client
    psn_no, _ = employee(gateway)
    mdtrt_id = outpatient(client, psn_no, [(CLASS_A_DRUG, "12.50", "4")])
    data = settle_data(mdtrt_id, psn_no, "50.00")
    assert refusal(client, data) == (
        f"[YB4001] fixmedins_code: 990100/{TODAY.year}.toml: plans.310.care.outpatient pays 11 "
        f"only at the person's designated institution (人员定点, 2505) on {TODAY}; "
        f"none, not {HOSPITAL}"
    )
    designate(gateway, psn_no, HOSPITAL, TODAY + timedelta(days=1))  # not begun yet
    assert refusal(client, data).endswith(f"; none, not {HOSPITAL}")
    designate(gateway, psn_no, OTHER, TODAY)  # in force today, elsewhere
    assert refusal(client, data).endswith(f"; it is {OTHER}, not {HOSPITAL}")
    designate(gateway, psn_no, HOSPITAL, TODAY)  # replaces the designation elsewhere
    settled = ok(client, "2207", data)["setlinfo"]
    assert settled["medfee_sumamt"] == "50.00" and settled["med_type"] == "11"


def test_the_demo_policy_pays_outpatient_care_anywhere(
    client: TestClient, gateway: Gateway
) -> None:
    psn_no, _ = employee(gateway, minimum="0.00")
    mdtrt_id = outpatient(client, psn_no, [(CLASS_A_DRUG, "12.50", "2")])
    assert (
        ok(client, "2207", settle_data(mdtrt_id, psn_no, "25.00"))["setlinfo"]["medfee_sumamt"]
        == "25.00"
    )
