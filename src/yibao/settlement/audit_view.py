"""The realtime audit of a visit being settled (事中审核 inside 2206/2207/2303/2304).

Builds the audit facts of the visit from what settlement already holds (its lines net of refunds,
the person, the institution, the catalogue entry of each code on the settlement day) and the
diagnoses stored by 2203/2401/2403; loads the person's settled visits of the last 365 days only
when a family that reads history runs; and asks the region's
:class:`~yibao.audit.realtime.RealtimeAuditor` for the findings at moment ``during``.

What happens to a finding is the rule's action (``docs/audit-rules.md``): ``self_pay`` moves the
amount at issue of the line to 全自费 in the split (``settlement.split.apply_audit``), ``hold``
settles the visit but holds the amount from the institution's payment until review (the finding
is kept for the review queue), ``warn`` only shows it. Every finding is returned with the
settlement (``auditinfo``) and the moves are in the trace.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from sqlalchemy import Connection, select

from yibao.audit.facts import DiagnosisRecord, FeeLineRecord, VisitRecord
from yibao.audit.findings import Finding
from yibao.audit.model import Moment
from yibao.audit.realtime import RealtimeAuditor
from yibao.catalog.model import CatalogEntry, Institution
from yibao.settlement.model import FeeLine, Visit
from yibao.settlement.split import net_lines
from yibao.settlement.tables import diagnoses, fee_lines, visits

__all__ = ["HISTORY_DAYS", "audit_visit", "history_of", "line_record", "visit_record"]

#: how far back a visit's history reaches
HISTORY_DAYS = 365
_SETTLED = ("settled", "mid_settled")


def line_record(
    line: FeeLine, entry: CatalogEntry | None, institution: Institution
) -> FeeLineRecord:
    """A fee line as the audit reads it, with its catalogue class and price ceiling."""
    return FeeLineRecord(
        feedetl_sn=line.feedetl_sn,
        code=line.med_list_codg,
        name=entry.name if entry is not None else (line.name or line.medins_list_codg),
        cnt=line.cnt,
        pric=line.pric,
        amount=line.det_item_fee_sumamt,
        fee_date=line.fee_ocur_time.date(),
        fee_time=line.fee_ocur_time,
        med_chrgitm_type=None if entry is None else entry.med_chrgitm_type,
        pric_uplmt=None if entry is None else entry.ceiling(institution.tier),
    )


def _diagnoses(connection: Connection, mdtrt_ids: list[str]) -> dict[str, list[DiagnosisRecord]]:
    found: dict[str, list[DiagnosisRecord]] = {m: [] for m in mdtrt_ids}
    rows = connection.execute(
        select(diagnoses).where(diagnoses.c.mdtrt_id.in_(mdtrt_ids))
        .order_by(diagnoses.c.mdtrt_id, diagnoses.c.diag_srt_no)
    )  # fmt: skip
    for r in rows:
        found[r.mdtrt_id].append(DiagnosisRecord(r.diag_code, r.diag_type, r.maindiag_flag == "1"))
    return found


def visit_record(
    connection: Connection, visit: Visit, catalog: Mapping[str, CatalogEntry]
) -> VisitRecord:
    """The visit being settled as audit facts (lines net of refunds, diagnoses as stored)."""
    institution = visit.institution
    lines = tuple(
        line_record(line, catalog.get(line.med_list_codg), institution)
        for line in net_lines(visit.lines)
        if line.cnt > 0
    )
    return VisitRecord(
        mdtrt_id=visit.mdtrt_id, psn_no=visit.person.psn_no, gend=visit.person.gend,
        brdy=visit.person.brdy, insutype=visit.insutype, med_type=visit.med_type,
        fixmedins_code=institution.fixmedins_code, hosp_lv=str(institution.hosp_lv),
        admdvs=visit.mdtrtarea_admvs, begin=visit.begntime.date(),
        end=None if visit.endtime is None else visit.endtime.date(), lines=lines,
        diagnoses=tuple(_diagnoses(connection, [visit.mdtrt_id])[visit.mdtrt_id]),
    )  # fmt: skip


def history_of(
    connection: Connection, visit: VisitRecord, institutions: Mapping[str, Institution], day: date
) -> list[VisitRecord]:
    """The person's settled visits that began in the :data:`HISTORY_DAYS` before ``day``."""
    since = day - timedelta(days=HISTORY_DAYS)
    rows = connection.execute(
        select(visits).where(visits.c.psn_no == visit.psn_no, visits.c.status.in_(_SETTLED),
                             visits.c.begntime >= since, visits.c.mdtrt_id != visit.mdtrt_id)
    ).all()  # fmt: skip
    if not rows:
        return []
    ids = [r.mdtrt_id for r in rows]
    lines: dict[str, list[FeeLineRecord]] = {m: [] for m in ids}
    for r in connection.execute(
        select(fee_lines).where(fee_lines.c.mdtrt_id.in_(ids), fee_lines.c.status == "active",
                                fee_lines.c.init_feedetl_sn.is_(None))
        .order_by(fee_lines.c.mdtrt_id, fee_lines.c.line_no)
    ):  # fmt: skip
        lines[r.mdtrt_id].append(
            FeeLineRecord(
                r.feedetl_sn,
                r.med_list_codg,
                r.medins_list_codg,
                r.cnt,
                r.pric,
                r.det_item_fee_sumamt,
                r.fee_ocur_time.date(),
                fee_time=r.fee_ocur_time,
            )
        )
    found = _diagnoses(connection, ids)
    records = []
    for r in rows:
        institution = institutions.get(r.fixmedins_code)
        records.append(VisitRecord(
            mdtrt_id=r.mdtrt_id, psn_no=r.psn_no, gend=visit.gend, brdy=visit.brdy,
            insutype=r.insutype, med_type=r.med_type, fixmedins_code=r.fixmedins_code,
            hosp_lv="" if institution is None else str(institution.hosp_lv),
            admdvs=r.mdtrtarea_admvs, begin=r.begntime.date(),
            end=None if r.endtime is None else r.endtime.date(),
            lines=tuple(lines[r.mdtrt_id]), diagnoses=tuple(found[r.mdtrt_id]),
        ))  # fmt: skip
    return records


def audit_visit(
    connection: Connection,
    auditor: RealtimeAuditor,
    record: VisitRecord,
    *,
    institutions: Mapping[str, Institution],
    day: date,
    moment: Moment = Moment.DURING,
) -> tuple[Finding, ...]:
    """The findings of the rules in force on ``day`` on the visit's lines."""
    result = auditor.audit(
        record, moment=moment, day=day,
        history=lambda: history_of(connection, record, institutions, day),
    )  # fmt: skip
    return result.findings
