"""The history families: courses, readmissions, idle inpatient days, overlapping visits."""

from __future__ import annotations

from yibao.audit.queries.base import FamilyQuery

__all__ = ["QUERIES"]

QUERIES: tuple[FamilyQuery, ...] = ()
