"""The settlement rows the review reads: which institution a visit belongs to, settled inpatient stays.

Settlement sits above audit in the layers (it calls the audit engine at 事中), so audit must not
import ``yibao.settlement``. This module names the few columns of ``visits`` and ``settlements``
the review reads as a read-only view (SQLAlchemy ``table()``/``column()``), typed as the
settlement context stores them; ``tests/integration/test_review_service.py`` checks them against
``settlement.tables`` so that a renamed column fails a test, not a queue.

A visit is a *settled inpatient visit of a period* when its ``med_type`` is an inpatient one
(:data:`~yibao.audit.review_model.INPATIENT_MED_TYPES`), it is ``settled``, and its final
settlement (not reversed) falls in the month. What the institution claims from the funds for it
is the sum of ``fund_pay_sumamt`` over its settlements in force (mid-stay and final).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, DateTime, String, and_, column, exists, func, select, table

from yibao.audit.review_model import INPATIENT_MED_TYPES, Period
from yibao.store.types import Amount

__all__ = [
    "CHUNK",
    "VisitClaim",
    "chunks",
    "settled_inpatient_visits",
    "visit_owners",
    "visits_view",
]

#: ids per ``IN (…)`` list (well under SQLite's and PostgreSQL's parameter limits)
CHUNK = 500

visits_view = table(
    "visits",
    column("mdtrt_id", String),
    column("fixmedins_code", String),
    column("psn_no", String),
    column("med_type", String),
    column("status", String),
)

settlements_view = table(
    "settlements",
    column("setl_id", String),
    column("mdtrt_id", String),
    column("kind", String),
    column("setl_time", DateTime),
    column("reversed_by", String),
    column("fund_pay_sumamt", Amount()),
)


@dataclass(frozen=True, slots=True)
class VisitClaim:
    """A settled inpatient visit and what its institution claims from the funds for it."""

    mdtrt_id: str
    fixmedins_code: str
    psn_no: str
    fund_pay: Decimal


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """``values`` in slices of ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def visit_owners(connection: Connection, mdtrt_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """``mdtrt_id`` → (``fixmedins_code``, ``psn_no``) of the visits the store holds."""
    v = visits_view.c
    found: dict[str, tuple[str, str]] = {}
    for part in chunks(sorted(set(mdtrt_ids))):
        rows = connection.execute(
            select(v.mdtrt_id, v.fixmedins_code, v.psn_no).where(v.mdtrt_id.in_(part))
        )
        found.update({r.mdtrt_id: (r.fixmedins_code, r.psn_no) for r in rows})
    return found


def settled_inpatient_visits(
    connection: Connection, period: Period, *, fixmedins_code: str | None = None
) -> list[VisitClaim]:
    """The period's settled inpatient visits (of one institution, or all), by institution and id."""
    in_force = settlements_view.alias("in_force")
    v, s, s2 = visits_view.c, settlements_view.c, in_force.c
    final_in_period = exists().where(
        s.mdtrt_id == v.mdtrt_id,
        s.kind == "final",
        s.reversed_by.is_(None),
        s.setl_time >= period.first_day,
        s.setl_time < period.next_first_day,
    )
    query = (
        select(v.mdtrt_id, v.fixmedins_code, v.psn_no, func.sum(s2.fund_pay_sumamt).label("paid"))
        .join_from(
            visits_view,
            in_force,
            and_(s2.mdtrt_id == v.mdtrt_id, s2.kind != "reversal", s2.reversed_by.is_(None)),
        )
        .where(v.status == "settled", v.med_type.in_(sorted(INPATIENT_MED_TYPES)), final_in_period)
        .group_by(v.mdtrt_id, v.fixmedins_code, v.psn_no)
        .order_by(v.fixmedins_code, v.mdtrt_id)
    )
    if fixmedins_code is not None:
        query = query.where(v.fixmedins_code == fixmedins_code)
    return [
        VisitClaim(r.mdtrt_id, r.fixmedins_code, r.psn_no, r.paid)
        for r in connection.execute(query)
    ]
