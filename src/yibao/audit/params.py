"""The parameters of every rule family, as Pydantic models that forbid unknown keys.

A rule file's ``[rules.params]`` table is validated by its family's model here; defaults are the
decisions documented in ``docs/audit-rules.md`` (where a source says nothing, the default says
what yibao assumes). TOML floats arrive as ``Decimal``; ratios and money stay ``Decimal``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yibao.kernel.codes import InsuType, MedChrgitmType, MedType

__all__ = [
    "AGE_LIMIT",
    "AgeBand",
    "AgeParams",
    "BedBlockingParams",
    "BundledParams",
    "CourseParams",
    "CycleParams",
    "DischargeMedicationParams",
    "DuplicatePairParams",
    "FrequencyParams",
    "IndicationParams",
    "InsutypeParams",
    "MainSecondaryParams",
    "MedTypeParams",
    "NoParams",
    "NutritionParams",
    "OverlapParams",
    "PayCourseParams",
    "PhantomBillingParams",
    "PrescriptionParams",
    "PriceCeilingParams",
    "QuantityUnitParams",
    "ReadmissionParams",
    "SameClassParams",
    "SchemeSpec",
    "SexLimits",
    "SplitBillingParams",
    "StockMismatchParams",
    "age_in_days",
]

AGE_LIMIT = r"^[0-9]{1,3}[dmy]$"
#: an age: a number of days (``28d``), months (``6m``) or years (``18y``)
AgeLimit = Annotated[str, Field(pattern=AGE_LIMIT)]
Days = Annotated[int, Field(ge=1, le=3660)]
Count = Annotated[int, Field(ge=1, le=1000)]
Ratio = Annotated[Decimal, Field(ge=0, le=1, max_digits=5, decimal_places=4)]
Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]
IcdPrefix = Annotated[str, Field(pattern=r"^[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,8})?$")]
Window = Literal["day", "visit"]
INPATIENT = ("21", "22", "23", "24", "25", "26", "28", "52", "2114", "210104")
CHRONIC = ("14", "140104", "140201", "140401")


def _med_types(*codes: str) -> Any:
    return Field(default_factory=lambda: [MedType(code) for code in codes], min_length=1)


def _fee_types(*codes: str) -> Any:
    return Field(default_factory=lambda: [MedChrgitmType(code) for code in codes], min_length=1)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class NoParams(_Strict):
    """The family takes no parameters: its knowledge table says everything."""


def age_in_days(limit: str) -> Decimal:
    """An age limit in (average) days, only to compare two limits: ``1y`` > ``11m`` > ``28d``."""
    per_unit = {"d": Decimal(1), "m": Decimal("30.4375"), "y": Decimal("365.25")}
    return int(limit[:-1]) * per_unit[limit[-1]]


class SexLimits(_Strict):
    """An age limit that differs by sex (the legal working age)."""

    male: AgeLimit
    female: AgeLimit


class AgeBand(_Strict):
    """An age band: ``from`` (inclusive, default birth) up to ``below`` (exclusive, open if absent)."""

    from_: AgeLimit | SexLimits = Field(default="0d", alias="from")
    below: AgeLimit | SexLimits | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AgeBand:
        for sex in ("male", "female"):
            low = self.from_ if isinstance(self.from_, str) else getattr(self.from_, sex)
            high = self.below if not isinstance(self.below, SexLimits) else getattr(self.below, sex)
            if high is not None and age_in_days(high) <= age_in_days(low):
                raise ValueError(f"below {high} is not above from {low} ({sex})")
        return self


class AgeParams(_Strict):
    """限年龄: the age bands the table's ``band`` column names."""

    bands: dict[str, AgeBand] = Field(min_length=1)


class MedTypeParams(_Strict):
    """限就医方式: the classes the table's ``allowed`` column names, each a set of ``med_type``."""

    classes: dict[str, list[MedType]] = Field(min_length=1)

    @model_validator(mode="after")
    def _non_empty(self) -> MedTypeParams:
        empty = [name for name, codes in self.classes.items() if not codes]
        if empty:
            raise ValueError(f"classes {', '.join(empty)}: list at least one med_type")
        return self


class SchemeSpec(_Strict):
    """Where a scheme's drugs are payable: these insurance types or these medical types.

    Both empty means never by medical insurance (工伤: the work-injury fund pays, not this system).
    """

    insutypes: list[InsuType] = []
    med_types: list[MedType] = []


class InsutypeParams(_Strict):
    """限保险类型: the schemes the table's ``scheme`` column names."""

    schemes: dict[str, SchemeSpec] = Field(min_length=1)


class PayCourseParams(_Strict):
    """限支付疗程: how the days of a table row's ``max_days`` are counted."""

    #: ``visit``: within one visit (mdtrt_id); ``person``: the person's lines in ``lookback_days``
    episode: Literal["visit", "person"] = "visit"
    lookback_days: Days | None = None
    #: ``billed_days``: distinct fee dates; ``span``: first to last fee date, both counted
    measure: Literal["billed_days", "span"] = "billed_days"
    #: codes sharing a ``name`` (the generic name, 通用名) share one count
    group_by: Literal["name", "code"] = "name"

    @model_validator(mode="after")
    def _lookback(self) -> PayCourseParams:
        if (self.episode == "person") != (self.lookback_days is not None):
            raise ValueError("lookback_days is required with episode = 'person', and only then")
        return self


class FrequencyParams(_Strict):
    """限定频次: what is summed per calendar day against ``max_quantity``."""

    count: Literal["quantity", "lines"] = "quantity"
    per: Literal["visit", "person"] = "visit"


class CycleParams(_Strict):
    """限定周期: at most ``max_count`` in any ``cycle_days`` days of one person's history."""

    count: Literal["quantity", "days"] = "quantity"
    across_institutions: bool = True


class CourseParams(_Strict):
    """限定疗程: a course's total days (``max_days``) and minimum interval between two uses."""

    measure: Literal["span", "billed_days"] = "span"
    #: a use after this many days without one starts a new course
    new_course_after_days: Days = 180
    across_institutions: bool = True


class DuplicatePairParams(_Strict):
    """重复收费: which line of a main + included (主项/从项) pair is the violation."""

    flag: Literal["sub", "both"] = "sub"


class MainSecondaryParams(_Strict):
    """主次操作: operations of one group in one visit: the dearest is the main one."""

    #: the share of its price a second or later operation of the group may be billed at
    secondary_ratio: Ratio = Decimal("0.5")
    #: ``day``: only operations of the same day count as one incision; ``visit``: the whole visit
    window: Window = "day"


class BundledParams(_Strict):
    """除外内容/打包: consumables included in an item's price billed beside it."""

    window: Window = "visit"
    consumable_match: Literal["exact", "prefix"] = "exact"


class SplitBillingParams(_Strict):
    """分解收费/重复记账: two codes of one service; the ``code_b`` line is the violation."""

    window: Window = "day"


class IndicationParams(_Strict):
    """限适应症: how old a lab result may be to support a fee line."""

    lab_window_days: Annotated[int, Field(ge=0, le=365)] = 7


class NutritionParams(_Strict):
    """营养风险筛查: the visit documents that count as a screening, and how late one may be."""

    documents: list[str] = Field(default=["NRS2002"], min_length=1)
    #: days after the first fee line of the drug the screening may still be dated
    grace_days: Annotated[int, Field(ge=0, le=30)] = 0


class SameClassParams(_Strict):
    """叠加用药: two drugs of one class (characters 2–6 of the national code) together."""

    window: Window = "day"
    #: how many leading characters of a code name the drug (``XB01AXA223``: X + class + molecule)
    drug_key_length: dict[Literal["X", "Z"], Annotated[int, Field(ge=6, le=23)]] = {
        "X": 10,
        "Z": 11,
    }
    min_drugs: Annotated[int, Field(ge=2, le=10)] = 2


class PrescriptionParams(_Strict):
    """处方限量 (处方管理办法): days of supply and number of drugs per prescription."""

    outpatient_days: Days = 7
    emergency_days: Days = 3
    chronic_days: Days = 28
    max_drugs: Count = 5
    herbal_max_doses: Count = 5
    herbal_max_herbs: Count = 15
    herbal_max_herbs_special: Count = 20
    emergency_med_types: list[MedType] = _med_types("13")
    chronic_med_types: list[MedType] = _med_types(*CHRONIC)


class QuantityUnitParams(_Strict):
    """超量/计量单位: billed quantity (in billed units) against the ordered quantity."""

    #: the share by which billed may exceed ordered (0: not at all)
    tolerance: Ratio = Decimal("0")
    #: compare directly when the order and billed units are the same text, with no table row
    compare_same_unit: bool = True


class PriceCeilingParams(_Strict):
    """超限价: the unit price above the ceiling for the institution's tier."""

    #: ``catalog``: the catalogue's pric_uplmt per tier; ``table``: this rule's table
    ceilings: Literal["catalog", "table"] = "catalog"
    tolerance: Money = Decimal("0.00")


class ReadmissionParams(_Strict):
    """分解住院: a new admission within ``within_days`` of the previous discharge."""

    within_days: Days = 15
    same_institution: bool = False
    inpatient_med_types: list[MedType] = _med_types(*INPATIENT)
    #: admissions whose main diagnosis starts so are planned (Z51: 放疗、化疗 sessions)
    exempt_diagnoses: list[IcdPrefix] = ["Z51"]


class BedBlockingParams(_Strict):
    """挂床住院: inpatient days with only bed, nursing, consultation and other fees."""

    max_idle_days: Annotated[int, Field(ge=0, le=365)] = 3
    non_treatment_types: list[MedChrgitmType] = _fee_types("01", "02", "07", "13", "14")
    skip_admission_and_discharge_days: bool = True
    inpatient_med_types: list[MedType] = _med_types(*INPATIENT)


class OverlapParams(_Strict):
    """冒名就医/同时两地: one person's visits at two institutions at the same time."""

    min_overlap_days: Days = 1
    include_outpatient: bool = True
    #: an outpatient visit elsewhere on an admission or discharge day is not counted
    ignore_edge_days: bool = True


class DischargeMedicationParams(_Strict):
    """出院带药超量: drugs taken home at discharge beyond the allowed days of supply."""

    max_days: Days = 7
    chronic_max_days: Days = 28
    drug_types: list[MedChrgitmType] = _fee_types("09", "10", "11")
    #: whether examination or treatment items may be billed as taken home (带检查治疗出院)
    items_allowed: bool = False


class PhantomBillingParams(_Strict):
    """虚记: an item whose table row names the record it needs, billed with none."""

    record_window_days: Annotated[int, Field(ge=0, le=30)] = 1


class StockMismatchParams(_Strict):
    """串换: an institution bills more of a code in a month than it bought (进销存)."""

    tolerance: Ratio = Decimal("0.1")
    period: Literal["month", "quarter"] = "month"
