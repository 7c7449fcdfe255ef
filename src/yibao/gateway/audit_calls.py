"""3101 明细审核事前分析服务 and 3102 事中分析服务: the realtime audit of an encounter.

3101 runs the rules whose moments include ``before`` (an order being written), 3102 those of
``during`` (a charge, a discharge): the same rules and SQL as inside settlement and the monthly
run. The encounter at hand is the patient's ``curr_mdtrt_id``; its history is the other
encounters the HIS sends plus the person's settled visits of the last year in the store. Every
order line is read with the care region's catalogue entry (class, price ceiling for the
institution's tier). Nothing is written: the findings are the answer.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from yibao.audit.codes import TrigScen
from yibao.audit.facts import DiagnosisRecord, DocumentRecord, LabRecord, VisitRecord
from yibao.audit.findings import Finding
from yibao.audit.model import Moment
from yibao.catalog.model import Institution
from yibao.gateway.audit_payload import AuditRequest, Encounter, Patient, render_findings
from yibao.gateway.calls import Call, Handler
from yibao.kernel.errors import CatalogError, InvalidValue, validation_problems
from yibao.settlement.audit_view import history_of, line_record
from yibao.settlement.model import FeeLine

__all__ = ["AUDIT_CALLS"]

_log = logging.getLogger("yibao.gateway.audit")


def _request(call: Call) -> AuditRequest:
    try:
        return AuditRequest.model_validate(call.node("data"))
    except ValidationError as exc:
        problem = validation_problems("request", exc.errors())[0]
        raise InvalidValue(f"input.data.{problem.column}", problem.reason) from None


def _institution(call: Call, encounter: Encounter, where: str) -> Institution:
    found = call.ref.institutions.get(encounter.medins_id)
    if found is None:
        raise InvalidValue(f"{where}.medins_id", f"institution {encounter.medins_id} is not known")
    return found


def _record(call: Call, patient: Patient, encounter: Encounter, where: str) -> VisitRecord:
    institution = _institution(call, encounter, where)
    admdvs = encounter.medins_admdvs or institution.admdvs
    catalog = call.ref.view(admdvs, encounter.dscg_date or encounter.adm_date)
    lines = []
    for order in encounter.fsi_order_dtos:
        day = order.drord_begn_date or encounter.adm_date
        line = FeeLine(order.rx_id, order.hilist_code, order.hilist_code, order.cnt, order.pric,
                       order.sumamt, call.now.replace(year=day.year, month=day.month, day=day.day),
                       name=order.hilist_name)  # fmt: skip
        record = line_record(line, catalog.get(order.hilist_code), institution)
        lines.append(record.__class__(**{**_fields(record), "fee_time": None,
                                         "rx_no": order.rxno, "billed_unit": order.spec_unt}))  # fmt: skip
    return VisitRecord(
        mdtrt_id=encounter.mdtrt_id, psn_no=patient.patn_id, gend=patient.gend,
        brdy=patient.brdy, insutype=encounter.insutype, med_type=encounter.med_type,
        fixmedins_code=institution.fixmedins_code, hosp_lv=str(institution.hosp_lv),
        admdvs=admdvs, begin=encounter.adm_date, end=encounter.dscg_date, lines=tuple(lines),
        diagnoses=tuple(DiagnosisRecord(d.dise_codg, d.inout_dise_type, d.maindise_flag == "1")
                        for d in encounter.fsi_diagnose_dtos),
        labs=tuple(LabRecord(lab.lab_code, lab.rslt_val, lab.rpt_date, lab.unit, lab.lab_name)
                   for lab in encounter.fsi_lab_dtos),
        documents=tuple(DocumentRecord(r.doc_type, r.doc_date, r.hilist_code)
                        for r in encounter.fsi_record_dtos),
    )  # fmt: skip


def _fields(record: object) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}  # type: ignore[attr-defined]


def _analyse(call: Call, moment: Moment) -> dict[str, Any]:
    auditor = call.ref.auditor
    if auditor is None:
        raise CatalogError("the realtime audit is switched off on this gateway (YIBAO_AUDIT)")
    request = _request(call)
    if request.trig_scen is not None and request.trig_scen not in {t.value for t in TrigScen}:
        known = ", ".join(f"{t.value} {t.label}" for t in TrigScen)
        raise InvalidValue("input.data.trig_scen", f"unknown scene (known: {known})")
    known_ids = set(auditor.engine.compiled.rules)
    unknown = [r for r in request.rule_ids if r not in known_ids]
    if unknown:
        raise InvalidValue("input.data.rule_ids", f"unknown rules: {', '.join(unknown)}")
    findings: list[Finding] = []
    day = call.now.date()
    for i, patient in enumerate(request.patient_dtos):
        where = f"input.data.patient_dtos[{i}].fsi_encounter_dtos"
        records = [_record(call, patient, e, f"{where}[{j}]")
                   for j, e in enumerate(patient.fsi_encounter_dtos)]  # fmt: skip
        current = next(r for r in records if r.mdtrt_id == patient.curr_mdtrt_id)
        sent = [r for r in records if r is not current]

        def history(
            current: VisitRecord = current, sent: list[VisitRecord] = sent
        ) -> list[VisitRecord]:
            stored = history_of(call.connection, current, call.ref.institutions, day)
            ids = {r.mdtrt_id for r in sent}
            return [*sent, *(r for r in stored if r.mdtrt_id not in ids)]

        result = auditor.audit(current, moment=moment, day=day, history=history)
        for failure in result.failures:
            _log.warning("audit %s: %s", call.envelope.infno, failure)
        findings.extend(f for f in result.findings
                        if not request.rule_ids or f.rule_id in request.rule_ids)  # fmt: skip
    return {"result": render_findings(findings)}


def before(call: Call) -> dict[str, Any]:
    """3101 事前: the rules of the ``before`` moment on the encounter's orders."""
    return _analyse(call, Moment.BEFORE)


def during(call: Call) -> dict[str, Any]:
    """3102 事中: the rules of the ``during`` moment on the encounter's charges."""
    return _analyse(call, Moment.DURING)


AUDIT_CALLS: dict[str, Handler] = {"3101": before, "3102": during}
