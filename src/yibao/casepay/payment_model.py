"""DRG and DIP payment of a case (按病组付费, 按病种分值付费): pure arithmetic with a trace.

Pure: standard library and the kernel only. Amounts are to the fen, rounded only through
:mod:`yibao.kernel.money`. The rules (docs/adr/0023-drg-weights-and-payment.md):

**DRG** (per case, with the group's weight from a version of :mod:`~yibao.casepay.weights_model`):

* standard payment = fen(RW × base rate);
* **high-cost outlier** (高倍率), cost > ``high_ratio`` × group mean (3): standard + fen((cost −
  high_ratio × mean) × ``high_share``) — the fund takes a share (0.9) of the cost above the
  threshold on top of the standard payment, the institution bears the rest;
* **low-cost outlier** (低倍率), cost < ``low_ratio`` × group mean (0.4): paid by item (the cost);
* a case with no valid grouped list, or whose DRG has no weight in the version: paid by item;
* fund share = case payment − what the patient paid under the policy (Σ ``psn_part_amt``), so
  **fund share + patient share = case payment** to the fen (it is negative when the patient paid
  more than the case payment; the trace says so); surplus (结余, or loss 超支 when negative) =
  case payment − cost.

**DIP**: cases grouped by (main diagnosis, procedure combination = the sorted set of procedure
codes joined by ``+``, or ``conservative`` without one); score (分值) = group mean ÷ reference cost
(the overall mean) × 100, four decimals; point value (点值) = budget ÷ Σ points claimed (each case
claims its group's score), four decimals; payment = fen(score × point value). No trimming.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import ZERO, fen, ratio_places

__all__ = [
    "CONSERVATIVE",
    "CaseCharge",
    "DipCase",
    "DipGroup",
    "DipPayment",
    "DipResult",
    "DrgPayment",
    "PayKind",
    "PayParams",
    "dip_key",
    "pay_case",
    "pay_dip",
]

#: the procedure combination of a case without a procedure (保守治疗)
CONSERVATIVE = "conservative"
_HUNDRED = Decimal(100)


class PayKind(StrEnum):
    """How a case was paid."""

    STANDARD = "standard"
    """按病组标准付费: RW × base rate."""
    HIGH = "high_outlier"
    """高倍率病例: standard plus a share of the cost above the threshold."""
    LOW = "low_outlier"
    """低倍率病例: by item."""
    BY_ITEM = "by_item"
    """按项目付费: no group or no weight for it."""


@dataclass(frozen=True, slots=True)
class PayParams:
    """The outlier thresholds (multiples of the group mean) and the fund's share above the high one."""

    high_ratio: Decimal = Decimal("3")
    low_ratio: Decimal = Decimal("0.4")
    high_share: Decimal = Decimal("0.9")

    def __post_init__(self) -> None:
        if not ZERO < self.low_ratio < 1:
            raise InvalidValue("params.low_ratio", f"{self.low_ratio} is not between 0 and 1")
        if self.high_ratio <= 1:
            raise InvalidValue("params.high_ratio", f"{self.high_ratio} is not above 1")
        if not ZERO <= self.high_share <= 1:
            raise InvalidValue("params.high_share", f"{self.high_share} is not between 0 and 1")

    def as_dict(self) -> dict[str, str]:
        """The parameters as text, to store with a version."""
        return {"high_ratio": str(self.high_ratio), "low_ratio": str(self.low_ratio),
                "high_share": str(self.high_share)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CaseCharge:
    """What a case cost (Σ medfee_sumamt) and what the patient paid of it (Σ psn_part_amt)."""

    case_id: str
    cost: Decimal
    patient_share: Decimal


@dataclass(frozen=True, slots=True)
class DrgPayment:
    """One case's DRG payment, its split and its trace (each step in words)."""

    case_id: str
    drg: str | None
    kind: PayKind
    cost: Decimal
    case_payment: Decimal
    fund_share: Decimal
    patient_share: Decimal
    surplus: Decimal
    trace: tuple[str, ...]
    rw: Decimal | None = None
    base_rate: Decimal | None = None
    mean_cost: Decimal | None = None
    standard: Decimal | None = None


def pay_case(
    case: CaseCharge,
    *,
    drg: str | None,
    weight: tuple[Decimal, Decimal] | None,
    base_rate: Decimal,
    params: PayParams,
    why_by_item: str = "",
) -> DrgPayment:
    """Pay ``case`` of ``drg`` whose group has ``weight`` = (RW, mean cost); None: by item."""
    if weight is None:
        reason = why_by_item or f"DRG {drg} has no weight in this version"
        return _finish(case, drg, PayKind.BY_ITEM, case.cost,
                       [f"paid by item (按项目付费): {reason}; case payment = cost {case.cost}"])  # fmt: skip
    rw, mean = weight
    standard = fen(rw * base_rate)
    trace = [f"DRG {drg}: RW {rw} × base rate {base_rate} = standard payment {standard}"]
    high, low = params.high_ratio * mean, params.low_ratio * mean
    if case.cost > high:
        extra = fen((case.cost - high) * params.high_share)
        kind, payment = PayKind.HIGH, standard + extra
        trace.append(
            f"high-cost outlier (高倍率): cost {case.cost} > {params.high_ratio} × group mean {mean}"
            f" = {fen(high)}; paid standard {standard} + ({case.cost} − {fen(high)}) × "
            f"{params.high_share} = {extra}, case payment {payment}"
        )
    elif case.cost < low:
        kind, payment = PayKind.LOW, case.cost
        trace.append(
            f"low-cost outlier (低倍率): cost {case.cost} < {params.low_ratio} × group mean {mean}"
            f" = {fen(low)}; paid by item, case payment = cost {payment}"
        )
    else:
        kind, payment = PayKind.STANDARD, standard
        trace.append(
            f"cost {case.cost} within [{params.low_ratio}, {params.high_ratio}] × group mean "
            f"{mean}: case payment = standard {standard}"
        )
    paid = _finish(case, drg, kind, payment, trace)
    return replace(paid, rw=rw, base_rate=base_rate, mean_cost=mean, standard=standard)


def _finish(
    case: CaseCharge, drg: str | None, kind: PayKind, payment: Decimal, trace: list[str]
) -> DrgPayment:
    fund = payment - case.patient_share
    trace.append(
        f"fund share = case payment {payment} − patient share {case.patient_share} = {fund}"
    )
    if fund < 0:
        trace.append("the patient paid more than the case payment: the fund's share is negative")
    surplus = payment - case.cost
    word = "surplus (结余留用)" if surplus >= 0 else "loss (超支分担)"
    trace.append(f"institution {word} = case payment {payment} − cost {case.cost} = {surplus}")
    return DrgPayment(
        case.case_id, drg, kind, case.cost, payment, fund, case.patient_share, surplus, tuple(trace)
    )


# --- DIP -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DipCase:
    """A case for DIP: its main diagnosis, its procedure codes and its cost."""

    case_id: str
    main_diagnosis: str
    procedures: tuple[str, ...]
    cost: Decimal


@dataclass(frozen=True, slots=True)
class DipGroup:
    """A DIP group (病种): its key, cases, mean cost and score (分值)."""

    diagnosis: str
    combination: str
    cases: int
    mean_cost: Decimal
    score: Decimal


@dataclass(frozen=True, slots=True)
class DipPayment:
    """One case's DIP payment: its group's score × the point value."""

    case_id: str
    diagnosis: str
    combination: str
    score: Decimal
    payment: Decimal
    trace: str


@dataclass(frozen=True, slots=True)
class DipResult:
    """The groups, the reference cost, the points claimed, the point value and every payment."""

    groups: tuple[DipGroup, ...]
    reference_cost: Decimal
    total_points: Decimal
    point_value: Decimal
    budget: Decimal
    payments: tuple[DipPayment, ...]


def dip_key(main_diagnosis: str, procedures: Iterable[str]) -> tuple[str, str]:
    """(main diagnosis, the sorted set of procedure codes joined by '+', or 'conservative')."""
    codes = sorted({p.strip() for p in procedures if p.strip()})
    return main_diagnosis.strip(), "+".join(codes) or CONSERVATIVE


def pay_dip(cases: Iterable[DipCase], *, budget: Decimal) -> DipResult:
    """Score every group of ``cases`` against their overall mean and share ``budget`` by points."""
    if budget <= 0:
        raise InvalidValue("budget", f"{budget} is not positive")
    listed = list(cases)
    if not listed:
        raise InvalidValue("cases", "no case: nothing to score")
    by_key: dict[tuple[str, str], list[DipCase]] = {}
    for case in listed:
        if case.cost < 0:
            raise InvalidValue("cost", f"case {case.case_id} has a negative cost {case.cost}")
        by_key.setdefault(dip_key(case.main_diagnosis, case.procedures), []).append(case)
    reference = sum((c.cost for c in listed), ZERO) / len(listed)
    if reference <= 0:
        raise InvalidValue("cases", "every case costs 0: no score can be computed")
    groups = {}
    for key, members in sorted(by_key.items()):
        mean = sum((c.cost for c in members), ZERO) / len(members)
        groups[key] = DipGroup(
            *key, len(members), fen(mean), ratio_places(mean / reference * _HUNDRED)
        )
    points = sum((groups[k].score * len(m) for k, m in by_key.items()), ZERO)
    if points <= 0:
        raise InvalidValue("cases", "the points claimed add up to 0: no point value")
    value = ratio_places(budget / points)
    payments = []
    for case in listed:
        group = groups[dip_key(case.main_diagnosis, case.procedures)]
        paid = fen(group.score * value)
        payments.append(DipPayment(
            case.case_id, group.diagnosis, group.combination, group.score, paid,
            f"DIP {group.diagnosis}/{group.combination}: score {group.score} × point value {value}"
            f" = {paid}",
        ))  # fmt: skip
    return DipResult(tuple(groups.values()), fen(reference), points, value, budget, tuple(payments))
