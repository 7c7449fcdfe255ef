"""Filings: 门诊慢特病备案 (2503/2504), 人员定点备案 (2505/2506) and 转院备案 (2501/2502).

A chronic-disease filing unlocks the policy's 门诊慢特病 benefits for one disease between its
dates, at the institution it names (any, when it names none): settlement asks
:func:`chronic_filing_on`. A designated-institution filing names the institution a person must use
where the policy requires one; one is valid per person and ``insutype`` at a time, so a new one
replaces those it overlaps (cut off the day before it begins, or revoked if they had not begun).
A referral records a transfer to another institution.

* Dates are inclusive; no ``enddate`` is open-ended.
* Nothing is deleted: revoking stamps ``revoked_at`` and the memo, so what was valid on a past day
  can still be told. Only the filing institution may revoke; another institution's filing is
  answered exactly like a missing one.
* Filing and revoking lock the person's row as a settlement does (``SELECT … FOR UPDATE`` on
  PostgreSQL; SQLite serialises writers), so two concurrent filings cannot both pass the checks.
* Filing ids (the interface's ``trt_dcla_detl_sn``) have 30 characters: the infno that made them
  (4), the time ``yyyyMMddHHmmss`` (14), 12 digits of a random UUID, looked up before use (the
  primary key refuses two concurrent transactions drawing the same digits in the same second).

Errors name the interface field (``psn_no``, ``opsp_dise_code``, ``enddate`` …), not its node.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import fields
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Column, ColumnElement, Connection, Table, and_, insert, or_, select, update

from yibao.kernel.errors import ConflictError, InvalidValue, NotFound
from yibao.registry.filing_records import ChronicFiling, DesignatedFiling, ReferralFiling
from yibao.registry.filing_tables import chronic_filings, designated_filings, referral_filings
from yibao.registry.service import ACTIVE, uncovered_reason
from yibao.registry.tables import enrolments, persons

__all__ = [
    "ChronicFiling", "DesignatedFiling", "ReferralFiling", "chronic_filing_on", "chronic_filings_of",
    "designated_of", "designated_on", "file_chronic", "file_designated", "file_referral", "new_filing_id",
    "person_locked", "referrals_of",
    "revoke_chronic", "revoke_designated", "revoke_referral",
]  # fmt: skip

CODE_LENGTH = 12  # institution codes as the filing tables keep them


_Record = TypeVar("_Record", ChronicFiling, DesignatedFiling, ReferralFiling)


def file_chronic(
    connection: Connection, *, caller: str, psn_no: str, insutype: str, opsp_dise_code: str,
    opsp_dise_name: str, fixmedins_code: str | None, begndate: date, enddate: date | None,
    now: datetime, particulars: Mapping[str, str] | None = None,
) -> str:  # fmt: skip
    """File a chronic or special disease for an enrolled person; returns the filing id."""
    code = _text(opsp_dise_code, "opsp_dise_code", 30)
    name = _text(opsp_dise_name, "opsp_dise_name", 300)
    institution = _text(fixmedins_code, "fixmedins_code", CODE_LENGTH) if fixmedins_code else None
    _check_filing(connection, caller=caller, psn_no=psn_no, begndate=begndate, enddate=enddate)
    _enrolment(connection, psn_no=psn_no, insutype=insutype, day=begndate)
    table = chronic_filings
    clash = connection.execute(
        select(table.c.filing_id, table.c.begndate, table.c.enddate).where(
            table.c.psn_no == psn_no,
            table.c.opsp_dise_code == code,
            _overlapping(table, begndate, enddate),
        )
    ).first()
    if clash is not None:
        until = clash.enddate or "open-ended"
        raise ConflictError(
            f"opsp_dise_code: person {psn_no} already has filing {clash.filing_id} for {code}, "
            f"valid from {clash.begndate} to {until}"
        )
    filing_id = new_filing_id(connection, table.c.filing_id, "2503", now)
    connection.execute(insert(table), [{
        "filing_id": filing_id, "psn_no": psn_no, "insutype": insutype, "opsp_dise_code": code,
        "opsp_dise_name": name, "fixmedins_code": institution, "begndate": begndate,
        "enddate": enddate, "filed_by": caller, "filed_at": now, "revoked_at": None, "memo": "",
        "particulars": dict(particulars or {}),
    }])  # fmt: skip
    return filing_id


def revoke_chronic(
    connection: Connection, *, caller: str, filing_id: str, psn_no: str, memo: str, now: datetime
) -> ChronicFiling:
    """Revoke the caller's own chronic-disease filing; returns it as it was before."""
    return _revoke(connection, chronic_filings, ChronicFiling, "chronic-disease",
                   caller=caller, filing_id=filing_id, psn_no=psn_no, memo=memo, now=now)  # fmt: skip


def file_designated(
    connection: Connection, *, caller: str, psn_no: str, insutype: str | None,
    fixmedins_code: str, begndate: date, enddate: date | None, now: datetime,
    particulars: Mapping[str, str] | None = None,
) -> str:  # fmt: skip
    """File the designated institution of a person; replaces the filings it overlaps.

    ``insutype`` None: the person's only enrolment on ``begndate`` (refused when there are several).
    """
    institution = _text(fixmedins_code, "fixmedins_code", CODE_LENGTH)
    _check_filing(connection, caller=caller, psn_no=psn_no, begndate=begndate, enddate=enddate)
    insutype = _enrolment(connection, psn_no=psn_no, insutype=insutype, day=begndate)
    table = designated_filings
    filing_id = new_filing_id(connection, table.c.filing_id, "2505", now)
    replaced = (
        update(table)
        .where(
            table.c.psn_no == psn_no,
            table.c.insutype == insutype,
            _overlapping(table, begndate, enddate),
        )
        .values(memo=f"replaced by {filing_id}")
    )
    # begun earlier: cut off the day before; not begun yet: revoked
    connection.execute(
        replaced.where(table.c.begndate < begndate).values(enddate=begndate - timedelta(days=1))
    )
    connection.execute(replaced.where(table.c.begndate >= begndate).values(revoked_at=now))
    connection.execute(insert(table), [{
        "filing_id": filing_id, "psn_no": psn_no, "insutype": insutype, "fixmedins_code": institution,
        "begndate": begndate, "enddate": enddate, "filed_by": caller, "filed_at": now,
        "revoked_at": None, "memo": "", "particulars": dict(particulars or {}),
    }])  # fmt: skip
    return filing_id


def revoke_designated(
    connection: Connection, *, caller: str, filing_id: str, psn_no: str, memo: str, now: datetime
) -> DesignatedFiling:
    """Revoke the caller's own designated-institution filing; returns it as it was before."""
    return _revoke(connection, designated_filings, DesignatedFiling, "designated-institution",
                   caller=caller, filing_id=filing_id, psn_no=psn_no, memo=memo, now=now)  # fmt: skip


def file_referral(
    connection: Connection, *, caller: str, psn_no: str, insutype: str | None, diag_code: str,
    diag_name: str, reflin_medins_no: str, reflin_medins_name: str, mdtrtarea_admdvs: str,
    refl_type: str, refl_date: date, refl_rea: str, refl_opnn: str, begndate: date | None,
    enddate: date | None, now: datetime, particulars: Mapping[str, str] | None = None,
) -> str:  # fmt: skip
    """File a transfer (2501 ``refmedin``); returns ``trt_dcla_detl_sn``. No ``begndate``: ``refl_date``."""
    start = refl_date if begndate is None else begndate
    _check_filing(connection, caller=caller, psn_no=psn_no, begndate=start, enddate=enddate)
    if insutype is not None or not _insutypes_on(connection, psn_no, start):
        _enrolment(connection, psn_no=psn_no, insutype=insutype, day=start)
    target = _text(reflin_medins_no, "reflin_medins_no", CODE_LENGTH)
    if target == caller:
        raise InvalidValue("reflin_medins_no", f"{target} is the referring institution itself")
    table = referral_filings
    sn = new_filing_id(connection, table.c.trt_dcla_detl_sn, "2501", now)
    connection.execute(insert(table), [{
        "trt_dcla_detl_sn": sn, "psn_no": psn_no, "insutype": insutype, "diag_code": diag_code,
        "diag_name": diag_name, "from_fixmedins_code": caller, "reflin_medins_no": target,
        "reflin_medins_name": reflin_medins_name, "mdtrtarea_admdvs": mdtrtarea_admdvs,
        "refl_type": refl_type, "refl_date": refl_date, "refl_rea": refl_rea, "refl_opnn": refl_opnn,
        "begndate": start, "enddate": enddate, "filed_at": now, "revoked_at": None, "memo": "",
        "particulars": dict(particulars or {}),
    }])  # fmt: skip
    return sn


def revoke_referral(
    connection: Connection, *, caller: str, trt_dcla_detl_sn: str, psn_no: str, memo: str,
    now: datetime,
) -> ReferralFiling:  # fmt: skip
    """Revoke the caller's own referral (2502); returns it as it was before."""
    return _revoke(connection, referral_filings, ReferralFiling, "referral",
                   caller=caller, filing_id=trt_dcla_detl_sn, psn_no=psn_no, memo=memo, now=now)  # fmt: skip


def chronic_filings_of(
    connection: Connection, *, psn_no: str, day: date | None = None
) -> tuple[ChronicFiling, ...]:
    """The person's chronic-disease filings: valid on ``day``, or all of them (revoked too)."""
    return _filings(connection, chronic_filings, ChronicFiling, psn_no, day)


def chronic_filing_on(
    connection: Connection, *, psn_no: str, opsp_dise_code: str | None = None, day: date,
    fixmedins_code: str, insutype: str | None = None,
) -> ChronicFiling | None:  # fmt: skip
    """The filing that unlocks chronic-disease benefits at ``fixmedins_code`` on ``day``, if any:
    valid and unrevoked on ``day``, and naming that institution or none. With no ``opsp_dise_code``,
    any disease (the earliest-beginning filing, then by disease code).
    """
    table = chronic_filings
    query = select(table).where(
        table.c.psn_no == psn_no,
        _overlapping(table, day, day),
        or_(table.c.fixmedins_code.is_(None), table.c.fixmedins_code == fixmedins_code),
    )
    if opsp_dise_code is not None:
        query = query.where(table.c.opsp_dise_code == opsp_dise_code)
    if insutype is not None:
        query = query.where(table.c.insutype == insutype)
    order = (table.c.begndate, table.c.opsp_dise_code, table.c.filing_id)
    row = connection.execute(query.order_by(*order).limit(1)).first()
    return None if row is None else _record(ChronicFiling, row)


def designated_of(
    connection: Connection, *, psn_no: str, day: date | None = None
) -> tuple[DesignatedFiling, ...]:
    """The person's designated-institution filings: valid on ``day``, or all (revoked too)."""
    return _filings(connection, designated_filings, DesignatedFiling, psn_no, day)


def designated_on(
    connection: Connection, *, psn_no: str, insutype: str, day: date
) -> DesignatedFiling | None:
    """The person's designation under ``insutype`` valid on ``day`` (one at most: a new one
    replaces those it overlaps)."""
    table = designated_filings
    row = connection.execute(
        select(table)
        .where(
            table.c.psn_no == psn_no, table.c.insutype == insutype, _overlapping(table, day, day)
        )
        .order_by(table.c.begndate.desc())
        .limit(1)
    ).first()
    return None if row is None else _record(DesignatedFiling, row)


def referrals_of(
    connection: Connection, *, psn_no: str, day: date | None = None
) -> tuple[ReferralFiling, ...]:
    """The person's referrals: valid on ``day``, or all of them (revoked too)."""
    return _filings(connection, referral_filings, ReferralFiling, psn_no, day)


def _filings(
    connection: Connection, table: Table, kind: type[_Record], psn_no: str, day: date | None
) -> tuple[_Record, ...]:
    key, _ = _key_and_owner(table)
    query = select(table).where(table.c.psn_no == psn_no)
    if day is not None:
        query = query.where(_overlapping(table, day, day))
    rows = connection.execute(query.order_by(table.c.begndate, key))
    return tuple(_record(kind, row) for row in rows)


def _revoke(
    connection: Connection, table: Table, kind: type[_Record], what: str, *, caller: str,
    filing_id: str, psn_no: str, memo: str, now: datetime,
) -> _Record:  # fmt: skip
    key, owner = _key_and_owner(table)
    row = None
    if person_locked(connection, psn_no):
        row = connection.execute(
            select(table).where(key == filing_id, table.c.psn_no == psn_no, owner == caller)
        ).first()
    if row is None:  # missing, another person's or another institution's: one answer
        raise NotFound(
            f"trt_dcla_detl_sn: no {what} filing {filing_id} of person {psn_no} by this institution"
        )
    if row.revoked_at is not None:
        raise ConflictError(f"trt_dcla_detl_sn: filing {filing_id} was revoked at {row.revoked_at}")
    connection.execute(
        update(table)
        .where(key == filing_id, table.c.revoked_at.is_(None))
        .values(revoked_at=now, memo=memo)
    )
    return _record(kind, row)


def _key_and_owner(table: Table) -> tuple[Column[Any], Column[Any]]:
    if table is referral_filings:
        return table.c.trt_dcla_detl_sn, table.c.from_fixmedins_code
    return table.c.filing_id, table.c.filed_by


def _check_filing(
    connection: Connection, *, caller: str, psn_no: str, begndate: date, enddate: date | None
) -> None:
    """The caller's code fits the tables, the dates are in order, and the person exists (locked)."""
    _text(caller, "fixmedins_code", CODE_LENGTH)
    if enddate is not None and enddate < begndate:
        raise InvalidValue("enddate", f"{enddate} is before begndate {begndate}")
    if not person_locked(connection, psn_no):
        raise NotFound(f"psn_no: no insured person {psn_no}")


def person_locked(connection: Connection, psn_no: str) -> bool:
    """Hold the person's row to the transaction's end, as a settlement does; False: no such person."""
    query = select(persons.c.psn_no).where(persons.c.psn_no == psn_no)
    if connection.dialect.name != "sqlite":
        query = query.with_for_update()
    return connection.execute(query).first() is not None


def _insutypes_on(connection: Connection, psn_no: str, day: date) -> list[str]:
    e = enrolments.c
    query = select(e.insutype).where(
        e.psn_no == psn_no, e.status == ACTIVE, e.begndate <= day,
        or_(e.enddate.is_(None), e.enddate >= day),
    )  # fmt: skip
    return sorted({row.insutype for row in connection.execute(query)})


def _enrolment(connection: Connection, *, psn_no: str, insutype: str | None, day: date) -> str:
    """``insutype`` if it covers the person on ``day`` (active enrolments); None: their only one."""
    insured = _insutypes_on(connection, psn_no, day)
    if insutype is not None and insutype not in insured:
        why = uncovered_reason(connection, psn_no=psn_no, insutype=insutype, day=day)
        raise ConflictError(f"insutype: no cover on {day}: {why}")
    if not insured:
        raise ConflictError(f"insutype: person {psn_no} has no cover on {day}")
    if insutype is None and len(insured) > 1:
        several = f"missing: person {psn_no} is insured under {' and '.join(insured)} on {day}"
        raise InvalidValue("insutype", several)
    return insutype or insured[0]


def _text(value: str, field: str, length: int) -> str:
    """A code or name as the tables keep it: not blank, at most ``length`` characters."""
    text = value.strip()
    if not text:
        raise InvalidValue(field, "empty")
    if len(text) > length:
        raise InvalidValue(field, f"longer than {length} characters")
    return text


def new_filing_id(connection: Connection, column: Column[Any], prefix: str, now: datetime) -> str:
    """``prefix`` (4) + ``yyyyMMddHHmmss`` (14) + 12 digits from a random UUID, unused so far."""
    while True:
        candidate = f"{prefix}{now:%Y%m%d%H%M%S}{uuid.uuid4().int % 10**12:012d}"
        if connection.execute(select(column).where(column == candidate)).first() is None:
            return candidate


def _overlapping(table: Table, begndate: date, enddate: date | None) -> ColumnElement[bool]:
    """Unrevoked filings valid on at least one day of ``begndate``–``enddate`` (None: open)."""
    clauses = [
        table.c.revoked_at.is_(None),
        or_(table.c.enddate.is_(None), table.c.enddate >= begndate),
    ]
    if enddate is not None:
        clauses.append(table.c.begndate <= enddate)
    return and_(*clauses)


def _record(kind: type[_Record], row: Any) -> _Record:
    return kind(**{f.name: row._mapping[f.name] for f in fields(kind)})
