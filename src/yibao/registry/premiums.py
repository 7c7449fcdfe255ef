"""Premiums (缴费): resident enrolment by the year's rules, dues, payments, 补缴 and 退付.

Every movement is a row of ``premium_ledger`` — nothing is updated or deleted:

* ``due`` — what the person owes for a year (the personal share, full or half by the rules);
* ``subsidy`` — what public finance adds (财政补贴), recorded with the due;
* ``payment`` — paid at the counter or by a bank batch debit (the ref names the run and line);
* ``supplementary`` — 补缴 of arrears after the year's due date, with its reason;
* ``refund`` — 退付 of an overpayment or a cancelled enrolment, with its reason, never more than
  what was paid and not yet refunded.

:func:`statement` sums them: arrears are dues minus payments and supplementary payments plus
refunds. :func:`enrol_resident` applies ``registry.coverage`` to a payment and writes the
enrolment (cover start and end, reason, payment day) together with its ledger rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, func, insert, select

from yibao.kernel.errors import ConflictError, InvalidValue, NotFound
from yibao.kernel.money import ZERO, money
from yibao.registry.coverage import Coverage, EnrolmentReason, YearRules, coverage_for
from yibao.registry.service import ACTIVE
from yibao.registry.tables import enrolments, persons, premium_ledger

__all__ = ["KINDS", "Statement", "enrol_resident", "record", "statement"]

#: ledger kinds and the sign they have in a person's arrears
KINDS = {"due": 1, "subsidy": 0, "payment": -1, "supplementary": -1, "refund": 1}


@dataclass(frozen=True, slots=True)
class Statement:
    """A person's premium account for one insurance type and year."""

    psn_no: str
    insutype: str
    year: int
    due: Decimal
    paid: Decimal
    refunded: Decimal
    subsidy: Decimal

    @property
    def arrears(self) -> Decimal:
        """Still to pay (negative: paid too much, refundable)."""
        return self.due - self.paid + self.refunded


def record(
    connection: Connection,
    *,
    psn_no: str,
    insutype: str,
    year: int,
    kind: str,
    amount: Decimal,
    ref: str,
    now: datetime,
    reason: str = "",
) -> None:
    """One ledger row, checked: a known kind, an amount > 0, a reason for 补缴 and 退付, a refund
    no larger than what was paid and not refunded yet."""
    if kind not in KINDS:
        raise InvalidValue("kind", f"unknown premium movement {kind!r} ({', '.join(KINDS)})")
    value = money(amount, field="amount")
    if value <= ZERO:
        raise InvalidValue("amount", f"{value} must be more than 0")
    if kind in ("supplementary", "refund") and not reason.strip():
        raise InvalidValue("reason", f"a {kind} needs its reason")
    if not ref.strip():
        raise InvalidValue("ref", "give the receipt, run line or decision number")
    if (
        connection.execute(select(persons.c.psn_no).where(persons.c.psn_no == psn_no)).first()
        is None
    ):
        raise NotFound(f"psn_no: no insured person {psn_no}")
    if kind == "refund":
        held = statement(connection, psn_no=psn_no, insutype=insutype, year=year)
        refundable = held.paid - held.refunded
        if value > refundable:
            raise ConflictError(
                f"amount: {value} is more than the {refundable} paid and not refunded"
            )
    connection.execute(insert(premium_ledger), [{
        "psn_no": psn_no, "insutype": insutype, "year": year, "kind": kind, "amount": value,
        "reason": reason.strip(), "ref": ref.strip(), "booked_at": now,
    }])  # fmt: skip


def statement(connection: Connection, *, psn_no: str, insutype: str, year: int) -> Statement:
    """The sums of a person's premium ledger for one year."""
    rows = connection.execute(
        select(premium_ledger.c.kind, func.sum(premium_ledger.c.amount).label("total"))
        .where(premium_ledger.c.psn_no == psn_no, premium_ledger.c.insutype == insutype,
               premium_ledger.c.year == year)
        .group_by(premium_ledger.c.kind)
    ).all()  # fmt: skip
    sums: dict[str, Decimal] = {r.kind: r.total for r in rows}
    return Statement(
        psn_no, insutype, year, due=sums.get("due", ZERO),
        paid=sums.get("payment", ZERO) + sums.get("supplementary", ZERO),
        refunded=sums.get("refund", ZERO), subsidy=sums.get("subsidy", ZERO),
    )  # fmt: skip


def enrol_resident(
    connection: Connection,
    *,
    psn_no: str,
    psn_type: str,
    rules: YearRules,
    reason: EnrolmentReason | str,
    paid_on: date,
    ref: str,
    now: datetime,
) -> Coverage:
    """Enrol a resident (390) for the rules' year on a payment: cover, dues, subsidy, payment."""
    person = connection.execute(select(persons.c.brdy).where(persons.c.psn_no == psn_no)).first()
    if person is None:
        raise NotFound(f"psn_no: no insured person {psn_no}")
    cover = coverage_for(rules, reason=reason, birth_date=person.brdy, paid_on=paid_on)
    overlapping = connection.execute(
        select(enrolments.c.begndate).where(
            enrolments.c.psn_no == psn_no, enrolments.c.insutype == "390",
            enrolments.c.status == ACTIVE, enrolments.c.begndate <= cover.end,
            (enrolments.c.enddate.is_(None)) | (enrolments.c.enddate >= cover.start),
        )
    ).first()  # fmt: skip
    if overlapping is not None:
        raise ConflictError(f"psn_no: {psn_no} is already enrolled in 390 for {rules.year}")
    connection.execute(insert(enrolments), [{
        "psn_no": psn_no, "insutype": "390", "psn_type": psn_type, "cvlserv_flag": False,
        "insuplc_admdvs": rules.region, "emp_name": "", "begndate": cover.start,
        "enddate": cover.end, "status": ACTIVE, "reason": cover.reason.value, "paid_on": paid_on,
        "contribution_base": None,
    }])  # fmt: skip
    for kind, amount, why in (
        ("due", cover.personal, cover.basis),
        ("subsidy", cover.subsidy, ""),
        ("payment", cover.personal, ""),
    ):
        if amount > ZERO:
            record(
                connection,
                psn_no=psn_no,
                insutype="390",
                year=rules.year,
                kind=kind,
                amount=amount,
                ref=ref,
                now=now,
                reason=why,
            )
    return cover
