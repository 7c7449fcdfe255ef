"""异地就医备案 on the store: file, renew, withdraw, list, and the filing a visit settles under.

A person files with their insuring region (参保地), in person at the agency's window or through the
portal/API (``filed_by`` ``agency`` or ``person``); institutions do not file these (they file 转院备案,
:mod:`yibao.registry.filings`). The insuring region is the person's enrolment's on the first day.
Two filings of one person whose care areas meet may not be valid on the same day. Renewing makes
a new filing from the day after the old one ends; withdrawing stamps the time, and the filing
counts for the days before. Nothing is deleted. Writes lock the person's row as a settlement does.

The known regions are the caller's to give (the catalogue's ``regions``): the registry does not
read another context's tables.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from yibao.kernel.errors import ConflictError, InvalidValue, NotFound
from yibao.kernel.fields import clean_text
from yibao.registry.filing_tables import remote_filings
from yibao.registry.filings import new_filing_id, person_locked
from yibao.registry.remote_model import (
    FilingType,
    RemoteFiling,
    area_covers,
    areas_meet,
    check_remote_filing,
)
from yibao.registry.service import ACTIVE
from yibao.registry.tables import enrolments

__all__ = [
    "FILED_BY",
    "file_remote",
    "remote_filing_for",
    "remote_filings_of",
    "renew_remote",
    "withdraw_remote",
]

FILED_BY = ("person", "agency")


def file_remote(
    connection: Connection, *, psn_no: str, mdtrtarea_admdvs: str, filing_type: str,
    begndate: date, enddate: date | None, filed_by: str, operator: str, now: datetime,
    regions: Collection[str], memo: str = "", renews: str | None = None,
) -> RemoteFiling:  # fmt: skip
    """File care outside the insuring region for an insured person; returns the new filing."""
    if filed_by not in FILED_BY:
        raise InvalidValue("filed_by", f"{filed_by!r} is neither of {', '.join(FILED_BY)}")
    operator = clean_text(operator, field="operator", limit=50)
    _lock(connection, psn_no)
    insuplc = _insuring_region(connection, psn_no, begndate)
    kind = check_remote_filing(filing_type=filing_type, insuplc_admdvs=insuplc,
                               mdtrtarea_admdvs=mdtrtarea_admdvs, begndate=begndate,
                               enddate=enddate)  # fmt: skip
    if not any(area_covers(mdtrtarea_admdvs, r) for r in regions):
        raise InvalidValue("mdtrtarea_admdvs", f"{mdtrtarea_admdvs} holds no region known here")
    for held in remote_filings_of(connection, psn_no):
        if held.filing_id != renews and _clash(held, mdtrtarea_admdvs, begndate, enddate):
            until = held.last_day or "open-ended"
            raise ConflictError(
                f"begndate: person {psn_no} already has filing {held.filing_id} "
                f"({held.filing_type.label}, {held.mdtrtarea_admdvs}) valid {held.begndate} to "
                f"{until}, which overlaps {begndate} to {enddate or 'open-ended'}"
            )
    filing_id = new_filing_id(connection, remote_filings.c.filing_id, "YDBA", now)
    filing = RemoteFiling(
        filing_id=filing_id, psn_no=psn_no, insuplc_admdvs=insuplc,
        mdtrtarea_admdvs=mdtrtarea_admdvs, filing_type=kind, begndate=begndate, enddate=enddate,
        filed_by=filed_by, operator=operator, filed_at=now, renews=renews,
        memo=clean_text(memo, field="memo", limit=500, required=False),
    )  # fmt: skip
    connection.execute(insert(remote_filings), [_row(filing)])
    return filing


def renew_remote(
    connection: Connection, *, filing_id: str, psn_no: str, enddate: date, filed_by: str,
    operator: str, now: datetime, regions: Collection[str],
) -> RemoteFiling:  # fmt: skip
    """A new filing continuing ``filing_id`` from the day after it ends until ``enddate``."""
    held = _held(connection, filing_id, psn_no)
    if held.enddate is None:
        raise ConflictError(
            f"filing_id: filing {filing_id} is open-ended; there is nothing to renew"
        )
    return file_remote(
        connection, psn_no=psn_no, mdtrtarea_admdvs=held.mdtrtarea_admdvs,
        filing_type=held.filing_type, begndate=held.enddate + timedelta(days=1), enddate=enddate,
        filed_by=filed_by, operator=operator, now=now, regions=regions,
        memo=f"renews {filing_id}", renews=filing_id,
    )  # fmt: skip


def withdraw_remote(
    connection: Connection, *, filing_id: str, psn_no: str, memo: str, now: datetime
) -> RemoteFiling:
    """Withdraw a filing from now on; returns it as it was before."""
    held = _held(connection, filing_id, psn_no)
    reason = clean_text(memo, field="memo", limit=500)
    connection.execute(
        update(remote_filings)
        .where(remote_filings.c.filing_id == filing_id, remote_filings.c.withdrawn_at.is_(None))
        .values(withdrawn_at=now, memo=reason)
    )
    return held


def remote_filings_of(connection: Connection, psn_no: str) -> list[RemoteFiling]:
    """Every filing of a person, withdrawn ones too, oldest first."""
    rows = connection.execute(
        select(remote_filings)
        .where(remote_filings.c.psn_no == psn_no)
        .order_by(remote_filings.c.begndate, remote_filings.c.filed_at)
    )
    return [_record(row) for row in rows]


def remote_filing_for(
    connection: Connection, *, psn_no: str, care_admdvs: str, begin: date, end: date
) -> RemoteFiling | None:
    """The filing a visit from ``begin`` to ``end`` in ``care_admdvs`` settles under.

    One in force on ``end`` (the settlement day) first — so a person admitted without a filing who
    files before discharge settles directly — else one in force on any earlier day of the visit.
    """
    found = [
        f for f in remote_filings_of(connection, psn_no)
        if area_covers(f.mdtrtarea_admdvs, care_admdvs)
        and f.begndate <= end and (f.last_day is None or f.last_day >= begin)
    ]  # fmt: skip
    on_end = [f for f in found if f.valid_on(end)]
    chosen = on_end or found
    return max(chosen, key=lambda f: f.filed_at) if chosen else None


def _clash(held: RemoteFiling, area: str, begndate: date, enddate: date | None) -> bool:
    last = held.last_day
    if last is not None and last < begndate:
        return False
    if enddate is not None and held.begndate > enddate:
        return False
    if last is not None and last < held.begndate:  # withdrawn before it began
        return False
    return areas_meet(held.mdtrtarea_admdvs, area)


def _held(connection: Connection, filing_id: str, psn_no: str) -> RemoteFiling:
    _lock(connection, psn_no)
    row = connection.execute(
        select(remote_filings).where(
            remote_filings.c.filing_id == filing_id, remote_filings.c.psn_no == psn_no
        )
    ).first()
    if row is None:
        raise NotFound(f"filing_id: no out-of-area filing {filing_id} of person {psn_no}")
    if row.withdrawn_at is not None:
        raise ConflictError(f"filing_id: filing {filing_id} was withdrawn at {row.withdrawn_at}")
    return _record(row)


def _insuring_region(connection: Connection, psn_no: str, day: date) -> str:
    e = enrolments.c
    found = connection.execute(
        select(e.insuplc_admdvs).where(
            e.psn_no == psn_no, e.status == ACTIVE, e.begndate <= day,
            or_(e.enddate.is_(None), e.enddate >= day),
        ).order_by(e.insutype)
    ).first()  # fmt: skip
    if found is None:
        raise ConflictError(f"begndate: person {psn_no} has no cover on {day}")
    return str(found.insuplc_admdvs)


def _row(f: RemoteFiling) -> dict[str, Any]:
    return {"filing_id": f.filing_id, "psn_no": f.psn_no, "insuplc_admdvs": f.insuplc_admdvs,
            "mdtrtarea_admdvs": f.mdtrtarea_admdvs, "filing_type": f.filing_type.value,
            "begndate": f.begndate, "enddate": f.enddate, "filed_by": f.filed_by,
            "operator": f.operator, "filed_at": f.filed_at, "renews": f.renews,
            "withdrawn_at": f.withdrawn_at, "memo": f.memo}  # fmt: skip


def _record(row: Any) -> RemoteFiling:
    m = row._mapping
    return RemoteFiling(**{**m, "filing_type": FilingType(m["filing_type"])})


def _lock(connection: Connection, psn_no: str) -> None:
    if not person_locked(connection, psn_no):
        raise NotFound(f"psn_no: no insured person {psn_no}")
