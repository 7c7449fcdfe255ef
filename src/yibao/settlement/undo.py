"""Undoing what a visit's calls did: cancel a visit, delete unsettled lines, 2601 reversals.

Every function touches only the caller's own visits and refuses, naming the field, anything a
settlement in force depends on (reverse the settlement first).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select, update

from yibao.kernel.errors import ConflictError
from yibao.settlement import repository as repo
from yibao.settlement.model import Settlement
from yibao.settlement.tables import fee_lines, settlements, visits
from yibao.settlement.visits import reverse_settlement

__all__ = [
    "cancel_registration",
    "cancel_visit",
    "delete_lines",
    "delete_uploaded",
    "reverse_by_message",
]


def delete_lines(
    connection: Connection,
    *,
    caller: str,
    mdtrt_id: str,
    feedetl_sn: str | None = None,
    chrg_bchno: str | None = None,
) -> int:
    """Delete unsettled lines: one by number, one batch, or all with ``"0000"``; returns how many."""
    row = repo.get_visit(connection, caller=caller, mdtrt_id=mdtrt_id)
    if repo.latest_settlement(connection, row.mdtrt_id) is not None:
        raise ConflictError(
            f"mdtrt_id: visit {mdtrt_id} has a settlement in force; reverse it first"
        )
    query = update(fee_lines).where(
        fee_lines.c.mdtrt_id == mdtrt_id, fee_lines.c.status == "active"
    )
    if feedetl_sn not in (None, "0000"):
        query = query.where(fee_lines.c.feedetl_sn == feedetl_sn)
    if chrg_bchno not in (None, "0000"):
        query = query.where(fee_lines.c.chrg_bchno == chrg_bchno)
    return int(connection.execute(query.values(status="deleted")).rowcount)


def cancel_visit(connection: Connection, *, caller: str, mdtrt_id: str) -> None:
    """2202/2404: a visit with no lines and no settlement is cancelled."""
    row = repo.get_visit(connection, caller=caller, mdtrt_id=mdtrt_id)
    if row.status == "cancelled":
        raise ConflictError(f"mdtrt_id: visit {mdtrt_id} is already cancelled")
    if repo.active_lines(connection, mdtrt_id) or repo.latest_settlement(connection, mdtrt_id):
        raise ConflictError(
            f"mdtrt_id: visit {mdtrt_id} has lines or a settlement; undo them first"
        )
    connection.execute(
        update(visits).where(visits.c.mdtrt_id == mdtrt_id).values(status="cancelled")
    )


def reverse_by_message(
    connection: Connection, *, caller: str, msgid: str, new_msgid: str, now: datetime
) -> Settlement:
    """2601 of a settlement: reverse the settlement that message ``msgid`` made."""
    row = connection.execute(
        select(settlements.c.setl_id, settlements.c.mdtrt_id, settlements.c.psn_no).where(
            settlements.c.fixmedins_code == caller, settlements.c.msgid == msgid
        )
    ).first()
    if row is None:
        raise ConflictError(f"input.data.omsgid: message {msgid} made no settlement")
    return reverse_settlement(connection, caller=caller, mdtrt_id=row.mdtrt_id, setl_id=row.setl_id,
                              psn_no=row.psn_no, msgid=new_msgid, now=now)  # fmt: skip


def cancel_registration(connection: Connection, *, caller: str, msgid: str) -> None:
    """2601 of a registration (2201/2401): cancel the visit that message ``msgid`` opened."""
    mdtrt_id = connection.execute(
        select(visits.c.mdtrt_id).where(
            visits.c.fixmedins_code == caller, visits.c.created_msgid == msgid
        )
    ).scalar_one_or_none()
    if mdtrt_id is None:
        raise ConflictError(f"input.data.omsgid: message {msgid} opened no visit")
    cancel_visit(connection, caller=caller, mdtrt_id=mdtrt_id)


def delete_uploaded(
    connection: Connection, *, caller: str, mdtrt_id: str, feedetl_sns: Sequence[str]
) -> None:
    """2601 of an upload (2204/2301): delete the lines that message uploaded, if still unsettled."""
    for feedetl_sn in feedetl_sns:
        delete_lines(connection, caller=caller, mdtrt_id=mdtrt_id, feedetl_sn=feedetl_sn)
