"""Family mutual aid (家庭共济) through the gateway, on SQLite and PostgreSQL.

A resident family member (390, no account of their own) settles with ``acct_used_flag = 1``: the
consenting employee's account pays the personal share (``acct_mulaid_pay``), both ledgers record
it, and reversing the settlement returns every fen to the holder.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.gateway.test_settlement_calls import (
    CLASS_A_DRUG,
    CLASS_C_DRUG,
    assert_identities,
    balance,
    employee,
    line,
    ok,
    settle_data,
)
from yibao.gateway.pipeline import Gateway
from yibao.registry.families import link_family, revoke_family_link
from yibao.registry.tables import account_ledger, accounts, enrolments
from yibao.store.engine import write_transaction

D = Decimal
NOW = f"{datetime.now():%Y-%m-%d %H:%M:%S}"


def resident_without_account(gateway: Gateway, skip: int = 0) -> str:
    with gateway.engine.connect() as connection:
        psn_no: str = connection.execute(
            select(enrolments.c.psn_no)
            .where(enrolments.c.insutype == "390", enrolments.c.insuplc_admdvs == "990100",
                   enrolments.c.psn_no.not_in(select(accounts.c.psn_no)))
            .order_by(enrolments.c.psn_no.desc())
            .offset(skip)
        ).scalars().first()  # fmt: skip
    return psn_no


def visit(client: TestClient, psn_no: str, insutype: str) -> str:
    data = {"psn_no": psn_no, "insutype": insutype, "begntime": NOW, "mdtrt_cert_type": "02",
            "mdtrt_cert_no": "x", "ipt_otp_no": "OP1", "atddr_no": "DR1", "dr_name": "医生",
            "dept_code": "D01", "dept_name": "内科", "caty": "A03"}  # fmt: skip
    mdtrt_id: str = ok(client, "2201", {"data": data})["data"]["mdtrt_id"]
    lines = [line("1", mdtrt_id, psn_no, CLASS_A_DRUG, "120.00", "3", med_type="11"),
             line("2", mdtrt_id, psn_no, CLASS_C_DRUG, "96.00", "1", med_type="11")]  # fmt: skip
    ok(client, "2204", {"feedetail": lines})
    return mdtrt_id


def ledger(gateway: Gateway, psn_no: str, since: int) -> list[tuple[str, Decimal, str | None]]:
    with gateway.engine.connect() as connection:
        rows = connection.execute(
            select(account_ledger.c.source, account_ledger.c.amount, account_ledger.c.counterpart)
            .where(account_ledger.c.psn_no == psn_no, account_ledger.c.id > since)
            .order_by(account_ledger.c.id)
        )
        return [(r.source, r.amount, r.counterpart) for r in rows]


def last_ledger_id(gateway: Gateway) -> int:
    with gateway.engine.connect() as connection:
        return int(
            connection.execute(select(func.coalesce(func.max(account_ledger.c.id), 0))).scalar_one()
        )


def link(gateway: Gateway, holder: str, member: str) -> None:
    with write_transaction(gateway.engine) as connection:
        link_family(connection, holder_psn_no=holder, member_psn_no=member, relation="02",
                    consent_ref="GJ-2026-0001", now=datetime.now() - timedelta(minutes=1))  # fmt: skip


def test_a_family_members_visit_is_paid_by_the_holder_and_reversed_exactly(
    client: TestClient, gateway: Gateway
) -> None:
    holder, start = employee(gateway, minimum="500.00")
    member = resident_without_account(gateway)
    link(gateway, holder, member)
    mark = last_ledger_id(gateway)
    mdtrt_id = visit(client, member, "390")
    done: dict[str, Any] = ok(
        client, "2207", settle_data(mdtrt_id, member, "456.00", insutype="390")
    )
    info = done["setlinfo"]
    assert_identities(info, done["setldetail"])
    aid = D(info["acct_mulaid_pay"])
    assert aid > 0 and aid == D(info["acct_pay"]) == D(info["psn_part_amt"])
    assert D(info["psn_cash_pay"]) == 0 and D(info["balc"]) == 0
    assert balance(gateway, holder) == start - aid
    assert ledger(gateway, holder, mark) == [("mutual_aid", -aid, member)]
    assert ledger(gateway, member, mark) == []

    ok(
        client,
        "2208",
        {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": member}},
    )
    assert balance(gateway, holder) == start
    assert ledger(gateway, holder, mark) == [
        ("mutual_aid", -aid, member),
        ("mutual_aid_reversal", aid, member),
    ]


def test_without_consent_the_residents_share_is_cash(client: TestClient, gateway: Gateway) -> None:
    holder, start = employee(gateway, minimum="500.00")
    member = resident_without_account(gateway, skip=1)
    link(gateway, holder, member)
    with write_transaction(gateway.engine) as connection:
        revoke_family_link(
            connection, holder_psn_no=holder, member_psn_no=member, now=datetime.now()
        )
    mdtrt_id = visit(client, member, "390")
    info = ok(client, "2207", settle_data(mdtrt_id, member, "456.00", insutype="390"))["setlinfo"]
    assert D(info["acct_pay"]) == D(info["acct_mulaid_pay"]) == 0
    assert D(info["psn_cash_pay"]) == D(info["psn_part_amt"]) > 0
    assert balance(gateway, holder) == start


def test_an_employee_uses_their_own_account_before_the_familys(
    client: TestClient, gateway: Gateway
) -> None:
    holder, holder_start = employee(gateway, minimum="800.00")
    with gateway.engine.connect() as connection:
        member, own = connection.execute(
            select(accounts.c.psn_no, accounts.c.balance)
            .join(enrolments, enrolments.c.psn_no == accounts.c.psn_no)
            .where(enrolments.c.insutype == "310", enrolments.c.insuplc_admdvs == "990100",
                   accounts.c.psn_no != holder, accounts.c.balance > 0,
                   accounts.c.balance < D("50.00"))
            .order_by(accounts.c.psn_no)
            .limit(1)
        ).one()  # fmt: skip
    link(gateway, holder, member)
    mdtrt_id = visit(client, member, "310")
    done = ok(client, "2207", settle_data(mdtrt_id, member, "456.00"))
    info = done["setlinfo"]
    assert_identities(info, done["setldetail"])
    aid = D(info["acct_mulaid_pay"])
    assert D(info["acct_pay"]) == own + aid and D(info["balc"]) == 0
    assert balance(gateway, member) == 0 and balance(gateway, holder) == holder_start - aid
    ok(
        client,
        "2208",
        {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": member}},
    )
    assert balance(gateway, member) == own and balance(gateway, holder) == holder_start
