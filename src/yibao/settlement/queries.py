"""Read-only questions about visits, their lines, settlements and a person's year (5201–5206).

Every answer about a visit is limited to the asking institution's own visits. Rows are returned
as plain dictionaries with the interface's field names, amounts as strings of exact decimals.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from yibao.kernel.dates import format_datetime
from yibao.kernel.errors import NotFound
from yibao.settlement import codec
from yibao.settlement.output import render_settlement
from yibao.settlement.tables import diagnoses, fee_lines, settlements, visits, year_counters

__all__ = ["counters_of", "diagnoses_of", "lines_of", "settlement_of", "visits_of"]

Row = dict[str, Any]


def _s(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _t(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)


def visits_of(
    connection: Connection,
    *,
    caller: str,
    psn_no: str | None,
    mdtrt_id: str | None,
    med_type: str | None,
    begntime: datetime | None,
    endtime: datetime | None,
) -> list[Row]:
    """5201: the caller's visits matching the filters, newest first (at most 200)."""
    query = select(visits).where(visits.c.fixmedins_code == caller)
    for column, value in (
        (visits.c.psn_no, psn_no),
        (visits.c.mdtrt_id, mdtrt_id),
        (visits.c.med_type, med_type),
    ):
        if value:
            query = query.where(column == value)
    if begntime is not None:
        query = query.where(visits.c.begntime >= begntime)
    if endtime is not None:
        query = query.where(visits.c.begntime <= endtime)
    rows = connection.execute(query.order_by(visits.c.begntime.desc()).limit(200))
    return [
        {"mdtrt_id": r.mdtrt_id, "psn_no": r.psn_no, "fixmedins_code": r.fixmedins_code, "insutype": r.insutype,
         "med_type": r.med_type, "begntime": _t(r.begntime), "endtime": _t(r.endtime), "ipt_otp_no": r.ipt_no,
         "mdtrtarea_admvs": r.mdtrtarea_admvs, "insuplc_admdvs": r.insuplc_admdvs,
         "vali_flag": "0" if r.status == "cancelled" else "1"}
        for r in rows
    ]  # fmt: skip


def _own_visit(connection: Connection, caller: str, mdtrt_id: str) -> None:
    found = connection.execute(
        select(visits.c.mdtrt_id).where(
            visits.c.mdtrt_id == mdtrt_id, visits.c.fixmedins_code == caller
        )
    ).first()
    if found is None:
        raise NotFound(f"input.data.mdtrt_id: no visit {mdtrt_id} of this institution")


def diagnoses_of(connection: Connection, *, caller: str, mdtrt_id: str) -> list[Row]:
    """5202: the diagnoses of one of the caller's visits."""
    _own_visit(connection, caller, mdtrt_id)
    rows = connection.execute(
        select(diagnoses).where(diagnoses.c.mdtrt_id == mdtrt_id).order_by(diagnoses.c.diag_srt_no)
    )
    return [
        {"mdtrt_id": r.mdtrt_id, "diag_srt_no": r.diag_srt_no, "diag_type": r.diag_type,
         "maindiag_flag": r.maindiag_flag, "diag_code": r.diag_code, "diag_name": r.diag_name}
        for r in rows
    ]  # fmt: skip


def settlement_of(
    connection: Connection, *, caller: str, setl_id: str | None, mdtrt_id: str | None
) -> Row:
    """5203: a settlement by ``setl_id``, or the visit's settlement in force, as ``setlinfo``/``setldetail``."""
    query = select(settlements.c.document).where(settlements.c.fixmedins_code == caller)
    if setl_id:
        query = query.where(settlements.c.setl_id == setl_id)
    elif mdtrt_id:
        query = query.where(
            settlements.c.mdtrt_id == mdtrt_id,
            settlements.c.kind != "reversal",
            settlements.c.reversed_by.is_(None),
        )
    else:
        raise NotFound("input.data.setl_id: give a setl_id or an mdtrt_id")
    row = connection.execute(query.order_by(settlements.c.setl_time.desc()).limit(1)).first()
    if row is None:
        raise NotFound(
            f"input.data.setl_id: no settlement {setl_id or mdtrt_id} of this institution"
        )
    out = render_settlement(codec.decode(json.loads(row.document)))
    return {"setlinfo": out["setlinfo"], "setldetail": out["setldetail"]}


def lines_of(
    connection: Connection, *, caller: str, mdtrt_id: str, setl_id: str | None
) -> list[Row]:
    """5204: the fee lines of one of the caller's visits (of one settlement when ``setl_id`` is given)."""
    _own_visit(connection, caller, mdtrt_id)
    query = select(fee_lines).where(fee_lines.c.mdtrt_id == mdtrt_id).order_by(fee_lines.c.line_no)
    if setl_id:
        query = query.where(fee_lines.c.setl_id == setl_id)
    return [
        {"feedetl_sn": r.feedetl_sn, "mdtrt_id": r.mdtrt_id, "init_feedetl_sn": r.init_feedetl_sn,
         "med_list_codg": r.med_list_codg, "medins_list_codg": r.medins_list_codg,
         "det_item_fee_sumamt": _s(r.det_item_fee_sumamt), "cnt": _s(r.cnt), "pric": _s(r.pric),
         "fee_ocur_time": _t(r.fee_ocur_time), "fulamt_ownpay_amt": _s(r.fulamt_ownpay_amt),
         "overlmt_amt": _s(r.overlmt_amt), "preselfpay_amt": _s(r.preselfpay_amt),
         "inscp_scp_amt": _s(r.inscp_scp_amt), "selfpay_prop": _s(r.selfpay_prop), "chrgitm_lv": r.chrgitm_lv,
         "vali_flag": "1" if r.status == "active" else "0"}
        for r in connection.execute(query)
    ]  # fmt: skip


def counters_of(connection: Connection, *, psn_no: str, year: int) -> list[Row]:
    """5206: a person's counters of a year, one row per insurance type and counter."""
    rows = connection.execute(
        select(year_counters)
        .where(year_counters.c.psn_no == psn_no, year_counters.c.year == year)
        .order_by(year_counters.c.insutype, year_counters.c.counter)
    )
    return [
        {"psn_no": r.psn_no, "insutype": r.insutype, "year": str(r.year), "cum_type_code": r.counter,
         "cum": _s(r.value)}
        for r in rows
    ]  # fmt: skip
