"""Appeals (申诉) of deductions: the institution files within the deadline with its evidence, the
agency decides, and a won appeal is refunded in the next clearing run still open (never before
the month its deduction was withheld in).

States: ``filed`` → ``won`` | ``lost``; every step (filed, decided) is kept in ``appeal_steps``.
While an appeal is open its deduction is ``appealed``; a full win makes it ``reversed``, a partial
win or a loss leaves it ``upheld`` (the refund line pays back what was won). An appeal after the
deadline, a second appeal of one deduction, or one of another institution's deduction is refused
and stores nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from yibao.clearing.model import ClearingConflict
from yibao.clearing.periods import landing
from yibao.clearing.rows import inserted_id
from yibao.clearing.tables import appeal_steps, appeals, deductions
from yibao.crossregion.clearing_values import text
from yibao.kernel.errors import InvalidValue, NotFound
from yibao.kernel.money import ZERO, money

__all__ = ["Appeal", "decide_appeal", "file_appeal", "get_appeal"]


@dataclass(frozen=True, slots=True)
class Appeal:
    """An appeal with its deduction's amount and its steps."""

    appeal_id: int
    deduction_id: int
    fixmedins_code: str
    state: str
    amount: Decimal
    refund_amount: Decimal | None
    steps: tuple[dict[str, Any], ...]


def file_appeal(
    connection: Connection, *, deduction_id: int, fixmedins_code: str, reason: str, evidence: Sequence[str],
    actor: str, now: datetime,
) -> Appeal:  # fmt: skip
    """The institution appeals one of its deductions before the deadline."""
    why, who = text(reason, field="reason", limit=2000), text(actor, field="actor", limit=60)
    proofs = [text(e, field=f"evidence[{i}]", limit=500) for i, e in enumerate(evidence)]
    if not proofs:
        raise InvalidValue("evidence", "an appeal needs evidence (病程记录, lab values, reports …)")
    row = connection.execute(
        select(deductions).where(deductions.c.deduction_id == deduction_id).with_for_update()
    ).first()
    if row is None or row.fixmedins_code != fixmedins_code:
        raise NotFound(f"deduction_id: no deduction {deduction_id} of {fixmedins_code}")
    if now.date() > row.appeal_due:
        raise InvalidValue(
            "appeal_due", f"the deadline to appeal deduction {deduction_id} was {row.appeal_due}"
        )
    if row.state != "upheld" or _appeal_of(connection, deduction_id) is not None:
        raise ClearingConflict(
            "deduction_id", f"deduction {deduction_id} has been appealed already"
        )
    result = connection.execute(insert(appeals).values(
        deduction_id=deduction_id, fixmedins_code=fixmedins_code, state="filed", filed_at=now, reason=why,
        evidence=proofs,
    ))  # fmt: skip
    appeal_id = inserted_id(result)
    connection.execute(
        update(deductions).where(deductions.c.deduction_id == deduction_id).values(state="appealed")
    )
    _step(
        connection, appeal_id, "filed", who, now, said=f"申诉：{why}", detail={"evidence": proofs}
    )
    return get_appeal(connection, appeal_id)


def decide_appeal(
    connection: Connection, *, appeal_id: int, won: bool, reason: str, actor: str, now: datetime,
    refund_amount: object = None,
) -> Appeal:  # fmt: skip
    """The agency's decision; a win refunds the deduction (or the part given) in the next open run."""
    why, who = text(reason, field="reason", limit=2000), text(actor, field="actor", limit=60)
    appeal = connection.execute(
        select(appeals).where(appeals.c.appeal_id == appeal_id).with_for_update()
    ).first()
    if appeal is None:
        raise NotFound(f"appeal_id: no appeal {appeal_id}")
    if appeal.state != "filed":
        raise ClearingConflict("state", f"appeal {appeal_id} is decided already ({appeal.state})")
    amount, withheld = connection.execute(
        select(deductions.c.amount, deductions.c.period).where(
            deductions.c.deduction_id == appeal.deduction_id
        )
    ).one()
    refund: Decimal | None = None
    if won:
        refund = amount if refund_amount is None else money(refund_amount, field="refund_amount")
        if not ZERO < refund <= amount:
            raise InvalidValue(
                "refund_amount", f"{refund} is not above 0 and at most the deduction {amount}"
            )
    elif refund_amount is not None:
        raise InvalidValue("refund_amount", "a lost appeal refunds nothing")
    state = "won" if won else "lost"
    connection.execute(update(appeals).where(appeals.c.appeal_id == appeal_id).values(
        state=state, decided_by=who, decided_at=now, decision_reason=why, refund_amount=refund,
        refund_period=None if refund is None else landing(connection, withheld)))  # fmt: skip
    after = "reversed" if refund == amount else "upheld"
    connection.execute(
        update(deductions)
        .where(deductions.c.deduction_id == appeal.deduction_id)
        .values(state=after)
    )
    told = f"申诉成立，退还 {refund} 元：{why}" if won else f"申诉不成立，维持扣款：{why}"
    _step(
        connection,
        appeal_id,
        state,
        who,
        now,
        said=told,
        detail={"refund_amount": None if refund is None else str(refund)},
    )
    return get_appeal(connection, appeal_id)


def get_appeal(connection: Connection, appeal_id: int) -> Appeal:
    """An appeal and its steps."""
    row = connection.execute(
        select(appeals, deductions.c.amount)
        .join(deductions, deductions.c.deduction_id == appeals.c.deduction_id)
        .where(appeals.c.appeal_id == appeal_id)
    ).first()
    if row is None:
        raise NotFound(f"appeal_id: no appeal {appeal_id}")
    steps = connection.execute(
        select(appeal_steps)
        .where(appeal_steps.c.appeal_id == appeal_id)
        .order_by(appeal_steps.c.step_no)
    ).all()
    return Appeal(row.appeal_id, row.deduction_id, row.fixmedins_code, row.state, row.amount, row.refund_amount,
                  tuple({"kind": s.kind, "actor": s.actor, "at": s.at, "text": s.text} for s in steps))  # fmt: skip


def _appeal_of(connection: Connection, deduction_id: int) -> int | None:
    column = appeals.c.appeal_id
    return connection.execute(
        select(column).where(appeals.c.deduction_id == deduction_id)
    ).scalar_one_or_none()


def _step(connection: Connection, appeal_id: int, kind: str, actor: str, at: datetime, *, said: str,
          detail: dict[str, Any]) -> None:  # fmt: skip
    n = connection.execute(
        select(func.count()).select_from(appeal_steps).where(appeal_steps.c.appeal_id == appeal_id)
    ).scalar_one()
    connection.execute(insert(appeal_steps).values(appeal_id=appeal_id, step_no=n + 1, kind=kind, actor=actor,
                                                   at=at, text=said, detail=detail))  # fmt: skip
