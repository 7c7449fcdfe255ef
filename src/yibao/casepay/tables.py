"""Tables of case-based payment: the settlement lists and the group each was given.

* ``settlement_lists``: one 医疗保障基金结算清单 per final settlement of a stay, as the institution
  uploaded it (4101; the nodes kept as sent, JSON), with its state (``1`` valid, ``0`` voided by
  4102), how many times it was uploaded, and the group the grouper gave the case it describes
  (status, MDC, ADRG, DRG, the trace, the grouper's version and when).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Table

from yibao.store.base import metadata

__all__ = ["settlement_lists"]

settlement_lists = Table(
    "settlement_lists",
    metadata,
    Column("setl_list_id", String(30), primary_key=True),
    Column("setl_id", String(40), ForeignKey("settlements.setl_id"), nullable=False, unique=True),
    Column("mdtrt_id", String(30), nullable=False, index=True),
    Column("psn_no", String(30), nullable=False),
    Column("fixmedins_code", String(30), nullable=False),
    #: 1 valid | 0 voided (4102 stas_type)
    Column("state", String(1), nullable=False),
    Column("uploads", Integer, nullable=False),
    Column("uploaded_at", DateTime, nullable=False),
    Column("changed_at", DateTime, nullable=False),
    #: the nodes as uploaded: setlinfo, payinfo, diseinfo, iteminfo, oprninfo, icuinfo …
    Column("content", JSON, nullable=False),
    #: the case given to the grouper, and its result
    Column("drg_case", JSON, nullable=False),
    Column("grouper", String(30), nullable=False),
    Column("group_status", String(12), nullable=False),
    Column("mdc", String(4)),
    Column("adrg", String(3), nullable=False),
    Column("drg", String(4), nullable=False),
    Column("trace", JSON, nullable=False),
    Column("grouped_at", DateTime, nullable=False),
)
