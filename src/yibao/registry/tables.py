"""Registry tables: persons, enrolments, identities, families, premiums, accounts and their ledger.

Money movements are rows that are never updated: the premium ledger (dues, payments, 补缴,
退付 with reasons) and the account ledger (credits, settlements, reversals, mutual aid,
carry-over). The ``accounts`` row holds the current balance, which always equals the sum of the
person's ledger. Filings (慢特病, 定点, 转院) are in :mod:`yibao.registry.filing_tables`.
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

__all__ = [
    "account_ledger",
    "accounts",
    "bank_cards",
    "collection_items",
    "collection_runs",
    "enrolments",
    "family_links",
    "person_identities",
    "persons",
    "premium_ledger",
]

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
    #: employees: the employer's code (单位编号), whose contributions are booked with ``payer``
    Column("emp_no", String(30)),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date),
    Column("status", String(1), nullable=False, default="1"),
    #: how the person came in (coverage.EnrolmentReason) and when the premium was paid
    Column("reason", String(20), nullable=False, default="regular"),
    Column("paid_on", Date),
    #: employees: the monthly contribution base the account credit is computed from
    Column("contribution_base", Amount()),
    Index("ix_enrolments_psn_no_insutype", "psn_no", "insutype"),
)

person_identities = Table(
    "person_identities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("psn_no", String(30), ForeignKey("persons.psn_no"), nullable=False, index=True),
    Column("psn_idet_type", String(6), nullable=False),
    #: 人员身份等级 (e.g. 残疾等级 1–4), where the identity has one
    Column("psn_type_lv", String(6)),
    Column("begntime", DateTime, nullable=False),
    Column("endtime", DateTime),
    #: the decision or data exchange it came from (民政 file, 残联 certificate …)
    Column("ref", String(60)),
)

family_links = Table(
    "family_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    #: the account holder whose balance may pay …
    Column("holder_psn_no", String(30), ForeignKey("persons.psn_no"), nullable=False, index=True),
    #: … the settlements of this family member (家庭共济)
    Column("member_psn_no", String(30), ForeignKey("persons.psn_no"), nullable=False, index=True),
    Column("relation", String(3), nullable=False),
    Column("consent_at", DateTime, nullable=False),
    Column("consent_ref", String(60), nullable=False),
    Column("revoked_at", DateTime),
)

premium_ledger = Table(
    "premium_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("psn_no", String(30), ForeignKey("persons.psn_no"), nullable=False),
    Column("insutype", String(6), nullable=False),
    Column("year", Integer, nullable=False),
    #: due (应缴), payment (缴费), supplementary (补缴), refund (退付), subsidy (财政补助)
    Column("kind", String(20), nullable=False),
    Column("amount", Amount(), nullable=False),
    Column("reason", String(200), nullable=False, default=""),
    Column("ref", String(60), nullable=False),
    Column("booked_at", DateTime, nullable=False),
    #: who pays: None for the person, the employer's ``emp_no`` for an employer's contribution
    Column("payer", String(30)),
    Index("ix_premium_ledger_psn_no_year", "psn_no", "year"),
    Index("ix_premium_ledger_payer_ref", "payer", "ref"),
)

bank_cards = Table(
    "bank_cards",
    metadata,
    Column("psn_no", String(30), ForeignKey("persons.psn_no"), primary_key=True),
    Column("bank_code", String(10), nullable=False),
    Column("card_no", String(32), nullable=False),
    Column("holder_name", String(50), nullable=False),
    Column("registered_at", DateTime, nullable=False),
)

collection_runs = Table(
    "collection_runs",
    metadata,
    Column("run_id", String(30), primary_key=True),
    Column("bank_code", String(10), nullable=False),
    Column("insutype", String(6), nullable=False),
    Column("year", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    #: exported (file sent to the bank), settled (its result file imported)
    Column("status", String(10), nullable=False),
)

collection_items = Table(
    "collection_items",
    metadata,
    Column("run_id", String(30), ForeignKey("collection_runs.run_id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("psn_no", String(30), ForeignKey("persons.psn_no"), nullable=False, index=True),
    #: what was sent, as sent: the result file is checked against it, whatever changed since
    Column("psn_name", String(50), nullable=False),
    Column("certno", String(50), nullable=False),
    Column("card_no", String(32), nullable=False),
    Column("amount", Amount(), nullable=False),
    #: pending, paid, failed
    Column("status", String(10), nullable=False),
    Column("failure", String(3)),
    Column("bank_result", String(20)),
    Column("bank_message", String(200)),
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
    #: the other person of a mutual-aid movement (the member whose visit the holder paid)
    Column("counterpart", String(30)),
)
