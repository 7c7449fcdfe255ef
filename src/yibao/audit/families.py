"""The catalogue of rule families: the templates every audit rule is an instance of.

A :class:`Family` names its parameters (a Pydantic model of ``audit.params``), its knowledge
table's columns (each with a :class:`~yibao.audit.columns.Kind`), the columns that must be unique
together, the placeholders its ``vola_cont`` may use, and the :class:`~yibao.audit.model.Scope`
an engine groups fee lines by. Every family is meant to be one join / group-by / window over fee
lines; ``docs/audit-rules.md`` says how, with an example rule per family.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from yibao.audit import params as p
from yibao.audit.columns import Kind
from yibao.audit.model import Scope
from yibao.kernel.errors import InvalidValue

__all__ = ["COMMON_FILLS", "FAMILIES", "LABELLED", "Column", "Family", "TableUse", "family"]

#: placeholders every family fills: the rule's name, the fee date and the amount found
COMMON_FILLS = ("rule_name", "fee_date", "amount")
#: coded columns whose Chinese name the engine fills as ``{<column>_label}``
LABELLED = frozenset((Kind.GEND, Kind.TIER, Kind.HOSP_LV, Kind.KEY, Kind.KEYS, Kind.WINDOW,
                      Kind.UNIT))  # fmt: skip


class TableUse(StrEnum):
    """Whether a family's rules carry a knowledge table."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its name, its kind, and for keys the parameter mapping they name."""

    name: str
    kind: Kind
    ref: str | None = None


RowCheck = Callable[[Mapping[str, str]], str | None]
ParamsCheck = Callable[[BaseModel, bool], str | None]


@dataclass(frozen=True, slots=True)
class Family:
    """A rule template (规则模板)."""

    name: str
    label: str
    scope: Scope
    params: type[BaseModel]
    table: TableUse
    columns: tuple[Column, ...] = ()
    #: columns whose values together are unique in a table
    key: tuple[str, ...] = ()
    #: placeholders the engine computes, beyond the table's columns and ``COMMON_FILLS``
    fills: tuple[str, ...] = ()
    #: a check of one table row as a whole (cells already valid one by one)
    row_check: RowCheck | None = None
    #: a check of the parameters against whether the rule has a table
    params_check: ParamsCheck | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def placeholders(self) -> frozenset[str]:
        """Every name a ``vola_cont`` may use: common fills, columns, ``<coded column>_label``."""
        labels = (f"{c.name}_label" for c in self.columns if c.kind in LABELLED)
        return frozenset((*COMMON_FILLS, *self.column_names, *labels, *self.fills))


def _cols(*spec: tuple[str, Kind] | tuple[str, Kind, str]) -> tuple[Column, ...]:
    return (*(Column(*item) for item in spec), Column("source", Kind.NOTE))


_CODE = ("code", Kind.CODE)
_NAME = ("name", Kind.TEXT)


def _one_limit(row: Mapping[str, str]) -> str | None:
    if not row["max_days"] and not row["min_interval_days"]:
        return "set max_days, min_interval_days or both"
    return None


def _one_condition(row: Mapping[str, str]) -> str | None:
    if not row["diagnoses"].strip() and not row["labs"].strip():
        return "set diagnoses, labs or both (a row with neither allows nothing)"
    return None


def _ceiling_table(params: BaseModel, has_table: bool) -> str | None:
    wants = getattr(params, "ceilings", "catalog") == "table"
    if wants and not has_table:
        return "ceilings = 'table' needs a [rules.table]"
    if has_table and not wants:
        return "a [rules.table] is read only with ceilings = 'table'"
    return None


_ALL = (
    Family("sex", "限性别", Scope.LINE, p.NoParams, TableUse.REQUIRED,
           _cols(_CODE, _NAME, ("gend", Kind.GEND)), ("code",), ("person_gend",)),
    Family("age", "限年龄", Scope.LINE, p.AgeParams, TableUse.REQUIRED,
           _cols(_CODE, _NAME, ("band", Kind.KEY, "bands")), ("code",), ("age",)),
    Family("inst_level", "限机构等级", Scope.LINE, p.NoParams, TableUse.REQUIRED,
           _cols(_CODE, _NAME, ("min_tier", Kind.TIER)), ("code",), ("hosp_lv_name",)),
    Family("med_type", "限就医方式", Scope.LINE, p.MedTypeParams, TableUse.REQUIRED,
           _cols(_CODE, _NAME, ("allowed", Kind.KEYS, "classes")), ("code",),
           ("med_type_name",)),
    Family("insutype", "限保险类型", Scope.LINE, p.InsutypeParams, TableUse.REQUIRED,
           _cols(_CODE, _NAME, ("scheme", Kind.KEY, "schemes")), ("code",),
           ("insutype_name",)),
    Family("pay_course", "限支付疗程", Scope.VISIT, p.PayCourseParams, TableUse.REQUIRED,
           _cols(_CODE, _NAME, ("max_days", Kind.COUNT)), ("code",), ("days",)),
    Family("frequency", "限定频次", Scope.VISIT, p.FrequencyParams, TableUse.REQUIRED,
           _cols(_CODE, _NAME, ("max_quantity", Kind.QUANTITY), ("unit", Kind.UNIT)),
           ("code",), ("day_quantity",)),
    Family("cycle", "限定周期", Scope.PERSON_HISTORY, p.CycleParams, TableUse.REQUIRED,
           _cols(_CODE, _NAME, ("max_count", Kind.COUNT), ("cycle_days", Kind.COUNT)),
           ("code",), ("count", "previous_date")),
    Family("course", "限定疗程", Scope.PERSON_HISTORY, p.CourseParams, TableUse.REQUIRED,
           _cols(_CODE, _NAME, ("max_days", Kind.OPTIONAL_COUNT),
                 ("min_interval_days", Kind.OPTIONAL_COUNT)),
           ("code",), ("days", "interval_days", "course_start"), row_check=_one_limit),
    Family("duplicate_pair", "重复收费", Scope.VISIT, p.DuplicatePairParams, TableUse.REQUIRED,
           _cols(("main_code", Kind.CODE), ("main_name", Kind.TEXT), ("sub_code", Kind.CODE),
                 ("sub_name", Kind.TEXT), ("window", Kind.WINDOW), ("note", Kind.NOTE)),
           ("main_code", "sub_code")),
    Family("main_secondary_operation", "主次操作", Scope.VISIT, p.MainSecondaryParams,
           TableUse.REQUIRED, _cols(_CODE, _NAME, ("group", Kind.TEXT)), ("code", "group"),
           ("main_name", "billed_price", "allowed_price")),
    Family("bundled", "除外内容/打包", Scope.VISIT, p.BundledParams, TableUse.REQUIRED,
           _cols(("item_code", Kind.CODE), ("item_name", Kind.TEXT),
                 ("consumable", Kind.CODE_PREFIX), ("consumable_name", Kind.TEXT)),
           ("item_code", "consumable"), ("consumable_billed",)),
    Family("split_billing", "分解收费/重复记账", Scope.VISIT, p.SplitBillingParams,
           TableUse.REQUIRED,
           _cols(("code_a", Kind.CODE), ("name_a", Kind.TEXT), ("code_b", Kind.CODE),
                 ("name_b", Kind.TEXT)), ("code_a", "code_b")),
    Family("indication", "限适应症", Scope.VISIT, p.IndicationParams, TableUse.REQUIRED,
           _cols(_CODE, _NAME, ("clause", Kind.COUNT), ("diagnoses", Kind.ICD_PREFIXES),
                 ("labs", Kind.LAB_CONDITIONS), ("combine", Kind.COMBINE),
                 ("condition", Kind.TEXT)),
           ("code", "clause"), ("missing",), row_check=_one_condition),
    Family("nutrition_screening", "营养风险筛查", Scope.VISIT, p.NutritionParams,
           TableUse.REQUIRED, _cols(_CODE, _NAME), ("code",)),
    Family("same_class_stacking", "叠加用药（同类）", Scope.VISIT, p.SameClassParams,
           TableUse.REQUIRED, _cols(("drug_class", Kind.DRUG_CLASS), ("class_name", Kind.TEXT)),
           ("drug_class",), ("drugs",)),
    Family("prescription_limit", "处方限量", Scope.VISIT, p.PrescriptionParams, TableUse.NONE,
           fills=("rx_no", "days", "limit", "drugs", "excess")),
    Family("quantity_unit", "超量/计量单位", Scope.LINE, p.QuantityUnitParams, TableUse.OPTIONAL,
           _cols(_CODE, _NAME, ("billed_unit", Kind.TEXT), ("order_unit", Kind.TEXT),
                 ("order_units_per_billed", Kind.QUANTITY)),
           ("code", "billed_unit", "order_unit"), ("quantity", "order_quantity")),
    Family("price_ceiling", "超限价", Scope.LINE, p.PriceCeilingParams, TableUse.OPTIONAL,
           _cols(_CODE, _NAME, ("tier", Kind.TIER), ("max_price", Kind.PRICE)),
           ("code", "tier"), ("unit_price", "ceiling"), params_check=_ceiling_table),
    Family("readmission", "分解住院", Scope.PERSON_HISTORY, p.ReadmissionParams, TableUse.NONE,
           fills=("previous_discharge", "days_between")),
    Family("bed_blocking", "挂床住院", Scope.VISIT, p.BedBlockingParams, TableUse.NONE,
           fills=("idle_days",)),
    Family("overlapping_visits", "冒名就医/同时两地就医", Scope.PERSON_HISTORY, p.OverlapParams,
           TableUse.NONE, fills=("other_institution", "overlap_days")),
    Family("discharge_medication", "出院带药超量", Scope.VISIT, p.DischargeMedicationParams,
           TableUse.NONE, fills=("days", "limit", "excess")),
    Family("phantom_billing", "虚记", Scope.VISIT, p.PhantomBillingParams, TableUse.REQUIRED,
           _cols(_CODE, _NAME, ("record", Kind.TEXT)), ("code",)),
    Family("stock_mismatch", "串换", Scope.CROSS_PERSON, p.StockMismatchParams, TableUse.NONE,
           fills=("billed_quantity", "stocked_quantity")),
)  # fmt: skip

#: every family by name
FAMILIES: Mapping[str, Family] = {f.name: f for f in _ALL}


def family(name: str) -> Family:
    """The family called ``name``; an unknown name lists the known ones."""
    try:
        return FAMILIES[name]
    except KeyError:
        known = ", ".join(FAMILIES)
        raise InvalidValue("family", f"unknown family {name!r} (known: {known})") from None
