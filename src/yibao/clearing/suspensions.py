"""Suspensions in force (暂停医保结算): what an accepted suspension of the agreement stops.

A suspension decided by the agency (:mod:`yibao.clearing.consequences`) runs from its decision
for the agreement's ``suspension_months``. One without a department suspends the institution:
no visit may be registered or charged there. One with a department suspends that department:
its fee lines are not accepted. The gateway asks :func:`check_not_suspended` before registering a
visit and before storing fee lines, so nothing is written for a suspended party; the error names
the field, the suspension's dates and the consequence that decided it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from yibao.clearing.model import ConsequenceKind
from yibao.clearing.tables import consequences
from yibao.kernel.errors import SettlementRefused

__all__ = ["Suspended", "Suspension", "check_not_suspended", "suspensions"]


class Suspended(SettlementRefused):
    """The institution or the department is suspended on that day."""


@dataclass(frozen=True, slots=True)
class Suspension:
    """An accepted suspension: the whole institution (no department) or one department."""

    consequence_id: int
    dept_codg: str | None
    begin: date
    end: date

    def covers(self, day: date, dept_codg: str | None) -> bool:
        """Whether it stops a visit (no department) or a line of ``dept_codg`` on ``day``."""
        scope = self.dept_codg is None or (dept_codg is not None and self.dept_codg == dept_codg)
        return scope and self.begin <= day <= self.end


def suspensions(connection: Connection, fixmedins_code: str) -> tuple[Suspension, ...]:
    """The institution's accepted suspensions, the institution's own first (one query)."""
    c = consequences.c
    rows = connection.execute(
        select(c.consequence_id, c.dept_codg, c.suspend_from, c.suspend_to)
        .where(c.fixmedins_code == fixmedins_code, c.kind == ConsequenceKind.SUSPENSION.value,
               c.state == "accepted")
        .order_by(c.dept_codg.is_not(None), c.consequence_id)
    )  # fmt: skip
    return tuple(
        Suspension(r.consequence_id, r.dept_codg, r.suspend_from, r.suspend_to) for r in rows
    )


def check_not_suspended(
    found: Sequence[Suspension], *, fixmedins_code: str, day: date, dept_codg: str | None = None,
    field: str = "fixmedins_code",
) -> None:  # fmt: skip
    """Refuse when one of ``found`` covers the institution (or ``dept_codg`` in it) on ``day``."""
    hit = next((x for x in found if x.covers(day, dept_codg)), None)
    if hit is None:
        return
    who = (
        fixmedins_code
        if hit.dept_codg is None
        else f"department {hit.dept_codg} of {fixmedins_code}"
    )
    raise Suspended(
        f"{field}: {who} is suspended from settlement with the fund from {hit.begin} to {hit.end} "
        f"(consequence {hit.consequence_id}, 协议暂停)"
    )
