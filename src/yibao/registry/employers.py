"""Employers' contributions (职工医保单位缴费): a monthly bill per employer, its payment, arrears.

An employer pays each month, for each of its employees in work (person type 11xx) enrolled in
310 on the first of the month, two shares of the employee's contribution base: its own
(``employer_rate``, 单位缴费) and the employee's, which it withholds from the wage
(``personal_rate``, 个人缴费). The rates are the year's (``[employee]`` of the enrolment rules).

Both shares are ``due`` rows of the premium ledger, with the employer as ``payer`` and the month
as reference (``emp:<emp_no>:<YYYY-MM>``), so each employee's premium statement shows what was
billed for them. A payment settles the month's bill whole: one ``payment`` row per employee, with
the bank's receipt in the reason. A month is billed once per employee (billing again adds only
employees who were not on the bill yet); an employee in work without a base is listed in
``missing_base``, never skipped silently.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, func, insert, or_, select

from yibao.kernel.errors import ConflictError, InvalidValue, NotFound
from yibao.kernel.money import ZERO, apply_ratio, money
from yibao.registry.model import EmployeeRates
from yibao.registry.service import ACTIVE
from yibao.registry.tables import enrolments, premium_ledger

__all__ = ["EmployerBill", "EmployerMonth", "bill_employer", "employer_statement", "pay_employer"]

_EMPLOYEE = "310"


@dataclass(frozen=True, slots=True)
class EmployerBill:
    """What billing a month did."""

    emp_no: str
    month: str
    billed: int
    employer_part: Decimal
    personal_part: Decimal
    already: int
    missing_base: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total(self) -> Decimal:
        """What the bill added."""
        return self.employer_part + self.personal_part


@dataclass(frozen=True, slots=True)
class EmployerMonth:
    """One month of an employer's account: billed, paid, still owed."""

    month: str
    due: Decimal
    paid: Decimal

    @property
    def arrears(self) -> Decimal:
        """Still owed for the month."""
        return self.due - self.paid


def bill_employer(
    connection: Connection, *, emp_no: str, month: date, rates: EmployeeRates, now: datetime
) -> EmployerBill:
    """Bill ``emp_no`` for ``month`` (any day of it) at ``rates``."""
    first = month.replace(day=1)
    label, ref = _month_ref(emp_no, first)
    rows = connection.execute(
        select(enrolments.c.psn_no, enrolments.c.psn_type, enrolments.c.contribution_base)
        .where(enrolments.c.emp_no == emp_no, enrolments.c.insutype == _EMPLOYEE,
               enrolments.c.status == ACTIVE, enrolments.c.psn_type.like("11%"),
               enrolments.c.begndate <= first,
               or_(enrolments.c.enddate.is_(None), enrolments.c.enddate >= first))
        .order_by(enrolments.c.psn_no)
    ).all()  # fmt: skip
    if not rows:
        raise NotFound(f"emp_no: no employee in work of {emp_no} is enrolled on {first}")
    done = set(connection.execute(
        select(premium_ledger.c.psn_no).where(
            premium_ledger.c.payer == emp_no, premium_ledger.c.ref == ref,
            premium_ledger.c.kind == "due",
        )
    ).scalars())  # fmt: skip
    entries: list[dict[str, object]] = []
    missing: list[str] = []
    own = withheld = ZERO
    for row in rows:
        if row.psn_no in done:
            continue
        if row.contribution_base is None:
            missing.append(row.psn_no)
            continue
        base = row.contribution_base
        for share, rate, what in ((True, rates.employer_rate, "单位缴费"),
                                  (False, rates.personal_rate, "个人缴费（单位代扣）")):  # fmt: skip
            amount = apply_ratio(base, rate)
            if amount <= ZERO:
                continue
            own, withheld = (own + amount, withheld) if share else (own, withheld + amount)
            entries.append(_row(row.psn_no, "due", amount, year=first.year, ref=ref, payer=emp_no, now=now,
                                reason=f"{label} {what} {rate} × 缴费基数 {base}"))  # fmt: skip
    if entries:
        connection.execute(insert(premium_ledger), entries)
    billed = len({e["psn_no"] for e in entries})
    return EmployerBill(emp_no, label, billed, own, withheld, len(done), tuple(missing))


def pay_employer(
    connection: Connection, *, emp_no: str, month: date, amount: Decimal, receipt: str,
    now: datetime,
) -> int:  # fmt: skip
    """Book the employer's payment of a month's bill, which must be the whole of what is owed;
    returns how many employees it covers."""
    value = money(amount, field="amount")
    if not receipt.strip():
        raise InvalidValue("receipt", "give the bank's receipt number of the payment")
    label, ref = _month_ref(emp_no, month.replace(day=1))
    owed: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in connection.execute(
        select(premium_ledger.c.psn_no, premium_ledger.c.kind, premium_ledger.c.amount).where(
            premium_ledger.c.payer == emp_no, premium_ledger.c.ref == ref
        )
    ):
        owed[row.psn_no] += row.amount if row.kind == "due" else -row.amount
    if not owed:
        raise NotFound(f"month: {emp_no} has no bill for {label}")
    total = sum(owed.values(), ZERO)
    if total <= ZERO:
        raise ConflictError(f"month: the bill of {emp_no} for {label} is paid")
    if value != total:
        raise ConflictError(
            f"amount: {value} is not the {total} {emp_no} owes for {label}; a month's bill is "
            "paid whole"
        )
    entries = [
        _row(
            psn_no,
            "payment",
            due,
            year=month.year,
            ref=ref,
            payer=emp_no,
            now=now,
            reason=f"回单 {receipt.strip()}",
        )
        for psn_no, due in sorted(owed.items())
        if due > ZERO
    ]
    connection.execute(insert(premium_ledger), entries)
    return len(entries)


def employer_statement(
    connection: Connection, *, emp_no: str, year: int
) -> tuple[EmployerMonth, ...]:
    """The employer's months of ``year``: billed, paid, owed."""
    rows = connection.execute(
        select(premium_ledger.c.ref, premium_ledger.c.kind, func.sum(premium_ledger.c.amount))
        .where(premium_ledger.c.payer == emp_no, premium_ledger.c.year == year)
        .group_by(premium_ledger.c.ref, premium_ledger.c.kind)
    ).all()  # fmt: skip
    months: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for ref, kind, total in rows:
        months[ref.rsplit(":", 1)[1]][kind] = total
    return tuple(
        EmployerMonth(month, sums.get("due", ZERO), sums.get("payment", ZERO))
        for month, sums in sorted(months.items())
    )


def _month_ref(emp_no: str, first: date) -> tuple[str, str]:
    if not emp_no.strip() or len(emp_no) > 30:
        raise InvalidValue("emp_no", f"{emp_no!r} is not an employer code of 1–30 characters")
    label = f"{first:%Y-%m}"
    return label, f"emp:{emp_no}:{label}"


def _row(psn_no: str, kind: str, amount: Decimal, *, year: int, ref: str, payer: str, now: datetime,
         reason: str) -> dict[str, object]:  # fmt: skip
    return {"psn_no": psn_no, "insutype": _EMPLOYEE, "year": year, "kind": kind,
            "amount": amount, "reason": reason, "ref": ref, "booked_at": now, "payer": payer}  # fmt: skip
