"""What a settlement-failure record and a claim must hold, checked field by field (ADR 0015).

The CLI (a JSON file) and the JSON API (a request body) hand the same mapping to
:func:`parse_failure` / :func:`parse_claim`: every error names the field (``lines[2].pric``), an
unknown field is refused rather than ignored, money is exact (a float is refused). A claim quoting
a failure record takes the record's institution, region, care type and dates where it leaves them
out, and must agree with it where it gives them (:func:`with_failure`).

Pure: the kernel and the claims model only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from yibao.crossregion.claims_model import InjuryCause, check_region, line_amount, text
from yibao.kernel.codes import HospLv, InsuType, MedType
from yibao.kernel.dates import parse_date
from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import ZERO, money

__all__ = [
    "MAX_DIAGNOSES",
    "MAX_LINES",
    "ClaimDraft",
    "DiagnosisDraft",
    "FailureDraft",
    "FailureRecord",
    "LineDraft",
    "parse_claim",
    "parse_failure",
    "with_failure",
]

#: the most fee lines and diagnoses one claim may carry
MAX_LINES = 5000
MAX_DIAGNOSES = 50
_REASONS = ("network", "not_enabled", "no_filing")


@dataclass(frozen=True, slots=True)
class FailureDraft:
    """A settlement-failure record as the institution issues it (its own fields come from the catalogue)."""

    fixmedins_code: str
    psn_no: str
    psn_name: str
    certno: str
    insuplc_admdvs: str
    med_type: str
    begndate: date
    enddate: date
    medfee_sumamt: Decimal
    reason: str
    detail: str
    mdtrt_id: str | None


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """A settlement-failure record (结算失败记录) as stored."""

    failure_no: str
    reason: str
    fixmedins_code: str
    fixmedins_name: str
    hosp_lv: str
    care_admdvs: str
    psn_no: str
    psn_name: str
    certno: str
    insuplc_admdvs: str
    mdtrt_id: str | None
    med_type: str
    begndate: date
    enddate: date
    medfee_sumamt: Decimal
    detail: str
    issued_by: str
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class LineDraft:
    """A fee line of the fee list (费用明细清单)."""

    code: str
    name: str
    cnt: Decimal
    pric: Decimal
    amount: Decimal
    fee_date: date | None
    hosp_appr_flag: str


@dataclass(frozen=True, slots=True)
class DiagnosisDraft:
    """A diagnosis of the discharge summary; the first is the main one."""

    diag_code: str
    diag_name: str
    diag_type: str


@dataclass(frozen=True, slots=True)
class ClaimDraft:
    """A claim as filed; the institution, region, care type and dates may come from the record."""

    psn_no: str
    insutype: str
    failure_no: str | None
    reason: str | None
    fixmedins_code: str | None
    fixmedins_name: str | None
    hosp_lv: str | None
    care_admdvs: str | None
    med_type: str | None
    begndate: date | None
    enddate: date | None
    diagnoses: tuple[DiagnosisDraft, ...]
    lines: tuple[LineDraft, ...]
    medfee_sumamt: Decimal
    injury_cause: InjuryCause
    memo: str


_FAILURE_FIELDS = {"fixmedins_code", "psn_no", "psn_name", "certno", "insuplc_admdvs", "med_type",
                   "begndate", "enddate", "medfee_sumamt", "reason", "detail", "mdtrt_id"}  # fmt: skip
_CLAIM_FIELDS = {"psn_no", "insutype", "failure_no", "reason", "fixmedins_code", "fixmedins_name",
                 "hosp_lv", "care_admdvs", "med_type", "begndate", "enddate", "diagnoses", "lines",
                 "medfee_sumamt", "injury_cause", "memo"}  # fmt: skip
_LINE_FIELDS = {"code", "name", "cnt", "pric", "amount", "fee_date", "hosp_appr_flag"}
_DIAGNOSIS_FIELDS = {"diag_code", "diag_name", "diag_type"}


def parse_failure(data: object) -> FailureDraft:
    """A failure record's fields, each checked; errors name the field."""
    fields = _mapping(data, _FAILURE_FIELDS, where="")
    begndate, enddate = _dates(fields)
    if begndate is None or enddate is None:
        raise InvalidValue("begndate" if begndate is None else "enddate", "missing")
    total = money(_required(fields, "medfee_sumamt"), field="medfee_sumamt")
    if total < ZERO:
        raise InvalidValue("medfee_sumamt", f"{total} is negative")
    mdtrt_id = fields.get("mdtrt_id")
    return FailureDraft(
        fixmedins_code=text(fields.get("fixmedins_code"), field="fixmedins_code", limit=30),
        psn_no=text(fields.get("psn_no"), field="psn_no", limit=30),
        psn_name=text(fields.get("psn_name"), field="psn_name", limit=50),
        certno=text(fields.get("certno"), field="certno", limit=50, required=False),
        insuplc_admdvs=check_region(fields.get("insuplc_admdvs"), field="insuplc_admdvs"),
        med_type=_code(MedType, fields.get("med_type"), field="med_type"),
        begndate=begndate, enddate=enddate, medfee_sumamt=total,
        reason=_reason(fields.get("reason"), required=True) or "",
        detail=text(fields.get("detail"), field="detail", limit=2000),
        mdtrt_id=None if mdtrt_id is None else text(mdtrt_id, field="mdtrt_id", limit=30),
    )  # fmt: skip


def parse_claim(data: object) -> ClaimDraft:
    """A claim's fields, each checked; errors name the field (``lines[0].amount``)."""
    fields = _mapping(data, _CLAIM_FIELDS, where="")
    begndate, enddate = _dates(fields)
    lines = _lines(_required(fields, "lines"))
    total = sum((line.amount for line in lines), ZERO)
    if "medfee_sumamt" in fields:
        stated = money(fields["medfee_sumamt"], field="medfee_sumamt")
        if stated != total:
            raise InvalidValue(
                "medfee_sumamt", f"{stated} ≠ {total}, the sum of the lines' amounts"
            )
    cause = fields.get("injury_cause", "none")
    try:
        injury = InjuryCause(cause if isinstance(cause, str) else "")
    except ValueError:
        allowed = ", ".join(f"{c.value} ({c.label})" for c in InjuryCause)
        raise InvalidValue("injury_cause", f"{cause!r} is not one of {allowed}") from None
    return ClaimDraft(
        psn_no=text(fields.get("psn_no"), field="psn_no", limit=30),
        insutype=_code(InsuType, fields.get("insutype"), field="insutype"),
        failure_no=_optional(fields, "failure_no", 30),
        reason=_reason(fields.get("reason"), required=False),
        fixmedins_code=_optional(fields, "fixmedins_code", 30),
        fixmedins_name=_optional(fields, "fixmedins_name", 200),
        hosp_lv=None if fields.get("hosp_lv") is None else _code(HospLv, fields["hosp_lv"], field="hosp_lv"),
        care_admdvs=None if fields.get("care_admdvs") is None
        else check_region(fields["care_admdvs"], field="care_admdvs"),
        med_type=None if fields.get("med_type") is None else _code(MedType, fields["med_type"], field="med_type"),
        begndate=begndate, enddate=enddate,
        diagnoses=_diagnoses(_required(fields, "diagnoses")), lines=lines, medfee_sumamt=total,
        injury_cause=injury, memo=text(fields.get("memo"), field="memo", limit=2000, required=False),
    )  # fmt: skip


def with_failure(draft: ClaimDraft, record: FailureRecord | None, *, today: date) -> ClaimDraft:
    """The claim completed from its failure record (which it must agree with), or checked alone.

    Without a record, the institution (code, name, level), care region, care type and dates are
    required. With one, the person must be the record's, the lines must add up to its amount, and
    a field given must equal the record's (the institution's name excepted: the record's is kept).
    """
    if record is not None:
        draft = _from_record(draft, record)
    for name in _FROM_RECORD:
        if getattr(draft, name) is None and name != "reason":
            raise InvalidValue(name, "missing (required without a settlement-failure record)")
    assert draft.begndate is not None and draft.enddate is not None
    if draft.enddate < draft.begndate:
        raise InvalidValue("enddate", f"{draft.enddate} is before begndate {draft.begndate}")
    if draft.enddate > today:
        raise InvalidValue(
            "enddate", f"{draft.enddate} is in the future: claim care that has ended"
        )
    for i, line in enumerate(draft.lines):
        if line.fee_date is not None and not draft.begndate <= line.fee_date <= draft.enddate:
            raise InvalidValue(
                f"lines[{i}].fee_date",
                f"{line.fee_date} is outside the visit ({draft.begndate} to {draft.enddate})",
            )
    return draft


_FROM_RECORD = ("reason", "fixmedins_code", "fixmedins_name", "hosp_lv", "care_admdvs", "med_type",
                "begndate", "enddate")  # fmt: skip


def _from_record(draft: ClaimDraft, record: FailureRecord) -> ClaimDraft:
    if record.psn_no != draft.psn_no:
        raise InvalidValue("failure_no", f"{record.failure_no} is a record of another person")
    if draft.medfee_sumamt != record.medfee_sumamt:
        raise InvalidValue(
            "lines",
            f"the fee list adds up to {draft.medfee_sumamt}, the failure record "
            f"{record.failure_no} to {record.medfee_sumamt}",
        )
    for name in _FROM_RECORD:
        given, held = getattr(draft, name), getattr(record, name)
        if given is not None and given != held and name != "fixmedins_name":
            raise InvalidValue(
                name, f"{given} differs from failure record {record.failure_no}'s {held}"
            )
    return replace(draft, **{name: getattr(record, name) for name in _FROM_RECORD})


def _mapping(data: object, allowed: set[str], *, where: str) -> Mapping[str, object]:
    if not isinstance(data, Mapping):
        raise InvalidValue(where.rstrip(".") or "body", "expected an object of named fields")
    for key in data:
        if key not in allowed:
            raise InvalidValue(
                f"{where}{key}", f"unknown field; known: {', '.join(sorted(allowed))}"
            )
    return data


def _required(fields: Mapping[str, object], name: str) -> object:
    if fields.get(name) is None:
        raise InvalidValue(name, "missing")
    return fields[name]


def _optional(fields: Mapping[str, object], name: str, limit: int) -> str | None:
    value = fields.get(name)
    return None if value is None else text(value, field=name, limit=limit)


def _code(kind: type[StrEnum], value: object, *, field: str) -> str:
    raw = text(value, field=field, limit=20)
    try:
        return kind(raw).value
    except ValueError:
        raise InvalidValue(field, f"{raw!r} is not a {kind.__name__} code") from None


def _reason(value: object, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if value not in _REASONS:
        raise InvalidValue("reason", f"{value!r} is not one of {', '.join(_REASONS)}")
    return str(value)


def _date(value: object, *, field: str) -> date:
    if isinstance(value, str) and len(value.strip()) != 10:
        raise InvalidValue(field, f"{value!r} is not a date yyyy-MM-dd")
    return parse_date(value, field=field)


def _dates(fields: Mapping[str, object]) -> tuple[date | None, date | None]:
    return tuple(  # type: ignore[return-value]
        None if fields.get(name) is None else _date(fields[name], field=name)
        for name in ("begndate", "enddate")
    )


def _sequence(value: object, *, field: str, most: int) -> Sequence[object]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise InvalidValue(field, "expected a list")
    if not value:
        raise InvalidValue(field, "empty: at least one is needed")
    if len(value) > most:
        raise InvalidValue(field, f"{len(value)} entries; at most {most}")
    return value


def _lines(value: object) -> tuple[LineDraft, ...]:
    lines = []
    for i, raw in enumerate(_sequence(value, field="lines", most=MAX_LINES)):
        where = f"lines[{i}]"
        item = _mapping(raw, _LINE_FIELDS, where=f"{where}.")
        cnt, pric, amount = line_amount(
            item.get("cnt"), item.get("pric"), item.get("amount"), field=where
        )
        flag = item.get("hosp_appr_flag", "0")
        if flag not in ("0", "1"):
            raise InvalidValue(f"{where}.hosp_appr_flag", f"{flag!r} is neither 0 nor 1")
        fee_date = item.get("fee_date")
        lines.append(LineDraft(
            code=text(item.get("code"), field=f"{where}.code", limit=50),
            name=text(item.get("name"), field=f"{where}.name", limit=200),
            cnt=cnt, pric=pric, amount=amount, hosp_appr_flag=str(flag),
            fee_date=None if fee_date is None else _date(fee_date, field=f"{where}.fee_date"),
        ))  # fmt: skip
    return tuple(lines)


def _diagnoses(value: object) -> tuple[DiagnosisDraft, ...]:
    found = []
    for i, raw in enumerate(_sequence(value, field="diagnoses", most=MAX_DIAGNOSES)):
        where = f"diagnoses[{i}]"
        item = _mapping(raw, _DIAGNOSIS_FIELDS, where=f"{where}.")
        found.append(DiagnosisDraft(
            diag_code=text(item.get("diag_code"), field=f"{where}.diag_code", limit=30),
            diag_name=text(item.get("diag_name"), field=f"{where}.diag_name", limit=100),
            diag_type=text(item.get("diag_type", "1"), field=f"{where}.diag_type", limit=3),
        ))  # fmt: skip
    return tuple(found)
