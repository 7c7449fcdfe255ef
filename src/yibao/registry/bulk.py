"""Bulk import of a persons file into the registry, all or nothing, in the caller's transaction.

:func:`import_people` takes a :class:`~yibao.registry.formats.PeopleFile` (already checked row by
row), refuses it whole when any ``psn_no`` or ``certno`` is already stored — found with a few
``IN`` queries of :data:`LOOKUP_CHUNK` values, not one query per row — and otherwise inserts the
persons, their enrolments and a personal account (balance 0) for each person enrolled in 职工
310, executing one ``INSERT`` per table for each :data:`INSERT_CHUNK` rows (the driver's
``executemany``). It never commits: a refusal raises before anything is written, and a failure
half-way (a concurrent import of the same person, a lost connection) propagates so the caller's
transaction rolls every row back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Table, insert, select

from yibao.kernel.errors import Problem
from yibao.kernel.money import ZERO
from yibao.registry.formats import PeopleFile, PersonRow, rejection
from yibao.registry.tables import accounts, enrolments, persons

__all__ = ["INSERT_CHUNK", "LOOKUP_CHUNK", "ImportSummary", "import_people"]

INSERT_CHUNK = 5000
#: values per ``IN (…)``: far below SQLite's 32,766 bound parameters and PostgreSQL's 65,535
LOOKUP_CHUNK = 2000
_EMPLOYEE = "310"


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import wrote."""

    file: str
    persons: int
    enrolments: int
    accounts: int

    def summary(self) -> str:
        """One line for a person."""
        return (
            f"{self.file}: 人员 {self.persons} persons, 参保 {self.enrolments} enrolments, "
            f"个人账户 {self.accounts} accounts imported"
        )


def import_people(connection: Connection, people: PeopleFile) -> ImportSummary:
    """Insert every person of ``people``, or refuse the file whole when one is already stored."""
    first = _first_rows(people.rows)
    problems = _stored_conflicts(connection, people.name, first)
    if problems:
        raise rejection(people.name, problems)
    employees = {row.person.psn_no for row in people.rows if row.enrolment.insutype == _EMPLOYEE}
    _insert(connection, persons, (_person(row) for row in first.values()))
    _insert(connection, enrolments, (_enrolment(row) for row in people.rows))
    _insert(
        connection,
        accounts,
        (
            {"psn_no": psn_no, "balance": ZERO, "version": 0}
            for psn_no in first
            if psn_no in employees
        ),
    )
    return ImportSummary(people.name, len(first), len(people.rows), len(employees))


def _first_rows(rows: Sequence[PersonRow]) -> dict[str, PersonRow]:
    """Each person's first row, in file order (the reader made a person's rows agree)."""
    first: dict[str, PersonRow] = {}
    for row in rows:
        first.setdefault(row.person.psn_no, row)
    return first


def _stored_conflicts(
    connection: Connection, source: str, first: dict[str, PersonRow]
) -> list[Problem]:
    """A problem for each person whose ``psn_no`` or ``certno`` the registry already holds."""
    problems = [
        Problem(source, f"psn_no {psn_no} is already in the registry", row=first[psn_no].row,
                column="psn_no")
        for psn_no, _ in _stored(connection, persons.c.psn_no, list(first))
    ]  # fmt: skip
    by_certno = {row.person.certno: row for row in first.values()}
    for certno, holder in _stored(connection, persons.c.certno, list(by_certno)):
        row = by_certno[certno]
        if holder != row.person.psn_no:  # the same psn_no is reported once, above
            reason = f"certno {certno} is already in the registry, for psn_no {holder}"
            problems.append(Problem(source, reason, row=row.row, column="certno"))
    return problems


def _stored(
    connection: Connection, key: Column[str], values: list[str]
) -> Iterator[tuple[str, str]]:
    """The ``(key, psn_no)`` pairs already stored among ``values``, a chunk per query."""
    for start in range(0, len(values), LOOKUP_CHUNK):
        chunk = values[start : start + LOOKUP_CHUNK]
        query = select(key, persons.c.psn_no).where(key.in_(chunk))
        yield from ((found, psn_no) for found, psn_no in connection.execute(query))


def _insert(connection: Connection, table: Table, rows: Iterator[dict[str, Any]]) -> None:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == INSERT_CHUNK:
            connection.execute(insert(table), chunk)
            chunk = []
    if chunk:
        connection.execute(insert(table), chunk)


def _person(row: PersonRow) -> dict[str, Any]:
    person = row.person
    return {
        "psn_no": person.psn_no, "psn_cert_type": person.psn_cert_type, "certno": person.certno,
        "psn_name": person.psn_name, "gend": person.gend, "brdy": person.brdy, "naty": row.naty,
    }  # fmt: skip


def _enrolment(row: PersonRow) -> dict[str, Any]:
    enrolment = row.enrolment
    return {
        "psn_no": enrolment.psn_no, "insutype": enrolment.insutype,
        "psn_type": enrolment.psn_type, "cvlserv_flag": enrolment.cvlserv_flag,
        "insuplc_admdvs": enrolment.insuplc_admdvs, "emp_name": enrolment.emp_name,
        "begndate": enrolment.begndate, "enddate": enrolment.enddate, "emp_no": enrolment.emp_no,
        "contribution_base": enrolment.contribution_base,
    }  # fmt: skip
