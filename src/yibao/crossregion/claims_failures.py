"""Settlement-failure records (结算失败记录, ADR 0015): issued by the institution, quoted in a claim.

An institution that cannot settle a visit of a person insured elsewhere directly (the network is
down, it is not enabled for cross-region settlement, the person has no filing) issues a record;
the person quotes its number when claiming at home. Records are never changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from yibao.catalog.repository import load_institutions
from yibao.crossregion.claim_tables import settlement_failures
from yibao.crossregion.claims_input import FailureRecord, parse_failure
from yibao.crossregion.claims_model import text
from yibao.crossregion.claims_store import insert_failure, load_failure, new_number
from yibao.kernel.errors import InvalidValue, NotFound
from yibao.settlement.remote import EMERGENCY_MED_TYPES

__all__ = ["get_failure", "issue_failure"]


def issue_failure(
    connection: Connection, *, data: object, issued_by: str, now: datetime
) -> FailureRecord:
    """The institution issues a settlement-failure record for a visit it could not settle directly.

    The institution must be in this deployment's catalogue (its name, level and region are taken
    from it); the reason must fit it (``not_enabled`` only for an institution not enabled for
    cross-region settlement, ``network`` and ``no_filing`` only for one that is); emergency care
    needs no filing (第8条), so ``no_filing`` is refused for it.
    """
    draft = parse_failure(data)
    actor = text(issued_by, field="issued_by", limit=60)
    found = load_institutions(connection).get(draft.fixmedins_code)
    if found is None:
        raise NotFound(f"fixmedins_code: no institution {draft.fixmedins_code} in this deployment")
    if draft.insuplc_admdvs == found.admdvs:
        raise InvalidValue("insuplc_admdvs", f"{found.admdvs} is the institution's own region: "
                           "local care settles directly, it needs no failure record")  # fmt: skip
    if (draft.reason == "not_enabled") == found.remote_enabled:
        enabled = "is" if found.remote_enabled else "is not"
        raise InvalidValue("reason", f"{draft.reason}: {found.fixmedins_code} {enabled} enabled for "
                           "cross-region direct settlement (异地联网)")  # fmt: skip
    if draft.reason == "no_filing" and draft.med_type in EMERGENCY_MED_TYPES:
        raise InvalidValue("reason", f"no_filing: emergency care ({draft.med_type}) counts as filed "
                           "(医保发〔2022〕22号 第8条)")  # fmt: skip
    if draft.enddate < draft.begndate:
        raise InvalidValue("enddate", f"{draft.enddate} is before begndate {draft.begndate}")
    if draft.enddate > now.date():
        raise InvalidValue("enddate", f"{draft.enddate} is in the future")
    record = FailureRecord(
        failure_no=new_number(connection, "JSSB", now, settlement_failures.c.failure_no),
        reason=draft.reason, fixmedins_code=found.fixmedins_code, fixmedins_name=found.fixmedins_name,
        hosp_lv=found.hosp_lv.value, care_admdvs=found.admdvs, psn_no=draft.psn_no,
        psn_name=draft.psn_name, certno=draft.certno, insuplc_admdvs=draft.insuplc_admdvs,
        mdtrt_id=draft.mdtrt_id, med_type=draft.med_type, begndate=draft.begndate,
        enddate=draft.enddate, medfee_sumamt=draft.medfee_sumamt, detail=draft.detail,
        issued_by=actor, issued_at=now,
    )  # fmt: skip
    insert_failure(connection, record)
    return record


def get_failure(connection: Connection, failure_no: str) -> FailureRecord:
    """A settlement-failure record by its number."""
    return load_failure(connection, failure_no)
