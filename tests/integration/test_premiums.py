"""Premiums on SQLite and PostgreSQL: enrolment by the year's rules, dues, 补缴, 退付, arrears."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Connection, Engine, select

from yibao.kernel.errors import ConflictError, InvalidValue, YibaoError
from yibao.registry.model import PersonRecord
from yibao.registry.premiums import enrol_resident, record, statement
from yibao.registry.repository import save_people
from yibao.registry.tables import enrolments, premium_ledger
from yibao.registry.year_rules import demo_enrolment_dir, load_year_rules
from yibao.store.engine import make_engine, write_transaction
from yibao.store.migrate import upgrade

D = Decimal
NOW = datetime(2026, 7, 15, 10, 0)
RULES = load_year_rules(demo_enrolment_dir())[("990100", 2026)]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    with write_transaction(engine) as connection:
        save_people(connection, people=[
            PersonRecord("P1", "01", "110101199001010011", "王一", "1", date(1990, 1, 1)),
            PersonRecord("P2", "01", "110101202601100023", "王二", "2", date(2026, 1, 10)),
        ], enrolled=[], identities=[], balances=[])  # fmt: skip
    yield engine
    engine.dispose()


def ledger(connection: Connection, psn_no: str) -> list[tuple[str, Decimal]]:
    rows = connection.execute(
        select(premium_ledger.c.kind, premium_ledger.c.amount)
        .where(premium_ledger.c.psn_no == psn_no).order_by(premium_ledger.c.id)
    )  # fmt: skip
    return [(r.kind, r.amount) for r in rows]


def test_a_late_veteran_is_covered_from_the_month_after_paying_half(engine: Engine) -> None:
    with write_transaction(engine) as connection:
        cover = enrol_resident(connection, psn_no="P1", psn_type="1501", rules=RULES,
                               reason="veteran", paid_on=date(2026, 7, 15), ref="R-1", now=NOW)  # fmt: skip
        row = connection.execute(select(enrolments).where(enrolments.c.psn_no == "P1")).one()
        assert (row.begndate, row.enddate, row.reason, row.paid_on) == (
            date(2026, 8, 1),
            date(2026, 12, 31),
            "veteran",
            date(2026, 7, 15),
        )
        half = RULES.premium.personal / 2
        assert cover.personal == half
        assert ledger(connection, "P1") == [
            ("due", half),
            ("subsidy", cover.subsidy),
            ("payment", half),
        ]
        assert statement(connection, psn_no="P1", insutype="390", year=2026).arrears == 0


def test_a_newborn_within_90_days_is_covered_from_birth(engine: Engine) -> None:
    with write_transaction(engine) as connection:
        cover = enrol_resident(connection, psn_no="P2", psn_type="1403", rules=RULES,
                               reason="newborn", paid_on=date(2026, 4, 10), ref="R-2", now=NOW)  # fmt: skip
        assert cover.start == date(2026, 1, 10) and cover.personal == RULES.premium.personal
        with pytest.raises(ConflictError, match="already enrolled in 390 for 2026"):
            enrol_resident(connection, psn_no="P2", psn_type="1403", rules=RULES,
                           reason="newborn", paid_on=date(2026, 4, 11), ref="R-3", now=NOW)  # fmt: skip


def test_arrears_supplementary_payment_and_refunds(engine: Engine) -> None:
    common = {"psn_no": "P1", "insutype": "390", "year": 2025, "now": NOW}
    with write_transaction(engine) as connection:
        record(connection, kind="due", amount=D("210.00"), ref="D-2025", **common)
        assert statement(connection, psn_no="P1", insutype="390", year=2025).arrears == D("210.00")
        with pytest.raises(InvalidValue, match="reason: a supplementary needs its reason"):
            record(connection, kind="supplementary", amount=D("210.00"), ref="S-1", **common)
        record(connection, kind="supplementary", amount=D("250.00"), ref="S-1",
               reason="补缴 2025 年度欠费（柜台多收 40 元）", **common)  # fmt: skip
        assert statement(connection, psn_no="P1", insutype="390", year=2025).arrears == D("-40.00")
        with pytest.raises(
            ConflictError, match=re.escape("amount: 260.00 is more than the 250.00 paid")
        ):
            record(
                connection,
                kind="refund",
                amount=D("260.00"),
                ref="T-1",
                reason="多缴退付",
                **common,
            )
        record(connection, kind="refund", amount=D("40.00"), ref="T-1", reason="多缴退付", **common)
        final = statement(connection, psn_no="P1", insutype="390", year=2025)
        assert (final.due, final.paid, final.refunded, final.arrears) == (
            D("210.00"),
            D("250.00"),
            D("40.00"),
            D("0.00"),
        )
        assert [k for k, _ in ledger(connection, "P1")] == ["due", "supplementary", "refund"]


@pytest.mark.parametrize(
    ("change", "message"),
    [({"kind": "gift"}, "kind: unknown premium movement"), ({"amount": D("0")}, "amount: 0.00 must be"),
     ({"amount": D("1.234")}, "amount"), ({"psn_no": "NOBODY"}, "psn_no: no insured person"),
     ({"ref": " "}, "ref: give the receipt")],
    ids=["kind", "zero", "three decimals", "unknown person", "no ref"],
)  # fmt: skip
def test_bad_movements_name_the_field(
    engine: Engine, change: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"psn_no": "P1", "insutype": "390", "year": 2026, "kind": "due",
                               "amount": D("210.00"), "ref": "X", "now": NOW, **change}  # fmt: skip
    with write_transaction(engine) as connection:
        with pytest.raises(YibaoError, match=re.escape(message)):
            record(connection, **args)  # type: ignore[arg-type]
        assert ledger(connection, "P1") == []
