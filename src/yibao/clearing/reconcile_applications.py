"""Clearing applications: 3203 清算申请 and 3204 清算撤销 (ADR 0018).

An institution applies once a month is over, per ``clr_type``, for the whole month, with figures
that must be ours (:data:`~yibao.clearing.reconcile_model.APPLICATION_FIGURES`): 清算人次 is the
number of settlements less reversals, 医保认可费用总额 the policy-range amount (``inscp_scp_amt``),
基金申报总额 the funds' payments, 现金 the person's cash, 个人账户 the account. A figure that differs
is refused naming it and both values: the institution reconciles with 3201/3202 first. One
application per institution, month and ``clr_type`` may be live (``applied`` or ``cleared``); 3204
withdraws the caller's own while it is ``applied``. The monthly clearing run (not here) reads the
applied ones and marks them ``cleared``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, insert, select, update

from yibao.catalog.queries import region_of
from yibao.clearing.reconcile import our_groups
from yibao.clearing.reconcile_files import new_number
from yibao.clearing.reconcile_model import (
    APPLICATION_FIGURES,
    Period,
    differences,
    figures,
    select_totals,
)
from yibao.clearing.reconcile_tables import clearing_applications
from yibao.kernel.errors import ConflictError, InvalidValue, NotFound

__all__ = ["APPLIED", "CLEARED", "WITHDRAWN", "ApplicationRequest", "apply", "withdraw"]

APPLIED, WITHDRAWN, CLEARED = "applied", "withdrawn", "cleared"
_DATA = "input.data"


@dataclass(frozen=True, slots=True)
class ApplicationRequest:
    """3203's input: the month (``setlym`` YYYYMM), its dates, the type and way, the figures."""

    setlym: str
    month: Period
    clr_type: str
    clr_way: str | None
    begndate: date
    enddate: date
    #: the fields of :data:`APPLICATION_FIGURES`
    figures: Mapping[str, Decimal]


def apply(
    connection: Connection, *, caller: str, request: ApplicationRequest, msgid: str, now: datetime
) -> str:
    """Record the application when the month is over, unclaimed and its figures are ours; its id."""
    region_of(connection, caller, lock=True)  # one institution's applications one at a time
    month = request.month
    if now.date() <= month.end:
        raise InvalidValue(f"{_DATA}.setlym", f"{request.setlym} is not over: apply from "
                                              f"{month.end + timedelta(days=1)}")  # fmt: skip
    for name, day, wanted in (
        ("begndate", request.begndate, month.begin),
        ("enddate", request.enddate, month.end),
    ):
        if day != wanted:
            raise InvalidValue(f"{_DATA}.{name}", f"{day} is not {wanted}: an application covers the whole "
                                                  f"month {request.setlym}")  # fmt: skip
    period = f"{month.begin:%Y-%m}"
    a = clearing_applications.c
    live = connection.execute(
        select(a.clr_appy_evt_id, a.state).where(a.fixmedins_code == caller, a.period == period,
                                                 a.clr_type == request.clr_type, a.state != WITHDRAWN)
    ).first()  # fmt: skip
    if live is not None:
        raise ConflictError(f"{_DATA}.setlym: {period} clr_type {request.clr_type} has application "
                            f"{live.clr_appy_evt_id} ({live.state}); withdraw it with 3204 first")  # fmt: skip
    totals = select_totals(
        our_groups(connection, caller=caller, period=month), clr_type=request.clr_type
    )
    found = differences(request.figures, figures(totals, APPLICATION_FIGURES))
    if found:
        listed = "; ".join(str(d) for d in found)
        raise ConflictError(f"{_DATA}.{listed}; reconcile with 3201/3202 first")
    evt_id = new_number("3203", now)
    connection.execute(insert(clearing_applications), [{
        "clr_appy_evt_id": evt_id, "fixmedins_code": caller, "period": period, "clr_type": request.clr_type,
        "clr_way": request.clr_way, "state": APPLIED, "psntime": int(request.figures["psntime"]),
        **{name: request.figures[name] for name in APPLICATION_FIGURES if name != "psntime"},
        "begndate": request.begndate, "enddate": request.enddate, "msgid": msgid, "applied_at": now,
    }])  # fmt: skip
    return evt_id


def withdraw(connection: Connection, *, caller: str, clr_appy_evt_id: str, now: datetime) -> None:
    """3204: the caller's own application, only while it is ``applied``."""
    a = clearing_applications.c
    row = connection.execute(
        select(a.state)
        .where(a.clr_appy_evt_id == clr_appy_evt_id, a.fixmedins_code == caller)
        .with_for_update()
    ).first()
    field = f"{_DATA}.clr_appy_evt_id"
    if row is None:
        raise NotFound(f"{field}: no clearing application {clr_appy_evt_id} of this institution")
    if row.state != APPLIED:
        raise ConflictError(f"{field}: application {clr_appy_evt_id} is {row.state}; "
                            "only an applied one can be withdrawn")  # fmt: skip
    connection.execute(
        update(clearing_applications).where(a.clr_appy_evt_id == clr_appy_evt_id)
        .values(state=WITHDRAWN, withdrawn_at=now)
    )  # fmt: skip
