"""The catalogue (医保目录) and institutions as immutable values.

* :class:`CatalogEntry` — one national code (drug, service item or material) as one region lists it:
  class 甲/乙/丙 (``chrgitm_lv``), the region's self-pay share (先行自付比例), price ceilings by
  hospital tier (限价), the restriction flag and text (限制使用), effective dates.
* :class:`Institution` — a designated institution (定点医药机构): code, name, level, region.
* :class:`MappingEntry` — an institution's own code mapped to a national code (目录对照).
* :class:`RegionCatalog` — every entry of one region, looked up by code for a day.

Pure: the importers in ``catalog.formats`` build these from files; the engine reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from yibao.kernel.codes import ChrgitmLv, HospLv, ListType
from yibao.kernel.tiers import HospitalTier, tier_of

__all__ = ["CatalogEntry", "Institution", "MappingEntry", "RegionCatalog"]


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One national catalogue code as listed by one region (就医地目录)."""

    code: str
    name: str
    list_type: ListType
    chrgitm_lv: ChrgitmLv
    med_chrgitm_type: str
    admdvs: str
    selfpay_prop: Decimal
    price_ceilings: Mapping[HospitalTier, Decimal]
    restricted: bool
    restriction: str
    begndate: date
    enddate: date | None
    demo: bool = False

    def ceiling(self, tier: HospitalTier) -> Decimal | None:
        """The price ceiling (定价上限) for a tier, or None where the region sets none."""
        return self.price_ceilings.get(tier)

    def in_force(self, day: date) -> bool:
        return self.begndate <= day and (self.enddate is None or day <= self.enddate)


@dataclass(frozen=True, slots=True)
class Institution:
    """A designated medical institution or pharmacy (定点医药机构)."""

    fixmedins_code: str
    fixmedins_name: str
    hosp_lv: HospLv
    admdvs: str
    kind: str
    demo: bool = False
    #: enabled for cross-region direct settlement (异地联网定点医药机构)
    remote_enabled: bool = False

    @property
    def tier(self) -> HospitalTier:
        return tier_of(self.hosp_lv)


@dataclass(frozen=True, slots=True)
class MappingEntry:
    """目录对照: an institution's own catalogue code and the national code it stands for."""

    fixmedins_code: str
    medins_list_codg: str
    med_list_codg: str
    begndate: date
    enddate: date | None


class RegionCatalog:
    """The entries of one region, indexed by code; :meth:`at` gives the entries in force on a day."""

    __slots__ = ("_by_code", "admdvs")

    def __init__(self, admdvs: str, entries: Iterable[CatalogEntry]) -> None:
        self.admdvs = admdvs
        by_code: dict[str, list[CatalogEntry]] = {}
        for entry in entries:
            by_code.setdefault(entry.code, []).append(entry)
        self._by_code = by_code

    def __len__(self) -> int:
        return len(self._by_code)

    def entry(self, code: str, day: date) -> CatalogEntry | None:
        for entry in self._by_code.get(code, ()):
            if entry.in_force(day):
                return entry
        return None

    def at(self, day: date) -> Mapping[str, CatalogEntry]:
        """A code → entry view of what is in force on ``day``, for the engine's per-line lookups."""
        view: dict[str, CatalogEntry] = {}
        for code, entries in self._by_code.items():
            for entry in entries:
                if entry.in_force(day):
                    view[code] = entry
                    break
        return view

    def entries(self) -> tuple[CatalogEntry, ...]:
        return tuple(e for entries in self._by_code.values() for e in entries)
