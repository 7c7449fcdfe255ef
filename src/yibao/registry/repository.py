"""Registry persistence: persons, enrolments, identities and accounts in and out of the store."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

from sqlalchemy import Connection, insert

from yibao.registry.model import Account, Enrolment, Identity, PersonRecord
from yibao.registry.tables import accounts, enrolments, person_identities, persons

__all__ = ["save_people"]


def save_people(
    connection: Connection,
    *,
    people: Iterable[PersonRecord],
    enrolled: Iterable[Enrolment],
    identities: Iterable[Identity],
    balances: Iterable[Account],
) -> None:
    """Insert persons with their enrolments, identities and accounts, in bulk."""
    for table, records in (
        (persons, people),
        (enrolments, enrolled),
        (person_identities, identities),
        (accounts, balances),
    ):
        rows = [asdict(record) for record in records]
        if rows:
            connection.execute(insert(table), rows)
