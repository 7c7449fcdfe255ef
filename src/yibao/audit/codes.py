"""The code values of the realtime audit's fields that the interface names but does not define.

The national 3101/3102 specification lists ``trig_scen`` (触发场景), ``sev_deg`` (严重程度),
``vola_bhvr_type`` (违规行为分类) and ``vola_amt_stas`` (违规金额计算状态) as coded fields, but no
public source gives their values. These are yibao's (project-defined; ``docs/audit-codes.md``
explains each and why): a HIS can show them, and a later national table can replace them by
mapping one to one.

Pure: enums and two lookups.
"""

from __future__ import annotations

from enum import StrEnum

from yibao.audit.model import Grade, Moment

__all__ = ["SevDeg", "TrigScen", "VolaAmtStas", "VolaBhvrType", "behaviour_of", "severity_of"]


class _Coded(StrEnum):
    label: str

    def __new__(cls, value: str, label: str) -> _Coded:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class TrigScen(_Coded):
    """触发场景: where in the HIS workflow the audit was asked for, and so at which moment."""

    OUTPATIENT_ORDER = ("1", "门诊开方/开单（事前）")
    INPATIENT_ORDER = ("2", "住院下达医嘱（事前）")
    OUTPATIENT_CHARGE = ("3", "门诊收费（事中）")
    INPATIENT_CHARGE = ("4", "住院记账/费用上传（事中）")
    DISCHARGE = ("5", "出院/结算前（事中）")

    @property
    def moment(self) -> Moment:
        """Before (an order) or during (a charge, a discharge)."""
        return Moment.BEFORE if self in (TrigScen.OUTPATIENT_ORDER, TrigScen.INPATIENT_ORDER) \
            else Moment.DURING  # fmt: skip


class SevDeg(_Coded):
    """严重程度: the rule's grade."""

    VIOLATION = ("1", "明确违规")
    SUSPICIOUS = ("2", "可疑")
    REMINDER = ("3", "提醒")


class VolaAmtStas(_Coded):
    """违规金额计算状态: whether ``vola_amt`` is the amount at issue."""

    COMPUTED = ("1", "已计算")
    NOT_COMPUTED = ("0", "未计算（仅提示）")


class VolaBhvrType(_Coded):
    """违规行为分类: the kind of behaviour a family finds (the groups of docs/audit-rules.md)."""

    RESTRICTED_USE = ("1", "超限定范围使用（性别、年龄、机构、就医方式、险种、适应症）")
    EXCESS_QUANTITY = ("2", "超量、超频次、超疗程")
    REPEATED_CHARGE = ("3", "重复收费、分解收费、打包项目另收")
    EXCESS_PRICE = ("4", "超标准收费")
    IRRATIONAL_DRUGS = ("5", "不合理用药（叠加用药、营养筛查）")
    IRREGULAR_STAY = ("6", "分解住院、挂床住院")
    FALSE_CLAIM = ("7", "冒名就医、串换、虚记")


_BEHAVIOUR = {
    **dict.fromkeys(("sex", "age", "inst_level", "med_type", "insutype", "indication"),
                    VolaBhvrType.RESTRICTED_USE),
    **dict.fromkeys(("pay_course", "frequency", "cycle", "course", "prescription_limit",
                     "quantity_unit", "discharge_medication"), VolaBhvrType.EXCESS_QUANTITY),
    **dict.fromkeys(("duplicate_pair", "main_secondary_operation", "bundled", "split_billing"),
                    VolaBhvrType.REPEATED_CHARGE),
    "price_ceiling": VolaBhvrType.EXCESS_PRICE,
    **dict.fromkeys(("same_class_stacking", "nutrition_screening"),
                    VolaBhvrType.IRRATIONAL_DRUGS),
    **dict.fromkeys(("readmission", "bed_blocking"), VolaBhvrType.IRREGULAR_STAY),
    **dict.fromkeys(("overlapping_visits", "stock_mismatch", "phantom_billing"),
                    VolaBhvrType.FALSE_CLAIM),
}  # fmt: skip
_SEVERITY = {Grade.VIOLATION: SevDeg.VIOLATION, Grade.SUSPICIOUS: SevDeg.SUSPICIOUS,
             Grade.REMINDER: SevDeg.REMINDER}  # fmt: skip


def behaviour_of(family: str) -> VolaBhvrType:
    """The behaviour class of a family's findings."""
    return _BEHAVIOUR[family]


def severity_of(grade: Grade) -> SevDeg:
    """The severity code of a grade."""
    return _SEVERITY[grade]
