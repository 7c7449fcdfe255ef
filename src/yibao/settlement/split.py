"""The line split (明细分割): one fee line into 全自费 / 超限价 / 先行自付 / 政策范围内.

Order (``settlement.md``, Decisions §1), with ``det = det_item_fee_sumamt``:

1. ``fulamt_ownpay_amt = det`` when the code is not in the care region's catalogue on the visit's
   settlement day (see ``Visit.settle_day``), is 丙类, or is restricted (限制使用) and the hospital
   has not confirmed the restriction is met (``hosp_appr_flag`` ≠ 1); otherwise 0.
2. ``overlmt_amt = max(0, pric − ceiling) × cnt``, the ceiling being the entry's price ceiling for the
   institution's tier; rounded to the fen.
3. ``preselfpay_amt = (det − fulamt − overlmt) × selfpay_prop``; rounded to the fen. 甲类 has share 0.
4. ``inscp_scp_amt`` is the remainder, so the four add up to ``det`` exactly.

A refund line (negative ``cnt``) split on its own mirrors its original to the fen (rounding is
half-up away from zero), which is what 2301 answers for it. A *settlement*, however, splits each
original line net of its refunds (:func:`net_lines`): the original's count and amount less what was
refunded, with the original's flags. Splitting the net keeps every component of the visit exact
and never negative, where adding separately rounded partial refunds could leave a stray −0.01.
可报丙类 (04) is treated as 乙类: it is paid after its self-pay share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from yibao.catalog.model import CatalogEntry
from yibao.kernel.codes import ChrgitmLv, HospApprFlag
from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import ZERO, fen
from yibao.kernel.tiers import HospitalTier
from yibao.settlement.model import FeeLine, LineSplit

__all__ = ["AuditMove", "apply_audit", "net_lines", "refund_problem", "split_line", "split_lines"]

_CLASS_C = ChrgitmLv.CLASS_C.value
_APPROVED = HospApprFlag.APPROVED.value
_OUT_OF_CATALOGUE = "目录外项目，全自费"


def split_line(line: FeeLine, entry: CatalogEntry | None, tier: HospitalTier) -> LineSplit:
    """Split one line with its catalogue entry (None: the code is not listed)."""
    det = line.det_item_fee_sumamt
    if entry is None:
        return LineSplit(
            line.feedetl_sn, det, line.cnt, line.pric, None, ZERO,
            det, ZERO, ZERO, ZERO, "", "", "0", _OUT_OF_CATALOGUE,
        )  # fmt: skip
    ceiling = entry.price_ceilings.get(tier)
    restricted = entry.restricted
    if entry.chrgitm_lv == _CLASS_C:
        memo = "丙类，全自费"
    elif restricted and line.hosp_appr_flag != _APPROVED:
        memo = f"限制使用（{entry.restriction}）未确认符合，全自费"
    else:
        memo = ""
    if memo:
        return LineSplit(
            line.feedetl_sn, det, line.cnt, line.pric, ceiling, entry.selfpay_prop,
            det, ZERO, ZERO, ZERO, entry.chrgitm_lv, entry.med_chrgitm_type,
            "1" if restricted else "0", memo,
        )  # fmt: skip
    over = ZERO
    if ceiling is not None and line.pric > ceiling:
        over = fen((line.pric - ceiling) * line.cnt)
        over = min(over, det) if det >= 0 else max(over, det)
        memo = f"单价超过{tier.label}限价 {ceiling}"
    prop = entry.selfpay_prop
    pre = fen((det - over) * prop) if prop else ZERO
    return LineSplit(
        line.feedetl_sn, det, line.cnt, line.pric, ceiling, prop,
        ZERO, over, pre, det - over - pre, entry.chrgitm_lv, entry.med_chrgitm_type,
        "1" if restricted else "0", memo,
    )  # fmt: skip


def split_lines(
    lines: tuple[FeeLine, ...], catalog: Mapping[str, CatalogEntry], tier: HospitalTier
) -> tuple[LineSplit, ...]:
    """Split every line of a visit with one catalogue view (the care region's, on the visit's day)."""
    get = catalog.get
    return tuple(split_line(line, get(line.med_list_codg), tier) for line in lines)


@dataclass(frozen=True, slots=True)
class AuditMove:
    """An audit finding's amount moved to 全自费 on a line (the rule's action ``self_pay``)."""

    feedetl_sn: str
    amount: Decimal
    rule_id: str
    text: str


def apply_audit(
    splits: tuple[LineSplit, ...], moves: Sequence[AuditMove]
) -> tuple[tuple[LineSplit, ...], tuple[AuditMove, ...]]:
    """The splits with each move's amount added to the line's 全自费, and the moves as applied.

    A move takes at most what the line still pays (``det − fulamt``; several moves on one line
    together too). The rest of the line is split again: 超限价 first (at most what is left), then
    先行自付 at the line's share, then 政策范围内, so the four parts still add up to the line.
    """
    by_line = {s.feedetl_sn: s for s in splits}
    applied: list[AuditMove] = []
    for move in moves:
        split = by_line.get(move.feedetl_sn)
        if split is None or split.det_item_fee_sumamt <= 0:
            continue
        det = split.det_item_fee_sumamt
        amount = min(move.amount, det - split.fulamt_ownpay_amt)
        if amount <= 0:
            continue
        full = split.fulamt_ownpay_amt + amount
        rest = det - full
        over = min(split.overlmt_amt, rest)
        pre = fen((rest - over) * split.selfpay_prop) if split.selfpay_prop else ZERO
        memo = "；".join(m for m in (split.memo, f"智能审核{move.rule_id}：{amount}元全自费") if m)
        by_line[move.feedetl_sn] = replace(
            split, fulamt_ownpay_amt=full, overlmt_amt=over, preselfpay_amt=pre,
            inscp_scp_amt=rest - over - pre, memo=memo,
        )  # fmt: skip
        applied.append(replace(move, amount=amount))
    return tuple(by_line[s.feedetl_sn] for s in splits), tuple(applied)


def refund_problem(original: FeeLine | None, refunds: list[FeeLine]) -> tuple[str, str] | None:
    """Why a line's refunds cannot stand, as (field, reason); None when they are sound.

    A refund names an uploaded original, carries its code and price, and the refunds together
    take back at most the original's count and amount; refunding the whole count returns the
    whole amount exactly.
    """
    if original is None or original.init_feedetl_sn is not None:
        return "init_feedetl_sn", "does not name an uploaded original line"
    last = refunds[-1]
    if last.med_list_codg != original.med_list_codg:
        return "med_list_codg", f"a refund must carry its original's code {original.med_list_codg}"
    if last.pric != original.pric:
        return "pric", f"a refund must carry its original's price {original.pric}"
    count = original.cnt + sum(back.cnt for back in refunds)
    amount = original.det_item_fee_sumamt + sum(back.det_item_fee_sumamt for back in refunds)
    if count < 0:
        return "cnt", f"refunds would exceed the original count {original.cnt}"
    if amount < 0 or (count == 0 and amount != 0):
        left = amount - last.det_item_fee_sumamt
        return (
            "det_item_fee_sumamt",
            f"refunds must return exactly what is left of the line ({left})",
        )
    return None


def net_lines(lines: tuple[FeeLine, ...]) -> tuple[FeeLine, ...]:
    """Each original line net of its refund lines (which point at it by ``init_feedetl_sn``)."""
    if all(line.init_feedetl_sn is None for line in lines):
        return lines
    originals = {line.feedetl_sn: line for line in lines if line.init_feedetl_sn is None}
    refunds: dict[str, list[FeeLine]] = {}
    for line in lines:
        if line.init_feedetl_sn is not None:
            backs = refunds.setdefault(line.init_feedetl_sn, [])
            backs.append(line)
            problem = refund_problem(originals.get(line.init_feedetl_sn), backs)
            if problem is not None:
                raise InvalidValue(f"feedetail[{line.feedetl_sn}].{problem[0]}", problem[1])
    netted = []
    for line in originals.values():
        taken = refunds.get(line.feedetl_sn, [])
        if taken:
            line = replace(
                line,
                cnt=line.cnt + sum(back.cnt for back in taken),
                det_item_fee_sumamt=line.det_item_fee_sumamt
                + sum(back.det_item_fee_sumamt for back in taken),
            )
        netted.append(line)
    return tuple(netted)
