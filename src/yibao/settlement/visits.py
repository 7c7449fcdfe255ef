"""Visit use cases on the store, as the gateway's transactions call them, one unit of work each.

Register (2201/2401), record diagnoses (2203), discharge (2402), upload and delete lines
(2204/2301, 2205/2302), pre-settle and settle (2206/2303, 2207/2304), reverse (2208/2305),
cancel (2202/2404). Each takes the caller's institution and touches only its own visits; the
engine, the split and the visit rules are the same pure code the replay uses.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from threading import Lock

from sqlalchemy import Connection, delete, insert, select, update

from yibao.audit.model import Moment
from yibao.audit.realtime import RealtimeAuditor
from yibao.audit.review import record_findings
from yibao.catalog.model import CatalogEntry, Institution, RegionCatalog
from yibao.catalog.repository import load_catalog, load_institutions
from yibao.catalog.tables import regions
from yibao.kernel.errors import CatalogError, ConflictError, SettlementRefused
from yibao.kernel.money import ZERO
from yibao.policy.model import Policy, PolicyBook
from yibao.policy.repository import load_policy_book
from yibao.registry.families import mutual_aid_sources
from yibao.registry.filings import chronic_filing_on, designated_on
from yibao.registry.service import find_person, uncovered_reason
from yibao.settlement import repository as repo
from yibao.settlement.audit_view import audit_visit, visit_record
from yibao.settlement.engine import reverse, settle
from yibao.settlement.model import FeeLine, LineSplit, Person, Settlement, SettlementKind, Visit
from yibao.settlement.remote import remote_filing_type
from yibao.settlement.rules import (
    accept_lines,
    check_can_settle,
    check_sent_amount,
    identities_on,
    settlement_day,
)
from yibao.settlement.split import split_lines
from yibao.settlement.tables import diagnoses as diagnosis_table
from yibao.settlement.tables import operations, visits

__all__ = [
    "Diagnosis",
    "Reference",
    "SettleRequest",
    "discharge",
    "load_reference",
    "record_visit_info",
    "register_visit",
    "reverse_settlement",
    "settle_visit",
    "upload_lines",
]


@dataclass
class Reference:
    """Policies, catalogues and institutions, loaded once per process; catalogue views by day."""

    policies: PolicyBook
    catalogs: Mapping[str, RegionCatalog]
    institutions: Mapping[str, Institution]
    #: the realtime audit inside settlement (None: settle without auditing)
    auditor: RealtimeAuditor | None = None
    _views: dict[tuple[str, date], Mapping[str, CatalogEntry]] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock)

    def view(self, admdvs: str, day: date) -> Mapping[str, CatalogEntry]:
        key = (admdvs, day)
        with self._lock:
            found = self._views.get(key)
            if found is None:
                catalog = self.catalogs.get(admdvs)
                if catalog is None:
                    raise CatalogError(f"mdtrtarea_admvs: no catalogue for region {admdvs}")
                found = self._views[key] = catalog.at(day)
            return found

    def institution(self, code: str) -> Institution:
        try:
            return self.institutions[code]
        except KeyError:
            raise CatalogError(f"fixmedins_code: institution {code} is not known") from None


def load_reference(connection: Connection, auditor: RealtimeAuditor | None = None) -> Reference:
    """Policies, every region's catalogue and the institutions, as stored; the auditor given."""
    codes = connection.execute(select(regions.c.admdvs)).scalars().all()
    return Reference(
        policies=load_policy_book(connection),
        catalogs={code: load_catalog(connection, code) for code in codes},
        institutions=dict(load_institutions(connection)),
        auditor=auditor,
    )


@dataclass(frozen=True, slots=True)
class SettleRequest:
    """What 2206/2207/2303/2304 send, already checked against the field rules."""

    mdtrt_id: str
    psn_no: str
    insutype: str
    acct_used: bool
    mid_stay: bool
    medfee_sumamt: Decimal | None
    mdtrt_cert_type: str
    infno: str


def register_visit(
    connection: Connection,
    *,
    caller: str,
    psn_no: str,
    insutype: str,
    med_type: str,
    begntime: datetime,
    mdtrtarea_admvs: str,
    msgid: str,
    ipt_no: str | None = None,
    insuplc_admdvs: str | None = None,
) -> str:
    """A new visit of an enrolled person; returns its ``mdtrt_id``.

    ``insuplc_admdvs`` (the envelope's, when sent) must be the person's insuring region.
    """
    found = find_person(connection, psn_no=psn_no, day=begntime.date())
    enrolment = next((e for e in found.enrolments if e.insutype == insutype), None)
    if enrolment is None:
        day = begntime.date()
        why = uncovered_reason(connection, psn_no=psn_no, insutype=insutype, day=day)
        raise SettlementRefused(f"insutype: no cover on {day}: {why}")
    if insuplc_admdvs and insuplc_admdvs != enrolment.insuplc_admdvs:
        raise SettlementRefused(
            f"insuplc_admdvs: {insuplc_admdvs} is not the insuring region of person {psn_no} "
            f"({enrolment.insuplc_admdvs})"
        )
    mdtrt_id = f"{caller[-12:]}{begntime:%y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"
    connection.execute(insert(visits), [{
        "mdtrt_id": mdtrt_id, "fixmedins_code": caller, "psn_no": psn_no, "insutype": insutype,
        "med_type": med_type, "begntime": begntime, "endtime": None, "mdtrtarea_admvs": mdtrtarea_admvs,
        "insuplc_admdvs": enrolment.insuplc_admdvs, "ipt_no": ipt_no, "status": "open", "created_msgid": msgid,
    }])  # fmt: skip
    return mdtrt_id


def upload_lines(
    connection: Connection,
    ref: Reference,
    *,
    caller: str,
    mdtrt_id: str,
    lines: Sequence[FeeLine],
    chrg_bchno: str,
    where: str,
) -> tuple[LineSplit, ...]:
    """New fee lines for an open visit; returns each line's split as 2204/2301 answer it."""
    row = repo.get_open_visit(connection, caller=caller, mdtrt_id=mdtrt_id)
    repo.lock_person(connection, row.psn_no)
    accept_lines(repo.active_lines(connection, mdtrt_id), lines, repo.latest_settlement(connection, mdtrt_id),
                 where=where)  # fmt: skip
    institution = ref.institution(caller)
    view = ref.view(row.mdtrtarea_admvs, (row.endtime or row.begntime).date())
    splits = split_lines(tuple(lines), view, institution.tier)
    repo.insert_lines(
        connection, mdtrt_id=mdtrt_id, lines=lines, splits=splits, chrg_bchno=chrg_bchno
    )
    return splits


def settle_visit(
    connection: Connection,
    ref: Reference,
    *,
    caller: str,
    request: SettleRequest,
    commit: bool,
    msgid: str,
    now: datetime,
) -> Settlement:
    """Pre-settle (``commit`` False: nothing is kept) or settle a visit, by the person's lock."""
    row = repo.get_open_visit(connection, caller=caller, mdtrt_id=request.mdtrt_id)
    if row.psn_no != request.psn_no:
        raise SettlementRefused(
            f"psn_no: {request.psn_no} is not the person of visit {row.mdtrt_id}"
        )
    repo.lock_person(connection, row.psn_no)
    latest = repo.latest_settlement(connection, row.mdtrt_id)
    visit, balance = _visit(connection, ref, row, request)
    check_can_settle(visit, latest, where=request.infno)
    day = settlement_day(visit, now, latest, where=request.infno)
    policy = ref.policies.in_force(row.insuplc_admdvs, day)
    _check_filings(connection, policy, row, day)
    filing = remote_filing_type(
        connection, institution=visit.institution, psn_no=row.psn_no, med_type=row.med_type,
        care_admdvs=row.mdtrtarea_admvs, insuplc_admdvs=row.insuplc_admdvs,
        begin=row.begntime.date(), day=day,
    )  # fmt: skip
    visit = replace(visit, filing_type=None if filing is None else filing.value)
    check_sent_amount(
        request.medfee_sumamt, visit, latest, field=f"{request.infno}.data.medfee_sumamt"
    )
    family = (
        mutual_aid_sources(connection, member_psn_no=row.psn_no, day=day)
        if request.acct_used
        else ()
    )
    state = replace(
        repo.year_state(
            connection, psn_no=row.psn_no, insutype=row.insutype, year=day.year, balance=balance
        ),
        family_balance=sum((f.balance for f in family), ZERO),
    )
    number = repo.count_settlements(connection, row.mdtrt_id) + 1
    catalog = ref.view(row.mdtrtarea_admvs, day)
    findings = () if ref.auditor is None else audit_visit(
        connection, ref.auditor, visit_record(connection, visit, catalog),
        institutions=ref.institutions, day=day,
    )  # fmt: skip
    result = settle(
        visit, policy=policy, catalog=catalog, state=state,
        setl_id=f"{row.mdtrt_id[-27:]}S{number:02d}", setl_time=now, prior=latest, findings=findings,
    )  # fmt: skip
    if commit:
        repo.store_settlement(connection, result, msgid=msgid, year=day.year, family=family)
        if findings:  # kept, and the suspicious ones queued for review (ADR 0013, 0014)
            record_findings(connection, findings, moment=Moment.DURING, reference=result.setl_id,
                            now=now, period=f"{day:%Y-%m}")  # fmt: skip
        status = "mid_settled" if request.mid_stay else "settled"
        connection.execute(
            update(visits).where(visits.c.mdtrt_id == row.mdtrt_id).values(status=status)
        )
    return result


def reverse_settlement(
    connection: Connection,
    *,
    caller: str,
    mdtrt_id: str,
    setl_id: str,
    psn_no: str,
    msgid: str,
    now: datetime,
) -> Settlement:
    """Reverse the visit's settlement in force, which must be the one named."""
    row = repo.get_open_visit(connection, caller=caller, mdtrt_id=mdtrt_id)
    if row.psn_no != psn_no:
        raise SettlementRefused(f"psn_no: {psn_no} is not the person of visit {mdtrt_id}")
    repo.lock_person(connection, row.psn_no)
    latest = repo.latest_settlement(connection, mdtrt_id)
    if latest is None or latest.setl_id != setl_id:
        in_force = "none" if latest is None else latest.setl_id
        raise ConflictError(
            f"setl_id: {setl_id} is not the visit's settlement in force ({in_force})"
        )
    balance = repo.year_state(
        connection, psn_no=row.psn_no, insutype=row.insutype, year=now.year
    ).balance
    number = repo.count_settlements(connection, mdtrt_id) + 1
    result = reverse(
        latest, setl_id=f"{mdtrt_id[-27:]}R{number:02d}", setl_time=now, balance=balance
    )
    repo.store_settlement(connection, result, msgid=msgid, year=latest.setl_time.year)
    still = repo.latest_settlement(connection, mdtrt_id)
    status = "open" if still is None else "mid_settled"
    connection.execute(update(visits).where(visits.c.mdtrt_id == mdtrt_id).values(status=status))
    return result


def record_visit_info(
    connection: Connection,
    *,
    caller: str,
    mdtrt_id: str,
    med_type: str | None,
    diagnoses: Sequence[Diagnosis],
    operation: tuple[str, str] | None = None,
) -> None:
    """2203/2401/2402/2403: care type, diagnoses and main operation (each replacing the earlier)."""
    row = repo.get_open_visit(connection, caller=caller, mdtrt_id=mdtrt_id)
    if med_type is not None and med_type != row.med_type:
        if repo.latest_settlement(connection, mdtrt_id) is not None:
            raise ConflictError(
                f"med_type: visit {mdtrt_id} is settled; its care type cannot change"
            )
        connection.execute(
            update(visits).where(visits.c.mdtrt_id == mdtrt_id).values(med_type=med_type)
        )
    if operation is not None:
        connection.execute(delete(operations).where(operations.c.mdtrt_id == mdtrt_id))
        connection.execute(insert(operations), [{"mdtrt_id": mdtrt_id, "oprn_srt_no": 1, "oprn_oprt_code": operation[0],
                                                 "oprn_oprt_name": operation[1], "main_oprn_flag": "1"}])  # fmt: skip
    if diagnoses:
        connection.execute(delete(diagnosis_table).where(diagnosis_table.c.mdtrt_id == mdtrt_id))
        connection.execute(
            insert(diagnosis_table), [{"mdtrt_id": mdtrt_id, **d.row()} for d in diagnoses]
        )


def discharge(
    connection: Connection, *, caller: str, mdtrt_id: str, endtime: datetime | None
) -> None:
    """2402 sets the discharge time; 2405 (``None``) takes it back while the stay is not settled."""
    row = repo.get_open_visit(connection, caller=caller, mdtrt_id=mdtrt_id)
    latest = repo.latest_settlement(connection, mdtrt_id)
    if latest is not None and latest.kind is SettlementKind.FINAL:
        raise ConflictError(
            f"mdtrt_id: visit {mdtrt_id} is settled ({latest.setl_id}); reverse it first"
        )
    if endtime is not None and endtime < row.begntime:
        raise SettlementRefused("dscginfo.endtime: discharge is before admission")
    connection.execute(update(visits).where(visits.c.mdtrt_id == mdtrt_id).values(endtime=endtime))


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """A diagnosis of a visit (diseinfo)."""

    diag_srt_no: int
    diag_type: str
    maindiag_flag: str
    diag_code: str
    diag_name: str

    def row(self) -> dict[str, object]:
        return {
            "diag_srt_no": self.diag_srt_no,
            "diag_type": self.diag_type,
            "maindiag_flag": self.maindiag_flag,
            "diag_code": self.diag_code,
            "diag_name": self.diag_name,
        }


def _check_filings(connection: Connection, policy: Policy, row: repo.VisitRow, day: date) -> None:
    """The filings the care type needs on the day at this institution: a chronic-disease filing
    for 门诊慢特病, a designation (人员定点) where the policy pays only there."""
    care = policy.plan(row.insutype).care_for(row.med_type)
    if care.care == "chronic" and chronic_filing_on(
        connection, psn_no=row.psn_no, day=day, fixmedins_code=row.fixmedins_code,
        insutype=row.insutype,
    ) is None:  # fmt: skip
        raise SettlementRefused(
            f"med_type: {row.med_type} (门诊慢特病) needs a chronic-disease filing (2503) of "
            f"{row.psn_no} valid on {day} for this institution; there is none"
        )
    if care.designated_only:
        held = designated_on(connection, psn_no=row.psn_no, insutype=row.insutype, day=day)
        if held is None or held.fixmedins_code != row.fixmedins_code:
            where = "none" if held is None else f"it is {held.fixmedins_code}"
            raise SettlementRefused(
                f"fixmedins_code: {care.clause} pays {row.med_type} only at the person's designated "
                f"institution (人员定点, 2505) on {day}; {where}, not {row.fixmedins_code}"
            )


def _visit(
    connection: Connection, ref: Reference, row: repo.VisitRow, request: SettleRequest
) -> tuple[Visit, Decimal]:
    """The visit to settle and the person's account balance (0 without an account)."""
    day = (row.endtime or row.begntime).date()
    found = find_person(connection, psn_no=row.psn_no, day=day)
    enrolment = next((e for e in found.enrolments if e.insutype == row.insutype), None)
    if enrolment is None:
        raise SettlementRefused(
            f"insutype: person {row.psn_no} is not insured under {row.insutype} on {day}"
        )
    p = found.person
    person = Person(
        p.psn_no,
        p.psn_name,
        p.gend,
        p.brdy,
        p.psn_cert_type,
        p.certno,
        row.insutype,
        enrolment.psn_type,
        enrolment.cvlserv_flag,
        row.insuplc_admdvs,
        identities_on(((i.psn_idet_type, i.begntime, i.endtime) for i in found.identities), day),
    )
    visit = Visit(
        mdtrt_id=row.mdtrt_id, person=person, institution=ref.institution(row.fixmedins_code),
        insutype=row.insutype, med_type=row.med_type, begntime=row.begntime, endtime=row.endtime,
        mdtrtarea_admvs=row.mdtrtarea_admvs, lines=tuple(repo.active_lines(connection, row.mdtrt_id)),
        acct_used_flag=request.acct_used, mid_setl_flag=request.mid_stay,
        mdtrt_cert_type=request.mdtrt_cert_type,
    )  # fmt: skip
    return visit, found.balance or ZERO
