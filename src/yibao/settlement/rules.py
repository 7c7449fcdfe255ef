"""The rules of a visit's calls, pure, shared by the in-memory replay and the gateway's store.

Which lines a visit may still take, when it may be settled and on which day, what a sent
``medfee_sumamt`` must equal, which special identities count on the day: each rule raises a
kernel error that names the field and the reason, so both entry paths refuse in the same words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from yibao.kernel.codes import PsnIdetType
from yibao.kernel.errors import ConflictError, InvalidValue, SettlementRefused
from yibao.kernel.money import ZERO
from yibao.settlement.model import FeeLine, Settlement, SettlementKind, Visit
from yibao.settlement.split import refund_problem

__all__ = [
    "accept_lines",
    "check_can_settle",
    "check_sent_amount",
    "identities_on",
    "settlement_day",
]


def accept_lines(
    existing: Sequence[FeeLine], new: Sequence[FeeLine], latest: Settlement | None, *, where: str
) -> None:
    """New lines may join a visit not yet finally settled, with new numbers and sound refunds."""
    if latest is not None and latest.kind is SettlementKind.FINAL:
        mdtrt_id = latest.visit.mdtrt_id
        raise ConflictError(
            f"{where}: visit {mdtrt_id} is settled ({latest.setl_id}); reverse it first"
        )
    known = {line.feedetl_sn: line for line in existing}
    for i, line in enumerate(new):
        if line.feedetl_sn in known:
            raise InvalidValue(f"{where}.{i}.feedetl_sn", f"{line.feedetl_sn} is already uploaded")
        if line.init_feedetl_sn is not None:
            taken = [old for old in known.values() if old.init_feedetl_sn == line.init_feedetl_sn]
            problem = refund_problem(known.get(line.init_feedetl_sn), [*taken, line])
            if problem is not None:
                raise InvalidValue(f"{where}.{i}.{problem[0]}", problem[1])
        known[line.feedetl_sn] = line


def check_can_settle(visit: Visit, latest: Settlement | None, *, where: str) -> None:
    """A visit with lines, not finally settled yet, may be settled."""
    if latest is not None and latest.kind is SettlementKind.FINAL:
        raise ConflictError(
            f"data.mdtrt_id: visit {visit.mdtrt_id} is already settled ({latest.setl_id}); "
            "reverse it first"
        )
    if not visit.lines:
        raise SettlementRefused(f"{where}: visit {visit.mdtrt_id} has no fee lines")


def settlement_day(visit: Visit, when: datetime, latest: Settlement | None, *, where: str) -> date:
    """The day whose policy and year apply: a mid-stay settlement's own day, else the visit's.

    The part of a stay after a year-end mid-stay settlement belongs to the new year, which this
    version does not settle yet: it is refused with that reason rather than settled wrongly.
    """
    day = when.date() if visit.mid_setl_flag else visit.settle_day
    if latest is not None and latest.setl_time.year != day.year:
        raise SettlementRefused(
            f"{where}: the stay was settled up to {latest.setl_time.date()} and now ends in "
            f"{day.year}; settling the new year's part of a stay that crosses the year (跨年度住院) "
            "is not supported yet"
        )
    return day


def check_sent_amount(
    sent: Decimal | None, visit: Visit, latest: Settlement | None, *, field: str
) -> None:
    """``medfee_sumamt``, when sent, is this settlement's part: the lines less what was settled."""
    if sent is None:
        return
    total = sum((line.det_item_fee_sumamt for line in visit.lines), ZERO)
    if latest is not None:
        total -= latest.visit_amounts.medfee_sumamt
    if sent != total:
        raise InvalidValue(field, f"{sent} ≠ {total}, the uploaded lines not yet settled")


def identities_on(
    periods: Iterable[tuple[str, datetime, datetime | None]], day: date
) -> frozenset[PsnIdetType]:
    """The special identities whose periods include ``day``."""
    return frozenset(
        PsnIdetType(kind)
        for kind, begin, end in periods
        if begin.date() <= day and (end is None or day <= end.date())
    )
