"""Reconciliation tables (issue F, ADR 0018): exchanged files, 3201 and 3202 results, applications.

* ``exchange_files`` — 9101 uploads and the result files 3202 writes: the caller's institution,
  name, size, SHA-256, the bytes themselves and the download deadline (``dld_endtime``). A file is
  served (9102) only to its institution.
* ``total_reconciliations`` — one row per 3201 answer: what the institution sent (``their_*``),
  what we found (``our_*``), the result and its description.
* ``detail_reconciliations`` — one row per 3202 run: the detail file, the range, the totals sent,
  the result file and how many settlements of each kind (match, amounts_differ, only_ours,
  only_theirs).
* ``clearing_applications`` — 清算申请 (3203), one per institution, month (``period`` ``YYYY-MM``)
  and ``clr_type`` while ``state`` is ``applied`` or ``cleared``; 3204 sets ``withdrawn``. The
  monthly clearing run reads the ``applied`` ones and sets ``cleared``.

Money is :func:`~yibao.store.types.Amount` (exact fen). No foreign keys to other contexts.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from yibao.store.base import metadata
from yibao.store.types import Amount

__all__ = [
    "clearing_applications",
    "detail_reconciliations",
    "exchange_files",
    "total_reconciliations",
]

exchange_files = Table(
    "exchange_files",
    metadata,
    Column("file_qury_no", String(30), primary_key=True),
    Column("fixmedins_code", String(30), nullable=False),
    #: the transaction that stored it: 9101 (an upload) or 3202 (a result file)
    Column("infno", String(6), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_at", DateTime, nullable=False),
    Column("dld_endtime", DateTime, nullable=False),
    Index("ix_exchange_files_fixmedins_code_uploaded_at", "fixmedins_code", "uploaded_at"),
)

_STATEMENT_AMOUNTS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")

total_reconciliations = Table(
    "total_reconciliations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fixmedins_code", String(30), nullable=False),
    Column("msgid", String(30), nullable=False),
    Column("setl_optins", String(6), nullable=False),
    Column("insutype", String(6), nullable=False),
    Column("clr_type", String(6), nullable=False),
    #: 0 settlements only, 1 reversals only, null both
    Column("refd_setl_flag", String(1)),
    Column("stmt_begndate", Date, nullable=False),
    Column("stmt_enddate", Date, nullable=False),
    Column("their_setl_cnt", Integer, nullable=False),
    *(Column(f"their_{name}", Amount(), nullable=False) for name in _STATEMENT_AMOUNTS),
    Column("our_setl_cnt", Integer, nullable=False),
    *(Column(f"our_{name}", Amount(), nullable=False) for name in _STATEMENT_AMOUNTS),
    Column("stmt_rslt", String(6), nullable=False),
    Column("stmt_rslt_dscr", Text, nullable=False),
    Column("reconciled_at", DateTime, nullable=False),
    Index("ix_total_reconciliations_fixmedins_code", "fixmedins_code", "reconciled_at"),
)

detail_reconciliations = Table(
    "detail_reconciliations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fixmedins_code", String(30), nullable=False),
    Column("msgid", String(30), nullable=False),
    Column("setl_optins", String(6), nullable=False),
    Column("file_qury_no", String(30), ForeignKey("exchange_files.file_qury_no"), nullable=False),
    Column(
        "result_file_qury_no",
        String(30),
        ForeignKey("exchange_files.file_qury_no"),
        nullable=False,
    ),
    #: null: every clr_type
    Column("clr_type", String(6)),
    Column("stmt_begndate", Date, nullable=False),
    Column("stmt_enddate", Date, nullable=False),
    Column("fixmedins_setl_cnt", Integer, nullable=False),
    Column("medfee_sumamt", Amount(), nullable=False),
    Column("fund_pay_sumamt", Amount(), nullable=False),
    Column("cash_payamt", Amount(), nullable=False),
    Column("matched", Integer, nullable=False),
    Column("amounts_differ", Integer, nullable=False),
    Column("only_ours", Integer, nullable=False),
    Column("only_theirs", Integer, nullable=False),
    Column("stmt_rslt", String(6), nullable=False),
    Column("reconciled_at", DateTime, nullable=False),
    Index("ix_detail_reconciliations_fixmedins_code", "fixmedins_code", "reconciled_at"),
)

clearing_applications = Table(
    "clearing_applications",
    metadata,
    Column("clr_appy_evt_id", String(30), primary_key=True),
    Column("fixmedins_code", String(30), nullable=False),
    #: the month applied for, ``YYYY-MM`` (3203 ``setlym`` is ``YYYYMM``)
    Column("period", String(7), nullable=False),
    Column("clr_type", String(6), nullable=False),
    Column("clr_way", String(30)),
    #: applied, withdrawn (3204) or cleared (the monthly clearing run)
    Column("state", String(10), nullable=False),
    Column("psntime", Integer, nullable=False),
    Column("medfee_sumamt", Amount(), nullable=False),
    Column("med_sumfee", Amount(), nullable=False),
    Column("fund_appy_sum", Amount(), nullable=False),
    Column("cash_payamt", Amount(), nullable=False),
    Column("acct_pay", Amount(), nullable=False),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date, nullable=False),
    Column("msgid", String(30), nullable=False),
    Column("applied_at", DateTime, nullable=False),
    Column("withdrawn_at", DateTime),
    Index("ix_clearing_applications_period", "fixmedins_code", "period", "clr_type"),
)
