"""The deduction letter (扣款函) of one deduction run to one institution, as the agency sends it.

:func:`load_letter` reads what the store holds about one ``deduction_runs`` row and one
institution into a :class:`Letter`: every deduction of that institution in the run (审核扣款,
违约金 and 拒付科室当月统筹费用) with the visit, person, fee line, item, date, department, rule
and reason it concerns, its state (已扣款, 申诉中, 申诉成立已撤销), its appeal if one was filed
(state and refund), its appeal deadline and the clearing month it is withheld in; and the
consequences the agreement proposed from the run for that institution, decided or still waiting
for the agency. :func:`render_letter` prints it through :mod:`yibao.documents` with
``deduction_letter.html``.

On paper, in the order of the agreement's notice (1. 扣款原因 2. 扣款金额与具体费用项目和日期
3. 审核情况 4. 进一步行动): the addressee, the run and its audit month, the table of deductions,
the sums (by kind and by clearing month, Decimal, computed here: the template only prints), the
appeals and consequences, then how and until when to appeal with evidence, and that a won appeal
is refunded in the next clearing run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from yibao.catalog.tables import institutions, regions
from yibao.clearing.tables import appeals, consequences, deduction_runs, deductions
from yibao.documents.pdf import render_pdf
from yibao.kernel.errors import NotFound
from yibao.kernel.money import ZERO

__all__ = [
    "Letter",
    "LetterAmount",
    "LetterAppeal",
    "LetterConsequence",
    "LetterDeduction",
    "letter_context",
    "load_letter",
    "render_letter",
]

TEMPLATE = "deduction_letter.html"
TITLE = "医疗保障基金扣款函"
#: how an institution appeals: its own channel, or the agency registers it for it
APPEAL_CHANNEL = "通过定点医药机构申诉渠道提交，或由经办机构登记：yibao appeals file"
#: what an appeal should carry
EVIDENCE = "病程记录、医嘱单、检验报告、检查报告、手术记录、处方及收费凭证"

KINDS = {"deduction": "审核扣款", "penalty": "违约金", "dept_refusal": "拒付科室当月统筹费用"}
STATES = {"upheld": "已扣款", "appealed": "申诉中", "reversed": "申诉成立已撤销"}
APPEAL_STATES = {"filed": "申诉审理中", "won": "申诉成立", "lost": "申诉不成立"}
CONSEQUENCE_KINDS = {
    "penalty": "违约金",
    "dept_refusal": "拒付科室当月统筹费用",
    "suspension": "暂停医保定点资格",
}
#: what each state means for the money, in the letter's words
NOTES = {
    "已扣款": "在扣减月份的清算中扣减",
    "申诉中": "申诉审理中，暂按扣款处理",
    "申诉成立已撤销": "已扣金额在下一个尚未关账的清算中退还",
}
CONSEQUENCE_STATES = {
    "proposed": "待经办机构决定",
    "accepted": "已决定执行",
    "rejected": "不予处理",
}


@dataclass(frozen=True, slots=True)
class LetterAppeal:
    """The institution's appeal of one deduction and where it stands."""

    appeal_id: int
    state: str
    filed_on: date
    decided_on: date | None
    refund_amount: Decimal | None
    refund_period: str | None


@dataclass(frozen=True, slots=True)
class LetterDeduction:
    """One deduction as the letter lists it; ``state`` and ``kind`` are the words printed."""

    deduction_id: int
    kind: str
    mdtrt_id: str | None
    psn_no: str | None
    feedetl_sn: str | None
    item: str | None
    fee_date: date | None
    dept_codg: str | None
    rule_id: str
    rule_name: str
    reason: str
    amount: Decimal
    appeal_due: date
    state: str
    period: str
    appeal: LetterAppeal | None

    @property
    def number(self) -> str:
        """The deduction's number as statements and appeals cite it (``D12``)."""
        return f"D{self.deduction_id}"


@dataclass(frozen=True, slots=True)
class LetterConsequence:
    """A consequence of the agreement proposed from the run, and the agency's decision if any."""

    consequence_id: int
    kind: str
    dept_codg: str | None
    rule: str
    state: str
    proposed: bool
    base_amount: Decimal
    min_amount: Decimal
    max_amount: Decimal
    multiplier: Decimal | None
    amount: Decimal | None
    suspend_from: date | None
    suspend_to: date | None
    decision_reason: str | None

    @property
    def times(self) -> str:
        """The penalty's multiplier as printed (``3``, ``2.5``); empty when there is none."""
        if self.multiplier is None:
            return ""
        return format(self.multiplier.normalize(), "f")


@dataclass(frozen=True, slots=True)
class LetterAmount:
    """A labelled sum of the letter: how many deductions, and their amount."""

    label: str
    count: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Letter:
    """Everything a deduction letter prints, read from the store; the sums are Decimal, exact."""

    run_no: str
    audit_period: str
    run_on: date
    fixmedins_code: str
    fixmedins_name: str
    region: str
    deductions: tuple[LetterDeduction, ...]
    consequences: tuple[LetterConsequence, ...]
    total: Decimal
    by_kind: tuple[LetterAmount, ...]
    by_state: tuple[LetterAmount, ...]
    by_period: tuple[LetterAmount, ...]
    refunded: Decimal
    deadlines: tuple[date, ...]

    @property
    def appeals(self) -> tuple[LetterDeduction, ...]:
        """The deductions that have an appeal."""
        return tuple(d for d in self.deductions if d.appeal is not None)


def load_letter(connection: Connection, *, run_no: str, fixmedins_code: str) -> Letter:
    """The letter of run ``run_no`` to ``fixmedins_code``; :class:`NotFound` names ``run_no`` when
    the run does not exist and ``fixmedins_code`` when the institution has no deduction in it."""
    run = connection.execute(
        select(deduction_runs).where(deduction_runs.c.run_no == run_no)
    ).first()
    if run is None:
        raise NotFound(f"run_no: no deduction run {run_no}")
    d, a = deductions.c, appeals.c
    rows = connection.execute(
        select(deductions, a.appeal_id, a.state.label("appeal_state"), a.filed_at, a.decided_at,
               a.refund_amount, a.refund_period)
        .outerjoin(appeals, a.deduction_id == d.deduction_id)
        .where(d.run_no == run_no, d.fixmedins_code == fixmedins_code)
        .order_by(d.deduction_id)
    ).all()  # fmt: skip
    if not rows:
        raise NotFound(f"fixmedins_code: {fixmedins_code} has no deduction in run {run_no}")
    items = tuple(_deduction(r) for r in rows)
    name, region = _institution(connection, fixmedins_code)
    return Letter(
        run_no=run.run_no,
        audit_period=run.period,
        run_on=run.created_at.date(),
        fixmedins_code=fixmedins_code,
        fixmedins_name=name,
        region=region,
        deductions=items,
        consequences=_consequences(connection, run_no, fixmedins_code),
        total=sum((x.amount for x in items), ZERO),
        by_kind=_sums((x.kind, x.amount) for x in items),
        by_state=_sums((x.state, x.amount) for x in items),
        by_period=_sums((x.period, x.amount) for x in items),
        refunded=sum((x.appeal.refund_amount or ZERO for x in items if x.appeal is not None), ZERO),
        deadlines=tuple(sorted({x.appeal_due for x in items})),
    )


def letter_context(letter: Letter, *, agency: str, printed_on: date) -> dict[str, object]:
    """What ``deduction_letter.html`` reads: the heading of ``base.html`` and the letter."""
    return {
        "agency": agency,
        "title": TITLE,
        "number": f"{letter.run_no}-{letter.fixmedins_code}",
        "date": printed_on.isoformat(),
        "letter": letter,
        "channel": APPEAL_CHANNEL,
        "evidence": EVIDENCE,
        "notes": NOTES,
    }


def render_letter(
    connection: Connection,
    *,
    run_no: str,
    fixmedins_code: str,
    printed_on: date,
    agency: str | None = None,
) -> bytes:
    """The letter as PDF; ``agency`` defaults to the agency of the institution's region."""
    letter = load_letter(connection, run_no=run_no, fixmedins_code=fixmedins_code)
    heading = agency or f"{letter.region}医疗保障事业管理中心"
    return render_pdf(TEMPLATE, letter_context(letter, agency=heading, printed_on=printed_on))


def _deduction(r: Any) -> LetterDeduction:
    appeal = None
    if r.appeal_id is not None:
        appeal = LetterAppeal(
            r.appeal_id,
            APPEAL_STATES.get(r.appeal_state, r.appeal_state),
            r.filed_at.date(),
            None if r.decided_at is None else r.decided_at.date(),
            r.refund_amount,
            r.refund_period,
        )
    return LetterDeduction(
        deduction_id=r.deduction_id,
        kind=KINDS.get(r.kind, r.kind),
        mdtrt_id=r.mdtrt_id,
        psn_no=r.psn_no,
        feedetl_sn=r.feedetl_sn,
        item=r.item,
        fee_date=r.fee_date,
        dept_codg=r.dept_codg,
        rule_id=r.rule_id,
        rule_name=r.rule_name,
        reason=r.reason,
        amount=r.amount,
        appeal_due=r.appeal_due,
        state=STATES.get(r.state, r.state),
        period=r.period,
        appeal=appeal,
    )


def _consequences(
    connection: Connection, run_no: str, fixmedins_code: str
) -> tuple[LetterConsequence, ...]:
    c = consequences.c
    rows = connection.execute(
        select(consequences)
        .where(c.run_no == run_no, c.fixmedins_code == fixmedins_code)
        .order_by(c.consequence_id)
    )
    return tuple(
        LetterConsequence(
            consequence_id=r.consequence_id,
            kind=CONSEQUENCE_KINDS.get(r.kind, r.kind),
            dept_codg=r.dept_codg,
            rule=r.rule,
            state=CONSEQUENCE_STATES.get(r.state, r.state),
            proposed=r.state == "proposed",
            base_amount=r.base_amount,
            min_amount=r.min_amount,
            max_amount=r.max_amount,
            multiplier=r.multiplier,
            amount=r.amount,
            suspend_from=r.suspend_from,
            suspend_to=r.suspend_to,
            decision_reason=r.decision_reason,
        )
        for r in rows
    )


def _sums(pairs: Iterable[tuple[str, Decimal]]) -> tuple[LetterAmount, ...]:
    """Count and Σ by label, in the order the labels first appear."""
    out: dict[str, tuple[int, Decimal]] = {}
    for label, amount in pairs:
        n, total = out.get(label, (0, ZERO))
        out[label] = (n + 1, total + amount)
    return tuple(LetterAmount(label, n, total) for label, (n, total) in out.items())


def _institution(connection: Connection, code: str) -> tuple[str, str]:
    """The institution's name and its region's name; the codes when the catalogue lacks them."""
    row = connection.execute(
        select(institutions.c.fixmedins_name, institutions.c.admdvs, regions.c.name)
        .outerjoin(regions, regions.c.admdvs == institutions.c.admdvs)
        .where(institutions.c.fixmedins_code == code)
    ).first()
    if row is None:
        return code, code
    return row.fixmedins_name or code, row.name or row.admdvs
