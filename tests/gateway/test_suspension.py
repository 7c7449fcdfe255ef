"""A suspension decided by the agency (协议暂停) stops the gateway, on SQLite and PostgreSQL.

The suspension is proposed and accepted through the same use case the agency's command calls
(:func:`~yibao.clearing.consequences.decide_consequence`): a department's suspension refuses that
department's fee lines (2204) and nothing else; an institution's refuses its registrations (2201);
nothing is stored for a refused call. A suspension that ended, or one rejected, stops nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import insert

from tests.gateway.support import count, envelope, headers, post
from tests.gateway.test_settlement_calls import line
from yibao.clearing.agreement import shipped_agreement
from yibao.clearing.consequences import decide_consequence
from yibao.clearing.suspensions import Suspension
from yibao.clearing.tables import consequences, deduction_runs
from yibao.gateway.pipeline import Gateway
from yibao.registry.tables import enrolments, persons
from yibao.settlement.tables import fee_lines, visits
from yibao.store.engine import write_transaction

NOW = datetime.now().replace(microsecond=0)
DEPT_SUSPENDED = "H99010000002"  # 示范市中医院: department D07 suspended
SUSPENDED = "H99010000003"  # 示范市第二人民医院: the whole institution suspended


def _suspend(gateway: Gateway, code: str, dept: str | None, *, accept: bool = True) -> int:
    """Propose a suspension from a deduction run of last month and decide it now."""
    with write_transaction(gateway.engine) as connection:
        run_no = f"KKTEST-{code}-{dept or 'ALL'}-{int(accept)}"
        connection.execute(insert(deduction_runs).values(
            run_no=run_no, period=f"{NOW:%Y-%m}", created_by="审核科", created_at=NOW))  # fmt: skip
        proposed = connection.execute(insert(consequences).values(
            run_no=run_no, fixmedins_code=code, dept_codg=dept, kind="suspension", violation_type="excessive",
            rule="同一科室同类违规 5 例及以上，暂停医保结算 3 个月", basis={"deduction_ids": [], "cases": 5},
            base_amount=0, min_amount=0, max_amount=0, state="proposed", proposed_at=NOW,
        )).inserted_primary_key  # fmt: skip
        assert proposed is not None
        decided = decide_consequence(connection, consequence_id=int(proposed[0]), accept=accept, reason="协议处理",
                                     actor="基金监管科", now=NOW, agreement=shipped_agreement())  # fmt: skip
    return decided.consequence_id


def _person(gateway: Gateway) -> str:
    with gateway.engine.connect() as connection:
        return str(connection.execute(
            persons.select().with_only_columns(persons.c.psn_no)
            .join(enrolments, enrolments.c.psn_no == persons.c.psn_no)
            .where(enrolments.c.insutype == "310", enrolments.c.insuplc_admdvs == "990100")
            .order_by(persons.c.psn_no).offset(11).limit(1)
        ).scalar_one())  # fmt: skip


def _register(client: TestClient, code: str, psn_no: str) -> dict:  # type: ignore[type-arg]
    body = envelope("2201", {"data": {"psn_no": psn_no, "insutype": "310", "begntime": f"{NOW:%Y-%m-%d %H:%M:%S}",
                                      "mdtrt_cert_type": "02", "mdtrt_cert_no": "x", "ipt_otp_no": "OP-S",
                                      "atddr_no": "DR1", "dr_name": "医生", "dept_code": "D07", "dept_name": "内科",
                                      "caty": "A03"}}, code=code)  # fmt: skip
    return dict(post(client, body, headers(code)).json())


def test_a_department_suspension_refuses_its_fee_lines_only(
    client: TestClient, gateway: Gateway
) -> None:
    consequence = _suspend(gateway, DEPT_SUSPENDED, "D07")
    psn_no = _person(gateway)
    registered = _register(client, DEPT_SUSPENDED, psn_no)
    assert registered["infcode"] == 0, registered["err_msg"]
    mdtrt_id = registered["output"]["data"]["mdtrt_id"]
    before = count(gateway, fee_lines)
    suspended = line(
        "1", mdtrt_id, psn_no, "001109000010000", "10.00", "1", bilg_dept_codg="D07", med_type="11"
    )
    refused = post(client, envelope("2204", {"feedetail": [suspended]}, code=DEPT_SUSPENDED),
                   headers(DEPT_SUSPENDED)).json()  # fmt: skip
    assert refused["infcode"] == -1
    assert (
        refused["err_msg"].startswith(
            f"[YB4001] input.feedetail[0].bilg_dept_codg: department D07 of {DEPT_SUSPENDED} is suspended "
            f"from settlement with the fund from {NOW.date()}"
        )
        and f"consequence {consequence}" in refused["err_msg"]
    )
    assert count(gateway, fee_lines) == before
    other = line(
        "1", mdtrt_id, psn_no, "001109000010000", "10.00", "1", bilg_dept_codg="D01", med_type="11"
    )
    accepted = post(client, envelope("2204", {"feedetail": [other]}, code=DEPT_SUSPENDED),
                    headers(DEPT_SUSPENDED)).json()  # fmt: skip
    assert accepted["infcode"] == 0, accepted["err_msg"]
    assert count(gateway, fee_lines) == before + 1


def test_an_institution_suspension_refuses_registration(
    client: TestClient, gateway: Gateway
) -> None:
    _suspend(gateway, SUSPENDED, None, accept=False)  # a rejected proposal stops nothing
    psn_no = _person(gateway)
    assert _register(client, SUSPENDED, psn_no)["infcode"] == 0
    _suspend(gateway, SUSPENDED, None)
    before = count(gateway, visits)
    refused = _register(client, SUSPENDED, psn_no)
    assert refused["infcode"] == -1
    assert refused["err_msg"].startswith(
        f"[YB4001] fixmedins_code: {SUSPENDED} is suspended from settlement"
    )
    assert count(gateway, visits) == before


def test_a_suspension_covers_its_dates_and_its_scope_only() -> None:
    begin = date(2026, 4, 3)
    whole = Suspension(1, None, begin, date(2026, 7, 2))
    dept = Suspension(2, "A01", begin, date(2026, 7, 2))
    assert whole.covers(begin, None) and whole.covers(date(2026, 7, 2), "A02")
    assert not whole.covers(date(2026, 7, 3), None) and not whole.covers(date(2026, 4, 2), None)
    assert (
        dept.covers(begin, "A01") and not dept.covers(begin, "A02") and not dept.covers(begin, None)
    )
