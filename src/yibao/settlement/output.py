"""Settlements rendered with the NHSA output names: ``setlinfo``, ``setldetail[]``, ``result[]``.

Amounts are strings with two decimals (exact, as the interface's N16,2 carries them), ratios four.
What the interface has no field for (the policy version used, the trace in steps, the year's
counters after the settlement) goes in a separate ``yibao`` node so the NHSA nodes stay clean.
"""

from __future__ import annotations

from decimal import Decimal

from yibao.kernel.dates import age_on, format_datetime
from yibao.settlement.model import (
    Accumulators,
    FundPayment,
    LineSplit,
    Settlement,
    clr_type_of,
)

__all__ = ["render_lines", "render_settlement", "render_state"]

JsonDict = dict[str, object]


def _s(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def render_settlement(s: Settlement) -> JsonDict:
    """``setlinfo`` + ``setldetail`` of one settlement, and the ``yibao`` node."""
    visit = s.visit
    person = visit.person
    setlinfo: JsonDict = {
        "mdtrt_id": visit.mdtrt_id,
        "setl_id": s.setl_id,
        "psn_no": person.psn_no,
        "psn_name": person.psn_name,
        "psn_cert_type": person.psn_cert_type,
        "certno": person.certno,
        "gend": person.gend,
        "brdy": person.brdy.isoformat(),
        "age": str(age_on(person.brdy, visit.settle_day)),
        "insutype": visit.insutype,
        "psn_type": person.psn_type,
        "cvlserv_flag": "1" if person.cvlserv_flag else "0",
        "setl_time": format_datetime(s.setl_time),
        "mdtrt_cert_type": visit.mdtrt_cert_type,
        "med_type": visit.med_type,
        **{name: _s(value) for name, value in s.amounts.as_dict().items()},
        "pool_prop_selfpay": _s(s.pool_prop_selfpay),
        "balc": _s(s.balc),
        "clr_optins": visit.institution.admdvs,
        "clr_type": clr_type_of(visit.med_type),
        "clr_way": "1",
        "pay_loc": visit.pay_loc.value,
    }
    return {
        "setlinfo": setlinfo,
        "setldetail": [_fund(row) for row in s.funds],
        "yibao": {
            "kind": s.kind.value,
            "reverses": s.reverses,
            "prior_setl_ids": list(s.prior_setl_ids),
            "place_of_care": {
                "mdtrtarea_admvs": visit.mdtrtarea_admvs,
                "insuplc_admdvs": person.insuplc_admdvs,
                "pay_loc": visit.pay_loc.value,
                "pay_loc_name": visit.pay_loc.label,
                "filing_type": visit.filing_type,
            },
            "policy": {
                "region": s.policy_region,
                "version": s.policy_version,
                "file": s.policy_file,
            },
            "trace": [
                {"step": t.step, "text": t.text, "amount": _s(t.amount), "clause": t.clause}
                for t in s.trace
            ],
        },
    }


def _fund(row: FundPayment) -> JsonDict:
    return {
        "fund_pay_type": row.fund_pay_type.value,
        "fund_pay_type_name": row.fund_pay_type.label,
        "inscp_scp_amt": _s(row.inscp_scp_amt),
        "crt_payb_lmt_amt": _s(row.crt_payb_lmt_amt),
        "fund_payamt": _s(row.fund_payamt),
        "setl_proc_info": row.setl_proc_info[:4000],
    }


def render_lines(lines: tuple[LineSplit, ...]) -> list[JsonDict]:
    """``result[]`` as 2204/2301 return it, one row per line."""
    return [
        {
            "feedetl_sn": line.feedetl_sn,
            "det_item_fee_sumamt": _s(line.det_item_fee_sumamt),
            "cnt": _s(line.cnt),
            "pric": _s(line.pric),
            "pric_uplmt_amt": _s(line.pric_uplmt_amt),
            "selfpay_prop": _s(line.selfpay_prop),
            "fulamt_ownpay_amt": _s(line.fulamt_ownpay_amt),
            "overlmt_amt": _s(line.overlmt_amt),
            "preselfpay_amt": _s(line.preselfpay_amt),
            "inscp_scp_amt": _s(line.inscp_scp_amt),
            "chrgitm_lv": line.chrgitm_lv,
            "med_chrgitm_type": line.med_chrgitm_type,
            "lmt_used_flag": line.lmt_used_flag,
            "memo": line.memo,
        }
        for line in lines
    ]


def render_state(accumulators: Accumulators, balance: Decimal, year: int) -> JsonDict:
    """The person's year state, in the shape the visit document reads it."""
    return {
        "year": year,
        "balc": _s(balance),
        "accumulators": {key: _s(value) for key, value in accumulators.items()},
    }
