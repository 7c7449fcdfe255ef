"""Every context's tables, imported once so the metadata (and Alembic) sees the whole schema."""

from __future__ import annotations

from yibao.audit import tables as audit_tables
from yibao.casepay import tables as casepay_tables
from yibao.casepay import weight_tables as casepay_weight_tables
from yibao.catalog import tables as catalog_tables
from yibao.clearing import reconcile_tables
from yibao.clearing import tables as payout_tables
from yibao.crossregion import claim_tables, clearing_tables
from yibao.gateway import tables as gateway_tables
from yibao.policy import tables as policy_tables
from yibao.registry import filing_tables
from yibao.registry import tables as registry_tables
from yibao.settlement import tables as settlement_tables
from yibao.store.base import metadata

__all__ = ["TABLE_MODULES", "metadata"]

TABLE_MODULES = (
    catalog_tables,
    policy_tables,
    registry_tables,
    filing_tables,
    settlement_tables,
    gateway_tables,
    audit_tables,
    claim_tables,
    clearing_tables,
    payout_tables,
    reconcile_tables,
    casepay_tables,
    casepay_weight_tables,
)
