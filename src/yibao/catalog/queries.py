"""Catalogue look-ups and 目录对照 writes for the gateway's 13xx and 33xx transactions.

SQLAlchemy Core over ``catalog_entries``, ``catalog_mappings`` and ``institutions``:

* :func:`search_entries` — a region's entries by exact code, name fragment or pinyin initials
  (拼音首字母, e.g. ``ptbf`` finds 普通病房床位费), a page at a time;
* :func:`code_versions` — every dated version of one code in a region (限价, 先自付比例);
* :func:`search_mappings`, :func:`find_overlap`, :func:`add_mapping`, :func:`remove_mappings` —
  one institution's mappings: each takes the institution, so none can reach another's.

Pinyin initials come from ``pypinyin``. A character with several readings (重 zhong/chong) matches
any of its initials; a name's initials are computed once per process and kept.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from pypinyin import Style, pinyin
from sqlalchemy import ColumnElement, Connection, and_, delete, func, insert, or_, select

from yibao.catalog.model import CatalogEntry, MappingEntry
from yibao.catalog.tables import catalog_entries, catalog_mappings, institutions
from yibao.kernel.codes import ChrgitmLv, ListType
from yibao.kernel.errors import NotFound
from yibao.kernel.tiers import HospitalTier

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "EntryFilter",
    "MappingFilter",
    "Page",
    "Paging",
    "add_mapping",
    "code_versions",
    "find_overlap",
    "list_types",
    "matches_initials",
    "name_initials",
    "region_of",
    "remove_mappings",
    "save_mappings",
    "search_entries",
    "search_mappings",
]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_TIERS = {tier: f"pric_uplmt_{tier.value}" for tier in HospitalTier}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_ENTRY_ORDER = (catalog_entries.c.code, catalog_entries.c.begndate, catalog_entries.c.id)
_MAPPING_ORDER = (catalog_mappings.c.medins_list_codg, catalog_mappings.c.begndate,
                  catalog_mappings.c.id)  # fmt: skip
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Paging:
    """Which page to answer: ``number`` from 1, ``size`` rows (at most :data:`MAX_PAGE_SIZE`)."""

    number: int = 1
    size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a query's rows and the number of rows of the whole query."""

    items: tuple[T, ...]
    total: int
    paging: Paging


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """What a 1312 search asks for; ``None`` leaves a criterion out."""

    code: str | None = None
    name: str | None = None
    initials: str | None = None
    list_type: str | None = None
    chrgitm_lv: str | None = None
    med_chrgitm_type: str | None = None
    restricted: bool | None = None
    day: date | None = None


@dataclass(frozen=True, slots=True)
class MappingFilter:
    """What a 1316/1317 search asks for: own code, national code, list type, day in force."""

    own_code: str | None = None
    national_code: str | None = None
    list_type: str | None = None
    day: date | None = None


def region_of(connection: Connection, fixmedins_code: str, *, lock: bool = False) -> str:
    """The region (``admdvs``) of an institution; ``lock`` serialises its mapping writes."""
    query = select(institutions.c.admdvs).where(institutions.c.fixmedins_code == fixmedins_code)
    if lock:
        query = query.with_for_update()
    admdvs = connection.execute(query).scalar_one_or_none()
    if admdvs is None:
        raise NotFound(f"institution {fixmedins_code} is not registered")
    return str(admdvs)


def search_entries(
    connection: Connection, admdvs: str, wanted: EntryFilter, paging: Paging
) -> Page[CatalogEntry]:
    """A region's entries matching every criterion, ordered by code and begin date."""
    where = _entry_conditions(admdvs, wanted)
    initials = _normalised(wanted.initials)
    if initials:
        found = connection.execute(
            select(catalog_entries.c.id, catalog_entries.c.name)
            .where(*where)
            .order_by(*_ENTRY_ORDER)
        )
        ids = [row.id for row in found if matches_initials(row.name, initials)]
        chosen = ids[paging.offset : paging.offset + paging.size]
        if not chosen:
            return Page((), len(ids), paging)
        rows = connection.execute(
            select(catalog_entries).where(catalog_entries.c.id.in_(chosen)).order_by(*_ENTRY_ORDER)
        )
        return Page(tuple(_entry(row) for row in rows), len(ids), paging)
    total = connection.execute(
        select(func.count()).select_from(catalog_entries).where(*where)
    ).scalar_one()
    rows = connection.execute(
        select(catalog_entries).where(*where).order_by(*_ENTRY_ORDER)
        .offset(paging.offset).limit(paging.size)
    )  # fmt: skip
    return Page(tuple(_entry(row) for row in rows), int(total), paging)


def code_versions(
    connection: Connection, admdvs: str, code: str, day: date | None = None
) -> tuple[CatalogEntry, ...]:
    """Every version of one code in a region (only the one in force on ``day`` when given)."""
    where = _entry_conditions(admdvs, EntryFilter(code=code, day=day))
    rows = connection.execute(select(catalog_entries).where(*where).order_by(*_ENTRY_ORDER))
    return tuple(_entry(row) for row in rows)


def list_types(connection: Connection, admdvs: str, codes: Iterable[str]) -> dict[str, str]:
    """The list type (目录类别) of each of ``codes`` that the region's catalogue holds."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = connection.execute(
        select(catalog_entries.c.code, catalog_entries.c.list_type)
        .where(catalog_entries.c.admdvs == admdvs, catalog_entries.c.code.in_(wanted))
        .order_by(*_ENTRY_ORDER)
    )  # fmt: skip
    return {row.code: row.list_type for row in rows}


def search_mappings(
    connection: Connection, fixmedins_code: str, admdvs: str, wanted: MappingFilter, paging: Paging
) -> Page[MappingEntry]:
    """One institution's mappings matching every criterion, ordered by its own code."""
    where = _mapping_conditions(fixmedins_code, admdvs, wanted)
    total = connection.execute(
        select(func.count()).select_from(catalog_mappings).where(*where)
    ).scalar_one()
    rows = connection.execute(
        select(catalog_mappings).where(*where).order_by(*_MAPPING_ORDER)
        .offset(paging.offset).limit(paging.size)
    )  # fmt: skip
    return Page(tuple(_mapping(row) for row in rows), int(total), paging)


def find_overlap(
    connection: Connection, fixmedins_code: str, own_code: str, begndate: date, enddate: date | None
) -> MappingEntry | None:
    """A mapping of the same own code whose dates meet ``begndate``–``enddate`` (ends inclusive)."""
    where = [
        catalog_mappings.c.fixmedins_code == fixmedins_code,
        catalog_mappings.c.medins_list_codg == own_code,
        or_(catalog_mappings.c.enddate.is_(None), catalog_mappings.c.enddate >= begndate),
    ]
    if enddate is not None:
        where.append(catalog_mappings.c.begndate <= enddate)
    row = connection.execute(
        select(catalog_mappings).where(*where).order_by(*_MAPPING_ORDER).limit(1)
    ).first()
    return None if row is None else _mapping(row)


def add_mapping(connection: Connection, mapping: MappingEntry) -> None:
    """Store one mapping; the caller has checked the code and the dates (see :func:`find_overlap`)."""
    save_mappings(connection, [mapping])


def save_mappings(connection: Connection, mappings: Iterable[MappingEntry]) -> int:
    """Store mappings as they are (the demo loader's ``mapping.csv``); returns the count."""
    rows = [
        {"fixmedins_code": m.fixmedins_code, "medins_list_codg": m.medins_list_codg,
         "med_list_codg": m.med_list_codg, "begndate": m.begndate, "enddate": m.enddate}
        for m in mappings
    ]  # fmt: skip
    if rows:
        connection.execute(insert(catalog_mappings), rows)
    return len(rows)


def remove_mappings(
    connection: Connection, fixmedins_code: str, admdvs: str, wanted: MappingFilter
) -> tuple[MappingEntry, ...]:
    """Delete one institution's mappings matching ``wanted``; returns what was deleted."""
    where = _mapping_conditions(fixmedins_code, admdvs, wanted)
    rows = connection.execute(select(catalog_mappings).where(*where).order_by(*_MAPPING_ORDER))
    found = [(row.id, _mapping(row)) for row in rows]
    if found:
        ids = [row_id for row_id, _ in found]
        connection.execute(delete(catalog_mappings).where(catalog_mappings.c.id.in_(ids)))
    return tuple(mapping for _, mapping in found)


def name_initials(name: str) -> str:
    """The name's pinyin initials in its most common reading, upper case: 普通病房床位费 → PTBFCWF."""
    return "".join(choices[0] for choices in _initials(name)).upper()


def matches_initials(name: str, query: str) -> bool:
    """Whether ``query`` (lower case) is a run of the name's initials, in any reading of each character."""
    choices = _initials(name)
    if query in "".join(options[0] for options in choices):
        return True
    width = len(query)
    return any(
        all(query[k] in choices[start + k] for k in range(width))
        for start in range(len(choices) - width + 1)
    )


@functools.lru_cache(maxsize=200_000)
def _initials(name: str) -> tuple[tuple[str, ...], ...]:
    """Per character, its possible initials (lower case); letters and digits stand for themselves."""
    result: list[tuple[str, ...]] = []
    position = 0
    for run in _HAN.finditer(name):
        result.extend(_plain(name[position : run.start()]))
        for readings in pinyin(run.group(), style=Style.FIRST_LETTER, heteronym=True):
            options = tuple(dict.fromkeys(reading[:1].lower() for reading in readings if reading))
            result.append(options or ("",))
        position = run.end()
    result.extend(_plain(name[position:]))
    return tuple(result)


def _plain(text: str) -> list[tuple[str, ...]]:
    return [(char,) for char in text.lower() if char.isalnum()]


def _normalised(initials: str | None) -> str:
    return "".join((initials or "").split()).lower()


def _entry_conditions(admdvs: str, wanted: EntryFilter) -> list[ColumnElement[bool]]:
    table = catalog_entries.c
    where: list[ColumnElement[bool]] = [table.admdvs == admdvs]
    if wanted.code:
        where.append(table.code == wanted.code)
    if wanted.name:
        where.append(table.name.contains(wanted.name, autoescape=True))
    if wanted.list_type:
        where.append(table.list_type == wanted.list_type)
    if wanted.chrgitm_lv:
        where.append(table.chrgitm_lv == wanted.chrgitm_lv)
    if wanted.med_chrgitm_type:
        where.append(table.med_chrgitm_type == wanted.med_chrgitm_type)
    if wanted.restricted is not None:
        where.append(table.restricted.is_(wanted.restricted))
    if wanted.day is not None:
        where.append(_in_force(table.begndate, table.enddate, wanted.day))
    return where


def _mapping_conditions(
    fixmedins_code: str, admdvs: str, wanted: MappingFilter
) -> list[ColumnElement[bool]]:
    table = catalog_mappings.c
    where: list[ColumnElement[bool]] = [table.fixmedins_code == fixmedins_code]
    if wanted.own_code:
        where.append(table.medins_list_codg == wanted.own_code)
    if wanted.national_code:
        where.append(table.med_list_codg == wanted.national_code)
    if wanted.list_type:
        codes = select(catalog_entries.c.code).where(
            catalog_entries.c.admdvs == admdvs, catalog_entries.c.list_type == wanted.list_type
        )
        where.append(table.med_list_codg.in_(codes))
    if wanted.day is not None:
        where.append(_in_force(table.begndate, table.enddate, wanted.day))
    return where


def _in_force(begndate: Any, enddate: Any, day: date) -> ColumnElement[bool]:
    return and_(begndate <= day, or_(enddate.is_(None), enddate >= day))


def _entry(row: Any) -> CatalogEntry:
    return CatalogEntry(
        code=row.code, name=row.name, list_type=ListType(row.list_type),
        chrgitm_lv=ChrgitmLv(row.chrgitm_lv), med_chrgitm_type=row.med_chrgitm_type,
        admdvs=row.admdvs, selfpay_prop=row.selfpay_prop,
        price_ceilings={t: getattr(row, c) for t, c in _TIERS.items() if getattr(row, c) is not None},
        restricted=row.restricted, restriction=row.restriction, begndate=row.begndate,
        enddate=row.enddate, demo=row.demo,
    )  # fmt: skip


def _mapping(row: Any) -> MappingEntry:
    return MappingEntry(
        fixmedins_code=row.fixmedins_code, medins_list_codg=row.medins_list_codg,
        med_list_codg=row.med_list_codg, begndate=row.begndate, enddate=row.enddate,
    )  # fmt: skip
