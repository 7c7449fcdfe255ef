"""Settlement records: the visit going in, the year's counters, and the settlement coming out.

* :class:`Visit` (with :class:`Person` and :class:`FeeLine`) is what 2201/2401, 2204/2301 and
  2207/2304 deliver, already validated.
* :class:`Accumulators` are a person's yearly counters for one insurance type (年度累计): admissions,
  policy-range amount, deductible paid, each fund's payments, each layer's basis. A settlement adds
  its ``delta``; a reversal adds the negated delta, so the counters return exactly.
* :class:`Settlement` holds the NHSA output fields (``setlinfo``), the fund rows (``setldetail``),
  the per-line split (``result``) and the trace.

Pure: standard library and kernel only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from yibao.audit.findings import Finding
from yibao.catalog.model import Institution
from yibao.kernel.codes import ClrType, FundPayType, PayLoc, PsnIdetType
from yibao.kernel.money import ZERO

__all__ = [
    "Accumulators",
    "Amounts",
    "FeeLine",
    "FundPayment",
    "LineSplit",
    "Person",
    "Settlement",
    "SettlementKind",
    "TraceStep",
    "Visit",
    "YearState",
    "clr_type_of",
    "pay_loc_of",
]


def clr_type_of(med_type: str) -> str:
    """清算类别 of a visit's ``med_type``: ``21`` 住院 for the inpatient types (2x), else ``11`` 门诊.

    The one mapping: ``setlinfo.clr_type`` and the reconciliation totals (3201–3203) both use it.
    A pharmacy purchase (41) clears as ``11`` here; ``ClrType`` also lists ``41`` 药店.
    """
    return ClrType.INPATIENT.value if med_type.startswith("2") else ClrType.OUTPATIENT.value


def pay_loc_of(care_admdvs: str, insuplc_admdvs: str) -> PayLoc:
    """支付地点类别: local care, care elsewhere in the province, or in another province."""
    if care_admdvs == insuplc_admdvs:
        return PayLoc.LOCAL
    if care_admdvs[:2] == insuplc_admdvs[:2]:
        return PayLoc.IN_PROVINCE
    return PayLoc.CROSS_PROVINCE


@dataclass(frozen=True, slots=True)
class Person:
    """The insured person as settlement needs them (1101 ``baseinfo`` + ``insuinfo`` + ``idetinfo``)."""

    psn_no: str
    psn_name: str
    gend: str
    brdy: date
    psn_cert_type: str
    certno: str
    insutype: str
    psn_type: str
    cvlserv_flag: bool
    insuplc_admdvs: str
    identities: frozenset[PsnIdetType] = frozenset()


@dataclass(frozen=True, slots=True)
class FeeLine:
    """One fee line (费用明细) as 2204/2301 upload it; a refund line has a negative ``cnt``."""

    feedetl_sn: str
    med_list_codg: str
    medins_list_codg: str
    cnt: Decimal
    pric: Decimal
    det_item_fee_sumamt: Decimal
    fee_ocur_time: datetime
    hosp_appr_flag: str = "0"
    init_feedetl_sn: str | None = None
    name: str = ""
    #: 开单科室 (``bilg_dept_codg``): the department a deduction and the agreement's consequences name
    dept_codg: str | None = None
    dept_name: str | None = None


@dataclass(frozen=True, slots=True)
class Visit:
    """A visit (就诊) with its lines, ready to settle."""

    mdtrt_id: str
    person: Person
    institution: Institution
    insutype: str
    med_type: str
    begntime: datetime
    endtime: datetime | None
    mdtrtarea_admvs: str
    lines: tuple[FeeLine, ...]
    acct_used_flag: bool = False
    mid_setl_flag: bool = False
    mdtrt_cert_type: str = "02"
    filing_type: str | None = None

    @property
    def pay_loc(self) -> PayLoc:
        """Where the person is insured relative to where care happens (``pay_loc``)."""
        return pay_loc_of(self.mdtrtarea_admvs, self.person.insuplc_admdvs)

    @property
    def settle_day(self) -> date:
        """The day whose policy applies: discharge for a stay, otherwise the visit's start."""
        return (self.endtime or self.begntime).date()


@dataclass(frozen=True, slots=True)
class LineSplit:
    """The split of one fee line, as 2204/2301 ``result[]`` return it."""

    feedetl_sn: str
    det_item_fee_sumamt: Decimal
    cnt: Decimal
    pric: Decimal
    pric_uplmt_amt: Decimal | None
    selfpay_prop: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_amt: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal
    chrgitm_lv: str
    med_chrgitm_type: str
    lmt_used_flag: str
    memo: str


class Accumulators:
    """A person's yearly counters for one insurance type, as exact decimals keyed by name.

    Keys: ``admissions``; ``inscp``; ``deductible:<care>``; ``pool:<care>``; ``fund:<fund_pay_type>``;
    ``layer:<fund_pay_type>``. Counters never seen are zero. Immutable: ``plus`` returns a new one.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Decimal] | None = None) -> None:
        self._values = MappingProxyType({k: v for k, v in (values or {}).items() if v != ZERO})

    def __getitem__(self, key: str) -> Decimal:
        return self._values.get(key, ZERO)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Accumulators) and dict(self._values) == dict(other._values)

    def __hash__(self) -> int:
        return hash(frozenset(self._values.items()))

    def __repr__(self) -> str:
        return f"Accumulators({dict(self._values)!r})"

    def items(self) -> tuple[tuple[str, Decimal], ...]:
        return tuple(sorted(self._values.items()))

    def plus(self, delta: Accumulators) -> Accumulators:
        merged = dict(self._values)
        for key, value in delta._values.items():
            merged[key] = merged[key] + value if key in merged else value
        return Accumulators(merged)

    def minus(self, delta: Accumulators) -> Accumulators:
        return self.plus(delta.negated())

    def negated(self) -> Accumulators:
        return Accumulators({k: -v for k, v in self._values.items()})

    @property
    def admissions(self) -> int:
        return int(self["admissions"])


@dataclass(frozen=True, slots=True)
class YearState:
    """What settlement reads of a person: the year's counters and the personal-account balance.

    ``family_balance``: what the accounts of family members who consented to mutual aid (家庭共济)
    can pay for this person after their own balance is used up.
    """

    accumulators: Accumulators
    balance: Decimal = ZERO
    family_balance: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One step of the calculation in words, with the policy clause or catalogue fact behind it."""

    step: str
    text: str
    amount: Decimal | None = None
    clause: str | None = None
    fund: FundPayType | None = None

    def line(self) -> str:
        cite = f"〔{self.clause}〕" if self.clause else ""
        return f"{self.text}{cite}"


class SettlementKind(StrEnum):
    """Why a settlement record exists."""

    #: 结算（出院结算或门诊结算）
    FINAL = "final"
    #: 中途结算
    MID_STAY = "mid_stay"
    #: 结算撤销（冲正）
    REVERSAL = "reversal"


@dataclass(frozen=True, slots=True)
class Amounts:
    """The money fields of ``setlinfo``; differences and mirrors are taken field by field."""

    medfee_sumamt: Decimal = ZERO
    fulamt_ownpay_amt: Decimal = ZERO
    overlmt_selfpay: Decimal = ZERO
    preselfpay_amt: Decimal = ZERO
    inscp_scp_amt: Decimal = ZERO
    act_pay_dedc: Decimal = ZERO
    hifp_pay: Decimal = ZERO
    cvlserv_pay: Decimal = ZERO
    hifes_pay: Decimal = ZERO
    hifmi_pay: Decimal = ZERO
    hifob_pay: Decimal = ZERO
    hifdm_pay: Decimal = ZERO
    maf_pay: Decimal = ZERO
    oth_pay: Decimal = ZERO
    fund_pay_sumamt: Decimal = ZERO
    psn_part_amt: Decimal = ZERO
    acct_pay: Decimal = ZERO
    acct_mulaid_pay: Decimal = ZERO
    psn_cash_pay: Decimal = ZERO
    hosp_part_amt: Decimal = ZERO

    def minus(self, other: Amounts) -> Amounts:
        return Amounts(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))

    def plus(self, other: Amounts) -> Amounts:
        return Amounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def negated(self) -> Amounts:
        return Amounts(*(-getattr(self, f.name) for f in fields(self)))

    def as_dict(self) -> dict[str, Decimal]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class FundPayment:
    """One ``setldetail`` row: a fund, the base it paid on, the limit left before, what it paid."""

    fund_pay_type: FundPayType
    inscp_scp_amt: Decimal
    crt_payb_lmt_amt: Decimal | None
    fund_payamt: Decimal
    setl_proc_info: str

    def mirrored(self) -> FundPayment:
        return replace(
            self,
            inscp_scp_amt=-self.inscp_scp_amt,
            fund_payamt=-self.fund_payamt,
            setl_proc_info=f"冲正：{self.setl_proc_info}",
        )

    def minus(self, prior: FundPayment | None) -> FundPayment:
        if prior is None:
            return self
        left = self.crt_payb_lmt_amt
        return replace(
            self,
            inscp_scp_amt=self.inscp_scp_amt - prior.inscp_scp_amt,
            crt_payb_lmt_amt=None if left is None else left - prior.fund_payamt,
            fund_payamt=self.fund_payamt - prior.fund_payamt,
        )


@dataclass(frozen=True, slots=True)
class Settlement:
    """The outcome of settling (or reversing) a visit: amounts, funds, lines, trace, counters moved.

    ``amounts`` are this record's own (for a mid-stay or final settlement after an earlier one,
    the difference); ``visit_amounts`` and ``visit_delta`` are the visit's running totals after it.
    """

    setl_id: str
    kind: SettlementKind
    visit: Visit
    setl_time: datetime
    policy_region: str
    policy_version: str
    policy_file: str
    amounts: Amounts
    pool_prop_selfpay: Decimal
    funds: tuple[FundPayment, ...]
    lines: tuple[LineSplit, ...]
    trace: tuple[TraceStep, ...]
    delta: Accumulators
    visit_amounts: Amounts
    visit_funds: tuple[FundPayment, ...]
    visit_delta: Accumulators
    balc: Decimal
    reverses: str | None = None
    prior_setl_ids: tuple[str, ...] = field(default=())
    #: the realtime audit's findings on the visit (shown with the settlement)
    findings: tuple[Finding, ...] = field(default=())
