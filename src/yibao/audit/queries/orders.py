"""The order families: prescriptions, quantities against the order, prices, discharge medication."""

from __future__ import annotations

from yibao.audit.queries.base import FamilyQuery

__all__ = ["QUERIES"]

QUERIES: tuple[FamilyQuery, ...] = ()
