"""Stays paid by DRG in the monthly clearing, on SQLite and PostgreSQL.

A year of appendectomies (GD25) and appendicitis without an operation (GZ15) at 示范市第一人民医院
gives a weight version; the region's 2026 policy then says ``[payment] method = "drg"`` with that
version. In March 2026 four stays are settled there: a standard GD25 case, a high-cost GD25 case,
a GZ15 case, and a stay without a settlement list (paid by item). The March run must carry one
病组结算差额 line per DRG-paid case — its fund share (:func:`pay_settlement`) less what the funds paid
for the stay — none for the stay paid by item, and the statement's identity still holds to the fen.
With the policy back to item, a rebuilt draft has no such line.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, update

from tests.integration.test_drg_weights import HOSPITAL, _lines, _nodes, _settle
from tests.support.databases import migrated_engine
from tests.support.drg_history import demo_employees
from yibao.casepay.lists import upload_list
from yibao.casepay.payment_model import PayKind
from yibao.casepay.weights import build_weights, pay_settlement
from yibao.clearing.agreement import shipped_agreement
from yibao.clearing.runs import build_run
from yibao.clearing.tables import payout_lines, payout_statements
from yibao.policy.tables import policy_versions
from yibao.settlement.tables import settlements
from yibao.settlement.visits import Reference, discharge, register_visit
from yibao.store.engine import write_transaction

D = Decimal
MARCH = "2026-03"
#: (main diagnosis, procedure, bed days) of the history (2025) and of March 2026
HISTORY = [("K35.800x001", "47.0901", d) for d in (40, 42, 44, 46, 48, 50)] + [
    ("K35.800x001", None, d) for d in (20, 22, 24, 26)
]
MARCH_STAYS = (
    ("K35.800x001", "47.0901", 45),  # GD25, standard
    ("K35.800x001", "47.0901", 400),  # GD25, high-cost outlier
    ("K35.800x001", None, 23),  # GZ15, standard
    ("K35.800x001", None, 30),  # no list uploaded: paid by item
)
DRG_POLICY = '\n[payment]\nmethod = "drg"\ndrg_weight_version = {version}\n'


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def march(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, list[str]]]:
    with migrated_engine(request, tmp_path_factory, "drgclearing") as engine:
        ref, people = demo_employees(engine)
        for n, (main, oprn, days) in enumerate(HISTORY):
            _stay(
                engine,
                ref,
                people[n],
                n,
                datetime(2025, 1 + n, 3, 8),
                main,
                oprn,
                days,
                listed=True,
            )
        with write_transaction(engine) as connection:
            version = build_weights(connection, years="2025", budget=D("100000.00"), actor="医保中心",
                                    now=datetime(2026, 1, 5)).version_no  # fmt: skip
            connection.execute(
                update(policy_versions)
                .where(policy_versions.c.region == "990100", policy_versions.c.version == "2026")
                .values(content=policy_versions.c.content + DRG_POLICY.format(version=version))
            )
        finals = [
            _stay(engine, ref, people[20 + n], 100 + n, datetime(2026, 3, 2 + 5 * n, 8), main, oprn, days,
                  listed=n < 3)
            for n, (main, oprn, days) in enumerate(MARCH_STAYS)
        ]  # fmt: skip
        yield engine, finals


def _stay(
    engine: Engine, ref: Reference, psn_no: str, n: int, begin: datetime, main: str, oprn: str | None,
    days: int, *, listed: bool,
) -> str:  # fmt: skip
    end = begin + timedelta(days=4)
    with write_transaction(engine) as c:
        mdtrt_id = register_visit(c, caller=HOSPITAL, psn_no=psn_no, insutype="310", med_type="21",
                                  begntime=begin, mdtrtarea_admvs="990100", msgid=f"C{n:05d}")  # fmt: skip
        _lines(c, ref, mdtrt_id, "1", days, begin)
        discharge(c, caller=HOSPITAL, mdtrt_id=mdtrt_id, endtime=end)
        final = _settle(c, ref, mdtrt_id, psn_no, n, mid=False, now=end + timedelta(hours=2))
        if listed:
            upload_list(c, caller=HOSPITAL, nodes=_nodes(mdtrt_id, final.setl_id, main, oprn, begin, end),
                        now=end + timedelta(hours=3))  # fmt: skip
    return final.setl_id


def _run(engine: Engine, day: int) -> None:
    with write_transaction(engine) as connection:
        build_run(connection, period=MARCH, actor="结算科", now=datetime(2026, 4, day),
                  agreement=shipped_agreement())  # fmt: skip


def test_a_drg_paid_institution_gets_the_case_differences_and_the_identity_holds(
    march: tuple[Engine, list[str]],
) -> None:
    engine, finals = march
    _run(engine, 20)
    with engine.connect() as connection:
        mine = (payout_lines.c.period == MARCH) & (payout_lines.c.fixmedins_code == HOSPITAL)
        lines = {r.ref: r for r in connection.execute(select(payout_lines).where(mine))}
        statement = connection.execute(select(payout_statements).where(
            payout_statements.c.period == MARCH, payout_statements.c.fixmedins_code == HOSPITAL)).one()  # fmt: skip
        expected = {}
        for setl_id in finals:
            paid = pay_settlement(connection, setl_id=setl_id, version_no=1)
            funds = connection.execute(select(func.sum(settlements.c.fund_pay_sumamt)).where(
                settlements.c.setl_id == setl_id)).scalar_one()  # fmt: skip
            expected[setl_id] = (paid.kind, paid.fund_share - funds)
    kinds = [kind for kind, _ in expected.values()]
    assert kinds == [PayKind.STANDARD, PayKind.HIGH, PayKind.STANDARD, PayKind.BY_ITEM]
    case_lines = {ref: r for ref, r in lines.items() if r.kind == "case_payment"}
    assert set(case_lines) == {f"DRG:{s}" for s in finals[:3] if expected[s][1] != 0}
    for setl_id in finals[:3]:
        if expected[setl_id][1] != 0:
            line = case_lines[f"DRG:{setl_id}"]
            assert line.amount == expected[setl_id][1] and "按病组" in line.text
    assert statement.case_payments == sum((r.amount for r in case_lines.values()), D(0)) != 0
    withheld = statement.deductions + statement.penalties + statement.deposit
    additions = (
        statement.appeal_refunds
        + statement.deposit_releases
        + statement.refunds
        - statement.supplements
    )
    assert statement.net == statement.fund_payments + statement.case_payments - withheld + additions
    assert statement.net == sum((r.amount for r in lines.values()), D(0))

    with write_transaction(engine) as connection:  # back to item: the rebuilt draft has no DRG line
        connection.execute(
            update(policy_versions)
            .where(policy_versions.c.region == "990100", policy_versions.c.version == "2026")
            .values(
                content=func.replace(policy_versions.c.content, 'method = "drg"', 'method = "item"')
            )
        )
    _run(engine, 21)
    with engine.connect() as connection:
        kinds_now = connection.execute(
            select(payout_lines.c.kind).where(payout_lines.c.period == MARCH)
        ).scalars()
        assert "case_payment" not in set(kinds_now)
