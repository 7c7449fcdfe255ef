"""Paying an amount through segments (分段): the arithmetic shared by the pool and the layers.

An amount is placed at ``[start, start + amount)`` of a list of bands, each paid at its ratio
(plus a bonus, less a reduction, within a floor and 100%), until an optional limit is reached;
the part above the point where the limit bound is reported so a layer above the cap can pay it.
Rounded once, to the fen, after the bands are summed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from yibao.kernel.money import ZERO, fen
from yibao.policy.model import Segment, capped_ratio

__all__ = ["SegmentPay", "pay_segments", "percent"]


@dataclass(frozen=True, slots=True)
class SegmentPay:
    """What a run of segments paid, where the first ratio stood, and what fell above the limit."""

    paid: Decimal
    first_ratio: Decimal
    above_limit: Decimal
    steps: tuple[tuple[str, str], ...]


def pay_segments(
    start: Decimal,
    amount: Decimal,
    segments: Sequence[Segment],
    limit: Decimal | None,
    *,
    bonus: Decimal = ZERO,
    reduction: Decimal = ZERO,
    floor: Decimal = ZERO,
) -> SegmentPay:
    """Pay ``amount`` placed at ``[start, start + amount)`` of the segments, up to ``limit``."""
    raw = ZERO
    first: Decimal | None = None
    above = ZERO
    steps: list[tuple[str, str]] = []
    end = start + amount
    for seg in segments:
        low = max(start, seg.lower)
        high = end if seg.upper is None else min(end, seg.upper)
        if high <= low:
            continue
        rate = capped_ratio(seg.ratio, bonus, reduction, floor)
        first = rate if first is None else first
        pay = (high - low) * rate
        if limit is not None and raw + pay > limit:
            reached = low + (limit - raw) / rate
            above = fen(end - reached)
            steps.append(
                (
                    f"{low}–{fen(reached)} 元段 × {percent(rate)} = {fen(limit - raw)}，"
                    f"达到可支付限额，其余 {above} 元不再支付",
                    str(seg.clause),
                )
            )
            raw = limit
            break
        raw += pay
        steps.append((f"{low}–{high} 元段 × {percent(rate)} = {fen(pay)}", str(seg.clause)))
    return SegmentPay(fen(raw), first if first is not None else ZERO, above, tuple(steps))


def percent(value: Decimal) -> str:
    """A ratio as a percentage for the trace: 0.85 → 85%."""
    return f"{(value * 100).normalize():f}%"
