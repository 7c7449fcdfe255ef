"""DRG weights from the store's history, stored as versions, and one case's DRG payment.

The history is every **valid** settlement list (``state`` 1) whose group is ``ok`` and whose final
settlement is not reversed and fell in one of the given calendar years. A case's cost is the sum
of ``medfee_sumamt`` over its stay's settlements that are neither reversals nor reversed (mid-stay
and final); what the patient paid is the same sum of ``psn_part_amt``. The arithmetic is the pure
:mod:`~yibao.casepay.weights_model` and :mod:`~yibao.casepay.payment_model`.

A version (``drg_weight_sets`` and its ``drg_weights``) is written once and never changed: a new
build is a new version, numbered one above the highest. Payment of a case reads a version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from yibao.casepay.payment_model import CaseCharge, DrgPayment, PayParams, pay_case
from yibao.casepay.tables import settlement_lists
from yibao.casepay.weight_tables import drg_weight_sets, drg_weights
from yibao.casepay.weights_model import (
    METHOD,
    CaseCost,
    GroupWeight,
    TrimParams,
    WeightSet,
    compute_weights,
)
from yibao.kernel.errors import ConflictError, InvalidValue, NotFound
from yibao.kernel.fields import clean_text
from yibao.kernel.money import money
from yibao.settlement.tables import settlements

__all__ = [
    "HistoryCase",
    "Version",
    "build_weights",
    "get_version",
    "history",
    "list_versions",
    "parse_years",
    "pay_settlement",
    "stay_paid",
    "version_json",
]

_FIRST_YEAR, _LAST_YEAR = 1990, 2100


@dataclass(frozen=True, slots=True)
class HistoryCase:
    """One case of the history: its final settlement, visit, DRG, cost and patient share."""

    setl_id: str
    mdtrt_id: str
    drg: str
    cost: Decimal
    patient_share: Decimal


@dataclass(frozen=True, slots=True)
class Version:
    """A stored version of the weights: the computed set with its number and provenance."""

    version_no: int
    years: tuple[int, ...]
    weights: WeightSet
    pay: PayParams
    built_by: str
    built_at: datetime


def parse_years(value: object) -> tuple[int, ...]:
    """'2025,2026' (or a sequence of ints) as sorted distinct years; anything else names ``years``."""
    parts = value.split(",") if isinstance(value, str) else value
    if not isinstance(parts, Iterable):
        raise InvalidValue("years", f"expected years such as 2025,2026, got {value!r}")
    years = set()
    for part in parts:
        text = str(part).strip()
        if not (text.isascii() and text.isdigit()) or not _FIRST_YEAR <= int(text) <= _LAST_YEAR:
            raise InvalidValue(
                "years", f"{text!r} is not a year between {_FIRST_YEAR} and {_LAST_YEAR}"
            )
        years.add(int(text))
    if not years:
        raise InvalidValue("years", "no year given")
    return tuple(sorted(years))


def history(connection: Connection, *, years: tuple[int, ...]) -> list[HistoryCase]:
    """Every case of the history in ``years`` (see the module docstring), ordered by ``setl_id``."""
    final, paid, sl = settlements.alias("final"), settlements.alias("paid"), settlement_lists
    in_years = or_(*(and_(final.c.setl_time >= datetime(y, 1, 1), final.c.setl_time < datetime(y + 1, 1, 1))
                     for y in years))  # fmt: skip
    rows = connection.execute(
        select(sl.c.setl_id, sl.c.mdtrt_id, sl.c.drg,
               func.sum(paid.c.medfee_sumamt).label("cost"), func.sum(paid.c.psn_part_amt).label("psn"))
        .join(final, final.c.setl_id == sl.c.setl_id)
        .join(paid, paid.c.mdtrt_id == sl.c.mdtrt_id)
        .where(sl.c.state == "1", sl.c.group_status == "ok", final.c.reversed_by.is_(None), in_years,
               paid.c.kind != "reversal", paid.c.reversed_by.is_(None))
        .group_by(sl.c.setl_id, sl.c.mdtrt_id, sl.c.drg)
        .order_by(sl.c.setl_id)
    ).all()  # fmt: skip
    return [HistoryCase(r.setl_id, r.mdtrt_id, r.drg, r.cost, r.psn) for r in rows]


def build_weights(
    connection: Connection,
    *,
    years: object,
    budget: Decimal,
    actor: str,
    now: datetime,
    params: TrimParams | None = None,
    pay: PayParams | None = None,
) -> Version:
    """Compute the weights of ``years`` and the base rate for ``budget``; store them as a new version."""
    chosen = parse_years(years)
    budget = money(budget, field="budget")
    if budget <= 0:
        raise InvalidValue("budget", f"{budget} is not positive")
    who = clean_text(actor, field="actor", limit=60)
    params, pay = params or TrimParams(), pay or PayParams()
    cases = history(connection, years=chosen)
    if not cases:
        raise InvalidValue(
            "years", f"no valid grouped settlement list with a final settlement in {_text(chosen)}"
        )
    weights = compute_weights(
        (CaseCost(c.drg, c.cost) for c in cases), budget=budget, params=params
    )
    number = (connection.execute(select(func.max(drg_weight_sets.c.version_no))).scalar() or 0) + 1
    try:
        connection.execute(insert(drg_weight_sets).values(
            version_no=number, years=_text(chosen), budget=budget, base_rate=weights.base_rate, method=METHOD,
            params={"trim": params.as_dict(), "pay": pay.as_dict()}, cases=weights.cases, kept=weights.kept,
            overall_mean=weights.overall_mean, built_by=who, built_at=now))  # fmt: skip
    except IntegrityError:
        raise ConflictError(
            f"version_no: version {number} was built meanwhile; build again"
        ) from None
    connection.execute(insert(drg_weights), [
        {"version_no": number, "drg": g.drg, "cases": g.cases, "kept": g.kept, "mean_cost": g.mean_cost, "rw": g.rw}
        for g in weights.groups
    ])  # fmt: skip
    return Version(number, chosen, weights, pay, who, now)


def get_version(connection: Connection, *, version_no: int) -> Version:
    """A stored version with every group's weight (the fences are not stored)."""
    head = connection.execute(
        select(drg_weight_sets).where(drg_weight_sets.c.version_no == version_no)
    ).first()
    if head is None:
        raise NotFound(f"version: no DRG weight version {version_no}")
    groups = tuple(
        GroupWeight(r.drg, r.cases, r.kept, r.mean_cost, r.rw)
        for r in connection.execute(
            select(drg_weights).where(drg_weights.c.version_no == version_no).order_by(drg_weights.c.drg)
        )
    )  # fmt: skip
    trim, paying = head.params["trim"], head.params["pay"]
    weights = WeightSet(groups, head.cases, head.kept, head.overall_mean, head.budget, head.base_rate,
                        TrimParams(Decimal(trim["iqr_factor"]), int(trim["min_cases"])))  # fmt: skip
    pay = PayParams(*(Decimal(paying[k]) for k in ("high_ratio", "low_ratio", "high_share")))
    return Version(
        head.version_no, parse_years(head.years), weights, pay, head.built_by, head.built_at
    )


def list_versions(connection: Connection) -> list[dict[str, Any]]:
    """Every version, newest first, without its groups."""
    query = select(drg_weight_sets).order_by(drg_weight_sets.c.version_no.desc())
    return [dict(r._mapping) for r in connection.execute(query)]


def pay_settlement(connection: Connection, *, setl_id: str, version_no: int) -> DrgPayment:
    """The DRG payment of the stay whose final settlement is ``setl_id``, under a version.

    A stay without a valid list grouped ``ok``, or whose DRG the version has no weight for, is
    paid by item, the trace saying why.
    """
    version = get_version(connection, version_no=version_no)
    final = connection.execute(
        select(settlements.c.setl_id, settlements.c.mdtrt_id, settlements.c.kind, settlements.c.reversed_by)
        .where(settlements.c.setl_id == setl_id)
    ).first()  # fmt: skip
    if final is None:
        raise NotFound(f"setl_id: no settlement {setl_id}")
    if final.kind != "final" or final.reversed_by is not None:
        state = final.kind if final.reversed_by is None else f"reversed by {final.reversed_by}"
        raise ConflictError(f"setl_id: settlement {setl_id} is not a final one in force ({state})")
    listed = connection.execute(
        select(settlement_lists.c.state, settlement_lists.c.group_status, settlement_lists.c.drg)
        .where(settlement_lists.c.setl_id == setl_id)
    ).first()  # fmt: skip
    charge = _charge(connection, setl_id, final.mdtrt_id)
    weights = version.weights.by_drg()
    why = _why_by_item(listed)
    drg = None if listed is None or why else listed.drg
    group = weights.get(drg) if drg else None
    return pay_case(
        charge,
        drg=drg,
        weight=None if group is None else (group.rw, group.mean_cost),
        base_rate=version.weights.base_rate,
        params=version.pay,
        why_by_item=why,
    )


def _why_by_item(listed: Any) -> str:
    if listed is None:
        return "no settlement list uploaded (4101)"
    if listed.state != "1":
        return "the settlement list is voided (4102)"
    if listed.group_status != "ok":
        return f"the settlement list's case is {listed.group_status}, not grouped"
    return ""


def _charge(connection: Connection, setl_id: str, mdtrt_id: str) -> CaseCharge:
    cost, psn, _ = stay_paid(connection, mdtrt_id)
    return CaseCharge(setl_id, cost, psn)


def stay_paid(connection: Connection, mdtrt_id: str) -> tuple[Decimal, Decimal, Decimal]:
    """A stay's settlements in force (mid-stay and final, none reversed): Σ medfee_sumamt,
    Σ psn_part_amt and Σ fund_pay_sumamt."""
    s = settlements.c
    row = connection.execute(
        select(func.coalesce(func.sum(s.medfee_sumamt), 0).label("cost"),
               func.coalesce(func.sum(s.psn_part_amt), 0).label("psn"),
               func.coalesce(func.sum(s.fund_pay_sumamt), 0).label("fund"))
        .where(s.mdtrt_id == mdtrt_id, s.kind != "reversal", s.reversed_by.is_(None))
    ).one()  # fmt: skip
    return Decimal(row.cost), Decimal(row.psn), Decimal(row.fund)


def _text(years: Iterable[int]) -> str:
    return ",".join(str(y) for y in years)


def version_json(version: Version, *, top: int | None = None) -> Mapping[str, Any]:
    """A version as plain data for ``--json`` (groups by cases × RW, largest first, ``top`` of them)."""
    groups = sorted(version.weights.groups, key=lambda g: (-g.cases * g.rw, g.drg))
    return {
        "version_no": version.version_no, "years": list(version.years), "budget": version.weights.budget,
        "base_rate": version.weights.base_rate, "method": METHOD, "cases": version.weights.cases,
        "kept": version.weights.kept, "overall_mean": version.weights.overall_mean,
        "params": {"trim": version.weights.params.as_dict(), "pay": version.pay.as_dict()},
        "built_by": version.built_by, "built_at": version.built_at,
        "groups": [{"drg": g.drg, "cases": g.cases, "kept": g.kept, "mean_cost": g.mean_cost, "rw": g.rw}
                   for g in groups[:top]],
    }  # fmt: skip
