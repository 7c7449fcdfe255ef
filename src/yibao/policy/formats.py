"""The policy file format (TOML), its validation, and its translation into ``policy.model``.

A policy file is one version of one region's benefits; ``docs/policy-format.md`` documents every
key with an example. TOML floats are read as ``Decimal`` (``ratio = 0.85`` is exactly 0.85), the
structure is checked by Pydantic models that forbid unknown keys, and every problem is reported
as ``file: key.path: reason`` — all problems of a file at once, nothing loaded from a bad file.
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from yibao.kernel.codes import FundPayType, InsuType, MedType, PsnIdetType, PsnType
from yibao.kernel.errors import (
    PolicyError,
    Problem,
    RejectedFile,
    unusable_document,
    validation_problems,
)
from yibao.kernel.money import money
from yibao.kernel.tiers import HospitalTier
from yibao.policy import model as m

__all__ = ["load_policy_file", "parse_policy"]

Money = Annotated[
    Decimal, Field(ge=0, max_digits=16, decimal_places=2), AfterValidator(lambda v: money(v))
]
Ratio = Annotated[Decimal, Field(ge=0, le=1, max_digits=5, decimal_places=4)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SegmentSpec(_Strict):
    """A band: ``from`` (default: where the previous one ended), ``upto`` (open if absent), ``ratio``."""

    from_: Money | None = Field(default=None, alias="from")
    upto: Money | None = None
    ratio: Ratio


def _check_segments(segments: list[SegmentSpec]) -> list[SegmentSpec]:
    if not segments:
        raise ValueError("at least one segment is required")
    end = Decimal(0)
    for i, seg in enumerate(segments):
        start = end if seg.from_ is None else seg.from_
        if start < end:
            raise ValueError(
                f"segment {i} starts at {start}, before the previous one ends at {end}"
            )
        if seg.upto is None and i != len(segments) - 1:
            raise ValueError(f"segment {i} has no 'upto' but is not the last")
        if seg.upto is not None and seg.upto <= start:
            raise ValueError(f"segment {i}: 'upto' {seg.upto} must be above its start {start}")
        end = seg.upto if seg.upto is not None else end
    return segments


Segments = Annotated[list[SegmentSpec], Field(min_length=1)]


class DeductibleSpec(_Strict):
    kind: Literal["per_admission", "annual"]
    tier3: list[Money] | None = None
    tier2: list[Money] | None = None
    tier1: list[Money] | None = None
    primary: list[Money] | None = None

    @model_validator(mode="after")
    def _some_tier(self) -> DeductibleSpec:
        values = [v for v in (self.tier3, self.tier2, self.tier1, self.primary) if v is not None]
        if not values:
            raise ValueError(
                "set the deductible of at least one tier (tier3, tier2, tier1, primary)"
            )
        if any(len(v) == 0 for v in values):
            raise ValueError("a tier's deductible list is empty")
        if self.kind == "annual" and any(len(v) != 1 for v in values):
            raise ValueError("an annual deductible has exactly one value per tier")
        return self


class RatiosSpec(_Strict):
    tier3: Segments | None = None
    tier2: Segments | None = None
    tier1: Segments | None = None
    primary: Segments | None = None

    _check = field_validator("tier3", "tier2", "tier1", "primary")(
        lambda v: None if v is None else _check_segments(v)
    )


class CareSpec(_Strict):
    med_types: list[MedType] = Field(min_length=1)
    counts_admission: bool = False
    designated_only: bool = False
    retiree_bonus: Ratio = Decimal(0)
    annual_cap: Money | None = None
    deductible: DeductibleSpec
    ratios: RatiosSpec

    @model_validator(mode="after")
    def _admissions_counted(self) -> CareSpec:
        if self.deductible.kind == "per_admission" and not self.counts_admission:
            raise ValueError(
                "deductible.kind: per_admission needs counts_admission = true (admissions are "
                "what it counts)"
            )
        return self

    @model_validator(mode="after")
    def _tiers_match(self) -> CareSpec:
        for tier in HospitalTier:
            has_dedc = getattr(self.deductible, tier.value) is not None
            if has_dedc != (getattr(self.ratios, tier.value) is not None):
                raise ValueError(f"{tier.value} needs both a deductible and ratios, or neither")
        return self


class CivilServantSpec(_Strict):
    deductible_ratio: Ratio
    copay_ratio: Ratio
    annual_cap: Money | None = None
    applies_to: list[m.CareType] = Field(min_length=1)


class LayerSpec(_Strict):
    fund: FundPayType
    basis: m.LayerBasis
    applies_to: list[m.CareType] = Field(min_length=1)
    annual_cap: Money | None = None
    segments: Segments

    _check = field_validator("segments")(_check_segments)


class AidSpec(_Strict):
    ratio: Ratio
    annual_cap: Money | None = None


class MedicalAidSpec(_Strict):
    applies_to: list[m.CareType] = Field(min_length=1)
    identities: dict[PsnIdetType, AidSpec] = Field(min_length=1)


class AccountCreditSpec(_Strict):
    in_service_ratio: Ratio
    retired_monthly: Money


class AccountSpec(_Strict):
    allowed_care: list[m.CareType] = Field(min_length=1)
    mutual_aid_only: bool = False
    monthly_credit: AccountCreditSpec | None = None


class PlanSpec(_Strict):
    name: str = Field(min_length=1)
    pool_fund: FundPayType
    annual_cap: Money
    care: dict[m.CareType, CareSpec] = Field(min_length=1)
    civil_servant: CivilServantSpec | None = None
    layers: list[LayerSpec] = []
    medical_aid: MedicalAidSpec | None = None
    account: AccountSpec | None = None

    @model_validator(mode="after")
    def _funds_distinct(self) -> PlanSpec:
        taken = {self.pool_fund, FundPayType.CIVIL_SERVANT, FundPayType.MEDICAL_AID}
        for i, layer in enumerate(self.layers):
            if layer.fund in taken:
                raise ValueError(
                    f"layers[{i}].fund: {layer.fund} is already paid by another step of the plan"
                )
            taken.add(layer.fund)
        return self

    @model_validator(mode="after")
    def _med_types_unique(self) -> PlanSpec:
        seen: dict[str, str] = {}
        for care, spec in self.care.items():
            for med_type in spec.med_types:
                if med_type in seen:
                    raise ValueError(f"med_type {med_type} is in both {seen[med_type]} and {care}")
                seen[med_type] = care
        return self


class HeaderSpec(_Strict):
    region: str = Field(pattern=r"^\d{6}$")
    region_name: str = Field(min_length=1)
    version: str = Field(min_length=1, max_length=30)
    effective_from: date
    effective_to: date | None = None
    document: str = Field(min_length=1)
    demo: bool = False
    retiree_psn_types: list[PsnType] = []

    @model_validator(mode="after")
    def _dates(self) -> HeaderSpec:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class OutOfAreaSpec(_Strict):
    floor_ratio: Ratio
    reductions: dict[str, Ratio]


def _not_yet(value: object) -> object:
    """DIP is refused by name (the clearing cannot pay it yet), not as an unknown code."""
    if isinstance(value, str) and value.strip().lower() == "dip":
        raise ValueError(
            "dip (按病种分值付费) is not yet supported by the clearing; use item or drg"
        )
    return value


def _codes(institutions: dict[str, m.PaymentMethod]) -> dict[str, m.PaymentMethod]:
    for code in institutions:
        if not 1 <= len(code) <= 30:
            raise ValueError(f"{code!r} is not an institution code (fixmedins_code: 1 to 30 chars)")
    return institutions


Method = Annotated[m.PaymentMethod, BeforeValidator(_not_yet)]


class PaymentSpec(_Strict):
    method: Method = m.PaymentMethod.ITEM
    institutions: Annotated[dict[str, Method], AfterValidator(_codes)] = {}
    #: a version of ``yibao drg weights``; validated even when absent (drg needs one)
    drg_weight_version: Annotated[int, Field(strict=True, gt=0)] | None = Field(
        default=None, validate_default=True
    )

    @field_validator("drg_weight_version")
    @classmethod
    def _drg_has_weights(cls, version: int | None, info: ValidationInfo) -> int | None:
        drg = sorted(c for c, v in info.data.get("institutions", {}).items() if v == "drg")
        if version is None and info.data.get("method") is m.PaymentMethod.DRG:
            raise ValueError("required when method = drg (the DRG weights the clearing pays with)")
        if version is None and drg:
            raise ValueError(f"required when an institution is paid by drg ({', '.join(drg)})")
        return version


class PolicySpec(_Strict):
    policy: HeaderSpec
    plans: dict[InsuType, PlanSpec] = Field(min_length=1)
    out_of_area: OutOfAreaSpec | None = None
    payment: PaymentSpec | None = None


def load_policy_file(path: Path, *, name: str | None = None) -> m.Policy:
    """Read, validate and translate one policy file; :class:`RejectedFile` lists every problem.

    ``name`` is how clauses cite the file (default: the path as given).
    """
    source = name or path.as_posix()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{source}: cannot read the file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise RejectedFile([Problem(source, f"not valid TOML: {exc}")]) from None
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, deep nesting
        raise unusable_document(source, "TOML", exc) from None
    return parse_policy(raw, source=source)


def parse_policy(raw: object, *, source: str) -> m.Policy:
    """Validate a parsed TOML document and build the domain policy."""
    try:
        spec = PolicySpec.model_validate(raw)
    except ValidationError as exc:
        raise RejectedFile(validation_problems(source, exc.errors())) from None
    return _build(spec, source)


def _segments(specs: list[SegmentSpec], file: str, key: str) -> tuple[m.Segment, ...]:
    out: list[m.Segment] = []
    end = Decimal(0)
    for i, spec in enumerate(specs):
        start = end if spec.from_ is None else spec.from_
        out.append(m.Segment(start, spec.upto, spec.ratio, m.Clause(file, f"{key}[{i}]")))
        end = spec.upto if spec.upto is not None else end
    return tuple(out)


def _care(spec: CareSpec, file: str, key: str) -> m.CareBenefit:
    clause = m.Clause(file, key)
    by_tier: dict[HospitalTier, tuple[Decimal, ...]] = {}
    ratios: dict[HospitalTier, tuple[m.Segment, ...]] = {}
    for tier in HospitalTier:
        values = getattr(spec.deductible, tier.value)
        segments = getattr(spec.ratios, tier.value)
        if values is not None and segments is not None:
            by_tier[tier] = tuple(values)
            ratios[tier] = _segments(segments, file, f"{key}.ratios.{tier.value}")
    deductible = m.Deductible(
        m.DeductibleKind(spec.deductible.kind), by_tier, m.Clause(file, f"{key}.deductible")
    )
    return m.CareBenefit(
        care=m.CareType(key.rsplit(".", 1)[1]),
        med_types=frozenset(str(t) for t in spec.med_types),
        deductible=deductible,
        ratios=ratios,
        retiree_bonus=spec.retiree_bonus,
        annual_cap=spec.annual_cap,
        counts_admission=spec.counts_admission,
        clause=clause,
        designated_only=spec.designated_only,
    )


def _plan(insutype: InsuType, spec: PlanSpec, file: str) -> m.InsurancePlan:
    key = f"plans.{insutype}"
    cs = spec.civil_servant
    aid = spec.medical_aid
    return m.InsurancePlan(
        insutype=insutype,
        name=spec.name,
        pool_fund=spec.pool_fund,
        annual_cap=spec.annual_cap,
        care={care: _care(c, file, f"{key}.care.{care}") for care, c in spec.care.items()},
        civil_servant=None if cs is None else m.CivilServantSubsidy(
            cs.deductible_ratio, cs.copay_ratio, cs.annual_cap, frozenset(cs.applies_to),
            m.Clause(file, f"{key}.civil_servant"),
        ),
        layers=tuple(
            m.Layer(layer.fund, layer.basis, _segments(layer.segments, file, f"{key}.layers[{i}].segments"),
                    layer.annual_cap, frozenset(layer.applies_to), m.Clause(file, f"{key}.layers[{i}]"))
            for i, layer in enumerate(spec.layers)
        ),
        medical_aid=None if aid is None else m.MedicalAid(
            {ident: m.AidTerms(ident, terms.ratio, terms.annual_cap,
                               m.Clause(file, f"{key}.medical_aid.identities.{ident}"))
             for ident, terms in aid.identities.items()},
            frozenset(aid.applies_to),
            m.Clause(file, f"{key}.medical_aid"),
        ),
        account=None if spec.account is None else m.AccountRule(
            frozenset(spec.account.allowed_care), m.Clause(file, f"{key}.account"),
            None if spec.account.monthly_credit is None else m.AccountCredit(
                spec.account.monthly_credit.in_service_ratio,
                spec.account.monthly_credit.retired_monthly,
                m.Clause(file, f"{key}.account.monthly_credit"),
            ),
            spec.account.mutual_aid_only,
        ),
        clause=m.Clause(file, key),
    )  # fmt: skip


def _build(spec: PolicySpec, file: str) -> m.Policy:
    head = spec.policy
    ooa = spec.out_of_area
    pay = spec.payment or PaymentSpec()  # no section: everyone by item
    return m.Policy(
        region=head.region,
        region_name=head.region_name,
        version=head.version,
        effective_from=head.effective_from,
        effective_to=head.effective_to,
        document=head.document,
        source_file=file,
        retiree_psn_types=frozenset(str(t) for t in head.retiree_psn_types),
        plans={insutype: _plan(insutype, plan, file) for insutype, plan in spec.plans.items()},
        out_of_area=None if ooa is None else m.OutOfAreaRules(
            dict(ooa.reductions), ooa.floor_ratio, m.Clause(file, "out_of_area")
        ),
        payment=m.CasePayment(
            pay.method, dict(pay.institutions), pay.drg_weight_version, m.Clause(file, "payment")
        ),
    )  # fmt: skip
