"""Paying institutions: their receiving accounts and the payment instruction of a closed run.

An institution is paid into the account of its agreement (收款账户), kept here by
:func:`set_account`. Once a month's clearing run is closed, :func:`issue_instruction` turns its
statements into the payment instruction (拨付指令): a **pay** line for every institution whose net
is above zero, with its account as it stands at issue, and a **collect** line for every one whose
net is below zero (the institution owes the fund: 应缴回, collected outside the bank file). It is
refused for a run that is missing or still a draft, and for a payee without an account (every one
is named); nothing is stored then. An instruction is issued once: asked again, the stored one is
returned, so the file printed later is the file sent to the bank, whatever the accounts became.

Σ pay − Σ collect equals Σ of the run's nets, to the fen (:meth:`Instruction.check`).
:func:`instruction_csv` writes the bank file: UTF-8 CSV, a header row, one row per pay line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, insert, select, update

from yibao.catalog.tables import institutions
from yibao.clearing.model import ClearingConflict
from yibao.clearing.periods import run_state
from yibao.clearing.tables import (
    institution_accounts,
    payment_instructions,
    payment_lines,
    payout_statements,
)
from yibao.crossregion.clearing_values import parse_period, text
from yibao.kernel.errors import InvalidValue, NotFound
from yibao.kernel.money import ZERO

__all__ = [
    "CSV_COLUMNS",
    "Instruction",
    "PaymentLine",
    "get_instruction",
    "instruction_csv",
    "issue_instruction",
    "set_account",
]

CSV_COLUMNS = ("instr_no", "line_no", "period", "fixmedins_code", "account_name", "account_no",
               "bank_name", "amount", "purpose")  # fmt: skip
_ACCOUNT_NO = re.compile(r"[0-9]{8,32}")


@dataclass(frozen=True, slots=True)
class PaymentLine:
    """One institution's line: ``pay`` (the fund pays it) or ``collect`` (it owes the fund)."""

    line_no: int
    fixmedins_code: str
    fixmedins_name: str
    direction: str
    amount: Decimal
    bank_name: str | None
    account_no: str | None
    account_name: str | None


@dataclass(frozen=True, slots=True)
class Instruction:
    """A closed run's payment instruction as stored."""

    period: str
    instr_no: str
    issued_by: str
    issued_at: datetime
    lines: tuple[PaymentLine, ...]

    def total(self, direction: str) -> Decimal:
        """Σ of the lines of one direction."""
        return sum((x.amount for x in self.lines if x.direction == direction), ZERO)

    @property
    def purpose(self) -> str:
        """What the bank prints on the payee's statement."""
        return f"{self.period} 医保基金月度清算拨付 {self.instr_no}"

    def check(self, nets: Decimal) -> None:
        """Σ pay − Σ collect must be Σ of the run's nets."""
        if self.total("pay") - self.total("collect") != nets:
            raise AssertionError(f"instruction {self.instr_no} does not add up to {nets}")


def set_account(
    connection: Connection, *, fixmedins_code: str, bank_name: str, account_no: str,
    account_name: str, actor: str, now: datetime,
) -> None:  # fmt: skip
    """Record (or replace) the account an institution is paid into."""
    bank = text(bank_name, field="bank_name", limit=100)
    holder = text(account_name, field="account_name", limit=200)
    number = account_no.replace(" ", "")
    if not _ACCOUNT_NO.fullmatch(number):
        raise InvalidValue("account_no", f"{account_no!r} is not 8 to 32 digits")
    who = text(actor, field="actor", limit=60)
    code = institutions.c.fixmedins_code
    if connection.execute(select(code).where(code == fixmedins_code)).first() is None:
        raise NotFound(f"fixmedins_code: no institution {fixmedins_code}")
    values = {"bank_name": bank, "account_no": number, "account_name": holder,
              "changed_by": who, "changed_at": now}  # fmt: skip
    a = institution_accounts.c
    done = connection.execute(
        update(institution_accounts).where(a.fixmedins_code == fixmedins_code).values(**values)
    )
    if done.rowcount == 0:
        connection.execute(
            insert(institution_accounts).values(fixmedins_code=fixmedins_code, **values)
        )


def issue_instruction(
    connection: Connection, *, period: str, actor: str, now: datetime
) -> Instruction:
    """The closed run's payment instruction: issued now, or the one issued before."""
    month = parse_period(period)
    who = text(actor, field="actor", limit=60)
    state = run_state(connection, month, lock=True)
    if state != "closed":
        said = "has no clearing run" if state is None else "has a draft run: close it first"
        raise ClearingConflict("period", f"{month} {said}")
    if _stored(connection, month):
        return get_instruction(connection, period=month)
    s, a = payout_statements.c, institution_accounts.c
    rows = connection.execute(
        select(s.fixmedins_code, s.fixmedins_name, s.net, a.bank_name, a.account_no, a.account_name)
        .outerjoin(institution_accounts, a.fixmedins_code == s.fixmedins_code)
        .where(s.period == month, s.net != 0)
        .order_by(s.fixmedins_code)
    ).all()
    missing = [r.fixmedins_code for r in rows if r.net > ZERO and r.account_no is None]
    if missing:
        raise InvalidValue(
            "fixmedins_code",
            f"no receiving account for {', '.join(missing)}: record one with yibao payout account",
        )
    lines = [
        PaymentLine(n, r.fixmedins_code, r.fixmedins_name, "pay" if r.net > ZERO else "collect", abs(r.net),
                    *((r.bank_name, r.account_no, r.account_name) if r.net > ZERO else (None, None, None)))
        for n, r in enumerate(rows, start=1)
    ]  # fmt: skip
    issued = Instruction(month, f"BF{month.replace('-', '')}-001", who, now, tuple(lines))
    connection.execute(insert(payment_instructions).values(
        period=month, instr_no=issued.instr_no, issued_by=who, issued_at=now,
        payments=sum(x.direction == "pay" for x in lines), paid_total=issued.total("pay"),
        collections=sum(x.direction == "collect" for x in lines), collected_total=issued.total("collect"),
    ))  # fmt: skip
    if lines:
        connection.execute(insert(payment_lines), [
            {"period": month, "line_no": x.line_no, "fixmedins_code": x.fixmedins_code,
             "fixmedins_name": x.fixmedins_name, "direction": x.direction, "amount": x.amount,
             "bank_name": x.bank_name, "account_no": x.account_no, "account_name": x.account_name}
            for x in lines
        ])  # fmt: skip
    issued.check(_nets(connection, month))
    return issued


def get_instruction(connection: Connection, *, period: str) -> Instruction:
    """The instruction issued for ``period``; :class:`NotFound` names ``period`` otherwise."""
    month = parse_period(period)
    head = connection.execute(
        select(payment_instructions).where(payment_instructions.c.period == month)
    ).first()
    if head is None:
        raise NotFound(f"period: no payment instruction for {month}")
    rows = connection.execute(
        select(payment_lines)
        .where(payment_lines.c.period == month)
        .order_by(payment_lines.c.line_no)
    )
    lines = tuple(
        PaymentLine(r.line_no, r.fixmedins_code, r.fixmedins_name, r.direction, r.amount,
                    r.bank_name, r.account_no, r.account_name)
        for r in rows
    )  # fmt: skip
    return Instruction(month, head.instr_no, head.issued_by, head.issued_at, lines)


def instruction_csv(instruction: Instruction) -> str:
    """The bank file: a header row and one row per pay line, amounts to the fen."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(
        [instruction.instr_no, x.line_no, instruction.period, x.fixmedins_code, x.account_name,
         x.account_no, x.bank_name, format(x.amount, "f"), instruction.purpose]
        for x in instruction.lines
        if x.direction == "pay"
    )  # fmt: skip
    return out.getvalue()


def _stored(connection: Connection, month: str) -> bool:
    column = payment_instructions.c.period
    return connection.execute(select(column).where(column == month)).first() is not None


def _nets(connection: Connection, month: str) -> Decimal:
    nets = connection.execute(
        select(payout_statements.c.net).where(payout_statements.c.period == month)
    )
    return sum(nets.scalars(), ZERO)
