"""异地就医备案 as values: the six filing types, a filing with its validity, and where it applies.

Pure. The national rules (医保发〔2022〕22号 as ``docs/out-of-area.md`` quotes them) split persons
cared for outside their insuring region into long-term residents (异地安置退休, 异地长期居住, 常驻异地
工作) and temporary travellers (异地转诊, 异地急诊抢救, 其他临时外出). A filing names the care area:
a city (``980100``) or a whole province (``980000``). Temporary filings carry an end date; long-term
ones may be open-ended. A withdrawn filing counts for the days before its withdrawal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from yibao.kernel.errors import InvalidValue

__all__ = [
    "TEMPORARY_DAYS",
    "FilingType",
    "RemoteFiling",
    "area_covers",
    "areas_meet",
    "check_remote_filing",
]

#: the longest validity of a temporary filing (half a year), a project decision (ADR 0015)
TEMPORARY_DAYS = 183


class FilingType(StrEnum):
    """异地就医备案类型; the value is what policy files and the API carry."""

    RETIREE_RESETTLED = "retiree_resettled"
    LONG_TERM_RESIDENCE = "long_term_residence"
    POSTED_WORKER = "posted_worker"
    REFERRAL = "referral"
    EMERGENCY = "emergency"
    OTHER_TEMPORARY = "other_temporary"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def long_term(self) -> bool:
        """异地长期居住人员 (the first three) as against 临时外出就医人员."""
        return self in _LONG_TERM


_LABELS = {
    FilingType.RETIREE_RESETTLED: "异地安置退休",
    FilingType.LONG_TERM_RESIDENCE: "异地长期居住",
    FilingType.POSTED_WORKER: "常驻异地工作",
    FilingType.REFERRAL: "异地转诊",
    FilingType.EMERGENCY: "异地急诊抢救",
    FilingType.OTHER_TEMPORARY: "其他临时外出就医",
}
_LONG_TERM = frozenset(
    (FilingType.RETIREE_RESETTLED, FilingType.LONG_TERM_RESIDENCE, FilingType.POSTED_WORKER)
)


def area_covers(area: str, admdvs: str) -> bool:
    """Whether a filing's care area (a province ``xx0000``, a city ``xxxx00`` or a county) holds
    the region ``admdvs``."""
    if area.endswith("0000"):
        return admdvs[:2] == area[:2]
    if area.endswith("00"):
        return admdvs[:4] == area[:4]
    return admdvs == area


def areas_meet(one: str, other: str) -> bool:
    """Whether two care areas share a region (one holds the other, or they are the same)."""
    return area_covers(one, other) or area_covers(other, one)


@dataclass(frozen=True, slots=True)
class RemoteFiling:
    """One 异地就医备案 of a person, as stored."""

    filing_id: str
    psn_no: str
    insuplc_admdvs: str
    mdtrtarea_admdvs: str
    filing_type: FilingType
    begndate: date
    enddate: date | None
    filed_by: str
    operator: str
    filed_at: datetime
    renews: str | None = None
    withdrawn_at: datetime | None = None
    memo: str = ""

    def valid_on(self, day: date) -> bool:
        """In force on ``day``: within its dates and before its withdrawal."""
        if day < self.begndate or (self.enddate is not None and day > self.enddate):
            return False
        return self.withdrawn_at is None or day < self.withdrawn_at.date()

    def covers(self, admdvs: str, day: date) -> bool:
        """In force on ``day`` for care in region ``admdvs``."""
        return self.valid_on(day) and area_covers(self.mdtrtarea_admdvs, admdvs)

    def as_json(self) -> dict[str, object]:
        """The filing as the CLI and the API show it (days and times as objects)."""
        return {"filing_id": self.filing_id, "psn_no": self.psn_no,
                "insuplc_admdvs": self.insuplc_admdvs, "mdtrtarea_admdvs": self.mdtrtarea_admdvs,
                "filing_type": self.filing_type.value, "filing_type_name": self.filing_type.label,
                "long_term": self.filing_type.long_term, "begndate": self.begndate,
                "enddate": self.enddate, "filed_by": self.filed_by, "operator": self.operator,
                "filed_at": self.filed_at, "renews": self.renews,
                "withdrawn_at": self.withdrawn_at, "memo": self.memo}  # fmt: skip

    @property
    def last_day(self) -> date | None:
        """The last day it counts for (the day before its withdrawal, or its end date)."""
        if self.withdrawn_at is None:
            return self.enddate
        before = self.withdrawn_at.date() - timedelta(days=1)
        return before if self.enddate is None else min(before, self.enddate)


def check_remote_filing(
    *,
    filing_type: str,
    insuplc_admdvs: str,
    mdtrtarea_admdvs: str,
    begndate: date,
    enddate: date | None,
) -> FilingType:
    """The filing type, once the filing's own fields hold together; errors name the field."""
    try:
        kind = FilingType(filing_type)
    except ValueError:
        known = ", ".join(f"{t.value} ({t.label})" for t in FilingType)
        raise InvalidValue(
            "filing_type", f"{filing_type!r} is not a filing type ({known})"
        ) from None
    for name, value in (("insuplc_admdvs", insuplc_admdvs), ("mdtrtarea_admdvs", mdtrtarea_admdvs)):
        if len(value) != 6 or not value.isdigit():
            raise InvalidValue(name, f"{value!r} is not a six-digit region code")
    if areas_meet(mdtrtarea_admdvs, insuplc_admdvs):
        raise InvalidValue(
            "mdtrtarea_admdvs",
            f"{mdtrtarea_admdvs} is or holds the insuring region {insuplc_admdvs}: care there is "
            "local and needs no filing",
        )
    if enddate is not None and enddate < begndate:
        raise InvalidValue("enddate", f"{enddate} is before begndate {begndate}")
    if not kind.long_term:
        if enddate is None:
            raise InvalidValue("enddate", f"required: a {kind.label} filing is temporary")
        if (enddate - begndate).days + 1 > TEMPORARY_DAYS:
            raise InvalidValue(
                "enddate", f"a temporary filing lasts at most {TEMPORARY_DAYS} days ({begndate} on)"
            )
    return kind
