"""What the clearing use cases return: statements, lines, steps, a built month, as values and JSON.

Money stays ``Decimal`` here and becomes exact text in :func:`money_text` and the ``as_json``
methods (a JSON number with a fraction would be a float). Rows of ``clearing_tables`` become
records in :func:`line_of` and :func:`step_of`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from yibao.crossregion.clearing_model import (
    Bucket,
    DirectionTotals,
    LineState,
    LineStatus,
    Pair,
    PeriodBalance,
    Resolution,
    Role,
    StatementStatus,
    StatementTotals,
    StepKind,
    bucket,
)

__all__ = [
    "BuiltPeriod",
    "LineHistory",
    "LineStep",
    "StatementFile",
    "StatementLine",
    "StatementSummary",
    "balance_json",
    "line_of",
    "money_text",
    "step_of",
    "totals_json",
]


def money_text(value: Decimal | None) -> str:
    """An amount as exact text with two decimals (``""`` for none)."""
    return "" if value is None else format(value, "f")


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One receivable on a statement, with the settlement it comes from and its reconciliation."""

    period: str
    pair: Pair
    setl_id: str
    creditor: str
    debtor: str
    amount: Decimal
    origin_period: str
    carried_from: str | None
    carried_to: str | None
    status: LineStatus
    updated_at: datetime
    mdtrt_id: str
    psn_no: str
    fixmedins_code: str
    kind: str
    setl_time: datetime
    pay_loc: str

    @property
    def counts_as(self) -> Bucket:
        """Due (netted), held (disputed) or withdrawn."""
        return bucket(self.status.state, self.status.resolution)

    def as_json(self) -> dict[str, Any]:
        s = self.status
        return {
            "period": self.period, "pair": [self.pair.a, self.pair.b], "setl_id": self.setl_id,
            "creditor": self.creditor, "debtor": self.debtor, "amount": money_text(self.amount),
            "origin_period": self.origin_period, "carried_from": self.carried_from,
            "carried_to": self.carried_to, "state": s.state.value,
            "creditor_agreed": s.creditor_agreed, "debtor_agreed": s.debtor_agreed,
            "disputed_by": s.disputed_by, "reason": s.reason,
            "resolution": None if s.resolution is None else s.resolution.value,
            "counts_as": self.counts_as.value, "mdtrt_id": self.mdtrt_id, "psn_no": self.psn_no,
            "fixmedins_code": self.fixmedins_code, "kind": self.kind,
            "setl_time": self.setl_time.isoformat(sep=" "), "pay_loc": self.pay_loc,
        }  # fmt: skip


def line_of(row: Any) -> StatementLine:
    """A line from a row of ``clearing_lines`` joined with ``region_receivables``."""
    m = row._mapping
    resolution = m["resolution"]
    status = LineStatus(
        state=LineState(m["state"]), creditor_agreed=bool(m["creditor_agreed"]),
        debtor_agreed=bool(m["debtor_agreed"]), disputed_by=m["disputed_by"], reason=m["reason"],
        resolution=None if resolution is None else Resolution(resolution),
    )  # fmt: skip
    return StatementLine(
        period=m["period"], pair=Pair(m["region_a"], m["region_b"]), setl_id=m["setl_id"],
        creditor=m["creditor"], debtor=m["debtor"], amount=m["amount"],
        origin_period=m["origin_period"], carried_from=m["carried_from"],
        carried_to=m["carried_to"], status=status, updated_at=m["updated_at"],
        mdtrt_id=m["mdtrt_id"], psn_no=m["psn_no"], fixmedins_code=m["fixmedins_code"],
        kind=m["kind"], setl_time=m["setl_time"], pay_loc=m["pay_loc"],
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class LineStep:
    """One step on a line: which region did what, who, when, why."""

    period: str
    pair: Pair
    setl_id: str
    step_no: int
    kind: StepKind
    region: str
    role: Role
    actor: str
    at: datetime
    state_after: LineState
    reason: str | None
    resolution: Resolution | None

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period, "pair": [self.pair.a, self.pair.b], "setl_id": self.setl_id,
            "step_no": self.step_no, "kind": self.kind.value, "region": self.region,
            "role": self.role.value, "actor": self.actor, "at": self.at.isoformat(sep=" "),
            "state_after": self.state_after.value, "reason": self.reason,
            "resolution": None if self.resolution is None else self.resolution.value,
        }  # fmt: skip


def step_of(row: Any) -> LineStep:
    """A step from its row."""
    m = row._mapping
    resolution = m["resolution"]
    return LineStep(
        period=m["period"], pair=Pair(m["region_a"], m["region_b"]), setl_id=m["setl_id"],
        step_no=int(m["step_no"]), kind=StepKind(m["kind"]), region=m["region"],
        role=Role(m["role"]), actor=m["actor"], at=m["at"], state_after=LineState(m["state_after"]),
        reason=m["reason"], resolution=None if resolution is None else Resolution(resolution),
    )  # fmt: skip


def _direction_json(d: DirectionTotals) -> dict[str, Any]:
    return {
        "creditor": d.creditor, "debtor": d.debtor, "lines": d.lines, "gross": money_text(d.gross),
        "due": money_text(d.due), "held": money_text(d.held), "withdrawn": money_text(d.withdrawn),
    }  # fmt: skip


def totals_json(t: StatementTotals) -> dict[str, Any]:
    """A statement's netting as JSON: both directions, the net, who pays whom."""
    return {
        "pair": [t.pair.a, t.pair.b], "to_a": _direction_json(t.to_a), "to_b": _direction_json(t.to_b),
        "net": money_text(abs(t.net)), "payer": t.payer, "payee": t.payee,
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class StatementSummary:
    """A statement's figures and status (its lines are in :class:`StatementFile`)."""

    period: str
    totals: StatementTotals
    status: StatementStatus
    built_at: datetime

    @property
    def pair(self) -> Pair:
        return self.totals.pair

    def as_json(self) -> dict[str, Any]:
        return {"period": self.period, "status": self.status.value,
                "built_at": self.built_at.isoformat(sep=" "), **totals_json(self.totals)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class StatementFile:
    """A statement with every line."""

    summary: StatementSummary
    lines: tuple[StatementLine, ...]

    def as_json(self) -> dict[str, Any]:
        return {**self.summary.as_json(), "lines": [line.as_json() for line in self.lines]}


@dataclass(frozen=True, slots=True)
class LineHistory:
    """A receivable on every statement it appeared on (carried disputes), with every step."""

    setl_id: str
    lines: tuple[StatementLine, ...]
    steps: tuple[LineStep, ...]

    def as_json(self) -> dict[str, Any]:
        return {"setl_id": self.setl_id, "lines": [line.as_json() for line in self.lines],
                "steps": [step.as_json() for step in self.steps]}  # fmt: skip


@dataclass(frozen=True, slots=True)
class BuiltPeriod:
    """A month built: its statements, how many lines are new or carried over, who built it."""

    period: str
    statements: tuple[StatementSummary, ...]
    new_lines: int
    carried_lines: int
    rebuilt: bool
    built_by: str
    built_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period, "new_lines": self.new_lines, "carried_lines": self.carried_lines,
            "rebuilt": self.rebuilt, "built_by": self.built_by,
            "built_at": self.built_at.isoformat(sep=" "),
            "statements": [s.as_json() for s in self.statements],
        }  # fmt: skip


_TOTALS = ("receivable", "payable", "due_receivable", "due_payable", "net")


def balance_json(b: PeriodBalance) -> dict[str, Any]:
    """The totals check of a period as JSON, every figure as exact text."""
    return {
        "period": b.period, "balanced": b.balanced, "problems": list(b.problems),
        **{f"total_{name}": money_text(b.total(name)) for name in _TOTALS},
        "source_lines": b.source_lines,
        "stated_lines": b.stated_lines,
        "regions": [{
            "region": r.region, "receivable": money_text(r.receivable),
            "payable": money_text(r.payable), "due_receivable": money_text(r.due_receivable),
            "due_payable": money_text(r.due_payable), "net": money_text(r.net),
            "source_receivable": money_text(r.source_receivable),
            "source_payable": money_text(r.source_payable),
        } for r in b.regions],
        "statements": [totals_json(s) for s in b.statements],
    }  # fmt: skip
