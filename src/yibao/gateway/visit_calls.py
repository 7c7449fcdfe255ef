"""Outpatient and inpatient transactions: 2201–2208 and 2301–2305, 2401–2405.

Each function reads its input node, calls one use case of ``settlement.visits`` and answers with
the interface's output names. Fee lines are checked as the visit document checks them
(``det_item_fee_sumamt = pric × cnt``, refunds naming their original) before anything is stored.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from yibao.clearing.suspensions import check_not_suspended, suspensions
from yibao.gateway.audit_payload import render_findings
from yibao.gateway.calls import Call, Handler
from yibao.kernel.dates import parse_datetime
from yibao.kernel.errors import InvalidValue, validation_problems
from yibao.kernel.money import money
from yibao.settlement import undo
from yibao.settlement import visits as uc
from yibao.settlement.formats import FeeDetail
from yibao.settlement.model import FeeLine, Settlement
from yibao.settlement.output import render_lines, render_settlement

__all__ = ["VISIT_CALLS"]


def _care_region(call: Call) -> str:
    """The envelope's 就医地 must be the calling institution's region."""
    own = call.ref.institution(call.caller).admdvs
    if call.envelope.mdtrtarea_admvs != own:
        raise InvalidValue(
            "mdtrtarea_admvs",
            f"{call.envelope.mdtrtarea_admvs} is not the region of institution {call.caller} ({own})",
        )
    return own


def _begins(call: Call, node: str) -> datetime:
    """The visit's ``begntime``; refused when the institution is suspended that day."""
    begntime = parse_datetime(call.required(node, "begntime"), field=f"input.{node}.begntime")
    found = suspensions(call.connection, call.caller)
    check_not_suspended(found, fixmedins_code=call.caller, day=begntime.date())
    return begntime


def register_outpatient(call: Call) -> dict[str, Any]:
    """2201 门诊挂号: a visit for an insured person; returns ``mdtrt_id``."""
    data = call.node("data")
    mdtrt_id = uc.register_visit(
        call.connection, caller=call.caller, psn_no=call.required("data", "psn_no"),
        insutype=call.required("data", "insutype"), med_type="11", begntime=_begins(call, "data"),
        mdtrtarea_admvs=_care_region(call), insuplc_admdvs=call.envelope.insuplc_admdvs,
        msgid=call.envelope.msgid,
        ipt_no=data.get("ipt_otp_no"),
    )  # fmt: skip
    return {
        "data": {
            "mdtrt_id": mdtrt_id,
            "psn_no": data["psn_no"],
            "ipt_otp_no": data.get("ipt_otp_no"),
        }
    }


def admit(call: Call) -> dict[str, Any]:
    """2401 入院办理: a stay; returns ``mdtrt_id``."""
    info = call.node("mdtrtinfo")
    mdtrt_id = uc.register_visit(
        call.connection, caller=call.caller, psn_no=call.required("mdtrtinfo", "psn_no"),
        insutype=call.required("mdtrtinfo", "insutype"), med_type=call.required("mdtrtinfo", "med_type"),
        begntime=_begins(call, "mdtrtinfo"),
        mdtrtarea_admvs=_care_region(call), insuplc_admdvs=call.envelope.insuplc_admdvs,
        msgid=call.envelope.msgid, ipt_no=info.get("ipt_no"),
    )  # fmt: skip
    uc.record_visit_info(call.connection, caller=call.caller, mdtrt_id=mdtrt_id, med_type=None,
                         diagnoses=_diagnoses(call), operation=_operation(info))  # fmt: skip
    return {
        "result": {"mdtrt_id": mdtrt_id, "psn_no": info["psn_no"], "ipt_no": info.get("ipt_no")}
    }


def record_outpatient(call: Call) -> dict[str, Any]:
    """2203 门诊就诊信息上传: the visit's ``med_type`` and diagnoses."""
    uc.record_visit_info(
        call.connection,
        caller=call.caller,
        mdtrt_id=call.required("mdtrtinfo", "mdtrt_id"),
        med_type=call.required("mdtrtinfo", "med_type"),
        diagnoses=_diagnoses(call),
    )
    return {}


def change_stay(call: Call) -> dict[str, Any]:
    """2403 住院信息变更: the stay's care type and diagnoses (before it is settled)."""
    uc.record_visit_info(
        call.connection,
        caller=call.caller,
        mdtrt_id=call.required("adminfo", "mdtrt_id"),
        med_type=call.required("adminfo", "med_type"),
        diagnoses=_diagnoses(call),
        operation=_operation(call.node("adminfo")),
    )
    return {}


def discharge(call: Call) -> dict[str, Any]:
    """2402 出院办理."""
    info = call.node("dscginfo")
    endtime = parse_datetime(call.required("dscginfo", "endtime"), field="input.dscginfo.endtime")
    uc.discharge(call.connection, caller=call.caller, mdtrt_id=call.required("dscginfo", "mdtrt_id"),
                 endtime=endtime)  # fmt: skip
    uc.record_visit_info(call.connection, caller=call.caller, mdtrt_id=info["mdtrt_id"], med_type=None,
                         diagnoses=_diagnoses(call), operation=_operation(info))  # fmt: skip
    return {}


def cancel_discharge(call: Call) -> dict[str, Any]:
    """2405 出院撤销."""
    uc.discharge(
        call.connection,
        caller=call.caller,
        mdtrt_id=call.required("data", "mdtrt_id"),
        endtime=None,
    )
    return {}


def cancel(call: Call) -> dict[str, Any]:
    """2202 门诊挂号撤销 / 2404 入院撤销."""
    undo.cancel_visit(
        call.connection, caller=call.caller, mdtrt_id=call.required("data", "mdtrt_id")
    )
    return {}


def upload(call: Call) -> dict[str, Any]:
    """2204 / 2301 费用明细上传: the lines and their split (``result[]``)."""
    items = call.envelope.input.get("feedetail")
    if not isinstance(items, list) or not items:
        raise InvalidValue("input.feedetail", "missing: at least one fee line")
    lines = [_line(item, i) for i, item in enumerate(items)]
    found = suspensions(call.connection, call.caller)
    for i, line in enumerate(lines):
        check_not_suspended(found, fixmedins_code=call.caller, day=line.fee_ocur_time.date(),
                            dept_codg=line.dept_codg, field=f"input.feedetail[{i}].bilg_dept_codg")  # fmt: skip
    mdtrt_ids = {str(item.get("mdtrt_id", "")) for item in items}
    if len(mdtrt_ids) != 1:
        raise InvalidValue(
            "input.feedetail.mdtrt_id", "all lines of one upload belong to one visit"
        )
    splits = uc.upload_lines(
        call.connection,
        call.ref,
        caller=call.caller,
        mdtrt_id=mdtrt_ids.pop(),
        lines=lines,
        chrg_bchno=str(items[0].get("chrg_bchno") or ""),
        where="input.feedetail",
    )
    return {"result": render_lines(splits)}


def delete(call: Call) -> dict[str, Any]:
    """2205 / 2302 费用明细撤销 (``"0000"``: every unsettled line)."""
    data = call.node("data")
    count = undo.delete_lines(
        call.connection,
        caller=call.caller,
        mdtrt_id=call.required("data", "mdtrt_id"),
        feedetl_sn=data.get("feedetl_sn"),
        chrg_bchno=data.get("chrg_bchno"),
    )
    if count == 0:
        raise InvalidValue("input.data", "no unsettled fee line matches")
    return {}


def _settler(commit: bool) -> Handler:
    def run(call: Call) -> dict[str, Any]:
        data = call.node("data")
        request = uc.SettleRequest(
            mdtrt_id=call.required("data", "mdtrt_id"), psn_no=call.required("data", "psn_no"),
            insutype=call.required("data", "insutype"), acct_used=data.get("acct_used_flag") == "1",
            mid_stay=data.get("mid_setl_flag") == "1",
            medfee_sumamt=None if data.get("medfee_sumamt") in (None, "") else _amount(data["medfee_sumamt"]),
            mdtrt_cert_type=str(data.get("mdtrt_cert_type") or "02"), infno=call.envelope.infno,
        )  # fmt: skip
        settled = uc.settle_visit(call.connection, call.ref, caller=call.caller, request=request,
                                  commit=commit, msgid=call.envelope.msgid, now=call.now)  # fmt: skip
        return _settlement_output(settled)

    run.__doc__ = "2207/2304 结算" if commit else "2206/2303 预结算"
    return run


def reverse(call: Call) -> dict[str, Any]:
    """2208 / 2305 结算撤销: the exact mirror of the visit's settlement in force."""
    reversed_ = uc.reverse_settlement(
        call.connection,
        caller=call.caller,
        mdtrt_id=call.required("data", "mdtrt_id"),
        setl_id=call.required("data", "setl_id"),
        psn_no=call.required("data", "psn_no"),
        msgid=call.envelope.msgid,
        now=call.now,
    )
    return _settlement_output(reversed_)


def _settlement_output(settled: Settlement) -> dict[str, Any]:
    out = render_settlement(settled)
    return {"setlinfo": out["setlinfo"], "setldetail": out["setldetail"],
            "auditinfo": render_findings(settled.findings)}  # fmt: skip


def _amount(value: object) -> Decimal:
    return money(value, field="input.data.medfee_sumamt")


def _line(item: object, index: int) -> FeeLine:
    try:
        d = FeeDetail.model_validate(item)
    except ValidationError as exc:
        problem = validation_problems("request", exc.errors())[0]
        raise InvalidValue(f"input.feedetail[{index}].{problem.column}", problem.reason) from None
    return FeeLine(d.feedetl_sn, d.med_list_codg, d.medins_list_codg, d.cnt, d.pric, d.det_item_fee_sumamt,
                   d.fee_ocur_time, d.hosp_appr_flag.value, d.init_feedetl_sn, d.med_list_name,
                   d.bilg_dept_codg, d.bilg_dept_name)  # fmt: skip


def _operation(node: dict[str, Any]) -> tuple[str, str] | None:
    code = node.get("oprn_oprt_code")
    return None if not code else (str(code), str(node.get("oprn_oprt_name") or ""))


def _diagnoses(call: Call) -> list[uc.Diagnosis]:
    items = call.envelope.input.get("diseinfo") or []
    return [
        uc.Diagnosis(int(d.get("diag_srt_no") or i), str(d.get("diag_type") or "1"),
                     str(d.get("maindiag_flag") or "0"), str(d["diag_code"]), str(d.get("diag_name") or ""))
        for i, d in enumerate(items, start=1)
        if isinstance(d, dict) and d.get("diag_code")
    ]  # fmt: skip


VISIT_CALLS: dict[str, Handler] = {
    "2201": register_outpatient,
    "2202": cancel,
    "2203": record_outpatient,
    "2204": upload,
    "2205": delete,
    "2206": _settler(commit=False),
    "2207": _settler(commit=True),
    "2208": reverse,
    "2401": admit,
    "2402": discharge,
    "2403": change_stay,
    "2404": cancel,
    "2405": cancel_discharge,
    "2301": upload,
    "2302": delete,
    "2303": _settler(commit=False),
    "2304": _settler(commit=True),
    "2305": reverse,
}
