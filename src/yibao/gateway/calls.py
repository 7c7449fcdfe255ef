"""The gateway's transactions, one small function each: read the input node, call a service, answer.

Every function takes a :class:`Call` (the checked envelope, the calling institution, the unit of
work, the time) and returns the ``output`` object. Errors are raised as yibao errors; the
pipeline turns them into ``infcode = -1``. Transactions not listed here are answered as not served.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from yibao.catalog.tables import institutions
from yibao.gateway.envelope import RequestEnvelope
from yibao.gateway.tables import sign_ins
from yibao.kernel.codes import CODE_TABLES
from yibao.kernel.dates import age_on, format_datetime
from yibao.kernel.errors import CatalogError, InvalidValue, NotFound, SettlementRefused
from yibao.registry.service import find_person, uncovered_reason
from yibao.registry.tables import enrolments
from yibao.settlement.visits import Reference

__all__ = ["CALLS", "Call", "Handler"]


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated, validated request being answered inside its transaction."""

    envelope: RequestEnvelope
    caller: str
    connection: Connection
    now: datetime
    reference: Reference | None = None

    @property
    def ref(self) -> Reference:
        """Policies and catalogues (the settlement transactions need them)."""
        if self.reference is None:
            raise CatalogError("the gateway was started without its reference data")
        return self.reference

    def node(self, name: str) -> dict[str, Any]:
        value = self.envelope.input.get(name)
        if not isinstance(value, dict):
            raise InvalidValue(f"input.{name}", "missing: this transaction needs that node")
        return value

    def required(self, node: str, field: str) -> str:
        """A field this yibao needs even where the interface lists it as optional."""
        value = self.node(node).get(field)
        if value is None or value == "":
            raise InvalidValue(f"input.{node}.{field}", "missing")
        return str(value)


Handler = Callable[[Call], dict[str, Any]]


def sign_in(call: Call) -> dict[str, Any]:
    """9001 签到: a sign-in number for the operator."""
    node = call.node("signIn")
    opter_no = call.required("signIn", "opter_no")
    sign_no = f"{call.now:%Y%m%d%H%M%S}{secrets.randbelow(10**16):016d}"
    call.connection.execute(
        insert(sign_ins),
        [{"sign_no": sign_no, "fixmedins_code": call.caller, "opter_no": opter_no,
          "mac": node.get("mac") or "", "ip": node.get("ip") or "", "signed_in_at": call.now}],
    )  # fmt: skip
    return {"signinoutb": {"sign_time": format_datetime(call.now), "sign_no": sign_no}}


def sign_out(call: Call) -> dict[str, Any]:
    """9002 签退: closes the caller's own sign-in."""
    sign_no = call.required("data", "sign_no")
    done = call.connection.execute(
        update(sign_ins)
        .where(sign_ins.c.sign_no == sign_no, sign_ins.c.fixmedins_code == call.caller,
               sign_ins.c.signed_out_at.is_(None))
        .values(signed_out_at=call.now)
    )  # fmt: skip
    if done.rowcount != 1:
        raise NotFound(f"input.data.sign_no: no open sign-in {sign_no} of this institution")
    return {"signoutoutb": {"sign_time": format_datetime(call.now)}}


def person_info(call: Call) -> dict[str, Any]:
    """1101 人员信息获取: ``baseinfo``, ``insuinfo[]``, ``idetinfo[]`` by identity card."""
    node = call.node("data")
    if node.get("mdtrt_cert_type") != "02":
        raise InvalidValue(
            "input.data.mdtrt_cert_type",
            "only 02 (居民身份证) is accepted until e-vouchers and cards are registered",
        )
    certno = call.required("data", "mdtrt_cert_no")
    found = find_person(call.connection, certno=certno, day=call.now.date())
    person = found.person
    if node.get("psn_name") and node["psn_name"] != person.psn_name:
        raise InvalidValue("input.data.psn_name", "does not match the certificate's holder")
    if not found.enrolments:
        why = uncovered_reason(call.connection, psn_no=person.psn_no, insutype=_any_insutype(call, person.psn_no),
                               day=call.now.date())  # fmt: skip
        raise SettlementRefused(f"input.data.mdtrt_cert_no: no cover on {call.now.date()}: {why}")
    balance = "0.00" if found.balance is None else format(found.balance, "f")
    return {
        "baseinfo": {
            "psn_no": person.psn_no, "psn_cert_type": person.psn_cert_type, "certno": person.certno,
            "psn_name": person.psn_name, "gend": person.gend, "naty": "01",
            "brdy": person.brdy.isoformat(), "age": str(age_on(person.brdy, call.now.date())),
        },
        "insuinfo": [
            {"balc": balance, "insutype": e.insutype, "psn_type": e.psn_type, "psn_insu_stas": "1",
             "psn_insu_date": e.begndate.isoformat(), "paus_insu_date": None,
             "cvlserv_flag": "1" if e.cvlserv_flag else "0", "insuplc_admdvs": e.insuplc_admdvs,
             "emp_name": e.emp_name}
            for e in found.enrolments
        ],
        "idetinfo": [
            {"psn_idet_type": i.psn_idet_type, "psn_type_lv": i.psn_type_lv, "memo": None,
             "begntime": format_datetime(i.begntime),
             "endtime": None if i.endtime is None else format_datetime(i.endtime)}
            for i in found.identities
        ],
    }  # fmt: skip


def _any_insutype(call: Call, psn_no: str) -> str:
    """The insurance type of the person's latest enrolment (the one a refusal should explain)."""
    found = call.connection.execute(
        select(enrolments.c.insutype).where(enrolments.c.psn_no == psn_no)
        .order_by(enrolments.c.begndate.desc()).limit(1)
    ).scalar_one_or_none()  # fmt: skip
    return found or "310"


def institution_info(call: Call) -> dict[str, Any]:
    """1201 医疗机构信息获取: institutions by code or by name fragment."""
    node = call.node("medinsinfo")
    query = select(institutions).order_by(institutions.c.fixmedins_code).limit(100)
    if node.get("fixmedins_code"):
        query = query.where(institutions.c.fixmedins_code == node["fixmedins_code"])
    if node.get("fixmedins_name"):
        query = query.where(institutions.c.fixmedins_name.contains(node["fixmedins_name"]))
    rows = call.connection.execute(query)
    return {
        "medinsinfo": [
            {"fixmedins_code": r.fixmedins_code, "fixmedins_name": r.fixmedins_name,
             "fixmedins_type": "2" if r.kind == "pharmacy" else "1", "hosp_lv": r.hosp_lv,
             "uscc": None}
            for r in rows
        ]
    }  # fmt: skip


def code_table(call: Call) -> dict[str, Any]:
    """1901 字典表查询: the values of one code table (``type`` is the field name, e.g. insutype)."""
    node = call.node("data")
    table = CODE_TABLES.get(str(node.get("type", "")))
    if table is None:
        known = ", ".join(sorted(CODE_TABLES))
        raise InvalidValue("input.data.type", f"unknown code table {node.get('type')!r} ({known})")
    return {
        "list": [
            {"type": node["type"], "label": member.label, "value": member.value,
             "parentValue": None, "sort": i, "vali_flag": "1"}
            for i, member in enumerate(table, start=1)
        ]
    }  # fmt: skip


CALLS: dict[str, Handler] = {
    "9001": sign_in,
    "9002": sign_out,
    "1101": person_info,
    "1201": institution_info,
    "1901": code_table,
}
from yibao.gateway.catalog_calls import CATALOG_CALLS  # noqa: E402 - registered after the core calls

CALLS.update(CATALOG_CALLS)
