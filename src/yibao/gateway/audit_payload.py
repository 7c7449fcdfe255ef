"""The 3101/3102 request (明细审核事前/事中分析服务), validated, and its answer's ``result[]``.

Input ``data``: ``trig_scen`` (``audit.codes.TrigScen``) or ``rule_ids``, and ``patient_dtos[]``,
each with ``fsi_encounter_dtos[]`` (the encounter at hand is the patient's ``curr_mdtrt_id``; the
others are history the HIS sends), each with ``fsi_diagnose_dtos[]``, ``fsi_order_dtos[]`` and
``fsi_operation_dtos[]``. Clinical evidence comes in the same payload, in two nodes of each
encounter the national list does not have (``docs/audit-rules.md``, "Clinical evidence"):
``fsi_lab_dtos[]`` (``lab_code``, ``lab_name``, ``rslt_val``, ``unit``, ``rpt_date``) and
``fsi_record_dtos[]`` (``doc_type``, ``doc_date``, ``hilist_code``).

Output ``result[]``: one entry per finding, with its line in ``judge_result_detail_dtos[]``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yibao.audit.codes import VolaAmtStas, behaviour_of, severity_of
from yibao.audit.findings import Finding
from yibao.settlement.formats import Amount, Count, Day, Price

__all__ = ["AuditRequest", "Encounter", "Order", "Patient", "render_findings"]


class _Node(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Diagnosis(_Node):
    dise_codg: str = Field(min_length=1, max_length=30)
    maindise_flag: str = "0"
    inout_dise_type: str = "1"


class Order(_Node):
    rx_id: str = Field(min_length=1, max_length=50)
    rxno: str | None = Field(default=None, max_length=20)
    hilist_code: str = Field(min_length=1, max_length=50)
    hilist_name: str = Field(default="", max_length=200)
    cnt: Count
    pric: Price
    sumamt: Amount
    spec_unt: str | None = Field(default=None, max_length=20)
    drord_begn_date: Day | None = None

    @model_validator(mode="after")
    def _positive(self) -> Order:
        if self.cnt <= 0:
            raise ValueError("cnt: an order's quantity must be positive")
        if self.pric < 0:
            raise ValueError("pric: a price cannot be negative")
        return self


class Lab(_Node):
    lab_code: str = Field(min_length=1, max_length=30)
    lab_name: str | None = Field(default=None, max_length=100)
    rslt_val: Count | None = None
    unit: str | None = Field(default=None, max_length=20)
    rpt_date: Day


class Record(_Node):
    doc_type: str = Field(min_length=1, max_length=50)
    doc_date: Day
    hilist_code: str | None = Field(default=None, max_length=50)


class Encounter(_Node):
    mdtrt_id: str = Field(min_length=1, max_length=50)
    medins_id: str = Field(min_length=1, max_length=50)
    medins_lv: str | None = Field(default=None, max_length=3)
    medins_admdvs: str | None = Field(default=None, pattern=r"^\d{6}$")
    adm_date: Day
    dscg_date: Day | None = None
    med_type: str = Field(min_length=1, max_length=6)
    insutype: str = Field(min_length=1, max_length=6)
    fsi_diagnose_dtos: list[Diagnosis] = []
    fsi_order_dtos: list[Order] = []
    fsi_lab_dtos: list[Lab] = []
    fsi_record_dtos: list[Record] = []


class Patient(_Node):
    patn_id: str = Field(min_length=1, max_length=50)
    gend: str | None = Field(default=None, max_length=3)
    brdy: Day | None = None
    poolarea: str | None = Field(default=None, max_length=10)
    curr_mdtrt_id: str = Field(min_length=1, max_length=50)
    fsi_encounter_dtos: list[Encounter] = Field(min_length=1)

    @model_validator(mode="after")
    def _current_is_sent(self) -> Patient:
        if not any(e.mdtrt_id == self.curr_mdtrt_id for e in self.fsi_encounter_dtos):
            raise ValueError(f"curr_mdtrt_id: {self.curr_mdtrt_id} is not among the encounters")
        return self


class AuditRequest(_Node):
    trig_scen: str | None = None
    rule_ids: list[str] = []
    patient_dtos: list[Patient] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _one_selector(self) -> AuditRequest:
        if self.trig_scen is None and not self.rule_ids:
            raise ValueError("trig_scen: give trig_scen (preferred) or rule_ids")
        return self


def _money(value: Decimal) -> str:
    return format(value, "f")


def render_findings(findings: tuple[Finding, ...] | list[Finding]) -> list[dict[str, Any]]:
    """``result[]``: one entry per finding, its line in ``judge_result_detail_dtos[]``."""
    out = []
    for n, f in enumerate(findings, start=1):
        jr_id = f"{f.mdtrt_id}-{f.rule_id}-{f.feedetl_sn}"
        out.append({
            "jr_id": jr_id, "rule_id": f.rule_id, "rule_name": f.rule_name,
            "vola_cont": f.vola_cont[:500], "patn_id": f.psn_no, "mdtrt_id": f.mdtrt_id,
            "vola_amt": _money(f.amount), "vola_amt_stas": VolaAmtStas.COMPUTED.value,
            "sev_deg": severity_of(f.grade).value, "vola_evid": f.evidence[:500],
            "vola_bhvr_type": behaviour_of(f.family).value, "task_id": None,
            "action": f.action.value, "fee_date": date.isoformat(f.fee_date),
            "judge_result_detail_dtos": [{
                "jrd_id": f"{jr_id}-{n}", "patn_id": f.psn_no, "mdtrt_id": f.mdtrt_id,
                "rx_id": f.feedetl_sn, "vola_item_type": "1", "vola_amt": _money(f.amount),
            }],
        })  # fmt: skip
    return out
