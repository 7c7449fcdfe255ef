"""Registry tables: persons, enrolments, special identities, personal accounts and their ledger.

Enough for settlement (issue B); issue C adds families, premiums and filings. The ``accounts`` row
is also the lock a settlement takes on a person (``SELECT … FOR UPDATE`` on PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from yibao.store.base import metadata
from yibao.store.types import Amount

__all__ = ["account_ledger", "accounts", "enrolments", "person_identities", "persons"]

persons = Table(
    "persons",
    metadata,
    Column("psn_no", String(30), primary_key=True),
    Column("psn_cert_type", String(6), nullable=False),
    Column("certno", String(50), nullable=False, unique=True),
    Column("psn_name", String(50), nullable=False),
    Column("gend", String(1), nullable=False),
    Column("brdy", Date, nullable=False),
    Column("naty", String(3), nullable=False, default="01"),
)

enrolments = Table(
    "enrolments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("psn_no", String(30), ForeignKey("persons.psn_no"), nullable=False),
    Column("insutype", String(6), nullable=False),
    Column("psn_type", String(6), nullable=False),
    Column("cvlserv_flag", Boolean, nullable=False, default=False),
    Column("insuplc_admdvs", String(6), nullable=False),
    Column("emp_name", String(200), nullable=False, default=""),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date),
    Column("status", String(1), nullable=False, default="1"),
    Index("ix_enrolments_psn_no_insutype", "psn_no", "insutype"),
)

person_identities = Table(
    "person_identities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("psn_no", String(30), ForeignKey("persons.psn_no"), nullable=False, index=True),
    Column("psn_idet_type", String(6), nullable=False),
    Column("begntime", DateTime, nullable=False),
    Column("endtime", DateTime),
)

accounts = Table(
    "accounts",
    metadata,
    Column("psn_no", String(30), ForeignKey("persons.psn_no"), primary_key=True),
    Column("balance", Amount(), nullable=False),
    Column("version", Integer, nullable=False, default=0),
)

account_ledger = Table(
    "account_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("psn_no", String(30), ForeignKey("persons.psn_no"), nullable=False, index=True),
    Column("amount", Amount(), nullable=False),
    Column("balance_after", Amount(), nullable=False),
    Column("source", String(20), nullable=False),
    Column("ref", String(40), nullable=False),
    Column("booked_at", DateTime, nullable=False),
)
