"""The pure settlement engine: a visit, a policy, a catalogue and the year's counters in; a settlement out.

Order (``settlement.md`` §2.2 and Decisions §4), each step recorded in the trace with its clause:

1. split every line net of its refunds (``settlement.split``) and sum the four components;
2. 起付线: per admission (by admission number in the year) or annual (less what the year has paid);
3. 统筹基金: the policy-range amount above the deductible, in segments at the tier's ratios (plus the
   retiree bonus, less an out-of-area reduction), capped by what is left of the annual limits;
4. 公务员医疗补助 on the deductible and the co-payment; 5. second layers (大额补助 / 大病保险)
   in yearly segments; 6. 医疗救助 last, on the policy-range burden still left to the person;
7. the person's share, from the personal account where allowed and asked, the rest in cash.

Every fund amount is rounded to the fen when computed; cash is the remainder. A mid-stay or final
settlement after an earlier one computes the whole stay from the counters *before* the stay and
returns the difference, so the counters move by the difference only. :func:`reverse` mirrors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from yibao.audit.findings import Finding
from yibao.audit.model import Action
from yibao.catalog.model import CatalogEntry
from yibao.kernel.codes import FundPayType, PayLoc
from yibao.kernel.errors import SettlementRefused
from yibao.kernel.money import ZERO, ratio_places
from yibao.policy.model import Policy
from yibao.registry.remote_model import FilingType
from yibao.settlement import funds
from yibao.settlement.funds import Ledger
from yibao.settlement.model import (
    Accumulators,
    Amounts,
    FundPayment,
    LineSplit,
    Settlement,
    SettlementKind,
    TraceStep,
    Visit,
    YearState,
)
from yibao.settlement.split import AuditMove, apply_audit, net_lines, split_lines

__all__ = ["YearState", "own_account_part", "reverse", "settle"]


def settle(
    visit: Visit,
    *,
    policy: Policy,
    catalog: Mapping[str, CatalogEntry],
    state: YearState,
    setl_id: str,
    setl_time: datetime,
    prior: Settlement | None = None,
    findings: tuple[Finding, ...] = (),
) -> Settlement:
    """Settle ``visit``; ``prior`` is the visit's latest earlier settlement (mid-stay), if any.

    ``findings`` are the realtime audit's findings on the visit: those whose rule's action is
    ``self_pay`` move their amount at issue to 全自费 on their line before anything is paid.
    """
    plan = policy.plan(visit.insutype)
    care = plan.care_for(visit.med_type)
    if visit.mid_setl_flag and not care.counts_admission:
        raise SettlementRefused("mid_setl_flag: a mid-stay settlement is for stays (住院) only")
    lines, moved = apply_audit(
        split_lines(net_lines(visit.lines), catalog, visit.institution.tier),
        [AuditMove(f.feedetl_sn, f.amount, f.rule_id, f.vola_cont)
         for f in findings if f.action is Action.SELF_PAY],
    )  # fmt: skip
    before = state.accumulators if prior is None else state.accumulators.minus(prior.visit_delta)
    ledger = Ledger(_line_totals(lines, _sum_lines(lines)))
    ledger.trace.extend(
        TraceStep("audit", f"智能审核：明细 {m.feedetl_sn} {m.text}，{m.amount} 元转全自费",
                  m.amount, clause=f"审核规则 {m.rule_id}")
        for m in moved
    )  # fmt: skip
    if visit.pay_loc is not PayLoc.LOCAL:
        ledger.trace.append(_out_of_area_step(visit, policy))
    ctx = funds.Context(policy, plan, care, visit, before, state.balance, state.family_balance)
    full_amounts, full_funds, pool_ratio = _calculate(ctx, ledger)
    full_delta = Accumulators(ledger.delta)
    kind = SettlementKind.MID_STAY if visit.mid_setl_flag else SettlementKind.FINAL
    amounts, funds_rows, delta = full_amounts, full_funds, full_delta
    prior_ids: tuple[str, ...] = ()
    if prior is not None:
        amounts = full_amounts.minus(prior.visit_amounts)
        funds_rows = _fund_differences(full_funds, prior.visit_funds)
        delta = full_delta.minus(prior.visit_delta)
        prior_ids = (*prior.prior_setl_ids, prior.setl_id)
        ledger.trace.append(_difference_step(prior, amounts))
    amounts = _split_personal_share(ledger, ctx, amounts, prior)
    visit_amounts = amounts if prior is None else prior.visit_amounts.plus(amounts)
    return Settlement(
        setl_id=setl_id,
        kind=kind,
        visit=visit,
        setl_time=setl_time,
        policy_region=policy.region,
        policy_version=policy.version,
        policy_file=policy.source_file,
        amounts=amounts,
        pool_prop_selfpay=pool_ratio,
        funds=funds_rows,
        lines=lines,
        trace=tuple(ledger.trace),
        delta=delta,
        visit_amounts=visit_amounts,
        visit_funds=full_funds,
        visit_delta=full_delta,
        balc=state.balance - own_account_part(amounts),
        prior_setl_ids=prior_ids,
        findings=findings,
    )


def reverse(
    original: Settlement, *, setl_id: str, setl_time: datetime, balance: Decimal
) -> Settlement:
    """冲正: the exact mirror of ``original``; ``balance`` is the account balance now."""
    amounts = original.amounts.negated()
    step = TraceStep(
        "reversal",
        f"撤销结算 {original.setl_id}：各项金额按原结算反向冲回，年度累计与个人账户同步恢复",
        amounts.medfee_sumamt,
    )
    prior_amounts = original.visit_amounts.minus(original.amounts)
    prior_delta = original.visit_delta.minus(original.delta)
    prior_funds = _fund_differences(original.visit_funds, original.funds)
    return replace(
        original,
        setl_id=setl_id,
        kind=SettlementKind.REVERSAL,
        setl_time=setl_time,
        amounts=amounts,
        funds=tuple(f.mirrored() for f in original.funds),
        lines=tuple(_mirror_line(line) for line in original.lines),
        trace=(*original.trace, step),
        delta=original.delta.negated(),
        visit_amounts=prior_amounts,
        visit_funds=prior_funds,
        visit_delta=prior_delta,
        balc=balance - own_account_part(amounts),
        reverses=original.setl_id,
    )


def _out_of_area_step(visit: Visit, policy: Policy) -> TraceStep:
    """异地就医: whose catalogue split the lines and whose policy pays, under which filing."""
    filing = "未备案" if visit.filing_type is None else FilingType(visit.filing_type).label
    text = (
        f"异地就医（{visit.pay_loc.label}，{filing}）：就医地 {visit.mdtrtarea_admvs} 的目录、限价与"
        f"先行自付比例分割明细；参保地 {visit.person.insuplc_admdvs} 的政策 {policy.region} "
        f"{policy.version} 计算起付线、支付比例与限额（就医地目录、参保地政策）"
    )
    return TraceStep("place_of_care", text, None, clause="医保发〔2022〕22号 第6条")


def _sum_lines(lines: tuple[LineSplit, ...]) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
    total = ful = over = pre = inscp = ZERO
    for line in lines:
        total += line.det_item_fee_sumamt
        ful += line.fulamt_ownpay_amt
        over += line.overlmt_amt
        pre += line.preselfpay_amt
        inscp += line.inscp_scp_amt
    return total, ful, over, pre, inscp


def _line_totals(
    lines: tuple[LineSplit, ...], sums: tuple[Decimal, Decimal, Decimal, Decimal, Decimal]
) -> funds.LineTotals:
    total, ful, over, pre, inscp = sums
    counted = sum(1 for line in lines if line.fulamt_ownpay_amt)
    text = (
        f"明细分割：{len(lines)} 条明细，医疗费总额 {total} 元 = 全自费 {ful}（{counted} 条）"
        f" + 超限价 {over} + 先行自付 {pre} + 政策范围内 {inscp}"
    )
    return funds.LineTotals(total, ful, over, pre, inscp, TraceStep("line_split", text, total))


def _calculate(
    ctx: funds.Context, ledger: Ledger
) -> tuple[Amounts, tuple[FundPayment, ...], Decimal]:
    """Run every fund in order on the whole visit; returns amounts, fund rows and the pool ratio."""
    dedc = funds.apply_deductible(ledger, ctx)
    pool = funds.pay_pool(ledger, ctx, dedc)
    cvl = funds.pay_civil_servant(ledger, ctx, dedc, pool)
    layers = funds.pay_layers(ledger, ctx, pool)
    aid = funds.pay_medical_aid(ledger, ctx)
    others = [cvl, *layers, aid]
    paid = [pool.row, *(row for row in others if row is not None and row.fund_payamt)]
    fund_sum = sum((p.fund_payamt for p in paid), ZERO)
    totals = ledger.totals
    psn_part = totals.medfee - fund_sum
    by_fund = {p.fund_pay_type: p.fund_payamt for p in paid}
    amounts = Amounts(
        medfee_sumamt=totals.medfee,
        fulamt_ownpay_amt=totals.fulamt,
        overlmt_selfpay=totals.overlmt,
        preselfpay_amt=totals.preselfpay,
        inscp_scp_amt=totals.inscp,
        act_pay_dedc=dedc,
        hifp_pay=pool.row.fund_payamt,
        cvlserv_pay=by_fund.get(FundPayType.CIVIL_SERVANT, ZERO),
        hifes_pay=by_fund.get(FundPayType.ENTERPRISE_SUPPLEMENT, ZERO),
        hifmi_pay=by_fund.get(FundPayType.RESIDENT_SERIOUS_ILLNESS, ZERO),
        hifob_pay=by_fund.get(FundPayType.LARGE_EXPENSE, ZERO),
        hifdm_pay=by_fund.get(FundPayType.DISABLED_SERVICEMEN, ZERO),
        maf_pay=by_fund.get(FundPayType.MEDICAL_AID, ZERO),
        fund_pay_sumamt=fund_sum,
        psn_part_amt=psn_part,
        psn_cash_pay=psn_part,
    )
    return amounts, tuple(paid), ratio_places(pool.ratio)


def _split_personal_share(
    ledger: Ledger, ctx: funds.Context, amounts: Amounts, prior: Settlement | None
) -> Amounts:
    """This settlement's personal share into account and cash, and the closing trace step."""
    share = amounts.psn_part_amt
    if prior is None:
        acct = funds.pay_from_account(ledger, ctx, share)
    else:
        so_far = prior.visit_amounts
        acct = funds.settle_account_difference(
            ledger, ctx, share, paid_acct=so_far.acct_pay, paid_cash=so_far.psn_cash_pay
        )
    cash = share - acct
    own = ZERO if ctx.plan.account is None or ctx.plan.account.mutual_aid_only else ctx.balance
    mulaid = _mutual_aid(acct, own, prior)
    ledger.note(
        "person",
        f"个人负担 {share} 元 = 医疗费总额 {amounts.medfee_sumamt} − 基金支付 "
        f"{amounts.fund_pay_sumamt}；其中个人账户 {acct}，现金 {cash}",
        share,
    )
    return replace(amounts, acct_pay=acct, acct_mulaid_pay=mulaid, psn_cash_pay=cash)


def own_account_part(amounts: Amounts) -> Decimal:
    """What the person's own account paid (``acct_pay`` includes the family's mutual aid)."""
    return amounts.acct_pay - amounts.acct_mulaid_pay


def _mutual_aid(acct: Decimal, balance: Decimal, prior: Settlement | None) -> Decimal:
    """The family's part of ``acct``: what the person's own balance could not pay; money given
    back (a refund after a mid-stay settlement) returns to the family first, up to what it paid.
    """
    if acct >= ZERO:
        return max(ZERO, acct - max(ZERO, balance))
    paid_before = ZERO if prior is None else prior.visit_amounts.acct_mulaid_pay
    return -min(-acct, max(ZERO, paid_before))


def _fund_differences(
    full: tuple[FundPayment, ...], prior: tuple[FundPayment, ...]
) -> tuple[FundPayment, ...]:
    earlier = {row.fund_pay_type: row for row in prior}
    rows = [row.minus(earlier.pop(row.fund_pay_type, None)) for row in full]
    rows.extend(row.mirrored() for row in earlier.values())
    return tuple(rows)


def _difference_step(prior: Settlement, amounts: Amounts) -> TraceStep:
    ids = "、".join((*prior.prior_setl_ids, prior.setl_id))
    return TraceStep(
        "difference",
        f"本次住院此前已结算（{ids}），本次只结算全程计算结果与已结算金额之差："
        f"医疗费 {amounts.medfee_sumamt} 元，基金 {amounts.fund_pay_sumamt} 元，"
        f"个人负担 {amounts.psn_part_amt} 元",
        amounts.psn_part_amt,
    )


def _mirror_line(line: LineSplit) -> LineSplit:
    return replace(
        line,
        det_item_fee_sumamt=-line.det_item_fee_sumamt,
        cnt=-line.cnt,
        fulamt_ownpay_amt=-line.fulamt_ownpay_amt,
        overlmt_amt=-line.overlmt_amt,
        preselfpay_amt=-line.preselfpay_amt,
        inscp_scp_amt=-line.inscp_scp_amt,
    )
