"""Hospital tiers: the grouping of ``hosp_lv`` codes that policies and price ceilings key on.

``hosp_lv`` has fourteen codes (三级特等 … 一级无等); benefit policies speak of 三级 / 二级 / 一级
and 基层 (community and township institutions, which are ungraded). The mapping is fixed by the
code table itself, so it lives in the kernel.
"""

from __future__ import annotations

from enum import StrEnum

from yibao.kernel.errors import InvalidValue

__all__ = ["HospitalTier", "tier_of"]


class HospitalTier(StrEnum):
    """Hospital tier as policies name it."""

    #: 三级医院
    TIER3 = "tier3"
    #: 二级医院
    TIER2 = "tier2"
    #: 一级医院
    TIER1 = "tier1"
    #: 基层医疗机构（社区卫生服务中心、乡镇卫生院、村卫生室、无等级）
    PRIMARY = "primary"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    HospitalTier.TIER3: "三级医院",
    HospitalTier.TIER2: "二级医院",
    HospitalTier.TIER1: "一级医院",
    HospitalTier.PRIMARY: "基层医疗机构",
}

_TIER_BY_HOSP_LV = {
    "01": HospitalTier.TIER3,
    "02": HospitalTier.TIER3,
    "03": HospitalTier.TIER3,
    "04": HospitalTier.TIER3,
    "12": HospitalTier.TIER3,
    "05": HospitalTier.TIER2,
    "06": HospitalTier.TIER2,
    "07": HospitalTier.TIER2,
    "13": HospitalTier.TIER2,
    "08": HospitalTier.TIER1,
    "09": HospitalTier.TIER1,
    "10": HospitalTier.TIER1,
    "14": HospitalTier.TIER1,
    "11": HospitalTier.PRIMARY,
}


def tier_of(hosp_lv: str) -> HospitalTier:
    """The tier of a ``hosp_lv`` code (医院等级)."""
    try:
        return _TIER_BY_HOSP_LV[hosp_lv]
    except KeyError:
        raise InvalidValue("hosp_lv", f"unknown hospital level code {hosp_lv!r}") from None
