"""Questions an HIS asks: 2001 benefit check and the queries 5201–5206.

The interface's sources give these transactions' inputs but not their outputs; the output nodes
here follow the interface's naming (``trtinfo``, ``mdtrtinfo``, ``diseinfo``, ``setlinfo``,
``feedetail``, ``cuminfo``) and are documented in ``docs/gateway-protocol.md`` as project-defined.
"""

from __future__ import annotations

from typing import Any

from yibao.gateway.calls import Call, Handler
from yibao.kernel.dates import parse_datetime
from yibao.kernel.errors import YibaoError
from yibao.registry.service import find_person, uncovered_reason
from yibao.settlement import queries

__all__ = ["QUERY_CALLS"]


def benefit_check(call: Call) -> dict[str, Any]:
    """2001 人员待遇享受检查: is the person insured, and does the plan cover this ``med_type``?"""
    data = call.node("data")
    insutype, med_type = call.required("data", "insutype"), call.required("data", "med_type")
    when = parse_datetime(
        data.get("begntime") or call.envelope.inf_time, field="input.data.begntime"
    )
    found = find_person(call.connection, psn_no=call.required("data", "psn_no"), day=when.date())
    enrolment = next((e for e in found.enrolments if e.insutype == insutype), None)
    ok, reason = True, "享受待遇"
    if enrolment is None:
        why = uncovered_reason(call.connection, psn_no=found.person.psn_no, insutype=insutype,
                               day=when.date())  # fmt: skip
        ok, reason = False, f"{when.date()} 不享受 {insutype} 待遇: {why}"
    else:
        try:
            policy = call.ref.policies.in_force(enrolment.insuplc_admdvs, when.date())
            policy.plan(insutype).care_for(med_type)
        except YibaoError as exc:
            ok, reason = False, exc.message
    return {"trtinfo": [{
        "psn_no": found.person.psn_no, "insutype": insutype, "med_type": med_type, "trt_chk_type": "01",
        "trt_enjymnt_flag": "1" if ok else "0", "trt_chk_rslt": reason,
        "begndate": None if enrolment is None else enrolment.begndate.isoformat(),
        "enddate": None if enrolment is None or enrolment.enddate is None else enrolment.enddate.isoformat(),
    }]}  # fmt: skip


def visits_query(call: Call) -> dict[str, Any]:
    """5201 就诊信息查询."""
    data = call.node("data")
    begin, end = data.get("begntime"), data.get("endtime")
    return {"mdtrtinfo": queries.visits_of(
        call.connection, caller=call.caller, psn_no=data.get("psn_no"), mdtrt_id=data.get("mdtrt_id"),
        med_type=data.get("med_type"),
        begntime=None if not begin else parse_datetime(begin, field="input.data.begntime"),
        endtime=None if not end else parse_datetime(end, field="input.data.endtime"),
    )}  # fmt: skip


def diagnoses_query(call: Call) -> dict[str, Any]:
    """5202 诊断信息查询."""
    return {"diseinfo": queries.diagnoses_of(call.connection, caller=call.caller,
                                             mdtrt_id=call.required("data", "mdtrt_id"))}  # fmt: skip


def settlement_query(call: Call) -> dict[str, Any]:
    """5203 结算信息查询."""
    data = call.node("data")
    return queries.settlement_of(call.connection, caller=call.caller, setl_id=data.get("setl_id"),
                                 mdtrt_id=data.get("mdtrt_id"))  # fmt: skip


def lines_query(call: Call) -> dict[str, Any]:
    """5204 费用明细查询."""
    data = call.node("data")
    return {"feedetail": queries.lines_of(call.connection, caller=call.caller,
                                          mdtrt_id=call.required("data", "mdtrt_id"),
                                          setl_id=data.get("setl_id"))}  # fmt: skip


def counters_query(call: Call) -> dict[str, Any]:
    """5206 人员累计信息查询: ``cum_ym`` (yyyyMM) picks the year; default this year."""
    data = call.node("data")
    cum_ym = str(data.get("cum_ym") or f"{call.now:%Y%m}")
    year = int(cum_ym[:4]) if cum_ym[:4].isdigit() else call.now.year
    return {
        "cuminfo": queries.counters_of(
            call.connection, psn_no=call.required("data", "psn_no"), year=year
        )
    }


QUERY_CALLS: dict[str, Handler] = {
    "2001": benefit_check,
    "5201": visits_query,
    "5202": diagnoses_query,
    "5203": settlement_query,
    "5204": lines_query,
    "5206": counters_query,
}
