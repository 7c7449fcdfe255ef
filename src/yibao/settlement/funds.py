"""The fund steps of a visit settlement, each a small pure function over a :class:`Ledger`.

The ledger carries the visit's line totals, the policy-range burden still left to the person
(``left``), the counters this settlement adds (``delta``) and the trace. Each step reads the
counters *before* the visit, pays what its clause says within its remaining annual limit and
within ``left``, and writes one trace step per segment or limit it applies, citing the clause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from yibao.kernel.codes import FundPayType
from yibao.kernel.errors import SettlementRefused
from yibao.kernel.money import ZERO, fen
from yibao.policy.model import (
    CareBenefit,
    DeductibleKind,
    InsurancePlan,
    LayerBasis,
    Policy,
)
from yibao.settlement.model import Accumulators, FundPayment, TraceStep, Visit
from yibao.settlement.segments import pay_segments, percent

__all__ = [
    "Context",
    "Ledger",
    "LineTotals",
    "PoolOutcome",
    "apply_deductible",
    "pay_civil_servant",
    "pay_from_account",
    "pay_layers",
    "pay_medical_aid",
    "pay_pool",
    "settle_account_difference",
]


@dataclass(frozen=True, slots=True)
class LineTotals:
    """The visit's sums of the line split, and the trace step that states them."""

    medfee: Decimal
    fulamt: Decimal
    overlmt: Decimal
    preselfpay: Decimal
    inscp: Decimal
    step: TraceStep


@dataclass(slots=True)
class Ledger:
    """Working state of one calculation: what is left to the person, counters added, trace."""

    totals: LineTotals
    left: Decimal = ZERO
    delta: dict[str, Decimal] = field(default_factory=dict)
    trace: list[TraceStep] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.left = self.totals.inscp
        self.trace.append(self.totals.step)

    def count(self, key: str, amount: Decimal) -> None:
        if amount:
            self.delta[key] = self.delta[key] + amount if key in self.delta else amount

    def note(
        self,
        step: str,
        text: str,
        amount: Decimal | None = None,
        clause: object = None,
        fund: FundPayType | None = None,
    ) -> TraceStep:
        entry = TraceStep(step, text, amount, str(clause) if clause is not None else None, fund)
        self.trace.append(entry)
        return entry


@dataclass(frozen=True, slots=True)
class Context:
    """What every step reads: the policy, the plan and care block, the visit, the counters before."""

    policy: Policy
    plan: InsurancePlan
    care: CareBenefit
    visit: Visit
    before: Accumulators
    balance: Decimal
    family_balance: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class PoolOutcome:
    """The basic pool's row, its first ratio, the co-payment and the amount above its limit."""

    row: FundPayment
    ratio: Decimal
    copay: Decimal
    above_cap: Decimal


def apply_deductible(ledger: Ledger, ctx: Context) -> Decimal:
    """起付线 actually paid by this visit."""
    care, before, tier = ctx.care, ctx.before, ctx.visit.institution.tier
    rule = care.deductible
    number = before.admissions + 1
    standard = rule.standard(tier, number)
    paid_this_year = before[f"deductible:{care.care}"]
    if rule.kind is DeductibleKind.ANNUAL:
        remaining = max(ZERO, standard - paid_this_year)
        what = f"{tier.label}年度起付线 {standard} 元，本年已付 {paid_this_year} 元"
    else:
        remaining = standard
        what = f"{tier.label}本年第 {number} 次住院起付线 {standard} 元"
    paid = min(ledger.totals.inscp, remaining) if ledger.totals.inscp > ZERO else ZERO
    ledger.count(f"deductible:{care.care}", paid)
    if care.counts_admission:
        ledger.count("admissions", Decimal(1))
    ledger.note(
        "deductible",
        f"起付线：{what}，本次支付起付线 {paid} 元",
        paid,
        f"{rule.clause}.{tier.value}",
    )
    return paid


def pay_pool(ledger: Ledger, ctx: Context, deductible: Decimal) -> PoolOutcome:
    """统筹基金: segments above the deductible within the plan's and the care type's annual caps."""
    policy, plan, care, visit, before = ctx.policy, ctx.plan, ctx.care, ctx.visit, ctx.before
    tier = visit.institution.tier
    base = ledger.totals.inscp - deductible
    fund = plan.pool_fund
    plan_limit = max(ZERO, plan.annual_cap - before[f"fund:{fund}"])
    limit = plan_limit
    if care.annual_cap is not None:
        limit = min(limit, max(ZERO, care.annual_cap - before[f"pool:{care.care}"]))
    bonus = care.retiree_bonus if policy.is_retiree(visit.person.psn_type) else ZERO
    reduction, floor = _out_of_area(policy, visit)
    result = pay_segments(
        ZERO,
        max(base, ZERO),
        care.segments(tier),
        limit,
        bonus=bonus,
        reduction=reduction,
        floor=floor,
    )
    if bonus:
        ledger.note(
            "retiree_bonus",
            f"退休人员支付比例提高 {percent(bonus)}",
            bonus,
            f"{care.clause}.retiree_bonus",
        )
    if reduction:
        ledger.note(
            "out_of_area",
            f"异地就医（{visit.filing_type}）支付比例降低 {percent(reduction)}",
            reduction,
            policy.out_of_area.clause if policy.out_of_area else None,
        )
    steps = [
        ledger.note("pool", f"{fund.label}：{text}", None, clause, fund)
        for text, clause in result.steps
    ]
    paid = result.paid
    ledger.note(
        "pool",
        f"{fund.label}支付 {paid} 元（本年剩余可支付限额 {limit} 元）",
        paid,
        f"{plan.clause if limit == plan_limit else care.clause}.annual_cap",
        fund,
    )
    ledger.count(f"fund:{fund}", paid)
    ledger.count(f"pool:{care.care}", paid)
    ledger.count("inscp", ledger.totals.inscp)
    ledger.left -= paid
    info = "；".join(s.text for s in steps) or f"政策范围内 {base} 元未超过起付线"
    row = FundPayment(fund, ledger.totals.inscp, limit, paid, info)
    copay = max(ZERO, base) - result.above_limit - paid
    # Only the plan's cap (封顶线) opens the layer above it; a care type's own cap (e.g. 门诊统筹限额)
    # leaves the excess with the person.
    above_cap = result.above_limit if limit == plan_limit else ZERO
    return PoolOutcome(row, result.first_ratio, copay, above_cap)


def pay_civil_servant(
    ledger: Ledger, ctx: Context, deductible: Decimal, pool: PoolOutcome
) -> FundPayment | None:
    """公务员医疗补助 on the deductible and the pool's co-payment."""
    rule = ctx.plan.civil_servant
    if not ctx.visit.person.cvlserv_flag or rule is None or ctx.care.care not in rule.applies_to:
        return None
    fund = FundPayType.CIVIL_SERVANT
    raw = fen(deductible * rule.deductible_ratio + pool.copay * rule.copay_ratio)
    paid = _within(raw, rule.annual_cap, ctx.before[f"fund:{fund}"], ledger.left)
    text = (
        f"{fund.label}：起付线 {deductible} × {percent(rule.deductible_ratio)} + 共付段 "
        f"{pool.copay} × {percent(rule.copay_ratio)}，支付 {paid} 元"
    )
    ledger.note("civil_servant", text, paid, rule.clause, fund)
    return _book(
        ledger, ctx, fund, basis=deductible + pool.copay, cap=rule.annual_cap, paid=paid, info=text
    )


def pay_layers(ledger: Ledger, ctx: Context, pool: PoolOutcome) -> list[FundPayment]:
    """大额补助 / 大病保险: yearly segments over their basis, within their annual caps."""
    rows: list[FundPayment] = []
    before = ctx.before
    for layer in ctx.plan.layers:
        if ctx.care.care not in layer.applies_to:
            continue
        fund = layer.fund
        basis = pool.above_cap if layer.basis is LayerBasis.ABOVE_POOL_CAP else ledger.left
        start = before[f"layer:{fund}"]
        limit = (
            None
            if layer.annual_cap is None
            else max(ZERO, layer.annual_cap - before[f"fund:{fund}"])
        )
        if basis <= ZERO:
            continue
        result = pay_segments(start, basis, layer.segments, limit)
        paid = min(result.paid, ledger.left)
        ledger.count(f"layer:{fund}", basis)
        steps = [
            ledger.note("layer", f"{fund.label}：{text}", None, clause, fund)
            for text, clause in result.steps
        ]
        what = (
            "超过统筹基金年度限额的政策范围内费用"
            if layer.basis is LayerBasis.ABOVE_POOL_CAP
            else "政策范围内个人负担"
        )
        text = f"{fund.label}：{what} {basis} 元（本年累计起点 {start} 元），支付 {paid} 元"
        ledger.note("layer", text, paid, layer.clause, fund)
        info = "；".join([*(s.text for s in steps), text])
        rows.append(
            _book(ledger, ctx, fund, basis=basis, cap=layer.annual_cap, paid=paid, info=info)
        )
    return rows


def pay_medical_aid(ledger: Ledger, ctx: Context) -> FundPayment | None:
    """医疗救助, last, on the policy-range burden still left, by the person's best identity."""
    aid = ctx.plan.medical_aid
    if aid is None or ctx.care.care not in aid.applies_to:
        return None
    terms = aid.best_terms(ctx.visit.person.identities)
    if terms is None:
        return None
    fund = FundPayType.MEDICAL_AID
    basis = ledger.left
    paid = _within(fen(basis * terms.ratio), terms.annual_cap, ctx.before[f"fund:{fund}"], basis)
    text = (
        f"{fund.label}（{terms.identity.label}）：剩余政策范围内个人负担 {basis} × "
        f"{percent(terms.ratio)}，支付 {paid} 元"
    )
    ledger.note("medical_aid", text, paid, terms.clause, fund)
    return _book(ledger, ctx, fund, basis=basis, cap=terms.annual_cap, paid=paid, info=text)


def pay_from_account(ledger: Ledger, ctx: Context, psn_part: Decimal) -> Decimal:
    """个人账户 pays the person's share where the plan allows it and the visit asks for it."""
    plan, balance = ctx.plan, ctx.balance
    rule = plan.account
    if not ctx.visit.acct_used_flag:
        return ZERO
    if rule is None or ctx.care.care not in rule.allowed_care:
        ledger.note(
            "account",
            "本险种或就医类别不允许使用个人账户，个人负担以现金支付",
            ZERO,
            rule.clause if rule else plan.clause,
        )
        return ZERO
    own = ZERO if rule.mutual_aid_only else max(ZERO, balance)
    family_balance = max(ZERO, ctx.family_balance)
    if rule.mutual_aid_only and not family_balance:
        ledger.note(
            "account",
            "本险种不允许使用个人账户（参保人本人无个人账户），也没有授权家庭共济的账户，"
            "个人负担以现金支付",
            ZERO,
            rule.clause,
        )
        return ZERO
    paid = max(ZERO, min(own + family_balance, psn_part))
    short = "，余额不足，其余以现金支付" if paid < psn_part else ""
    family = paid - min(own, paid)
    aid = f"（其中家庭共济 {family} 元，由授权共济的家庭成员账户支付）" if family else ""
    ledger.note(
        "account", f"个人账户：余额 {balance} 元，支付 {paid} 元{aid}{short}", paid, rule.clause
    )
    return paid


def settle_account_difference(
    ledger: Ledger, ctx: Context, share: Decimal, *, paid_acct: Decimal, paid_cash: Decimal
) -> Decimal:
    """The account's part of a later settlement of the same visit (a difference).

    A share to pay draws on the account as a first settlement does. A share to give back
    (refunds after a mid-stay settlement) returns to cash first, up to the cash this visit paid,
    then to the account: so the visit's settlements add up to settling the whole stay at once.
    """
    if share >= ZERO:
        return pay_from_account(ledger, ctx, share)
    back = -share
    to_cash = min(back, max(paid_cash, ZERO))
    to_account = min(back - to_cash, max(paid_acct, ZERO))
    if to_account:
        ledger.note(
            "account",
            f"退回个人负担 {back} 元：现金 {to_cash} 元，个人账户 {to_account} 元",
            -to_account,
        )
    return -to_account


def _within(raw: Decimal, cap: Decimal | None, used: Decimal, left: Decimal) -> Decimal:
    paid = min(raw, left)
    if cap is not None:
        paid = min(paid, max(ZERO, cap - used))
    return max(ZERO, paid)


def _book(
    ledger: Ledger,
    ctx: Context,
    fund: FundPayType,
    *,
    basis: Decimal,
    cap: Decimal | None,
    paid: Decimal,
    info: str,
) -> FundPayment:
    ledger.count(f"fund:{fund}", paid)
    ledger.left -= paid
    remaining = None if cap is None else max(ZERO, cap - ctx.before[f"fund:{fund}"])
    return FundPayment(fund, basis, remaining, paid, info)


def _out_of_area(policy: Policy, visit: Visit) -> tuple[Decimal, Decimal]:
    if visit.filing_type is None:
        return ZERO, ZERO
    rules = policy.out_of_area
    if rules is None:
        raise SettlementRefused(
            f"filing_type: policy {policy.region} {policy.version} sets no out-of-area reductions"
        )
    return rules.reduction(visit.filing_type), rules.floor_ratio
