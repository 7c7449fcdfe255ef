"""Benefit policy as immutable values: what a region pays, for whom, in which order.

A :class:`Policy` is one version of one region's benefits (待遇政策), effective from a date. It holds
an :class:`InsurancePlan` per insurance type (职工 310, 居民 390 …), and each plan a
:class:`CareBenefit` per care type (门诊统筹, 门诊慢特病, 住院). Every number carries the
:class:`Clause` (file and key) it was read from, so the settlement trace can cite it.

Pure: built by ``policy.formats`` from a validated file, read by the settlement engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from types import MappingProxyType

from yibao.kernel.codes import FundPayType, InsuType, PsnIdetType
from yibao.kernel.errors import PolicyError, SettlementRefused
from yibao.kernel.money import ONE, ZERO
from yibao.kernel.tiers import HospitalTier

__all__ = [
    "ITEM_PAYMENT",
    "AccountCredit",
    "AccountRule",
    "AidTerms",
    "CareBenefit",
    "CareType",
    "CasePayment",
    "CivilServantSubsidy",
    "Clause",
    "Deductible",
    "DeductibleKind",
    "InsurancePlan",
    "Layer",
    "LayerBasis",
    "MedicalAid",
    "OutOfAreaRules",
    "PaymentMethod",
    "Policy",
    "PolicyBook",
    "Segment",
]


class CareType(StrEnum):
    """The benefit block of a plan that a visit falls in, chosen by its ``med_type``."""

    #: 普通门诊 / 门诊统筹
    OUTPATIENT = "outpatient"
    #: 门诊慢特病
    CHRONIC = "chronic"
    #: 住院
    INPATIENT = "inpatient"


class DeductibleKind(StrEnum):
    """How a deductible (起付线) is counted."""

    #: every admission pays its own, by admission number in the year (第二次减半、第三次免除)
    PER_ADMISSION = "per_admission"
    #: one deductible a year for the care type (门诊统筹)
    ANNUAL = "annual"


class LayerBasis(StrEnum):
    """What a second layer (大病保险 / 大额补助) pays on."""

    #: the policy-range amount above the basic pool's annual cap (职工大额补助)
    ABOVE_POOL_CAP = "above_pool_cap"
    #: the policy-range amount the person still bears, accumulated over the year (居民大病保险)
    PERSONAL_POLICY_SHARE = "personal_policy_share"


class PaymentMethod(StrEnum):
    """How the monthly clearing pays an institution for its settled visits."""

    #: 按项目付费: the funds' payments of each settlement
    ITEM = "item"
    #: 按病组付费 (DRG): each stay at its group's weight, with the version of the DRG weights
    DRG = "drg"


@dataclass(frozen=True, slots=True)
class Clause:
    """Where a number of the policy was written: file and key."""

    file: str
    key: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}"


@dataclass(frozen=True, slots=True)
class Segment:
    """A band ``[lower, upper)`` of an amount paid at ``ratio``; ``upper`` None means no end."""

    lower: Decimal
    upper: Decimal | None
    ratio: Decimal
    clause: Clause


@dataclass(frozen=True, slots=True)
class Deductible:
    """起付线 by tier; for per-admission deductibles one value per admission number (last repeats)."""

    kind: DeductibleKind
    by_tier: Mapping[HospitalTier, tuple[Decimal, ...]]
    clause: Clause

    def standard(self, tier: HospitalTier, admission_no: int) -> Decimal:
        values = self.by_tier.get(tier)
        if values is None:
            raise SettlementRefused(f"{self.clause}: no deductible for {tier.label}")
        if self.kind is DeductibleKind.ANNUAL:
            return values[0]
        if admission_no < 1:
            raise SettlementRefused(
                f"{self.clause}: admission number {admission_no} is not 1 or more"
            )
        return values[min(admission_no, len(values)) - 1]


@dataclass(frozen=True, slots=True)
class CareBenefit:
    """The basic pool's terms for one care type of one plan."""

    care: CareType
    med_types: frozenset[str]
    deductible: Deductible
    ratios: Mapping[HospitalTier, tuple[Segment, ...]]
    retiree_bonus: Decimal
    annual_cap: Decimal | None
    counts_admission: bool
    clause: Clause
    #: paid only at the person's designated institution (人员定点备案, 2505) valid on the day
    designated_only: bool = False

    def segments(self, tier: HospitalTier) -> tuple[Segment, ...]:
        segments = self.ratios.get(tier)
        if segments is None:
            raise SettlementRefused(f"{self.clause}.ratios: no ratio for {tier.label}")
        return segments


@dataclass(frozen=True, slots=True)
class CivilServantSubsidy:
    """公务员医疗补助: shares of the deductible and of the co-payment within the policy range."""

    deductible_ratio: Decimal
    copay_ratio: Decimal
    annual_cap: Decimal | None
    applies_to: frozenset[CareType]
    clause: Clause


@dataclass(frozen=True, slots=True)
class Layer:
    """A second layer: 大病保险 (residents) or 大额补助 (employees), in segments over the year."""

    fund: FundPayType
    basis: LayerBasis
    segments: tuple[Segment, ...]
    annual_cap: Decimal | None
    applies_to: frozenset[CareType]
    clause: Clause


@dataclass(frozen=True, slots=True)
class AidTerms:
    """医疗救助 for one special identity: the share of the remaining policy-range burden."""

    identity: PsnIdetType
    ratio: Decimal
    annual_cap: Decimal | None
    clause: Clause


@dataclass(frozen=True, slots=True)
class MedicalAid:
    """医疗救助, paid last, for persons with a special identity on the visit date."""

    by_identity: Mapping[PsnIdetType, AidTerms]
    applies_to: frozenset[CareType]
    clause: Clause

    def best_terms(self, identities: frozenset[PsnIdetType]) -> AidTerms | None:
        """The most generous terms among the person's identities (ties: the larger cap)."""
        candidates = [self.by_identity[i] for i in identities if i in self.by_identity]
        if not candidates:
            return None
        unlimited = Decimal("Infinity")
        return max(
            candidates,
            key=lambda t: (t.ratio, unlimited if t.annual_cap is None else t.annual_cap),
        )


@dataclass(frozen=True, slots=True)
class AccountCredit:
    """个人账户划入 each month: a share of an in-service employee's contribution base, or a fixed
    amount for a retiree."""

    in_service_ratio: Decimal
    retired_monthly: Decimal
    clause: Clause


@dataclass(frozen=True, slots=True)
class AccountRule:
    """个人账户: which care types it (or a family member's mutual aid) may pay for, and its credit.

    A plan whose members have no account of their own (residents) may still list care types:
    then only family mutual aid (家庭共济) pays from an employee's account.
    """

    allowed_care: frozenset[CareType]
    clause: Clause
    credit: AccountCredit | None = None
    #: members have no account of their own; only family mutual aid pays
    mutual_aid_only: bool = False


@dataclass(frozen=True, slots=True)
class OutOfAreaRules:
    """Ratio reductions (percentage points) for out-of-area care by filing type, and the floor."""

    reductions: Mapping[str, Decimal]
    floor_ratio: Decimal
    clause: Clause

    def reduction(self, filing_type: str) -> Decimal:
        try:
            return self.reductions[filing_type]
        except KeyError:
            known = ", ".join(sorted(self.reductions))
            raise SettlementRefused(
                f"filing_type: {filing_type!r} is not a filing type of {self.clause} ({known})"
            ) from None


@dataclass(frozen=True, slots=True)
class CasePayment:
    """支付方式: the region's payment method, its exceptions per institution, and the version of
    the DRG weights the clearing pays with (set whenever any institution is paid by DRG)."""

    method: PaymentMethod
    institutions: Mapping[str, PaymentMethod]
    drg_weight_version: int | None
    clause: Clause

    def method_for(self, fixmedins_code: str) -> PaymentMethod:
        """The institution's own method if the policy names it, else the region's."""
        return self.institutions.get(fixmedins_code, self.method)


#: no ``[payment]`` section: every institution is paid by item
ITEM_PAYMENT = CasePayment(
    PaymentMethod.ITEM, MappingProxyType({}), None, Clause("(no payment section)", "payment")
)


@dataclass(frozen=True, slots=True)
class InsurancePlan:
    """One insurance type's benefits in a region."""

    insutype: InsuType
    name: str
    pool_fund: FundPayType
    annual_cap: Decimal
    care: Mapping[CareType, CareBenefit]
    civil_servant: CivilServantSubsidy | None
    layers: tuple[Layer, ...]
    medical_aid: MedicalAid | None
    account: AccountRule | None
    clause: Clause

    def care_for(self, med_type: str) -> CareBenefit:
        for benefit in self.care.values():
            if med_type in benefit.med_types:
                return benefit
        raise SettlementRefused(
            f"med_type: {med_type} has no benefit in {self.clause} ({self.name})"
        )


@dataclass(frozen=True, slots=True)
class Policy:
    """One version of one region's benefit policy."""

    region: str
    region_name: str
    version: str
    effective_from: date
    effective_to: date | None
    document: str
    source_file: str
    retiree_psn_types: frozenset[str]
    plans: Mapping[InsuType, InsurancePlan]
    out_of_area: OutOfAreaRules | None = None
    payment: CasePayment = ITEM_PAYMENT

    def plan(self, insutype: str) -> InsurancePlan:
        try:
            return self.plans[InsuType(insutype)]
        except (KeyError, ValueError):
            raise SettlementRefused(
                f"insutype: {insutype} is not covered by policy {self.region} {self.version}"
            ) from None

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def is_retiree(self, psn_type: str) -> bool:
        return psn_type in self.retiree_psn_types


@dataclass(frozen=True, slots=True)
class PolicyBook:
    """Every version of every region's policy; finds the one in force for a region and a day."""

    policies: tuple[Policy, ...] = field(default=())

    def __post_init__(self) -> None:
        by_region: dict[str, list[Policy]] = {}
        for policy in self.policies:
            by_region.setdefault(policy.region, []).append(policy)
        for region, versions in by_region.items():
            versions.sort(key=lambda p: p.effective_from)
            for earlier, later in pairwise(versions):
                if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
                    raise PolicyError(
                        f"{later.source_file}: region {region} version {later.version} starts "
                        f"{later.effective_from} while {earlier.version} ({earlier.source_file}) "
                        "is still in force; set effective_to on the earlier version"
                    )

    def in_force(self, region: str, day: date) -> Policy:
        for policy in self.policies:
            if policy.region == region and policy.covers(day):
                return policy
        raise SettlementRefused(
            f"insuplc_admdvs: no policy of region {region} is in force on {day}"
        )

    def regions(self) -> frozenset[str]:
        return frozenset(p.region for p in self.policies)


def capped_ratio(base: Decimal, bonus: Decimal, reduction: Decimal, floor: Decimal) -> Decimal:
    """A segment's ratio with the retiree bonus and the out-of-area reduction, within [floor, 1]."""
    value = min(ONE, base + bonus)
    if reduction > ZERO:
        value = max(min(floor, value), value - reduction)
    return value
