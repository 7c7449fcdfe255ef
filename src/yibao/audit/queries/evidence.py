"""The evidence families: indications with diagnoses and labs, screening records, phantom billing, stock."""

from __future__ import annotations

from yibao.audit.queries.base import FamilyQuery

__all__ = ["QUERIES"]

QUERIES: tuple[FamilyQuery, ...] = ()
