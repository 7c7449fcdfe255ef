"""Reconciliation and clearing through the gateway: 3201, 3202, 3203, 3204, 9101, 9102 (ADR 0018).

Each function reads its input node, calls one use case of :mod:`yibao.clearing` and answers with
the interface's names: 3201 ``stmtinfo``, 3202 ``fileinfo`` (and ``result[]`` of at most
:data:`RESULT_ROWS_SHOWN` rows), 3203 ``result.clr_appy_evt_id``, 9101 ``file_qury_no`` /
``filename`` / ``dld_endtime`` (newtouch ``Output_3201``/``3202``/``3203``/``9101``). 3202's
``stmtinfo`` and 9102's output (the file as base64) are project-defined, documented in
``docs/gateway-protocol.md`` §9. The upload's and download's ``fixmedins_code`` must be the caller.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from yibao.clearing.reconcile import (
    DetailRequest,
    TotalsRequest,
    reconcile_details,
    reconcile_totals,
)
from yibao.clearing.reconcile_applications import ApplicationRequest, apply, withdraw
from yibao.clearing.reconcile_files import file_bytes, find_file, store_file
from yibao.clearing.reconcile_model import (
    APPLICATION_FIGURES,
    STATEMENT_FIGURES,
    Period,
    month_of,
    result_row,
)
from yibao.gateway.calls import Call, Handler
from yibao.kernel.dates import format_datetime, parse_date
from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import money, to_decimal

__all__ = ["RECONCILE_CALLS", "RECONCILE_READ_ONLY", "RESULT_ROWS_SHOWN"]

#: 3202 returns its result rows in the answer too when there are at most this many
RESULT_ROWS_SHOWN = 1000
#: figures that count settlements rather than money
_COUNTS = frozenset({"fixmedins_setl_cnt", "psntime"})


def reconcile_total(call: Call) -> dict[str, Any]:
    """3201 医药机构费用结算对总账: ``stmtinfo`` with ``stmt_rslt`` 0 平 / 1 不平 and the differences."""
    data = call.node("data")
    optins = call.required("data", "setl_optins")
    request = TotalsRequest(
        setl_optins=optins, insutype=call.required("data", "insutype"), clr_type=call.required("data", "clr_type"),
        period=_period(call), refd_setl_flag=data.get("refd_setl_flag") or None,
        figures=_figures(call, STATEMENT_FIGURES),
    )  # fmt: skip
    outcome, description = reconcile_totals(call.connection, caller=call.caller, request=request,
                                            msgid=call.envelope.msgid, now=call.now)  # fmt: skip
    return {
        "stmtinfo": {
            "setl_optins": optins,
            "stmt_rslt": outcome.value,
            "stmt_rslt_dscr": description,
        }
    }


def reconcile_detail(call: Call) -> dict[str, Any]:
    """3202 医药机构费用结算对明细账: the uploaded detail file against our settlements, line by line."""
    data = call.node("data")
    optins = call.required("data", "setl_optins")
    request = DetailRequest(
        setl_optins=optins, file_qury_no=call.required("data", "file_qury_no"),
        clr_type=data.get("clr_type") or None, period=_period(call),
        figures=_figures(call, ("fixmedins_setl_cnt", "medfee_sumamt", "fund_pay_sumamt", "cash_payamt")),
    )  # fmt: skip
    done = reconcile_details(call.connection, caller=call.caller, request=request, msgid=call.envelope.msgid,
                             now=call.now)  # fmt: skip
    stored = done.result_file
    answer: dict[str, Any] = {
        "fileinfo": {"file_qury_no": stored.file_qury_no, "filename": stored.filename,
                     "dld_endtime": format_datetime(stored.dld_endtime)},
        "stmtinfo": {"setl_optins": optins, "stmt_rslt": done.stmt_rslt.value, "stmt_rslt_dscr": done.description},
    }  # fmt: skip
    if len(done.results) <= RESULT_ROWS_SHOWN:
        answer["result"] = [result_row(r) for r in done.results]
    return answer


def apply_for_clearing(call: Call) -> dict[str, Any]:
    """3203 清算申请: returns ``result.clr_appy_evt_id``."""
    data = call.node("data")
    setlym = call.required("data", "setlym")
    request = ApplicationRequest(
        setlym=setlym, month=month_of(setlym, field="input.data.setlym"), clr_type=call.required("data", "clr_type"),
        clr_way=data.get("clr_way") or None, begndate=_day(call, "begndate"), enddate=_day(call, "enddate"),
        figures=_figures(call, APPLICATION_FIGURES),
    )  # fmt: skip
    evt_id = apply(
        call.connection,
        caller=call.caller,
        request=request,
        msgid=call.envelope.msgid,
        now=call.now,
    )
    return {"result": {"clr_appy_evt_id": evt_id}}


def withdraw_application(call: Call) -> dict[str, Any]:
    """3204 清算撤销: the caller's own application, while it is ``applied``."""
    withdraw(call.connection, caller=call.caller, clr_appy_evt_id=call.required("data", "clr_appy_evt_id"),
             now=call.now)  # fmt: skip
    return {}


def upload(call: Call) -> dict[str, Any]:
    """9101 文件上传: ``in`` (base64, or an array of byte values) and ``filename``; the file's number."""
    _own_institution(call, "fsUploadIn")
    content = file_bytes(call.node("fsUploadIn").get("in"), field="input.fsUploadIn.in")
    stored = store_file(call.connection, caller=call.caller, infno="9101",
                        filename=call.required("fsUploadIn", "filename"), content=content, now=call.now)  # fmt: skip
    return {"file_qury_no": stored.file_qury_no, "filename": stored.filename,
            "dld_endtime": format_datetime(stored.dld_endtime)}  # fmt: skip


def download(call: Call) -> dict[str, Any]:
    """9102 文件下载: one of the caller's files, base64 (project-defined output)."""
    _own_institution(call, "fsDownloadIn")
    number = call.required("fsDownloadIn", "file_qury_no")
    stored = find_file(call.connection, caller=call.caller, file_qury_no=number,
                       field="input.fsDownloadIn.file_qury_no", now=call.now)  # fmt: skip
    name = call.required("fsDownloadIn", "filename")
    if name != stored.filename:
        raise InvalidValue(
            "input.fsDownloadIn.filename",
            f"file {number} is named {stored.filename!r}, not {name!r}",
        )
    return {
        "file_qury_no": stored.file_qury_no, "filename": stored.filename, "file_size": stored.size_bytes,
        "sha256": stored.sha256, "dld_endtime": format_datetime(stored.dld_endtime),
        "content": base64.b64encode(stored.content).decode("ascii"),
    }  # fmt: skip


def _own_institution(call: Call, node: str) -> None:
    code = call.required(node, "fixmedins_code")
    if code != call.caller:
        raise InvalidValue(
            f"input.{node}.fixmedins_code", f"{code} is not the calling institution {call.caller}"
        )


def _period(call: Call) -> Period:
    return Period.checked(
        _day(call, "stmt_begndate"), _day(call, "stmt_enddate"), field="input.data.stmt_enddate"
    )


def _day(call: Call, field: str) -> date:
    return parse_date(call.required("data", field), field=f"input.data.{field}")


def _figures(call: Call, names: Iterable[str]) -> dict[str, Decimal]:
    """The input's figures: counts as whole numbers, amounts to the fen."""
    found = {}
    for name in names:
        value, field = call.required("data", name), f"input.data.{name}"
        found[name] = (
            Decimal(int(to_decimal(value, field=field)))
            if name in _COUNTS
            else money(value, field=field)
        )
    return found


RECONCILE_CALLS: dict[str, Handler] = {
    "3201": reconcile_total,
    "3202": reconcile_detail,
    "3203": apply_for_clearing,
    "3204": withdraw_application,
    "9101": upload,
    "9102": download,
}

#: 9102 only reads (answered from a snapshot by the pipeline)
RECONCILE_READ_ONLY = frozenset({"9102"})
