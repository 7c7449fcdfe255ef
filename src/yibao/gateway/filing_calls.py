"""Filings through the gateway: 2501–2506 (file and revoke) and the queries 5301 and 5302.

Each function reads its input node, calls one use case of :mod:`yibao.registry.filings` and
answers with the interface's names. The inputs are the sources' (newtouch ``Input_2501``–
``Input_2506``, ``Input_5301``/``Input_5302``), with a few optional fields of the project's; the
outputs 2501/2503/2505 ``result.trt_dcla_detl_sn`` and 5301 ``feedetail[]`` are newtouch's, and
5302 ``psnfixmedin[]`` is the node HIS clients read. What the sources do not give is marked
project-defined in ``docs/gateway-protocol.md`` §8. A designated institution named in a filing
must be registered here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from yibao.catalog.tables import institutions
from yibao.gateway.calls import Call, Handler
from yibao.kernel.dates import parse_date, parse_datetime
from yibao.kernel.errors import NotFound
from yibao.registry import filings

__all__ = ["FILING_CALLS", "FILING_READ_ONLY", "PARTICULARS"]

#: the input fields each filing keeps as sent, beyond those it decides on
PARTICULARS = {
    "2501": ("tel", "addr", "insu_optins", "dise_cond_dscr", "hosp_agre_refl_flag",
             "refl_used_flag"),
    "2503": ("tel", "addr", "insu_optins", "ide_fixmedins_no", "ide_fixmedins_name",
             "hosp_ide_date", "diag_dr_codg", "diag_dr_name"),
    "2505": ("tel", "addr", "biz_appy_type", "fix_srt_no", "fixmedins_name", "agnter_name",
             "agnter_cert_type", "agnter_certno", "agnter_tel", "agnter_addr", "agnter_rlts"),
}  # fmt: skip


def file_referral(call: Call) -> dict[str, Any]:
    """2501 转院备案: returns ``result.trt_dcla_detl_sn``."""
    node = call.node("refmedin")

    def text(field: str) -> str:
        return call.required("refmedin", field)

    sn = filings.file_referral(
        call.connection, caller=call.caller, psn_no=text("psn_no"), insutype=node.get("insutype") or None,
        diag_code=text("diag_code"), diag_name=text("diag_name"), reflin_medins_no=text("reflin_medins_no"),
        reflin_medins_name=text("reflin_medins_name"), mdtrtarea_admdvs=text("mdtrtarea_admdvs"),
        refl_type=text("refl_type"), refl_date=_day(call, "refmedin", "refl_date"), refl_rea=text("refl_rea"),
        refl_opnn=text("refl_opnn"), begndate=_optional_day(call, "refmedin", "begndate"),
        enddate=_optional_day(call, "refmedin", "enddate"), now=call.now,
        particulars=_particulars(call, "refmedin"),
    )  # fmt: skip
    return {"result": {"trt_dcla_detl_sn": sn}}


def revoke_referral(call: Call) -> dict[str, Any]:
    """2502 转院备案撤销: only the referring institution's own referral."""
    filings.revoke_referral(
        call.connection,
        caller=call.caller,
        trt_dcla_detl_sn=call.required("data", "trt_dcla_detl_sn"),
        psn_no=call.required("data", "psn_no"),
        memo=str(call.node("data").get("memo") or ""),
        now=call.now,
    )
    return {}


def file_chronic(call: Call) -> dict[str, Any]:
    """2503 人员慢特病备案: returns ``result.trt_dcla_detl_sn``."""
    institution = call.node("data").get("fixmedins_code") or None
    if institution is not None:
        _registered(call, str(institution))
    filing_id = filings.file_chronic(
        call.connection, caller=call.caller, psn_no=call.required("data", "psn_no"),
        insutype=call.required("data", "insutype"), opsp_dise_code=call.required("data", "opsp_dise_code"),
        opsp_dise_name=call.required("data", "opsp_dise_name"), fixmedins_code=institution,
        begndate=_day(call, "data", "begndate"), enddate=_optional_day(call, "data", "enddate"), now=call.now,
        particulars=_particulars(call, "data"),
    )  # fmt: skip
    return {"result": {"trt_dcla_detl_sn": filing_id}}


def revoke_chronic(call: Call) -> dict[str, Any]:
    """2504 人员慢特病备案撤销: only the filing institution's own filing."""
    filings.revoke_chronic(
        call.connection,
        caller=call.caller,
        filing_id=call.required("data", "trt_dcla_detl_sn"),
        psn_no=call.required("data", "psn_no"),
        memo=call.required("data", "memo"),
        now=call.now,
    )
    return {}


def file_designated(call: Call) -> dict[str, Any]:
    """2505 人员定点备案: replaces the person's designation it overlaps; returns the new one's id."""
    institution = call.required("data", "fixmedins_code")
    _registered(call, institution)
    filing_id = filings.file_designated(
        call.connection, caller=call.caller, psn_no=call.required("data", "psn_no"),
        insutype=call.node("data").get("insutype") or None, fixmedins_code=institution,
        begndate=_day(call, "data", "begndate"), enddate=_optional_day(call, "data", "enddate"), now=call.now,
        particulars=_particulars(call, "data"),
    )  # fmt: skip
    return {"result": {"trt_dcla_detl_sn": filing_id}}


def revoke_designated(call: Call) -> dict[str, Any]:
    """2506 人员定点备案撤销: only the filing institution's own filing."""
    filings.revoke_designated(
        call.connection,
        caller=call.caller,
        filing_id=call.required("data", "trt_dcla_detl_sn"),
        psn_no=call.required("data", "psn_no"),
        memo=call.required("data", "memo"),
        now=call.now,
    )
    return {}


def chronic_query(call: Call) -> dict[str, Any]:
    """5301 人员慢特病备案查询: the person's unrevoked filings (``begntime``: valid that day)."""
    found = filings.chronic_filings_of(
        call.connection, psn_no=call.required("data", "psn_no"), day=_query_day(call)
    )
    return {"feedetail": [
        {"opsp_dise_code": f.opsp_dise_code, "opsp_dise_name": f.opsp_dise_name,
         "begndate": f.begndate.isoformat(), "enddate": _iso(f.enddate),
         "trt_dcla_detl_sn": f.filing_id, "insutype": f.insutype, "fixmedins_code": f.fixmedins_code}
        for f in found
        if f.revoked_at is None
    ]}  # fmt: skip


def designated_query(call: Call) -> dict[str, Any]:
    """5302 人员定点信息查询: the person's unrevoked designations (``begntime``: valid that day)."""
    found = [
        f
        for f in filings.designated_of(
            call.connection, psn_no=call.required("data", "psn_no"), day=_query_day(call)
        )
        if f.revoked_at is None
    ]
    codes = {f.fixmedins_code for f in found}
    rows = call.connection.execute(
        select(institutions.c.fixmedins_code, institutions.c.fixmedins_name).where(
            institutions.c.fixmedins_code.in_(codes)
        )
    )
    names = {row.fixmedins_code: row.fixmedins_name for row in rows}
    return {"psnfixmedin": [
        # one designation is valid per insurance type at a time, so it is always the first
        {"psn_no": f.psn_no, "insutype": f.insutype, "fix_srt_no": "1", "fixmedins_code": f.fixmedins_code,
         "fixmedins_name": names.get(f.fixmedins_code), "begndate": f.begndate.isoformat(),
         "enddate": _iso(f.enddate), "memo": f.memo, "trt_dcla_detl_sn": f.filing_id}
        for f in found
    ]}  # fmt: skip


def _particulars(call: Call, node: str) -> dict[str, str]:
    """The fields of :data:`PARTICULARS` the caller sent (checked by the field rules), as text."""
    sent = call.node(node)
    return {
        name: str(sent[name])
        for name in PARTICULARS[call.envelope.infno]
        if sent.get(name) not in (None, "")
    }


def _registered(call: Call, code: str) -> None:
    """A designated institution named in a filing must be one this gateway knows."""
    found = call.connection.execute(
        select(institutions.c.fixmedins_code).where(institutions.c.fixmedins_code == code)
    ).first()
    if found is None:
        raise NotFound(f"input.data.fixmedins_code: no designated institution {code}")


def _day(call: Call, node: str, field: str) -> date:
    return parse_date(call.required(node, field), field=f"input.{node}.{field}")


def _optional_day(call: Call, node: str, field: str) -> date | None:
    value = call.node(node).get(field)
    return None if value in (None, "") else parse_date(value, field=f"input.{node}.{field}")


def _query_day(call: Call) -> date | None:
    value = call.node("data").get("begntime")
    if value in (None, ""):
        return None
    return parse_datetime(value, field="input.data.begntime").date()


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


FILING_CALLS: dict[str, Handler] = {
    "2501": file_referral,
    "2502": revoke_referral,
    "2503": file_chronic,
    "2504": revoke_chronic,
    "2505": file_designated,
    "2506": revoke_designated,
    "5301": chronic_query,
    "5302": designated_query,
}

#: the two queries only read (answered from a snapshot by the pipeline)
FILING_READ_ONLY = frozenset({"5301", "5302"})
