"""Registry use cases the gateway needs now: find a person and what they are enrolled in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from yibao.kernel.errors import NotFound
from yibao.registry.model import Enrolment, Identity, PersonRecord
from yibao.registry.tables import accounts, enrolments, person_identities, persons

__all__ = ["ACTIVE", "PersonInfo", "find_person", "uncovered_reason"]

#: enrolment status (psn_insu_stas): 1 参保缴费, 2 暂停缴费, 4 终止参保
ACTIVE = "1"
_STATUS = {"2": "suspended (暂停参保)", "4": "terminated (终止参保)"}


@dataclass(frozen=True, slots=True)
class PersonInfo:
    """A person with the enrolments, identities and account balance that count on a day."""

    person: PersonRecord
    enrolments: tuple[Enrolment, ...]
    identities: tuple[Identity, ...]
    balance: Decimal | None


def find_person(
    connection: Connection, *, certno: str | None = None, psn_no: str | None = None, day: date
) -> PersonInfo:
    """The person by certificate number or ``psn_no``; unknown and unnamed alike are NotFound."""
    query = select(persons)
    if psn_no:
        query = query.where(persons.c.psn_no == psn_no)
    elif certno:
        query = query.where(persons.c.certno == certno)
    else:
        raise NotFound("data.mdtrt_cert_no: give a certificate number or a psn_no")
    row = connection.execute(query).first()
    if row is None:
        raise NotFound(f"data.mdtrt_cert_no: no insured person {certno or psn_no}")
    person = PersonRecord(
        row.psn_no, row.psn_cert_type, row.certno, row.psn_name, row.gend, row.brdy
    )
    enrolled = tuple(
        Enrolment(r.psn_no, r.insutype, r.psn_type, r.cvlserv_flag, r.insuplc_admdvs, r.begndate,
                  r.enddate, r.emp_name)
        for r in connection.execute(select(enrolments).where(enrolments.c.psn_no == row.psn_no))
        if r.status == ACTIVE and r.begndate <= day and (r.enddate is None or day <= r.enddate)
    )  # fmt: skip
    moment = datetime(day.year, day.month, day.day)
    identities = tuple(
        Identity(r.psn_no, r.psn_idet_type, r.begntime, r.endtime, r.psn_type_lv)
        for r in connection.execute(
            select(person_identities).where(person_identities.c.psn_no == row.psn_no)
        )
        if r.begntime <= moment and (r.endtime is None or moment <= r.endtime)
    )
    balance = connection.execute(
        select(accounts.c.balance).where(accounts.c.psn_no == row.psn_no)
    ).scalar_one_or_none()
    return PersonInfo(person, enrolled, identities, balance)


def uncovered_reason(connection: Connection, *, psn_no: str, insutype: str, day: date) -> str:
    """Why ``psn_no`` has no cover under ``insutype`` on ``day``, in words a clerk can repeat.

    Names the nearest enrolment: cover that starts later (a late enrolment's month after payment,
    a waiting period), cover that ended, or a suspended or terminated enrolment.
    """
    rows = connection.execute(
        select(enrolments).where(enrolments.c.psn_no == psn_no, enrolments.c.insutype == insutype)
        .order_by(enrolments.c.begndate)
    ).all()  # fmt: skip
    if not rows:
        return f"person {psn_no} is not enrolled in {insutype}"
    for r in rows:
        if r.begndate <= day and (r.enddate is None or day <= r.enddate) and r.status != ACTIVE:
            return f"the {insutype} enrolment of {psn_no} is {_STATUS.get(r.status, r.status)}"
    later = [r for r in rows if r.begndate > day]
    if later:
        r = later[0]
        paid = f", paid {r.paid_on}" if r.paid_on else ""
        return (f"{psn_no} is not covered under {insutype} before {r.begndate} "
                f"(enrolment {r.reason}{paid}) and {day} is earlier")  # fmt: skip
    last = rows[-1]
    return f"the {insutype} cover of {psn_no} ended on {last.enddate}; {day} is after it"
