"""Direct settlement of out-of-area care (异地就医直接结算): may this visit settle here, and how.

A visit whose care region (``mdtrtarea_admvs``) is not the person's insuring region
(``insuplc_admdvs``) settles directly only at an institution enabled for cross-region settlement
(异地联网定点), under the person's 异地就医备案 covering the care region on a day of the visit — one
valid on the settlement day first, so a person admitted without a filing who files before
discharge settles directly (医保发〔2022〕22号 第16条). Emergency care counts as filed (第8、34条).
Otherwise direct settlement is refused with the reason, and the institution issues a
settlement-failure record for a claim at home (手工报销, :mod:`yibao.crossregion`).

The filing type chosen here lowers the insuring region's ratios by its ``[out_of_area]``
reductions (:mod:`yibao.settlement.funds`); the lines are split with the care region's catalogue.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Connection

from yibao.catalog.model import Institution
from yibao.kernel.errors import SettlementRefused
from yibao.registry.remote_filings import remote_filing_for
from yibao.registry.remote_model import FilingType

__all__ = ["EMERGENCY_MED_TYPES", "DirectRefusal", "RemoteRefused", "remote_filing_type"]

#: 医疗类别 that count as 急诊抢救: 急诊, 急诊转住院, 120急救, 急诊住院
EMERGENCY_MED_TYPES = frozenset({"13", "24", "120", "210104"})


class DirectRefusal(StrEnum):
    """Why a visit cannot settle directly (the reason a settlement-failure record carries)."""

    NETWORK = "network"
    NOT_ENABLED = "not_enabled"
    NO_FILING = "no_filing"

    @property
    def label(self) -> str:
        return {"network": "网络或系统故障", "not_enabled": "非异地联网定点机构",
                "no_filing": "未办理异地就医备案"}[self.value]  # fmt: skip


class RemoteRefused(SettlementRefused):
    """Direct settlement of out-of-area care is impossible; ``reason`` says why."""

    def __init__(self, field: str, text: str, reason: DirectRefusal) -> None:
        super().__init__(f"{field}: {text}")
        self.reason = reason


def remote_filing_type(
    connection: Connection,
    *,
    institution: Institution,
    psn_no: str,
    med_type: str,
    care_admdvs: str,
    insuplc_admdvs: str,
    begin: date,
    day: date,
) -> FilingType | None:
    """None for local care; else the filing type the visit settles under, or :class:`RemoteRefused`."""
    if care_admdvs == insuplc_admdvs:
        return None
    if not institution.remote_enabled:
        raise RemoteRefused(
            "fixmedins_code",
            f"{institution.fixmedins_code} is not enabled for cross-region direct settlement "
            f"(异地联网); person {psn_no} is insured in {insuplc_admdvs}: the institution issues a "
            "settlement-failure record and the person claims at home (手工报销)",
            DirectRefusal.NOT_ENABLED,
        )
    filing = remote_filing_for(
        connection, psn_no=psn_no, care_admdvs=care_admdvs, begin=begin, end=day
    )
    if filing is not None:
        return filing.filing_type
    if med_type in EMERGENCY_MED_TYPES:
        return FilingType.EMERGENCY
    raise RemoteRefused(
        "psn_no",
        f"person {psn_no} (insured in {insuplc_admdvs}) has no out-of-area filing (异地就医备案) "
        f"covering {care_admdvs} between {begin} and {day}; file one before settlement, or the "
        "institution issues a settlement-failure record for a claim at home",
        DirectRefusal.NO_FILING,
    )
