"""The monthly payment to an institution as pure values: statement lines, totals, the quality
deposit, the agreement's penalties and consequences, appeal deadlines.

A clearing statement (清算单) for one institution and month is a list of :class:`Line` values of
the kinds in :class:`LineKind`, each signed (+ owed to the institution, − withheld). Its totals
(:class:`Totals`) hold the identity ::

    net = fund_payments − deductions − penalties − deposit
          + appeal_refunds + deposit_releases + refunds − supplements

so that over a month ``Σ net + Σ deductions + Σ penalties + Σ deposit − Σ additions`` equals the
fund payments of the month to the fen (:meth:`Totals.check`).

The agreement (定点医疗机构服务协议) is data (:class:`Agreement`, loaded by
:mod:`yibao.clearing.agreement`): violation types with the audit families they cover and the
penalty multipliers (2 to 5 times the amount), the number of cases of one kind in a month that
lets the agency refuse a department's month (3) or suspend the department or institution (5,
for three months). :func:`propose` turns a month's upheld deductions into proposals; each needs an
agency decision (:func:`check_multiplier`). Pure: no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from yibao.kernel.errors import ConflictError, InvalidValue
from yibao.kernel.money import ZERO, apply_ratio, fen, money

__all__ = [
    "Agreement",
    "ClearingConflict",
    "ConsequenceKind",
    "Line",
    "LineKind",
    "Proposal",
    "Totals",
    "UpheldDeduction",
    "ViolationType",
    "add_months",
    "appeal_due",
    "check_multiplier",
    "deposit_of",
    "propose",
    "totals_of",
]


class ClearingConflict(ConflictError):
    """A step the state does not allow; names the field and the reason like InvalidValue."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class LineKind(StrEnum):
    """What a statement line is, and its sign."""

    #: 结算: the funds' payments of one settlement (a reversal is negative)
    SETTLEMENT = "settlement"
    #: 审核扣款: a violation or an upheld case
    DEDUCTION = "deduction"
    #: 违约金, and the refusal of a department's month
    PENALTY = "penalty"
    #: 质量保证金 withheld
    DEPOSIT = "deposit"
    #: 申诉成功退还
    APPEAL_REFUND = "appeal_refund"
    #: 质量保证金年终返还
    DEPOSIT_RELEASE = "deposit_release"
    #: 退付: the fund pays the institution what it owed
    REFUND = "refund"
    #: 补缴: the institution pays back what it was overpaid
    SUPPLEMENT = "supplement"
    #: 病组结算差额: a stay paid by DRG, the case's fund share less what its settlements' funds paid
    CASE_PAYMENT = "case_payment"

    @property
    def sign(self) -> int:
        """+1 when the line adds to what is paid, −1 when it withholds."""
        withheld = {LineKind.DEDUCTION, LineKind.PENALTY, LineKind.DEPOSIT, LineKind.SUPPLEMENT}
        return -1 if self in withheld else 1

    @property
    def label(self) -> str:
        """The Chinese name."""
        return {
            LineKind.SETTLEMENT: "结算", LineKind.DEDUCTION: "审核扣款", LineKind.PENALTY: "违约金/拒付",
            LineKind.DEPOSIT: "质量保证金", LineKind.APPEAL_REFUND: "申诉退还",
            LineKind.DEPOSIT_RELEASE: "保证金返还", LineKind.REFUND: "退付", LineKind.SUPPLEMENT: "补缴",
            LineKind.CASE_PAYMENT: "病组结算差额",
        }[self]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a statement; ``amount`` is signed, ``funds`` the fund breakdown of a settlement."""

    kind: LineKind
    ref: str
    day: date
    text: str
    amount: Decimal
    funds: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Totals:
    """A statement's totals; every amount but ``net`` is positive in the direction its name says."""

    fund_payments: Decimal
    deductions: Decimal
    penalties: Decimal
    deposit: Decimal
    appeal_refunds: Decimal
    deposit_releases: Decimal
    refunds: Decimal
    supplements: Decimal
    by_fund: Mapping[str, Decimal]
    settlements: int
    #: what paying stays by DRG adds to (or, negative, takes from) the item-based fund payments
    case_payments: Decimal = ZERO

    @property
    def paid_for_care(self) -> Decimal:
        """The month's fund payments with the DRG differences: what deductions are taken from."""
        return self.fund_payments + self.case_payments

    @property
    def withheld(self) -> Decimal:
        """Deductions, penalties and the deposit."""
        return self.deductions + self.penalties + self.deposit

    @property
    def additions(self) -> Decimal:
        """What is paid besides the month's fund payments."""
        return self.appeal_refunds + self.deposit_releases + self.refunds - self.supplements

    @property
    def net(self) -> Decimal:
        """What the fund pays the institution for the month (negative: the institution owes)."""
        return self.paid_for_care - self.withheld + self.additions

    def check(self, lines: Sequence[Line]) -> None:
        """The totals are the sum of the lines, and the fund breakdown sums to the fund payments."""
        if sum((line.amount for line in lines), ZERO) != self.net:
            raise ClearingConflict("net", f"the lines do not sum to the net {self.net}")
        if sum(self.by_fund.values(), ZERO) != self.fund_payments:
            raise ClearingConflict("by_fund", f"the funds do not sum to {self.fund_payments}")


def totals_of(lines: Sequence[Line], *, settlements: int) -> Totals:
    """Add up a statement's lines by kind and the settlements' payments by fund."""
    by_kind: dict[LineKind, Decimal] = defaultdict(lambda: ZERO)
    by_fund: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        by_kind[line.kind] += line.amount * line.kind.sign
        for fund, amount in line.funds.items():
            by_fund[fund] += amount
    totals = Totals(
        fund_payments=by_kind[LineKind.SETTLEMENT], deductions=by_kind[LineKind.DEDUCTION],
        penalties=by_kind[LineKind.PENALTY], deposit=by_kind[LineKind.DEPOSIT],
        appeal_refunds=by_kind[LineKind.APPEAL_REFUND], deposit_releases=by_kind[LineKind.DEPOSIT_RELEASE],
        refunds=by_kind[LineKind.REFUND], supplements=by_kind[LineKind.SUPPLEMENT],
        by_fund={k: v for k, v in sorted(by_fund.items()) if v != ZERO}, settlements=settlements,
        case_payments=by_kind[LineKind.CASE_PAYMENT],
    )  # fmt: skip
    totals.check(lines)
    return totals


def deposit_of(base: Decimal, rate: Decimal) -> Decimal:
    """The quality deposit withheld: ``rate`` of what would be paid, never below 0."""
    return apply_ratio(base, rate) if base > ZERO else fen(ZERO)


class ViolationType(StrEnum):
    """The agreement's kinds of violation (seed 003, 协议 违约情形)."""

    #: 未有效核验就医凭证，造成冒名顶替就医
    IDENTITY = "identity"
    #: 重复、分解、过度、超限制范围等违规诊疗
    EXCESSIVE = "excessive"
    #: 套记诊疗项目、不合理记账、不合理治疗
    IMPROPER_BILLING = "improper_billing"
    #: 串换药品、诊疗项目、医用材料
    SUBSTITUTION = "substitution"


class ConsequenceKind(StrEnum):
    """What the agreement lets the agency do beyond the deduction."""

    #: 扣除违规费用 2 至 5 倍的违约金
    PENALTY = "penalty"
    #: 拒付相关科室本月全部统筹费用
    DEPT_REFUSAL = "dept_refusal"
    #: 暂停科室或医疗机构医保定点资格三个月
    SUSPENSION = "suspension"

    @property
    def label(self) -> str:
        """The Chinese name."""
        names = {
            ConsequenceKind.PENALTY: "违约金",
            ConsequenceKind.DEPT_REFUSAL: "拒付科室当月统筹费用",
        }
        return names.get(self, "暂停医保定点资格")


@dataclass(frozen=True, slots=True)
class TypeRule:
    """One violation type: its name, the audit families it covers, the penalty multipliers."""

    kind: ViolationType
    label: str
    families: frozenset[str]
    multiplier_min: Decimal
    multiplier_max: Decimal
    multiplier_default: Decimal


@dataclass(frozen=True, slots=True)
class Agreement:
    """The service agreement's clearing terms."""

    clause: str
    appeal_days: int
    reconcile_days: int
    deposit_rate: Decimal
    types: tuple[TypeRule, ...]
    dept_refusal_cases: int
    suspension_cases: int
    suspension_months: int

    def type_of(self, family: str) -> TypeRule:
        """The violation type an audit family belongs to (the broad 'excessive' when not listed)."""
        for rule in self.types:
            if family in rule.families:
                return rule
        return next(r for r in self.types if r.kind is ViolationType.EXCESSIVE)


@dataclass(frozen=True, slots=True)
class UpheldDeduction:
    """What :func:`propose` needs of an upheld deduction."""

    deduction_id: int
    fixmedins_code: str
    dept_codg: str | None
    family: str
    mdtrt_id: str | None
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Proposal:
    """A consequence proposed with its rule and basis; the agency decides it."""

    kind: ConsequenceKind
    fixmedins_code: str
    dept_codg: str | None
    violation_type: ViolationType
    rule: str
    deduction_ids: tuple[int, ...]
    cases: int
    base_amount: Decimal
    min_amount: Decimal
    max_amount: Decimal


def propose(upheld: Iterable[UpheldDeduction], agreement: Agreement) -> list[Proposal]:
    """The consequences the agreement allows for one month's upheld deductions.

    Per institution and violation type: a penalty of ``multiplier_min``–``multiplier_max`` times
    the amount. Per institution, department and type, counted in cases (distinct visits): at
    ``dept_refusal_cases`` or more the department's month may be refused; at ``suspension_cases``
    or more the department (or the institution, when the lines name no department) may be
    suspended. Ordered by institution, department, type and kind.
    """
    groups: dict[tuple[str, ViolationType], list[UpheldDeduction]] = defaultdict(list)
    depts: dict[tuple[str, str | None, ViolationType], list[UpheldDeduction]] = defaultdict(list)
    for d in upheld:
        rule = agreement.type_of(d.family)
        groups[(d.fixmedins_code, rule.kind)].append(d)
        depts[(d.fixmedins_code, d.dept_codg, rule.kind)].append(d)
    out: list[Proposal] = []
    for (code, kind), items in sorted(groups.items()):
        rule = next(r for r in agreement.types if r.kind is kind)
        base = sum((d.amount for d in items), ZERO)
        out.append(Proposal(
            ConsequenceKind.PENALTY, code, None, kind,
            f"{agreement.clause}：{rule.label}，可扣除违规费用 {rule.multiplier_min}–{rule.multiplier_max} 倍的违约金",
            tuple(d.deduction_id for d in items), _cases(items), base,
            fen(base * rule.multiplier_min), fen(base * rule.multiplier_max),
        ))  # fmt: skip
    for (code, dept, kind), items in sorted(
        depts.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])
    ):
        cases = _cases(items)
        rule = next(r for r in agreement.types if r.kind is kind)
        where = f"科室 {dept}" if dept else "本机构"
        base = sum((d.amount for d in items), ZERO)
        ids = tuple(d.deduction_id for d in items)
        if dept and cases >= agreement.dept_refusal_cases:
            out.append(Proposal(
                ConsequenceKind.DEPT_REFUSAL, code, dept, kind,
                f"{agreement.clause}：{where}本月{rule.label} {cases} 例（{agreement.dept_refusal_cases} 例及以上），"
                "可拒付该科室本月全部统筹费用", ids, cases, base, ZERO, ZERO,
            ))  # fmt: skip
        if cases >= agreement.suspension_cases:
            out.append(Proposal(
                ConsequenceKind.SUSPENSION, code, dept, kind,
                f"{agreement.clause}：{where}本月{rule.label} {cases} 例（{agreement.suspension_cases} 例及以上），"
                f"可暂停{'该科室' if dept else '该机构'}医保定点资格 {agreement.suspension_months} 个月",
                ids, cases, base, ZERO, ZERO,
            ))  # fmt: skip
    return out


def _cases(items: Sequence[UpheldDeduction]) -> int:
    return len({d.mdtrt_id or f"#{d.deduction_id}" for d in items})


def check_multiplier(value: object, *, low: Decimal, high: Decimal) -> Decimal:
    """A penalty multiplier within the agreement's range, named ``multiplier`` when refused."""
    chosen = money(value, field="multiplier")
    if not low <= chosen <= high:
        raise InvalidValue("multiplier", f"{chosen} is outside the agreement's {low}–{high} times")
    return chosen


def appeal_due(upheld_at: datetime, days: int) -> date:
    """The last day an appeal may be filed."""
    return upheld_at.date() + timedelta(days=days)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months (the last day of a shorter month when needed)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")
