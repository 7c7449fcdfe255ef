"""The billing families: main and secondary operations, bundled content, split billing, same-class stacking."""

from __future__ import annotations

from yibao.audit.queries.base import FamilyQuery

__all__ = ["QUERIES"]

QUERIES: tuple[FamilyQuery, ...] = ()
