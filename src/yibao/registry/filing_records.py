"""Filings as the registry answers them: 门诊慢特病, 人员定点 and 转院 records with their validity.

Pure records; :mod:`yibao.registry.filings` files, revokes and finds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

__all__ = ["ChronicFiling", "DesignatedFiling", "ReferralFiling"]


class _Dated:
    """What makes a filing valid on a day: unrevoked, and the day within its dates."""

    __slots__ = ()
    begndate: date
    enddate: date | None
    revoked_at: datetime | None

    def valid_on(self, day: date) -> bool:
        """Unrevoked, and ``day`` within the dates (both inclusive)."""
        ended = self.enddate is not None and self.enddate < day
        return self.revoked_at is None and self.begndate <= day and not ended


@dataclass(frozen=True, slots=True)
class ChronicFiling(_Dated):
    """门诊慢特病备案: one disease of a person, and the institution they must use for it (or any)."""

    filing_id: str
    psn_no: str
    insutype: str
    opsp_dise_code: str
    opsp_dise_name: str
    fixmedins_code: str | None
    begndate: date
    enddate: date | None
    filed_by: str
    filed_at: datetime
    revoked_at: datetime | None
    memo: str
    #: the interface's other fields as sent (contact, identifying institution, agent …)
    particulars: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DesignatedFiling(_Dated):
    """人员定点备案: the institution a person must use under one insurance type."""

    filing_id: str
    psn_no: str
    insutype: str
    fixmedins_code: str
    begndate: date
    enddate: date | None
    filed_by: str
    filed_at: datetime
    revoked_at: datetime | None
    memo: str
    #: the interface's other fields as sent (contact, identifying institution, agent …)
    particulars: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReferralFiling(_Dated):
    """转院备案: a transfer from the filing institution to ``reflin_medins_no``."""

    trt_dcla_detl_sn: str
    psn_no: str
    insutype: str | None
    diag_code: str
    diag_name: str
    from_fixmedins_code: str
    reflin_medins_no: str
    reflin_medins_name: str
    mdtrtarea_admdvs: str
    refl_type: str
    refl_date: date
    refl_rea: str
    refl_opnn: str
    begndate: date
    enddate: date | None
    filed_at: datetime
    revoked_at: datetime | None
    memo: str
    #: the interface's other fields as sent (contact, identifying institution, agent …)
    particulars: Mapping[str, str] = field(default_factory=dict)
