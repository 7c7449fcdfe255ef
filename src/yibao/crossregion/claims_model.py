"""Manual reimbursement (手工报销) of out-of-area care as pure rules (ADR 0015).

When a visit outside the insuring region cannot settle directly, the institution issues a
settlement-failure record (结算失败记录); the person claims at home with invoices, the fee list,
the discharge summary and the filing proof; a clerk reviews, decides, and the claim is settled
with the same engine and rules as a direct settlement, then paid. States and steps
(:data:`TRANSITIONS`; anything else is refused)::

    (new) --filed--> filed --taken--> in_review --approved--> approved --settled--> settled --paid--> paid
                     filed / in_review / more_requested --document_added--> (same)
                     in_review --more_requested--> more_requested --resubmitted--> filed
                     more_requested --taken--> in_review    in_review --liability_cleared--> in_review
                     in_review --refused--> refused

The deadline (:data:`DEADLINE_DAYS` calendar days) runs from the day the required documents are
complete while the claim is with the agency; a request for more stops it, and it starts afresh
on the day the person resubmits complete documents. Third-party liability (交通事故, 工伤, other
third parties) excludes a claim unless the liability papers are on file and a clerk records
that they show no third party is liable (:func:`third_party_refusal`).

Pure: no I/O; the services of :mod:`yibao.crossregion.claims` store what these functions decide.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from yibao.audit.review_model import INPATIENT_MED_TYPES
from yibao.kernel.errors import ConflictError, InvalidValue
from yibao.kernel.fields import clean_text as text
from yibao.kernel.fields import region_code as check_region
from yibao.kernel.money import fen, money, to_decimal
from yibao.registry.remote_model import FilingType

__all__ = [
    "DEADLINE_DAYS",
    "DUE_SOON_DAYS",
    "MAX_DOCUMENT_BYTES",
    "TRANSITIONS",
    "ClaimConflict",
    "ClaimState",
    "DocType",
    "InjuryCause",
    "MediaType",
    "RefusalCode",
    "StepKind",
    "catalogue_region",
    "check_document",
    "check_region",
    "clock_after",
    "deadline_status",
    "due_date",
    "filing_type_for",
    "is_stay",
    "line_amount",
    "missing_documents",
    "next_state",
    "required_documents",
    "text",
    "third_party_refusal",
]

#: the largest document accepted (10 MiB): a scanned page at 300 dpi is well under 2 MiB
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
#: calendar days from complete documents to the agency's decision and settlement (ADR 0015)
DEADLINE_DAYS = 30
#: a claim whose deadline is at most this many days away is "due soon"
DUE_SOON_DAYS = 5


class InjuryCause(StrEnum):
    """What caused the injury treated: a third party may be liable for the costs."""

    NONE = "none"
    TRAFFIC_ACCIDENT = "traffic_accident"
    WORK_INJURY = "work_injury"
    OTHER_THIRD_PARTY = "other_third_party"

    @property
    def label(self) -> str:
        return {"none": "无第三方责任", "traffic_accident": "交通事故", "work_injury": "工伤",
                "other_third_party": "其他第三方责任"}[self.value]  # fmt: skip


class DocType(StrEnum):
    """What an uploaded document is."""

    INVOICE = "invoice"
    FEE_LIST = "fee_list"
    DISCHARGE_SUMMARY = "discharge_summary"
    FILING_PROOF = "filing_proof"
    LIABILITY_PAPERS = "liability_papers"
    FAILURE_RECORD = "failure_record"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"invoice": "医疗收费票据", "fee_list": "费用明细清单", "discharge_summary": "出院小结",
                "filing_proof": "异地就医备案证明", "liability_papers": "责任认定材料",
                "failure_record": "结算失败记录", "other": "其他材料"}[self.value]  # fmt: skip


class MediaType(StrEnum):
    """The media types accepted, as the file's first bytes show them."""

    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"


class ClaimState(StrEnum):
    """Where a claim stands."""

    FILED = "filed"
    IN_REVIEW = "in_review"
    MORE_REQUESTED = "more_requested"
    APPROVED = "approved"
    REFUSED = "refused"
    SETTLED = "settled"
    PAID = "paid"

    @property
    def label(self) -> str:
        return {"filed": "已受理", "in_review": "审核中", "more_requested": "待补充材料",
                "approved": "审核通过", "refused": "不予报销", "settled": "已结算",
                "paid": "已支付"}[self.value]  # fmt: skip

    @property
    def with_agency(self) -> bool:
        """The agency has the next move, so the deadline runs (while it is set)."""
        return self in (ClaimState.FILED, ClaimState.IN_REVIEW, ClaimState.APPROVED)


class StepKind(StrEnum):
    """What a step of a claim records."""

    FILED = "filed"
    DOCUMENT_ADDED = "document_added"
    TAKEN = "taken"
    MORE_REQUESTED = "more_requested"
    RESUBMITTED = "resubmitted"
    LIABILITY_CLEARED = "liability_cleared"
    APPROVED = "approved"
    REFUSED = "refused"
    SETTLED = "settled"
    PAID = "paid"


class RefusalCode(StrEnum):
    """Why a claim is refused."""

    THIRD_PARTY_LIABILITY = "third_party_liability"
    DOCUMENTS_MISSING = "documents_missing"
    NOT_COVERED = "not_covered"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"third_party_liability": "第三方责任", "documents_missing": "材料不全",
                "not_covered": "不属于医保支付范围", "other": "其他"}[self.value]  # fmt: skip


class ClaimConflict(ConflictError):
    """A step the claim's state (or its documents) does not allow; names the field and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


_S, _K = ClaimState, StepKind
#: (state before, step) → state after; ``None``: the claim does not exist yet
TRANSITIONS: Mapping[tuple[ClaimState | None, StepKind], ClaimState] = {
    (None, _K.FILED): _S.FILED,
    (_S.FILED, _K.DOCUMENT_ADDED): _S.FILED,
    (_S.IN_REVIEW, _K.DOCUMENT_ADDED): _S.IN_REVIEW,
    (_S.MORE_REQUESTED, _K.DOCUMENT_ADDED): _S.MORE_REQUESTED,
    (_S.FILED, _K.TAKEN): _S.IN_REVIEW,
    (_S.MORE_REQUESTED, _K.TAKEN): _S.IN_REVIEW,
    (_S.IN_REVIEW, _K.MORE_REQUESTED): _S.MORE_REQUESTED,
    (_S.MORE_REQUESTED, _K.RESUBMITTED): _S.FILED,
    (_S.IN_REVIEW, _K.LIABILITY_CLEARED): _S.IN_REVIEW,
    (_S.IN_REVIEW, _K.APPROVED): _S.APPROVED,
    (_S.IN_REVIEW, _K.REFUSED): _S.REFUSED,
    (_S.APPROVED, _K.SETTLED): _S.SETTLED,
    (_S.SETTLED, _K.PAID): _S.PAID,
}


def next_state(state: ClaimState | None, step: StepKind) -> ClaimState:
    """The state after ``step``; a step the state does not allow is refused naming ``state``."""
    after = TRANSITIONS.get((state, step))
    if after is not None:
        return after
    if state is None:
        raise ClaimConflict("state", f"no claim to take the step {step.value}")
    allowed = sorted(k.value for (s, k) in TRANSITIONS if s is state)
    can = ", ".join(allowed) if allowed else "nothing: it is closed"
    raise ClaimConflict(
        "state",
        f"a claim that is {state.value} ({state.label}) takes no {step.value}; it takes {can}",
    )


def is_stay(med_type: str) -> bool:
    """An inpatient stay (住院), the same 医疗类别 the inpatient sample draws from."""
    return med_type in INPATIENT_MED_TYPES


def required_documents(
    med_type: str, *, emergency: bool, filing_on_record: bool
) -> tuple[DocType, ...]:
    """What a claim needs before it can be approved.

    Always the invoice and the fee list; the discharge summary for a stay; the filing proof unless
    the care was an emergency (急诊抢救 counts as filed, 医保发〔2022〕22号 第8条) or the registry
    already holds a filing covering the care region on the visit's days (the filing is the proof).
    """
    needed = [DocType.INVOICE, DocType.FEE_LIST]
    if is_stay(med_type):
        needed.append(DocType.DISCHARGE_SUMMARY)
    if not emergency and not filing_on_record:
        needed.append(DocType.FILING_PROOF)
    return tuple(needed)


def missing_documents(required: Iterable[DocType], on_file: Collection[str]) -> tuple[DocType, ...]:
    """The required document types not on file."""
    return tuple(d for d in required if d.value not in on_file)


def third_party_refusal(cause: InjuryCause, *, cleared: bool) -> str | None:
    """The reason a claim is refused for third-party liability, or None when it is not.

    《社会保险法》第三十条: costs a third party must bear, or that the work-injury fund pays, are not
    paid by the basic medical insurance fund. A clerk clears a claim only on liability papers
    showing that no third party is liable (``cleared``).
    """
    if cause is InjuryCause.NONE or cleared:
        return None
    payer = "工伤保险基金" if cause is InjuryCause.WORK_INJURY else "第三人"
    return (
        f"第三方责任（{cause.label}）：应当由{payer}负担的医疗费用不纳入基本医疗保险基金支付范围"
        "（《社会保险法》第三十条）；未见证明无第三方责任的责任认定材料"
    )


def due_date(complete_on: date) -> date:
    """The deadline of a claim whose documents were complete on ``complete_on``."""
    return complete_on + timedelta(days=DEADLINE_DAYS)


def clock_after(
    state_after: ClaimState, *, due_on: date | None, complete: bool, today: date
) -> tuple[date | None, date | None] | None:
    """``(complete_on, due_on)`` to set after a step, or None to leave them as they are.

    A request for more stops the clock; it starts (afresh) on the first step that leaves the
    claim with the agency with every required document on file.
    """
    if state_after is ClaimState.MORE_REQUESTED:
        return None, None
    if state_after in (ClaimState.FILED, ClaimState.IN_REVIEW) and due_on is None and complete:
        return today, due_date(today)
    return None


def deadline_status(
    state: ClaimState, due_on: date | None, today: date, closed_on: date | None = None
) -> str:
    """``overdue``, ``due_soon``, ``on_time``, ``met``, ``missed`` (closed late) or ``none``."""
    if due_on is None:
        return "none"
    if closed_on is not None or not state.with_agency:
        if closed_on is None:  # back with the person: the clock is stopped
            return "none"
        return "met" if closed_on <= due_on else "missed"
    if today > due_on:
        return "overdue"
    return "due_soon" if (due_on - today).days <= DUE_SOON_DAYS else "on_time"


def catalogue_region(
    *, care_admdvs: str, insuplc_admdvs: str, reason: str | None, regions: Collection[str]
) -> tuple[str, str]:
    """Whose catalogue splits a claim's lines, and why (ADR 0015).

    The care region's when it is a region of this deployment and the visit failed only for the
    network (direct settlement would have used it, 第6条 就医地目录); otherwise the insuring
    region's: care at an institution not networked for cross-region settlement, or without a
    filing, follows the insuring region's rules (医保发〔2022〕22号 第14条).
    """
    if reason == "network" and care_admdvs in regions:
        return care_admdvs, (
            f"网络故障未能直接结算：按直接结算规则，使用就医地 {care_admdvs} 的目录、限价与先行自付比例"
            "（医保发〔2022〕22号 第6条）"
        )
    why = {"not_enabled": "非异地联网定点医疗机构", "no_filing": "未办理异地就医备案",
           "network": f"就医地 {care_admdvs} 不在本平台"}.get(reason or "", "未能直接结算")  # fmt: skip
    return insuplc_admdvs, (
        f"{why}：按参保地规定执行，使用参保地 {insuplc_admdvs} 的目录、限价与先行自付比例"
        "（医保发〔2022〕22号 第14条）"
    )


def filing_type_for(registered: FilingType | None, *, emergency: bool) -> FilingType:
    """The filing type a claim settles under: the registry's filing, else emergency (视同已备案)
    for emergency care, else other temporary care (the largest reduction)."""
    if registered is not None:
        return registered
    return FilingType.EMERGENCY if emergency else FilingType.OTHER_TEMPORARY


def check_document(doc_type: str, size: int) -> DocType:
    """The document's type, once the type is known and the size within the limit."""
    try:
        kind = DocType(doc_type)
    except ValueError:
        allowed = ", ".join(f"{d.value} ({d.label})" for d in DocType)
        raise InvalidValue("doc_type", f"{doc_type!r} is not a document type ({allowed})") from None
    if size == 0:
        raise InvalidValue("content", "the file is empty")
    if size > MAX_DOCUMENT_BYTES:
        raise InvalidValue(
            "content",
            f"{size} bytes is over the limit of {MAX_DOCUMENT_BYTES} bytes "
            f"({MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB)",
        )
    return kind


def line_amount(
    cnt: object, pric: object, amount: object, *, field: str
) -> tuple[Decimal, Decimal, Decimal]:
    """A fee line's count, price and amount: count above 0, price not negative, amount = count × price."""
    count = to_decimal(cnt, field=f"{field}.cnt", kind="count")
    price = to_decimal(pric, field=f"{field}.pric", kind="price")
    total = money(amount, field=f"{field}.amount")
    if count <= 0:
        raise InvalidValue(f"{field}.cnt", f"{count} is not above 0 (a claim carries no refunds)")
    if price < 0:
        raise InvalidValue(f"{field}.pric", f"{price} is negative")
    if total != fen(count * price):
        raise InvalidValue(f"{field}.amount", f"{total} ≠ cnt × pric = {fen(count * price)}")
    return count, price, total
