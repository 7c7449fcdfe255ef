"""Catalogue tables: regions, institutions and their gateway credentials, entries, mapping."""

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
    Text,
    UniqueConstraint,
    false,
)

from yibao.store.base import metadata
from yibao.store.types import Price, Ratio

__all__ = ["catalog_entries", "catalog_mappings", "credentials", "institutions", "regions"]

regions = Table(
    "regions",
    metadata,
    Column("admdvs", String(6), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("province", String(2), nullable=False),
)

institutions = Table(
    "institutions",
    metadata,
    Column("fixmedins_code", String(30), primary_key=True),
    Column("fixmedins_name", String(200), nullable=False),
    Column("hosp_lv", String(2), nullable=False),
    Column("admdvs", String(6), ForeignKey("regions.admdvs"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("demo", Boolean, nullable=False, default=False),
    #: enabled for cross-region direct settlement (异地联网定点): visits of persons insured in
    #: another region settle here directly; otherwise they are claimed at home (手工报销)
    Column("remote_enabled", Boolean, nullable=False, default=False, server_default=false()),
)

credentials = Table(
    "credentials",
    metadata,
    Column("paasid", String(64), primary_key=True),
    Column("fixmedins_code", String(30), ForeignKey("institutions.fixmedins_code"), nullable=False),
    Column("token", String(128), nullable=False),
    Column("valid_from", DateTime, nullable=False),
    Column("valid_to", DateTime),
)

catalog_entries = Table(
    "catalog_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(50), nullable=False),
    Column("admdvs", String(6), nullable=False),
    Column("name", String(200), nullable=False),
    Column("list_type", String(3), nullable=False),
    Column("chrgitm_lv", String(2), nullable=False),
    Column("med_chrgitm_type", String(6), nullable=False),
    Column("selfpay_prop", Ratio(), nullable=False),
    Column("pric_uplmt_tier3", Price()),
    Column("pric_uplmt_tier2", Price()),
    Column("pric_uplmt_tier1", Price()),
    Column("pric_uplmt_primary", Price()),
    Column("restricted", Boolean, nullable=False),
    Column("restriction", Text, nullable=False, default=""),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date),
    Column("demo", Boolean, nullable=False, default=False),
    UniqueConstraint("code", "admdvs", "begndate"),
    Index("ix_catalog_entries_admdvs_code", "admdvs", "code"),
)

catalog_mappings = Table(
    "catalog_mappings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fixmedins_code", String(30), ForeignKey("institutions.fixmedins_code"), nullable=False),
    Column("medins_list_codg", String(150), nullable=False),
    Column("med_list_codg", String(50), nullable=False),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date),
    UniqueConstraint("fixmedins_code", "medins_list_codg", "begndate"),
)
