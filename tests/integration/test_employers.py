"""Employers' monthly bills and payments, and account transfers, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from yibao.kernel.errors import ConflictError, InvalidValue, NotFound
from yibao.registry.accounts import account_ledger_of, transfer_account
from yibao.registry.employers import (
    EmployerMonth,
    bill_employer,
    employer_statement,
    pay_employer,
)
from yibao.registry.model import Account, EmployeeRates, Enrolment, PersonRecord
from yibao.registry.premiums import statement
from yibao.registry.repository import save_people
from yibao.registry.tables import premium_ledger
from yibao.store.engine import make_engine, write_transaction
from yibao.store.migrate import upgrade

D = Decimal
NOW = datetime(2026, 3, 5, 9, 0)
RATES = EmployeeRates(D("0.06"), D("0.02"))
EMP = "E990100000007"


def person(psn_no: str, n: int) -> PersonRecord:
    return PersonRecord(psn_no, "02", f"CERT{n}", f"职工{n}", "1", date(1980, 1, n))


def job(psn_no: str, begndate: date, psn_type: str = "1101", base: str | None = "6000.00",
        emp_no: str = EMP) -> Enrolment:  # fmt: skip
    return Enrolment(psn_no, "310", psn_type, False, "990100", begndate, None, "示范单位",
                     None if base is None else D(base), emp_no)  # fmt: skip


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    with write_transaction(engine) as connection:
        save_people(connection, people=[person(f"W{n}", n) for n in range(1, 7)], enrolled=[
            job("W1", date(2020, 1, 1)),
            job("W2", date(2026, 3, 1), base="4567.89"),  # from the first of the month: billed
            job("W3", date(2026, 3, 2)),  # from the second: not this month
            job("W4", date(2020, 1, 1), psn_type="1201", base=None),  # retired: pays nothing
            job("W5", date(2020, 1, 1), base=None),  # in work without a base: listed
            job("W6", date(2020, 1, 1), emp_no="E990100000008"),  # another employer
        ], identities=[], balances=[Account("W1", D("100.00"))])  # fmt: skip
    yield engine
    engine.dispose()


def test_a_month_is_billed_per_employee_once_and_paid_whole(engine: Engine) -> None:
    with write_transaction(engine) as connection:
        bill = bill_employer(connection, emp_no=EMP, month=date(2026, 3, 17), rates=RATES, now=NOW)
        again = bill_employer(connection, emp_no=EMP, month=date(2026, 3, 1), rates=RATES, now=NOW)
    # W1: 6000.00 × 6% = 360.00 and × 2% = 120.00; W2: 4567.89 × 6% = 274.0734 → 274.07,
    # × 2% = 91.3578 → 91.36
    assert (bill.month, bill.billed, bill.employer_part, bill.personal_part, bill.missing_base) == (
        "2026-03",
        2,
        D("634.07"),
        D("211.36"),
        ("W5",),
    )
    assert bill.total == D("845.43")
    assert (again.billed, again.already, again.total) == (0, 2, D("0.00"))
    with pytest.raises(ConflictError) as short, write_transaction(engine) as connection:
        pay_employer(connection, emp_no=EMP, month=date(2026, 3, 1), amount=D("845.42"),
                     receipt="B-1", now=NOW)  # fmt: skip
    assert str(short.value) == (
        f"[YB5002] amount: 845.42 is not the 845.43 {EMP} owes for 2026-03; a month's bill is "
        "paid whole"
    )
    with write_transaction(engine) as connection:
        assert pay_employer(connection, emp_no=EMP, month=date(2026, 3, 31), amount=D("845.43"),
                            receipt="B-2", now=NOW) == 2  # fmt: skip
        months = employer_statement(connection, emp_no=EMP, year=2026)
        w2 = statement(connection, psn_no="W2", insutype="310", year=2026)
        payer = set(connection.execute(select(premium_ledger.c.payer)).scalars())
    assert months == (EmployerMonth("2026-03", D("845.43"), D("845.43")),)
    assert months[0].arrears == D("0.00")
    assert (w2.due, w2.paid, w2.arrears) == (D("365.43"), D("365.43"), D("0.00"))
    assert payer == {EMP}
    with pytest.raises(ConflictError) as paid, write_transaction(engine) as connection:
        pay_employer(connection, emp_no=EMP, month=date(2026, 3, 1), amount=D("1.00"),
                     receipt="B-3", now=NOW)  # fmt: skip
    assert str(paid.value) == f"[YB5002] month: the bill of {EMP} for 2026-03 is paid"


def test_the_next_month_bills_the_employee_who_began_on_the_second(engine: Engine) -> None:
    with write_transaction(engine) as connection:
        april = bill_employer(connection, emp_no=EMP, month=date(2026, 4, 1), rates=RATES, now=NOW)
        months = employer_statement(connection, emp_no=EMP, year=2026)
    assert april.billed == 3 and april.total == D("480.00") * 2 + D("365.43")
    assert [(m.month, m.arrears) for m in months] == [("2026-04", D("1325.43"))]


def test_bad_bills_and_payments_name_the_field(engine: Engine) -> None:
    with pytest.raises(NotFound) as nobody, write_transaction(engine) as connection:
        bill_employer(connection, emp_no="E000", month=date(2026, 3, 1), rates=RATES, now=NOW)
    assert (
        str(nobody.value)
        == "[YB5001] emp_no: no employee in work of E000 is enrolled on 2026-03-01"
    )
    with pytest.raises(NotFound) as unbilled, write_transaction(engine) as connection:
        pay_employer(connection, emp_no=EMP, month=date(2026, 5, 1), amount=D("1.00"),
                     receipt="B-9", now=NOW)  # fmt: skip
    assert str(unbilled.value) == f"[YB5001] month: {EMP} has no bill for 2026-05"
    with pytest.raises(InvalidValue) as receipt, write_transaction(engine) as connection:
        pay_employer(connection, emp_no=EMP, month=date(2026, 5, 1), amount=D("1.00"),
                     receipt=" ", now=NOW)  # fmt: skip
    assert str(receipt.value).startswith("[YB1001] receipt: give the bank's receipt number")


def test_a_transfer_moves_money_in_and_out_and_never_below_zero(engine: Engine) -> None:
    with write_transaction(engine) as connection:
        transfer_account(connection, psn_no="W1", direction="in", amount=D("1250.30"),
                         region="440106", ref="ZYJX-1", now=NOW)  # fmt: skip
    with pytest.raises(ConflictError) as over, write_transaction(engine) as connection:
        transfer_account(connection, psn_no="W1", direction="out", amount=D("1350.31"),
                         region="440106", ref="ZYJX-2", now=NOW)  # fmt: skip
    assert str(over.value) == "[YB5002] amount: 1350.31 is more than the balance 1350.30 of W1"
    with write_transaction(engine) as connection:
        transfer_account(connection, psn_no="W1", direction="out", amount=D("1350.30"),
                         region="310101", ref="ZYJX-3", now=NOW)  # fmt: skip
        balance, entries = account_ledger_of(connection, psn_no="W1")
    assert balance == D("0.00")
    assert [(e.source, e.amount, e.balance_after, e.counterpart) for e in entries] == [
        ("transfer_in", D("1250.30"), D("1350.30"), "440106"),
        ("transfer_out", D("-1350.30"), D("0.00"), "310101"),
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"direction": "sideways"}, "direction: 'sideways' is not in or out"),
        ({"amount": D("0")}, "amount: 0.00 must be more than 0"),
        ({"region": "4401"}, "region: '4401' is not a six-digit region code"),
        ({"ref": ""}, "ref: give the transfer's document number"),
        ({"psn_no": "W4"}, "psn_no: W4 has no personal account"),
    ],
)
def test_bad_transfers_name_the_field(
    engine: Engine, changes: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {"psn_no": "W1", "direction": "in", "amount": D("10.00"),
                                    "region": "440106", "ref": "ZYJX", **changes}  # fmt: skip
    with (
        pytest.raises((InvalidValue, NotFound)) as refused,
        write_transaction(engine) as connection,
    ):
        transfer_account(connection, now=NOW, **arguments)  # type: ignore[arg-type]
    assert str(refused.value).partition("] ")[2].startswith(message)
