"""The clearing statement (月度清算单) of one institution and month, as PDF and as XLSX.

:func:`load_statement` reads what a clearing run stored (:mod:`yibao.clearing.runs`) — the
``payout_runs`` row (draft or closed), the institution's ``payout_statements`` row with its totals
and its payments by fund (``by_fund``: exact strings, read back as Decimal and named by
:class:`~yibao.kernel.codes.FundPayType`, 310200 being the personal account), and every
``payout_lines`` row in line order with its kind's Chinese name — into a :class:`Statement`.
Nothing is recomputed but the identity check: the totals, taken as
:class:`~yibao.clearing.model.Totals`, must give the stored net.

:func:`render_statement_pdf` prints it with ``clearing_statement.html``: the heading, the run's
state (a draft carries a banner: it can still change), the summary, the funds, the net payable
(应付净额, or 应缴回 when negative), every line, and how the net is formed.
:func:`statement_xlsx` writes the same for accountants: sheet 汇总 (the totals and the identity
check) and sheet 明细 (every line); amounts are numbers, exact to the fen, formatted ``#,##0.00``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import openpyxl
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import Connection, select

from yibao.catalog.tables import institutions, regions
from yibao.clearing.model import LineKind, Totals
from yibao.clearing.tables import payout_lines, payout_runs, payout_statements
from yibao.documents.pdf import render_pdf
from yibao.kernel.codes import FundPayType
from yibao.kernel.errors import NotFound

__all__ = [
    "SUMMARY",
    "Statement",
    "StatementAmount",
    "StatementLine",
    "load_statement",
    "render_statement_pdf",
    "statement_context",
    "statement_xlsx",
]

TEMPLATE = "clearing_statement.html"
TITLE = "定点医药机构月度清算单"
#: the statement's totals in the order of the identity: (column, label, sign in the net)
SUMMARY = (
    ("fund_payments", "基金支付", 1),
    ("case_payments", "病组结算差额", 1),
    ("deductions", "审核扣款", -1),
    ("penalties", "违约金", -1),
    ("deposit", "质量保证金", -1),
    ("appeal_refunds", "申诉退还", 1),
    ("deposit_releases", "保证金返还", 1),
    ("refunds", "退付", 1),
    ("supplements", "补缴", -1),
)
#: how the net is formed, in words (the identity of model.Totals.net)
FORMULA = "基金支付 + 病组结算差额 − 审核扣款 − 违约金 − 质量保证金 + 申诉退还 + 保证金返还 + 退付 − 补缴 = 应付净额"
STATES = {"draft": "草稿", "closed": "已关账"}
MONEY = "#,##0.00"


@dataclass(frozen=True, slots=True)
class StatementAmount:
    """One labelled amount: a total (``field`` its column) or a fund (``field`` its code)."""

    field: str
    label: str
    amount: Decimal
    sign: int = 1


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One line of the statement, signed (+ owed to the institution, − withheld)."""

    line_no: int
    kind: str
    label: str
    ref: str
    day: date
    text: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Statement:
    """Everything a clearing statement shows, read from the store."""

    period: str
    fixmedins_code: str
    fixmedins_name: str
    region: str
    state: str
    built_at: datetime
    closed_at: datetime | None
    settlements: int
    totals: tuple[StatementAmount, ...]
    net: Decimal
    funds: tuple[StatementAmount, ...]
    lines: tuple[StatementLine, ...]

    @property
    def closed(self) -> bool:
        return self.state == "closed"

    @property
    def state_label(self) -> str:
        """草稿 or 已关账."""
        return STATES.get(self.state, self.state)

    @property
    def identity(self) -> Decimal:
        """The net the totals give by :attr:`~yibao.clearing.model.Totals.net`."""
        t = self.total
        return Totals(
            fund_payments=t("fund_payments"), deductions=t("deductions"), penalties=t("penalties"),
            deposit=t("deposit"), appeal_refunds=t("appeal_refunds"),
            deposit_releases=t("deposit_releases"), refunds=t("refunds"),
            supplements=t("supplements"), by_fund={}, settlements=self.settlements,
            case_payments=t("case_payments"),
        ).net  # fmt: skip

    @property
    def identity_holds(self) -> bool:
        return self.identity == self.net

    def total(self, field: str) -> Decimal:
        """One total by its column name (``net`` included)."""
        if field == "net":
            return self.net
        return next(t.amount for t in self.totals if t.field == field)


def load_statement(connection: Connection, *, period: str, fixmedins_code: str) -> Statement:
    """The statement of ``fixmedins_code`` in ``period``; :class:`NotFound` names ``period`` when
    the month has no clearing run and ``fixmedins_code`` when the run has no statement for it."""
    run = connection.execute(select(payout_runs).where(payout_runs.c.period == period)).first()
    if run is None:
        raise NotFound(f"period: no clearing run for {period}")
    s = payout_statements.c
    row = connection.execute(
        select(payout_statements).where(s.period == period, s.fixmedins_code == fixmedins_code)
    ).first()
    if row is None:
        raise NotFound(f"fixmedins_code: no clearing statement of {fixmedins_code} in {period}")
    pl = payout_lines.c
    lines = connection.execute(
        select(payout_lines)
        .where(pl.period == period, pl.fixmedins_code == fixmedins_code)
        .order_by(pl.line_no)
    )
    return Statement(
        period=period,
        fixmedins_code=fixmedins_code,
        fixmedins_name=row.fixmedins_name,
        region=_region(connection, fixmedins_code),
        state=run.state,
        built_at=run.built_at,
        closed_at=run.closed_at,
        settlements=row.settlements,
        totals=tuple(
            StatementAmount(f, label, getattr(row, f), sign) for f, label, sign in SUMMARY
        ),
        net=row.net,
        funds=tuple(
            StatementAmount(code, _fund_label(code), Decimal(str(value)))
            for code, value in sorted(row.by_fund.items())
        ),
        lines=tuple(
            StatementLine(r.line_no, r.kind, _kind_label(r.kind), r.ref, r.day, r.text, r.amount)
            for r in lines
        ),
    )


def statement_context(statement: Statement, *, agency: str, printed_on: date) -> dict[str, object]:
    """What ``clearing_statement.html`` reads: the heading of ``base.html`` and the statement."""
    return {
        "agency": agency,
        "title": TITLE,
        "number": f"{statement.period}-{statement.fixmedins_code}",
        "date": printed_on.isoformat(),
        "st": statement,
        "formula": FORMULA,
        "payable": abs(statement.net),
        "times": {
            "built_at": statement.built_at.strftime("%Y-%m-%d %H:%M"),
            "closed_at": ""
            if statement.closed_at is None
            else statement.closed_at.strftime("%Y-%m-%d %H:%M"),
        },
    }


def render_statement_pdf(
    connection: Connection,
    *,
    period: str,
    fixmedins_code: str,
    printed_on: date,
    agency: str | None = None,
) -> bytes:
    """The statement as PDF; ``agency`` defaults to the agency of the institution's region."""
    statement = load_statement(connection, period=period, fixmedins_code=fixmedins_code)
    heading = agency or f"{statement.region}医疗保障事业管理中心"
    return render_pdf(TEMPLATE, statement_context(statement, agency=heading, printed_on=printed_on))


def statement_xlsx(connection: Connection, *, period: str, fixmedins_code: str) -> bytes:
    """The statement as an XLSX workbook: sheets 汇总 and 明细, amounts exact to the fen."""
    statement = load_statement(connection, period=period, fixmedins_code=fixmedins_code)
    book = openpyxl.Workbook()
    summary = book.active
    assert summary is not None  # a new workbook has one sheet
    summary.title = "汇总"
    _summary_sheet(summary, statement)
    _lines_sheet(book.create_sheet("明细"), statement)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _summary_sheet(sheet: Worksheet, st: Statement) -> None:
    sheet.append(["项目", "金额", "说明"])
    rows: list[tuple[str, object, str]] = [
        ("清算月份", st.period, ""),
        ("定点医药机构", st.fixmedins_name, st.fixmedins_code),
        ("清算状态", st.state_label, "关账前仍可能变化" if not st.closed else ""),
        ("结算笔数", st.settlements, "撤销冲正的结算计为 −1"),
    ]
    for t in st.totals:
        note = "加" if t.sign > 0 else "减"
        if t.field == "penalties":
            note += "（含拒付科室当月统筹费用）"
        rows.append((t.label, t.amount, note))
        if t.field == "fund_payments":
            rows += [(f"  其中：{f.label}", f.amount, f.field) for f in st.funds]
    rows.append(("应付净额", st.net, "负数为应缴回" if st.net < 0 else ""))
    check = "一致" if st.identity_holds else "不一致"
    rows.append((f"核对：{FORMULA}", st.identity, check))
    for label, value, note in rows:
        sheet.append([label, value, note])
        if isinstance(value, Decimal):
            sheet.cell(row=sheet.max_row, column=2).number_format = MONEY
    _frame(sheet, (44, 18, 24))


def _lines_sheet(sheet: Worksheet, st: Statement) -> None:
    sheet.append(["序号", "类型", "凭证", "日期", "摘要", "金额"])
    for line in st.lines:
        sheet.append([line.line_no, line.label, line.ref, line.day, line.text, line.amount])
        sheet.cell(row=sheet.max_row, column=4).number_format = "yyyy-mm-dd"
        sheet.cell(row=sheet.max_row, column=6).number_format = MONEY
    _frame(sheet, (8, 14, 26, 12, 60, 16))


def _frame(sheet: Worksheet, widths: tuple[int, ...]) -> None:
    """Bold header, panes frozen under it, column widths."""
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for n, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + n)].width = width


def _fund_label(code: str) -> str:
    try:
        return FundPayType(code).label
    except (ValueError, KeyError):
        return code


def _kind_label(kind: str) -> str:
    try:
        return LineKind(kind).label
    except ValueError:
        return kind


def _region(connection: Connection, code: str) -> str:
    """The name of the institution's region; the code when the catalogue lacks it."""
    row = connection.execute(
        select(institutions.c.admdvs, regions.c.name)
        .outerjoin(regions, regions.c.admdvs == institutions.c.admdvs)
        .where(institutions.c.fixmedins_code == code)
    ).first()
    if row is None:
        return code
    return str(row.name or row.admdvs)
