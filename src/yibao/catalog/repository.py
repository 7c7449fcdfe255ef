"""Catalogue persistence: regions, institutions, credentials and entries in and out of the store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from yibao.catalog.model import CatalogEntry, Institution, RegionCatalog
from yibao.catalog.tables import catalog_entries, credentials, institutions, regions
from yibao.kernel.codes import ChrgitmLv, HospLv, ListType
from yibao.kernel.tiers import HospitalTier

__all__ = [
    "load_catalog",
    "load_institutions",
    "region_codes",
    "save_catalog_entries",
    "save_credential",
    "save_institutions",
    "save_region",
    "token_for",
]

_TIERS = {tier: f"pric_uplmt_{tier.value}" for tier in HospitalTier}


def save_region(connection: Connection, *, admdvs: str, name: str) -> None:
    connection.execute(insert(regions), [{"admdvs": admdvs, "name": name, "province": admdvs[:2]}])


def region_codes(connection: Connection) -> list[str]:
    """The regions (统筹区) of this deployment."""
    return list(connection.execute(select(regions.c.admdvs).order_by(regions.c.admdvs)).scalars())


def save_institutions(connection: Connection, items: Iterable[Institution]) -> None:
    rows = [
        {"fixmedins_code": i.fixmedins_code, "fixmedins_name": i.fixmedins_name,
         "hosp_lv": i.hosp_lv.value, "admdvs": i.admdvs, "kind": i.kind, "demo": i.demo,
         "remote_enabled": i.remote_enabled}
        for i in items
    ]  # fmt: skip
    if rows:
        connection.execute(insert(institutions), rows)


def save_credential(
    connection: Connection, *, paasid: str, fixmedins_code: str, token: str, valid_from: datetime
) -> None:
    connection.execute(
        insert(credentials),
        [{"paasid": paasid, "fixmedins_code": fixmedins_code, "token": token,
          "valid_from": valid_from, "valid_to": None}],
    )  # fmt: skip


def token_for(connection: Connection, paasid: str, now: datetime) -> tuple[str, str] | None:
    """The (token, institution) of a caller's access id valid at ``now``, or None."""
    row = connection.execute(
        select(credentials.c.token, credentials.c.fixmedins_code, credentials.c.valid_from,
               credentials.c.valid_to).where(credentials.c.paasid == paasid)
    ).first()  # fmt: skip
    if row is None or row.valid_from > now or (row.valid_to is not None and row.valid_to <= now):
        return None
    return row.token, row.fixmedins_code


def save_catalog_entries(connection: Connection, entries: Iterable[CatalogEntry]) -> int:
    """Replace the stored entries of the regions in ``entries`` with them; returns the count."""
    rows = [_entry_row(e) for e in entries]
    for admdvs in {row["admdvs"] for row in rows}:
        connection.execute(delete(catalog_entries).where(catalog_entries.c.admdvs == admdvs))
    if rows:
        connection.execute(insert(catalog_entries), rows)
    return len(rows)


def _entry_row(e: CatalogEntry) -> dict[str, object]:
    row: dict[str, object] = {
        "code": e.code, "admdvs": e.admdvs, "name": e.name, "list_type": e.list_type.value,
        "chrgitm_lv": e.chrgitm_lv.value, "med_chrgitm_type": e.med_chrgitm_type,
        "selfpay_prop": e.selfpay_prop, "restricted": e.restricted, "restriction": e.restriction,
        "begndate": e.begndate, "enddate": e.enddate, "demo": e.demo,
    }  # fmt: skip
    for tier, column in _TIERS.items():
        row[column] = e.price_ceilings.get(tier)
    return row


def load_catalog(connection: Connection, admdvs: str) -> RegionCatalog:
    """Every entry of a region (all dates), as the engine reads it."""
    rows = connection.execute(select(catalog_entries).where(catalog_entries.c.admdvs == admdvs))
    entries = [
        CatalogEntry(
            code=r.code, name=r.name, list_type=ListType(r.list_type),
            chrgitm_lv=ChrgitmLv(r.chrgitm_lv), med_chrgitm_type=r.med_chrgitm_type,
            admdvs=r.admdvs, selfpay_prop=r.selfpay_prop,
            price_ceilings={t: getattr(r, c) for t, c in _TIERS.items() if getattr(r, c) is not None},
            restricted=r.restricted, restriction=r.restriction, begndate=r.begndate,
            enddate=r.enddate, demo=r.demo,
        )
        for r in rows
    ]  # fmt: skip
    return RegionCatalog(admdvs, entries)


def load_institutions(connection: Connection) -> Mapping[str, Institution]:
    rows = connection.execute(select(institutions))
    return {
        r.fixmedins_code: Institution(r.fixmedins_code, r.fixmedins_name, HospLv(r.hosp_lv),
                                      r.admdvs, r.kind, r.demo, r.remote_enabled)
        for r in rows
    }  # fmt: skip
