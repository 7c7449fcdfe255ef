"""Stays paid by DRG in the monthly clearing: the difference a case payment makes to a statement.

The policy in force at the month's end in the institution's region says how it is paid
(``[payment]``: item, or drg with the weight version to pay with; per-institution exceptions). For
an institution paid by DRG, every final settlement of the month that is still in force is paid as
a case (:func:`yibao.casepay.weights.pay_settlement`). When the case is paid by DRG (standard or
high-cost outlier), the statement gets a **病组结算差额** line: the case's fund share less what the
funds paid for the stay's settlements (mid-stay ones included), positive when the DRG pays more.
A case paid by item (no valid grouped list, a low-cost outlier, a DRG without a weight) changes
nothing: its settlements' lines already pay it.

An institution the deployment does not know, or a region with no policy in force, is paid by item.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, select

from yibao.casepay.payment_model import PayKind
from yibao.casepay.weights import pay_settlement, stay_paid
from yibao.catalog.tables import institutions
from yibao.clearing.model import Line, LineKind
from yibao.clearing.settled import institution_settlements
from yibao.kernel.errors import YibaoError
from yibao.kernel.money import ZERO
from yibao.policy.model import PaymentMethod, PolicyBook
from yibao.policy.repository import load_policy_book
from yibao.settlement.tables import settlements

__all__ = ["PaymentPlan", "case_payment_lines", "payment_plan"]


class PaymentPlan:
    """How each institution is paid in one month, from the policies in force at its end."""

    def __init__(self, book: PolicyBook, regions: dict[str, str], day: date) -> None:
        self._book, self._regions, self._day = book, regions, day

    def drg_version(self, fixmedins_code: str) -> int | None:
        """The weight version the institution is paid with, or None when it is paid by item."""
        region = self._regions.get(fixmedins_code)
        if region is None:
            return None
        try:
            policy = self._book.in_force(region, self._day)
        except YibaoError:
            return None
        if policy.payment.method_for(fixmedins_code) is not PaymentMethod.DRG:
            return None
        return policy.payment.drg_weight_version


def payment_plan(connection: Connection, day: date) -> PaymentPlan:
    """The month's plan: every stored policy, and each institution's region."""
    regions = dict(
        connection.execute(select(institutions.c.fixmedins_code, institutions.c.admdvs)).all()
    )
    return PaymentPlan(load_policy_book(connection), regions, day)


def case_payment_lines(
    connection: Connection, code: str, *, version: int, begin: datetime, end: datetime
) -> list[Line]:
    """The 病组结算差额 lines of an institution paid by DRG for the month [begin, end)."""
    out: list[Line] = []
    for row in institution_settlements(connection, code, begin, end):
        if (
            row.kind != "final"
            or not str(row.med_type).startswith("2")
            or _reversed(connection, row.setl_id)
        ):
            continue
        paid = pay_settlement(connection, setl_id=row.setl_id, version_no=version)
        if paid.kind not in (PayKind.STANDARD, PayKind.HIGH):
            continue
        items = stay_paid(connection, row.mdtrt_id)[2]
        difference = paid.fund_share - items
        if difference == ZERO:
            continue
        out.append(Line(
            LineKind.CASE_PAYMENT, f"DRG:{row.setl_id}", row.setl_time.date(),
            f"按病组 {paid.drg}（{'高倍率' if paid.kind is PayKind.HIGH else '标准'}）：病组支付 {paid.case_payment}，"
            f"基金应付 {paid.fund_share}，按项目已付 {items}（就诊 {row.mdtrt_id}，版本 {version}）",
            difference,
        ))  # fmt: skip
    return out


def _reversed(connection: Connection, setl_id: str) -> bool:
    column = settlements.c.reversed_by
    return (
        connection.execute(
            select(column).where(settlements.c.setl_id == setl_id)
        ).scalar_one_or_none()
        is not None
    )
