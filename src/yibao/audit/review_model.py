"""The review queue's rules as pure values: states and steps, decisions and amounts, the sample.

A **case** (审核案件) is one visit under review, for one of two reasons (:class:`CaseReason`):
suspicious findings (可疑, and violations the institution appeals), or the random sample of
inpatient visits that national guidance asks the agency to check by hand (at least 10%).

States and the steps that move them (:data:`TRANSITIONS`; anything else is refused)::

    (new) --opened--> open --answered--> answered --decided--> closed
                      open --findings_added--> open    answered --answered--> answered
                      open --decided--> closed   (no answer: a sample with nothing to ask, or
                                                  the institution let the deadline pass)

A closed case takes no further step: a finding found again later opens a new case.

A decision (:func:`decide`) upholds the whole amount at issue, part of it (more than 0 and less
than the amount at issue, to the fen), or dismisses the case (0 upheld); it always states its
reason. The sample (:func:`draw_sample`): ``ceil(share × visits)`` of each institution's settled
inpatient visits of the period, never fewer than one when it has any, ranked by SHA-256 of the
seed and ``mdtrt_id``, so that the same seed draws the same visits on any machine.

Pure: no I/O; the service ``audit.review`` stores what these functions decide.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from yibao.audit.model import Grade, Moment
from yibao.kernel.codes import MedType
from yibao.kernel.errors import ConflictError, InvalidValue
from yibao.kernel.money import ZERO, ratio, to_decimal

__all__ = [
    "INPATIENT_MED_TYPES",
    "MAX_CASE_ID",
    "MAX_FINDING_ID",
    "MIN_SHARE",
    "TRANSITIONS",
    "CaseReason",
    "CaseState",
    "Decision",
    "Outcome",
    "Period",
    "ReviewConflict",
    "StepKind",
    "check_share",
    "decide",
    "draw_sample",
    "evidence_refs",
    "identifier",
    "next_state",
    "opens_case",
    "rank_key",
    "sample_size",
    "text",
]


class CaseReason(StrEnum):
    """Why a visit is under review."""

    #: 可疑: suspicious findings (the institution explains, a person decides), or appealed violations
    FINDING = "finding"
    #: 抽审: the random sample of settled inpatient visits
    SAMPLE = "sample"

    @property
    def label(self) -> str:
        """The Chinese name."""
        return {CaseReason.FINDING: "疑点审核", CaseReason.SAMPLE: "住院抽审"}[self]


class CaseState(StrEnum):
    """Where a case stands."""

    #: 待机构答复: opened, waiting for the institution's answer
    OPEN = "open"
    #: 待审核决定: the institution answered; an auditor decides
    ANSWERED = "answered"
    #: 已结案: decided; takes no further step
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """The Chinese name."""
        names = {CaseState.OPEN: "待机构答复", CaseState.ANSWERED: "待审核决定"}
        return names.get(self, "已结案")


class StepKind(StrEnum):
    """What a step of a case records."""

    #: 立案
    OPENED = "opened"
    #: 追加疑点: findings found later join the open case
    FINDINGS_ADDED = "findings_added"
    #: 机构答复 (申诉): explanation and evidence references
    ANSWERED = "answered"
    #: 审核决定
    DECIDED = "decided"


class Outcome(StrEnum):
    """An auditor's decision."""

    #: 维持: the whole amount at issue is not paid
    UPHOLD = "uphold"
    #: 部分维持: part of it is not paid
    PARTLY_UPHOLD = "partly_uphold"
    #: 撤销: nothing is deducted
    DISMISS = "dismiss"

    @property
    def label(self) -> str:
        """The Chinese name."""
        names = {Outcome.UPHOLD: "维持", Outcome.PARTLY_UPHOLD: "部分维持"}
        return names.get(self, "撤销")


class ReviewConflict(ConflictError):
    """A step the case's state does not allow; names the field and the reason like InvalidValue."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


#: (state before, step) → state after; ``None``: the case does not exist yet
TRANSITIONS: Mapping[tuple[CaseState | None, StepKind], CaseState] = {
    (None, StepKind.OPENED): CaseState.OPEN,
    (CaseState.OPEN, StepKind.FINDINGS_ADDED): CaseState.OPEN,
    (CaseState.OPEN, StepKind.ANSWERED): CaseState.ANSWERED,
    (CaseState.ANSWERED, StepKind.ANSWERED): CaseState.ANSWERED,
    (CaseState.OPEN, StepKind.DECIDED): CaseState.CLOSED,
    (CaseState.ANSWERED, StepKind.DECIDED): CaseState.CLOSED,
}


_STEP_NAMES = {
    StepKind.OPENED: "opening",
    StepKind.FINDINGS_ADDED: "findings",
    StepKind.ANSWERED: "answer",
    StepKind.DECIDED: "decision",
}


def next_state(state: CaseState | None, step: StepKind) -> CaseState:
    """The state after ``step``; a step the state does not allow is refused naming ``state``."""
    after = TRANSITIONS.get((state, step))
    if after is not None:
        return after
    what = _STEP_NAMES[step]
    if state is CaseState.CLOSED:
        raise ReviewConflict("state", f"the case is closed (decided): it takes no further {what}")
    if state is None:
        raise ReviewConflict("state", f"no case to take the {what}")
    raise ReviewConflict("state", f"a case that is {state.value} takes no {what}")


def opens_case(grade: Grade, moment: Moment) -> bool:
    """Whether a finding goes to the queue by itself: suspicious ones found at or after settlement.

    Violations are deducted without review (they enter a case only when appealed); reminders
    are not deducted at all; 事前 (3101) findings concern orders not yet billed.
    """
    return grade is Grade.SUSPICIOUS and moment is not Moment.BEFORE


@dataclass(frozen=True, slots=True)
class Decision:
    """A validated decision: the outcome, the amount not paid, and why."""

    outcome: Outcome
    amount_upheld: Decimal
    reason: str


def decide(
    outcome: str, *, at_issue: Decimal, amount_upheld: Decimal | None, reason: str
) -> Decision:
    """Check a decision against the amount at issue; names ``outcome``, ``amount_upheld`` or ``reason``.

    ``uphold`` upholds the amount at issue (an amount given must equal it); ``dismiss`` upholds 0
    (an amount given must be 0); ``partly_uphold`` needs an amount above 0 and below the amount at
    issue, in yuan to the fen.
    """
    try:
        chosen = Outcome(outcome)
    except ValueError:
        allowed = ", ".join(o.value for o in Outcome)
        raise InvalidValue("outcome", f"{outcome!r} is not one of {allowed}") from None
    why = text(reason, field="reason", limit=2000)
    amount = None
    if amount_upheld is not None:
        amount = to_decimal(amount_upheld, field="amount_upheld")
        if amount < ZERO:
            raise InvalidValue("amount_upheld", f"{amount} is negative")
    if chosen is Outcome.UPHOLD:
        if amount is not None and amount != at_issue:
            raise InvalidValue(
                "amount_upheld",
                f"{amount} is not the amount at issue {at_issue}; use partly_uphold for a part",
            )
        return Decision(chosen, at_issue, why)
    if chosen is Outcome.DISMISS:
        if amount is not None and amount != ZERO:
            raise InvalidValue("amount_upheld", f"{amount}: a dismissal upholds nothing (0)")
        return Decision(chosen, ZERO, why)
    if amount is None:
        raise InvalidValue("amount_upheld", "missing: partly_uphold names the amount upheld")
    if not ZERO < amount < at_issue:
        raise InvalidValue(
            "amount_upheld",
            f"{amount} is not more than 0 and less than the amount at issue {at_issue}",
        )
    return Decision(chosen, amount + ZERO, why)


def text(value: str, *, field: str, limit: int) -> str:
    """A required text, stripped: not blank, at most ``limit`` characters, no NUL (no database keeps it)."""
    if not isinstance(value, str):
        raise InvalidValue(field, f"expected text, got {type(value).__name__}")
    cleaned = value.strip()
    if not cleaned:
        raise InvalidValue(field, "empty")
    if len(cleaned) > limit:
        raise InvalidValue(field, f"longer than {limit} characters")
    if "\x00" in cleaned:
        raise InvalidValue(field, "contains a NUL character")
    return cleaned


#: the largest case number (a 32-bit key) and finding id (a 64-bit key)
MAX_CASE_ID = 2**31 - 1
MAX_FINDING_ID = 2**63 - 1


def identifier(value: int, *, field: str, largest: int) -> int:
    """A key as the tables hold it: a whole number from 1 to ``largest``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= largest:
        raise InvalidValue(field, f"{value!r} is not a number from 1 to {largest}")
    return value


#: the most evidence references one answer may cite
MAX_EVIDENCE = 50


def evidence_refs(values: Iterable[str]) -> tuple[str, ...]:
    """References to evidence documents (病程记录 p.3, 检验报告 2026-05-03 …), each checked."""
    refs = tuple(text(v, field=f"evidence[{i}]", limit=200) for i, v in enumerate(values))
    if len(refs) > MAX_EVIDENCE:
        raise InvalidValue("evidence", f"{len(refs)} references; at most {MAX_EVIDENCE}")
    return refs


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A month (YYYY-MM): cases, samples and clearing are counted per month."""

    year: int
    month: int

    @classmethod
    def parse(cls, value: str, *, field: str = "period") -> Period:
        """``2026-05`` → Period(2026, 5); anything else is refused naming ``field``."""
        parts = value.strip().split("-")
        if len(parts) != 2 or len(parts[0]) != 4 or len(parts[1]) != 2:
            raise InvalidValue(field, f"{value!r} is not a month YYYY-MM")
        if not all(p.isascii() and p.isdigit() for p in parts):
            raise InvalidValue(field, f"{value!r} is not a month YYYY-MM")
        year, month = int(parts[0]), int(parts[1])
        if not 1 <= month <= 12 or year < 1900:
            raise InvalidValue(field, f"{value!r} is not a month YYYY-MM")
        return cls(year, month)

    @classmethod
    def of(cls, day: date) -> Period:
        """The month of ``day``."""
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        """Its first day."""
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        """The first day of the next month (the period's end, exclusive)."""
        if self.month == 12:
            return date(self.year + 1, 1, 1)
        return date(self.year, self.month + 1, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


#: national guidance: at least 10% of inpatient claims are checked by hand
MIN_SHARE = Decimal("0.10")

#: 医疗类别 settled as inpatient stays (住院), whose visits the sample draws from
INPATIENT_MED_TYPES: frozenset[str] = frozenset(
    t.value
    for t in (
        MedType.GENERAL_INPATIENT, MedType.INJURY_INPATIENT, MedType.REFERRAL_INPATIENT,
        MedType.EMERGENCY_TO_INPATIENT, MedType.OFFSITE_INPATIENT, MedType.SINGLE_DISEASE_INPATIENT,
        MedType.DAY_SURGERY, MedType.MATERNITY_INPATIENT, MedType.PALLIATIVE_CARE_INPATIENT,
        MedType.LOW_COPAY_INPATIENT, MedType.EMERGENCY_INPATIENT,
    )
)  # fmt: skip


def check_share(value: object) -> Decimal:
    """The sample's share: a ratio (at most four decimals) from 10% to 100%."""
    share = ratio(value, field="share")
    if share < MIN_SHARE:
        raise InvalidValue("share", f"{share} is below the national minimum of {MIN_SHARE}")
    return share


def sample_size(population: int, share: Decimal = MIN_SHARE) -> int:
    """``ceil(share × population)``, never fewer than 1 when there is any visit; 0 of none."""
    if population <= 0:
        return 0
    return max(1, math.ceil(share * population))


def rank_key(mdtrt_id: str, seed: str) -> str:
    """A visit's place in the draw: SHA-256 of the seed and ``mdtrt_id`` (separated), in hex."""
    return hashlib.sha256(f"{seed}\x1f{mdtrt_id}".encode()).hexdigest()


def draw_sample(mdtrt_ids: Iterable[str], *, seed: str, share: Decimal) -> tuple[str, ...]:
    """The visits drawn from one institution's population, in rank order (deterministic)."""
    if not seed.strip():
        raise InvalidValue("seed", "empty")
    population = sorted(set(mdtrt_ids))
    ranked = sorted(population, key=lambda mdtrt_id: (rank_key(mdtrt_id, seed), mdtrt_id))
    return tuple(ranked[: sample_size(len(population), share)])
