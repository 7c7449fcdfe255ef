"""Policy versions as stored: the file's text, its hash and its dates, one row per region and version."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Integer, String, Table, Text, UniqueConstraint

from yibao.store.base import metadata

__all__ = ["policy_versions"]

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("region", String(6), nullable=False),
    Column("version", String(30), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("effective_to", Date),
    Column("source_file", String(200), nullable=False),
    Column("content", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("loaded_at", DateTime, nullable=False),
    UniqueConstraint("region", "version"),
)
