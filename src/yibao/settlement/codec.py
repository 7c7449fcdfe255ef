"""A settlement as a JSON-safe document and back, exactly (decimals as strings, times as ISO text).

The store keeps each settlement's whole record in one document so that a later mid-stay, final
settlement or reversal of the same visit rebuilds exactly the :class:`Settlement` the engine needs.
``decode(encode(s)) == s`` for every settlement (a property test checks it).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from yibao.catalog.model import Institution
from yibao.kernel.codes import FundPayType, HospLv, PsnIdetType
from yibao.settlement.model import (
    Accumulators,
    Amounts,
    FeeLine,
    FundPayment,
    LineSplit,
    Person,
    Settlement,
    SettlementKind,
    TraceStep,
    Visit,
)

__all__ = ["decode", "encode"]

Doc = dict[str, Any]


def _d(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _D(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _t(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _T(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _req(value: Decimal | None) -> Decimal:
    assert value is not None
    return value


def encode(s: Settlement) -> Doc:
    """The settlement as a document of strings, numbers, lists and objects."""
    return {
        "setl_id": s.setl_id,
        "kind": s.kind.value,
        "visit": _encode_visit(s.visit),
        "setl_time": _t(s.setl_time),
        "policy": [s.policy_region, s.policy_version, s.policy_file],
        "amounts": {k: _d(v) for k, v in s.amounts.as_dict().items()},
        "pool_prop_selfpay": _d(s.pool_prop_selfpay),
        "funds": [_encode_fund(f) for f in s.funds],
        "lines": [
            {f.name: _plain(getattr(line, f.name)) for f in fields(line)} for line in s.lines
        ],
        "trace": [[t.step, t.text, _d(t.amount), t.clause, t.fund] for t in s.trace],
        "delta": {k: _d(v) for k, v in s.delta.items()},
        "visit_amounts": {k: _d(v) for k, v in s.visit_amounts.as_dict().items()},
        "visit_funds": [_encode_fund(f) for f in s.visit_funds],
        "visit_delta": {k: _d(v) for k, v in s.visit_delta.items()},
        "balc": _d(s.balc),
        "reverses": s.reverses,
        "prior_setl_ids": list(s.prior_setl_ids),
    }


def decode(doc: Doc) -> Settlement:
    """The settlement a document was made from."""
    region, version, file = doc["policy"]
    return Settlement(
        setl_id=doc["setl_id"],
        kind=SettlementKind(doc["kind"]),
        visit=_decode_visit(doc["visit"]),
        setl_time=_req_time(doc["setl_time"]),
        policy_region=region,
        policy_version=version,
        policy_file=file,
        amounts=_amounts(doc["amounts"]),
        pool_prop_selfpay=_req(_D(doc["pool_prop_selfpay"])),
        funds=tuple(_decode_fund(f) for f in doc["funds"]),
        lines=tuple(_decode_line(line) for line in doc["lines"]),
        trace=tuple(
            TraceStep(step, text, _D(amount), clause, None if fund is None else FundPayType(fund))
            for step, text, amount, clause, fund in doc["trace"]
        ),
        delta=_counters(doc["delta"]),
        visit_amounts=_amounts(doc["visit_amounts"]),
        visit_funds=tuple(_decode_fund(f) for f in doc["visit_funds"]),
        visit_delta=_counters(doc["visit_delta"]),
        balc=_req(_D(doc["balc"])),
        reverses=doc["reverses"],
        prior_setl_ids=tuple(doc["prior_setl_ids"]),
    )


def _plain(value: object) -> object:
    return format(value, "f") if isinstance(value, Decimal) else value


def _req_time(value: str) -> datetime:
    moment = _T(value)
    assert moment is not None
    return moment


def _amounts(doc: dict[str, str]) -> Amounts:
    return Amounts(**{k: _req(_D(v)) for k, v in doc.items()})


def _counters(doc: dict[str, str]) -> Accumulators:
    return Accumulators({k: _req(_D(v)) for k, v in doc.items()})


def _encode_fund(f: FundPayment) -> Doc:
    return {
        "fund_pay_type": f.fund_pay_type.value,
        "inscp_scp_amt": _d(f.inscp_scp_amt),
        "crt_payb_lmt_amt": _d(f.crt_payb_lmt_amt),
        "fund_payamt": _d(f.fund_payamt),
        "setl_proc_info": f.setl_proc_info,
    }


def _decode_fund(doc: Doc) -> FundPayment:
    return FundPayment(
        FundPayType(doc["fund_pay_type"]),
        _req(_D(doc["inscp_scp_amt"])),
        _D(doc["crt_payb_lmt_amt"]),
        _req(_D(doc["fund_payamt"])),
        doc["setl_proc_info"],
    )


def _decode_line(doc: Doc) -> LineSplit:
    decimals = {"det_item_fee_sumamt", "cnt", "pric", "pric_uplmt_amt", "selfpay_prop",
                "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt"}  # fmt: skip
    values: dict[str, Any] = {k: _D(v) if k in decimals else v for k, v in doc.items()}
    return LineSplit(**values)


def _encode_visit(v: Visit) -> Doc:
    p, i = v.person, v.institution
    return {
        "mdtrt_id": v.mdtrt_id,
        "person": [p.psn_no, p.psn_name, p.gend, p.brdy.isoformat(), p.psn_cert_type, p.certno,
                   p.insutype, p.psn_type, p.cvlserv_flag, p.insuplc_admdvs,
                   sorted(x.value for x in p.identities)],
        "institution": [i.fixmedins_code, i.fixmedins_name, i.hosp_lv.value, i.admdvs, i.kind, i.demo],
        "insutype": v.insutype,
        "med_type": v.med_type,
        "begntime": _t(v.begntime),
        "endtime": _t(v.endtime),
        "mdtrtarea_admvs": v.mdtrtarea_admvs,
        "lines": [[x.feedetl_sn, x.med_list_codg, x.medins_list_codg, _d(x.cnt), _d(x.pric),
                   _d(x.det_item_fee_sumamt), _t(x.fee_ocur_time), x.hosp_appr_flag,
                   x.init_feedetl_sn, x.name] for x in v.lines],
        "flags": [v.acct_used_flag, v.mid_setl_flag, v.mdtrt_cert_type, v.filing_type],
    }  # fmt: skip


def _decode_visit(doc: Doc) -> Visit:
    (psn_no, name, gend, brdy, cert_type, certno, insutype, psn_type, cvl, insuplc,
     identities) = doc["person"]  # fmt: skip
    code, inst_name, hosp_lv, admdvs, kind, demo = doc["institution"]
    acct, mid, cert, filing = doc["flags"]
    person = Person(
        psn_no,
        name,
        gend,
        date.fromisoformat(brdy),
        cert_type,
        certno,
        insutype,
        psn_type,
        cvl,
        insuplc,
        frozenset(PsnIdetType(x) for x in identities),
    )
    lines = tuple(
        FeeLine(sn, codg, own, _req(_D(cnt)), _req(_D(pric)), _req(_D(det)), _req_time(when),
                flag, init, line_name)
        for sn, codg, own, cnt, pric, det, when, flag, init, line_name in doc["lines"]
    )  # fmt: skip
    return Visit(
        mdtrt_id=doc["mdtrt_id"],
        person=person,
        institution=Institution(code, inst_name, HospLv(hosp_lv), admdvs, kind, demo),
        insutype=doc["insutype"],
        med_type=doc["med_type"],
        begntime=_req_time(doc["begntime"]),
        endtime=_T(doc["endtime"]),
        mdtrtarea_admvs=doc["mdtrtarea_admvs"],
        lines=lines,
        acct_used_flag=acct,
        mid_setl_flag=mid,
        mdtrt_cert_type=cert,
        filing_type=filing,
    )
