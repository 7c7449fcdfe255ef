"""Registry use cases the gateway needs now: find a person and what they are enrolled in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from yibao.kernel.errors import NotFound
from yibao.registry.model import Enrolment, Identity, PersonRecord
from yibao.registry.tables import accounts, enrolments, person_identities, persons

__all__ = ["PersonInfo", "find_person"]


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
        if r.begndate <= day and (r.enddate is None or day <= r.enddate)
    )  # fmt: skip
    moment = datetime(day.year, day.month, day.day)
    identities = tuple(
        Identity(r.psn_no, r.psn_idet_type, r.begntime, r.endtime)
        for r in connection.execute(
            select(person_identities).where(person_identities.c.psn_no == row.psn_no)
        )
        if r.begntime <= moment and (r.endtime is None or moment <= r.endtime)
    )
    balance = connection.execute(
        select(accounts.c.balance).where(accounts.c.psn_no == row.psn_no)
    ).scalar_one_or_none()
    return PersonInfo(person, enrolled, identities, balance)
