"""The settlement slip (结算单) of one stored settlement, as a clerk prints it for the person.

:func:`load_slip` reads what the store holds about a settlement — its ``settlements`` row and
JSON document (decoded by :mod:`yibao.settlement.codec`), its ``settlement_funds`` rows, the
visit and its diagnoses, and the names of the regions — into a :class:`Slip`; the person and the
institution are those the settlement was made with (the document's snapshot), so a reprint after
a change of name still shows what was settled. :func:`render_slip` prints it through
:mod:`yibao.documents` with ``settlement_slip.html``.

On paper: the institution, the person (the certificate number masked but for its last four
characters), the visit (care type by its Chinese name, dates, diagnoses), every amount of
``setlinfo`` with the fund breakdown, the settlement's id and time, whether it is a reversal or
has been reversed, and the engine's trace in words. Amounts are this record's own (for a final
settlement after a mid-stay one, the difference); the visit's totals are added when earlier
settlements exist. Nothing here computes money: it prints what was stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, select

from yibao.catalog.tables import regions
from yibao.documents.pdf import masked, render_pdf
from yibao.kernel.codes import FundPayType, InsuType, MedType, NhsaCode, PsnType
from yibao.kernel.dates import format_datetime
from yibao.kernel.errors import NotFound
from yibao.settlement import codec
from yibao.settlement.model import Amounts, Settlement, SettlementKind
from yibao.settlement.tables import diagnoses, settlement_funds, settlements, visits

__all__ = ["Slip", "SlipAmount", "SlipFund", "load_slip", "render_slip", "slip_context"]

TEMPLATE = "settlement_slip.html"
TITLE = "医疗保障基金结算单"

#: the charges side of the slip: where the total goes before any fund pays (setlinfo field, label)
CHARGES = (
    ("medfee_sumamt", "医疗费总额"),
    ("fulamt_ownpay_amt", "全自费金额"),
    ("overlmt_selfpay", "超限价自费"),
    ("preselfpay_amt", "先行自付金额"),
    ("inscp_scp_amt", "符合政策范围金额"),
    ("act_pay_dedc", "实际支付起付线"),
)
#: who pays: the funds' total and the person's and the hospital's shares
PAYMENTS = (
    ("hifp_pay", "统筹基金支付"),
    ("fund_pay_sumamt", "基金支付总额"),
    ("acct_pay", "个人账户支付"),
    ("acct_mulaid_pay", "共济账户支付"),
    ("psn_cash_pay", "现金支付"),
    ("psn_part_amt", "个人负担总额"),
    ("hosp_part_amt", "医院负担金额"),
)
_KINDS = {
    SettlementKind.FINAL: "结算",
    SettlementKind.MID_STAY: "中途结算",
    SettlementKind.REVERSAL: "结算撤销（冲正）",
}
_DIAG_TYPES = {"1": "西医诊断", "2": "中医主病诊断", "3": "中医主证诊断"}


@dataclass(frozen=True, slots=True)
class SlipAmount:
    """One amount line: the ``setlinfo`` field, its Chinese label and the amount."""

    field: str
    label: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class SlipFund:
    """One fund of the breakdown (``setldetail``), as stored in ``settlement_funds``."""

    code: str
    label: str
    inscp_scp_amt: Decimal
    crt_payb_lmt_amt: Decimal | None
    fund_payamt: Decimal
    setl_proc_info: str


@dataclass(frozen=True, slots=True)
class SlipDiagnosis:
    """A diagnosis of the visit, in its order."""

    code: str
    name: str
    kind: str
    main: bool


@dataclass(frozen=True, slots=True)
class Slip:
    """Everything a slip prints, read from the store. The settlement's person carries the masked
    certificate number: the full one never reaches a template."""

    settlement: Settlement
    kind: str
    reversed_by: str | None
    care_region: str
    insu_region: str
    ipt_no: str | None
    insutype: str
    psn_type: str
    med_type: str
    diagnoses: tuple[SlipDiagnosis, ...]
    charges: tuple[SlipAmount, ...]
    payments: tuple[SlipAmount, ...]
    funds: tuple[SlipFund, ...]
    visit_totals: tuple[SlipAmount, ...]
    explanations: tuple[str, ...]

    @property
    def is_reversal(self) -> bool:
        return self.settlement.kind is SettlementKind.REVERSAL

    @property
    def certno(self) -> str:
        """The certificate number as printed: masked but for its last four characters."""
        return self.settlement.visit.person.certno


def load_slip(connection: Connection, setl_id: str) -> Slip:
    """The slip of settlement ``setl_id``; :class:`NotFound` names ``setl_id`` when there is none."""
    row = connection.execute(
        select(settlements.c.document, settlements.c.reversed_by).where(
            settlements.c.setl_id == setl_id
        )
    ).first()
    if row is None:
        raise NotFound(f"setl_id: no settlement {setl_id}")
    s = _masked(codec.decode(json.loads(row.document)))
    visit = s.visit
    ipt_no = connection.execute(
        select(visits.c.ipt_no).where(visits.c.mdtrt_id == visit.mdtrt_id)
    ).scalar_one_or_none()
    names = _region_names(connection)
    return Slip(
        settlement=s,
        kind=_KINDS[s.kind],
        reversed_by=row.reversed_by,
        care_region=names.get(visit.mdtrtarea_admvs, visit.mdtrtarea_admvs),
        insu_region=names.get(visit.person.insuplc_admdvs, visit.person.insuplc_admdvs),
        ipt_no=ipt_no,
        insutype=_named(InsuType, visit.insutype),
        psn_type=_named(PsnType, visit.person.psn_type),
        med_type=_named(MedType, visit.med_type),
        diagnoses=_diagnoses(connection, visit.mdtrt_id),
        charges=_amounts(s.amounts, CHARGES),
        payments=(*_amounts(s.amounts, PAYMENTS), SlipAmount("balc", "个人账户余额", s.balc)),
        funds=_funds(connection, setl_id),
        visit_totals=_amounts(s.visit_amounts, (CHARGES[0], PAYMENTS[1], PAYMENTS[4]))
        if s.prior_setl_ids
        else (),
        explanations=tuple(step.line() for step in s.trace),
    )


def slip_context(slip: Slip, *, agency: str, printed_on: date) -> dict[str, object]:
    """What ``settlement_slip.html`` reads: the heading of ``base.html`` and the slip."""
    s = slip.settlement
    return {
        "agency": agency,
        "title": TITLE,
        "number": s.setl_id,
        "date": printed_on.isoformat(),
        "slip": slip,
        "s": s,
        "times": {
            "setl_time": format_datetime(s.setl_time),
            "begntime": format_datetime(s.visit.begntime),
            "endtime": "" if s.visit.endtime is None else format_datetime(s.visit.endtime),
        },
    }


def render_slip(
    connection: Connection, setl_id: str, *, printed_on: date, agency: str | None = None
) -> bytes:
    """The slip of ``setl_id`` as PDF; ``agency`` defaults to the care region's agency."""
    slip = load_slip(connection, setl_id)
    heading = agency or f"{slip.care_region}医疗保障事业管理中心"
    return render_pdf(TEMPLATE, slip_context(slip, agency=heading, printed_on=printed_on))


def _masked(s: Settlement) -> Settlement:
    person = replace(s.visit.person, certno=masked(s.visit.person.certno))
    return replace(s, visit=replace(s.visit, person=person))


def _label(table: type[NhsaCode], code: str) -> str:
    """The Chinese name of ``code`` in ``table``; the bare code when the table does not know it."""
    try:
        return table(code).label
    except (ValueError, KeyError):
        return code


def _named(table: type[NhsaCode], code: str) -> str:
    """``code 名称``, as the slip shows a coded value."""
    label = _label(table, code)
    return code if label == code else f"{code} {label}"


def _amounts(amounts: Amounts, wanted: tuple[tuple[str, str], ...]) -> tuple[SlipAmount, ...]:
    values = amounts.as_dict()
    return tuple(SlipAmount(name, label, values[name]) for name, label in wanted)


def _region_names(connection: Connection) -> dict[str, str]:
    rows = connection.execute(select(regions.c.admdvs, regions.c.name))
    return {r.admdvs: r.name for r in rows}


def _diagnoses(connection: Connection, mdtrt_id: str) -> tuple[SlipDiagnosis, ...]:
    rows = connection.execute(
        select(diagnoses).where(diagnoses.c.mdtrt_id == mdtrt_id).order_by(diagnoses.c.diag_srt_no)
    )
    return tuple(
        SlipDiagnosis(
            r.diag_code,
            r.diag_name,
            _DIAG_TYPES.get(r.diag_type, r.diag_type),
            r.maindiag_flag == "1",
        )
        for r in rows
    )


def _funds(connection: Connection, setl_id: str) -> tuple[SlipFund, ...]:
    rows = connection.execute(
        select(settlement_funds)
        .where(settlement_funds.c.setl_id == setl_id)
        .order_by(settlement_funds.c.fund_pay_type)
    )
    return tuple(
        SlipFund(r.fund_pay_type, _label(FundPayType, r.fund_pay_type), r.inscp_scp_amt,
                 r.crt_payb_lmt_amt, r.fund_payamt, r.setl_proc_info)
        for r in rows
    )  # fmt: skip
