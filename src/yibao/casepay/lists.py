"""Settlement lists (医疗保障基金结算清单): uploaded after discharge (4101), voided or restored
(4102), read back with their group (4103).

A list describes one **final settlement of a stay** of the calling institution that is not
reversed; its ``setlinfo`` names that settlement (``setl_id``), its visit (``mdtrt_id``) and the
institution (``fixmedins_code``, the caller), and its ``diseinfo`` has exactly one main western
diagnosis. Anything else is refused naming the field, and nothing is stored. On upload the case it
describes (:func:`~yibao.casepay.list_case.case_of`) is grouped (CHS-DRG 1.1, :mod:`yibao.drg`)
and the group is stored with the list, with its trace; an ungroupable or invalid case is stored
too, its status and trace saying why, so the institution sees it in 4103 and uploads a corrected
list. Uploading again replaces the list and its group (``uploads`` counts them); a voided list
(``state`` 0) is restored by a new upload or by 4102 with ``stas_type`` 1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from yibao.casepay.list_case import case_of, main_diagnoses
from yibao.casepay.tables import settlement_lists
from yibao.drg.grouper import GROUPER, group
from yibao.drg.model import Case, Grouping
from yibao.kernel.errors import ConflictError, InvalidValue, NotFound
from yibao.settlement.tables import settlements, visits

__all__ = ["NODES", "STATES", "StoredList", "change_state", "get_list", "upload_list"]

#: the nodes of 4101 kept with the list
NODES = (
    "setlinfo",
    "payinfo",
    "opspdiseinfo",
    "diseinfo",
    "iteminfo",
    "oprninfo",
    "icuinfo",
    "bldinfo",
)
#: 4102's stas_type: 1 valid, 0 voided
STATES = {"1": "valid", "0": "voided"}


@dataclass(frozen=True, slots=True)
class StoredList:
    """A stored settlement list and its group."""

    setl_list_id: str
    setl_id: str
    state: str
    uploads: int
    grouping: Grouping


def upload_list(
    connection: Connection, *, caller: str, nodes: Mapping[str, Any], now: datetime
) -> StoredList:
    """Store (or replace) the list of a final settlement of a stay, grouped."""
    info = nodes.get("setlinfo")
    if not isinstance(info, Mapping):
        raise InvalidValue("input.setlinfo", "missing: the list's setlinfo node")
    setl_id = str(info.get("setl_id") or "")
    row = connection.execute(
        select(settlements.c.setl_id, settlements.c.mdtrt_id, settlements.c.psn_no, settlements.c.kind,
               settlements.c.reversed_by, visits.c.med_type)
        .join(visits, visits.c.mdtrt_id == settlements.c.mdtrt_id)
        .where(settlements.c.setl_id == setl_id, settlements.c.fixmedins_code == caller)
    ).first()  # fmt: skip
    if row is None:
        raise NotFound(f"input.setlinfo.setl_id: no settlement {setl_id} of {caller}")
    _check(info, row, caller)
    mains = main_diagnoses(nodes)
    if len(mains) != 1:
        raise InvalidValue(
            "input.diseinfo.maindiag_flag",
            f"a list has exactly one main western diagnosis (maindiag_flag 1, diag_type 1), not {len(mains)}",
        )
    list_id = "QD" + hashlib.sha256(setl_id.encode()).hexdigest()[:20].upper()
    case = case_of(list_id, nodes)
    grouping = group(case)
    values = {
        "state": "1", "changed_at": now, "content": {n: nodes[n] for n in NODES if n in nodes},
        "drg_case": _case_json(case), "grouper": GROUPER, "group_status": grouping.status.value,
        "mdc": grouping.mdc, "adrg": grouping.adrg, "drg": grouping.drg, "trace": list(grouping.trace),
        "grouped_at": now,
    }  # fmt: skip
    before = connection.execute(
        select(settlement_lists.c.uploads)
        .where(settlement_lists.c.setl_id == setl_id)
        .with_for_update()
    ).scalar_one_or_none()
    if before is None:
        connection.execute(insert(settlement_lists).values(
            setl_list_id=list_id, setl_id=setl_id, mdtrt_id=row.mdtrt_id, psn_no=row.psn_no,
            fixmedins_code=caller, uploads=1, uploaded_at=now, **values))  # fmt: skip
    else:
        connection.execute(update(settlement_lists).where(settlement_lists.c.setl_id == setl_id)
                           .values(uploads=before + 1, uploaded_at=now, **values))  # fmt: skip
    return StoredList(list_id, setl_id, "1", (before or 0) + 1, grouping)


def change_state(
    connection: Connection,
    *,
    caller: str,
    setl_id: str,
    psn_no: str | None,
    stas_type: str,
    now: datetime,
) -> None:
    """4102: void (``0``) or restore (``1``) the caller's list of ``setl_id``."""
    if stas_type not in STATES:
        raise InvalidValue(
            "input.data.stastinfo.stas_type", f"{stas_type!r} is not 1 (valid) or 0 (voided)"
        )
    row = _own(connection, caller, setl_id)
    if psn_no and psn_no != row.psn_no:
        raise InvalidValue(
            "input.data.stastinfo.psn_no", f"the list of {setl_id} is not of person {psn_no}"
        )
    if row.state == stas_type:
        raise ConflictError(
            f"input.data.stastinfo.stas_type: the list of {setl_id} is {STATES[stas_type]} already"
        )
    connection.execute(update(settlement_lists).where(settlement_lists.c.setl_id == setl_id)
                       .values(state=stas_type, changed_at=now))  # fmt: skip


def get_list(connection: Connection, *, caller: str, setl_id: str) -> dict[str, Any]:
    """4103: the caller's list of ``setl_id`` as stored, with its group."""
    return dict(_own(connection, caller, setl_id)._mapping)


def _own(connection: Connection, caller: str, setl_id: str) -> Any:
    row = connection.execute(
        select(settlement_lists).where(settlement_lists.c.setl_id == setl_id,
                                       settlement_lists.c.fixmedins_code == caller)
    ).first()  # fmt: skip
    if row is None:
        raise NotFound(f"input.data.setl_id: no settlement list of {setl_id}")
    return row


def _check(info: Mapping[str, Any], row: Any, caller: str) -> None:
    if str(info.get("fixmedins_code") or "") != caller:
        raise InvalidValue(
            "input.setlinfo.fixmedins_code",
            f"{info.get('fixmedins_code')!r} is not the caller {caller}",
        )
    if str(info.get("mdtrt_id") or "") != row.mdtrt_id:
        raise InvalidValue(
            "input.setlinfo.mdtrt_id", f"settlement {row.setl_id} is of visit {row.mdtrt_id}"
        )
    if not str(row.med_type).startswith("2"):
        raise InvalidValue(
            "input.setlinfo.setl_id", f"settlement {row.setl_id} is not of an inpatient stay"
        )
    if row.kind != "final":
        raise InvalidValue(
            "input.setlinfo.setl_id", f"settlement {row.setl_id} is a {row.kind}, not a final one"
        )
    if row.reversed_by is not None:
        raise InvalidValue(
            "input.setlinfo.setl_id", f"settlement {row.setl_id} was reversed by {row.reversed_by}"
        )


def _case_json(case: Case) -> dict[str, Any]:
    """The case as stored with the list (its id is the list's)."""
    found = asdict(case)
    del found["id"]
    return found
