"""Special identities (人员身份: 低保, 特困, 返贫致贫监测, 重度残疾 …) with their periods.

An identity decides medical aid (医疗救助): settlement reads the identities whose period contains
the visit day, and the policy's ``medical_aid.identities`` gives the terms of each. The civil
affairs bureau (民政) or the disabled persons' federation (残联) decides them; the agency records
each period with the reference of that decision.

* The type must be a code of ``psn_idet_type``. 重度残疾人 (06) may carry its 残疾等级 in
  ``psn_type_lv`` ("1" or "2": 重度 means grades one and two); other identities have no level.
* Periods are inclusive; an open period has no ``endtime``. Two periods of one type may not
  overlap, so the person's history of an identity reads as one line.
* Ending a period (:func:`end_identity`) sets the ``endtime`` of the open one; nothing is deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, or_, select, update

from yibao.kernel.codes import PsnIdetType
from yibao.kernel.errors import ConflictError, InvalidValue, NotFound
from yibao.registry.model import Identity
from yibao.registry.tables import person_identities, persons

__all__ = ["end_identity", "grant_identity", "identities_of"]

_LEVELS = {PsnIdetType.SEVERE_DISABILITY: ("1", "2")}


def grant_identity(
    connection: Connection,
    *,
    psn_no: str,
    psn_idet_type: str,
    begntime: datetime,
    endtime: datetime | None = None,
    psn_type_lv: str | None = None,
    ref: str = "",
) -> Identity:
    """Record a period of a special identity; refused if it overlaps one of the same type."""
    kind = _kind(psn_idet_type)
    levels = _LEVELS.get(kind, ())
    if psn_type_lv and psn_type_lv not in levels:
        allowed = f"one of {', '.join(levels)}" if levels else "none"
        raise InvalidValue("psn_type_lv", f"{psn_type_lv!r}: {kind.label} takes {allowed}")
    if endtime is not None and endtime < begntime:
        raise InvalidValue("endtime", f"{endtime} is before begntime {begntime}")
    _person(connection, psn_no)
    table = person_identities
    clash = connection.execute(
        select(table.c.begntime, table.c.endtime).where(
            table.c.psn_no == psn_no,
            table.c.psn_idet_type == kind.value,
            or_(table.c.endtime.is_(None), table.c.endtime >= begntime),
            *([] if endtime is None else [table.c.begntime <= endtime]),
        )
    ).first()
    if clash is not None:
        raise ConflictError(
            f"begntime: {psn_no} is already {kind.label} from {clash.begntime} to "
            f"{clash.endtime or 'open-ended'}"
        )
    connection.execute(table.insert(), [{
        "psn_no": psn_no, "psn_idet_type": kind.value, "psn_type_lv": psn_type_lv or None,
        "begntime": begntime, "endtime": endtime, "ref": ref.strip() or None,
    }])  # fmt: skip
    return Identity(psn_no, kind.value, begntime, endtime, psn_type_lv or None)


def end_identity(
    connection: Connection, *, psn_no: str, psn_idet_type: str, endtime: datetime
) -> Identity:
    """End the person's open period of an identity at ``endtime`` (inclusive)."""
    kind = _kind(psn_idet_type)
    _person(connection, psn_no)
    table = person_identities
    row = connection.execute(
        select(table).where(
            table.c.psn_no == psn_no,
            table.c.psn_idet_type == kind.value,
            table.c.endtime.is_(None),
        )
    ).first()
    if row is None:
        raise NotFound(f"psn_idet_type: {psn_no} has no open period as {kind.label}")
    if endtime < row.begntime:
        raise InvalidValue("endtime", f"{endtime} is before the period's begntime {row.begntime}")
    connection.execute(update(table).where(table.c.id == row.id).values(endtime=endtime))
    return Identity(psn_no, kind.value, row.begntime, endtime, row.psn_type_lv)


def identities_of(connection: Connection, *, psn_no: str) -> tuple[Identity, ...]:
    """Every period of every identity of the person, by type and start."""
    _person(connection, psn_no)
    table = person_identities
    rows = connection.execute(
        select(table)
        .where(table.c.psn_no == psn_no)
        .order_by(table.c.psn_idet_type, table.c.begntime)
    )
    return tuple(
        Identity(r.psn_no, r.psn_idet_type, r.begntime, r.endtime, r.psn_type_lv) for r in rows
    )


def _kind(code: str) -> PsnIdetType:
    try:
        return PsnIdetType(code)
    except ValueError:
        known = ", ".join(f"{k.value} {k.label}" for k in PsnIdetType)
        raise InvalidValue("psn_idet_type", f"{code!r} is not a code ({known})") from None


def _person(connection: Connection, psn_no: str) -> None:
    found = connection.execute(select(persons.c.psn_no).where(persons.c.psn_no == psn_no)).first()
    if found is None:
        raise NotFound(f"psn_no: no insured person {psn_no}")
