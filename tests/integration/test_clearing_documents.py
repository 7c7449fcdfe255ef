"""The documents of the monthly clearing as real files, on SQLite with the demo regions: the
deduction letter (扣款函) and the clearing statement (月度清算单) as PDF, the statement as XLSX.

March 2026 is replayed (40 outpatient visits at three hospitals), violations are planted and
deducted, the agreement's penalty is decided (the refusal and the suspension stay proposed), one
deduction is appealed and won, and the month's run is built as a draft. The PDFs are read back
with pypdfium2 (page 1 rendered, not blank; the text extracted: amounts as ``yuan`` prints them,
the Chinese labels), the workbook with openpyxl (exact to the fen against the stored run).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pypdfium2 as pdfium
import pytest
from sqlalchemy import Engine, func, select

from tests.support.databases import migrated_engine
from tests.support.month_replay import Replayed, plant_violations, replay_month
from yibao.catalog.service import demo_store
from yibao.catalog.tables import institutions
from yibao.clearing.agreement import shipped_agreement
from yibao.clearing.appeals import decide_appeal, file_appeal
from yibao.clearing.consequences import decide_consequence
from yibao.clearing.deductions import build_deductions
from yibao.clearing.letters import load_letter, render_letter
from yibao.clearing.runs import build_run, close_run
from yibao.clearing.statements import load_statement, render_statement_pdf, statement_xlsx
from yibao.clearing.tables import consequences, deductions, payout_lines, payout_statements
from yibao.demo.load import load_demo
from yibao.documents.pdf import yuan
from yibao.kernel.errors import NotFound
from yibao.settlement.visits import load_reference
from yibao.store.engine import read_transaction, write_transaction

D = Decimal
AGREEMENT = shipped_agreement()
MARCH = "2026-03"
PRINTED = date(2026, 4, 21)
LETTER_PNG = Path("/tmp/yibao-deduction-letter.png")
STATEMENT_PNG = Path("/tmp/yibao-clearing-statement.png")

#: tools/fonts.sh ensure, once a session (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("cjk_fonts")


@dataclass(frozen=True)
class Cleared:
    """A March with deductions, a decided penalty, a won appeal and a draft run."""

    engine: Engine
    replayed: Replayed
    run_no: str
    first: str
    second: str
    appealed: int


@pytest.fixture(scope="module", params=["sqlite"])
def cleared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cleared]:
    with migrated_engine(request, tmp_path_factory, "documents") as engine:
        yield _prepared(engine)


def _prepared(engine: Engine) -> Cleared:
    with engine.begin() as connection:
        load_demo(connection, catalog=demo_store().load(), persons_count=200)
    with engine.connect() as connection:
        ref = load_reference(connection)
    replayed = replay_month(engine, ref, period=MARCH, visits=40)
    first, second = replayed.institutions[:2]
    visits = [(m, ls) for m, ls in replayed.lines.items()
              if m.startswith(first[-12:]) and ls[0].dept_codg == "A01"][:5]  # fmt: skip
    picks: list[tuple[str, str, str, Decimal | None]] = [
        (m, ls[0].feedetl_sn, "duplicate_pair", None) for m, ls in visits
    ]
    other = next(m for m in replayed.lines if m.startswith(second[-12:]))
    picks.append((other, "1", "price_ceiling", D("3.50")))
    with write_transaction(engine) as connection:
        plant_violations(connection, replayed, picks, now=datetime(2026, 4, 2, 9), period=MARCH)
        run = build_deductions(connection, period=MARCH, actor="审核科", now=datetime(2026, 4, 3, 9),
                               agreement=AGREEMENT)  # fmt: skip
        c = consequences.c
        penalty = connection.execute(select(c.consequence_id).where(
            c.run_no == run.run_no, c.fixmedins_code == first, c.kind == "penalty")).scalar_one()  # fmt: skip
        decide_consequence(connection, consequence_id=penalty, accept=True, reason="经集体研究", actor="稽核科",
                           now=datetime(2026, 4, 4), agreement=AGREEMENT, multiplier="3")  # fmt: skip
        d = deductions.c
        appealed = connection.execute(select(func.min(d.deduction_id)).where(
            d.fixmedins_code == first, d.kind == "deduction")).scalar_one()  # fmt: skip
        appeal = file_appeal(connection, deduction_id=appealed, fixmedins_code=first, reason="有化验单佐证",
                             evidence=["化验单 2026-03-02"], actor="医保办", now=datetime(2026, 4, 6))  # fmt: skip
        decide_appeal(connection, appeal_id=appeal.appeal_id, won=True, reason="化验指标支持", actor="审核科",
                      now=datetime(2026, 4, 8))  # fmt: skip
        # after the reconciliation window: the draft run needs no clearing application
        build_run(
            connection, period=MARCH, actor="结算科", now=datetime(2026, 4, 20), agreement=AGREEMENT
        )
    return Cleared(engine, replayed, run.run_no, first, second, appealed)


def _read(pdf: bytes, png: Path | None = None) -> tuple[str, int, float]:
    """All pages' text (line breaks removed), the dark pixels of page 1 and their variance."""
    document = pdfium.PdfDocument(pdf)
    try:
        text = "".join(page.get_textpage().get_text_range() for page in document)
        image = document[0].render(scale=2).to_pil().convert("L")
        if png is not None:
            image.save(png)
        histogram = image.histogram()
    finally:
        document.close()
    pixels = sum(histogram)
    mean = sum(v * n for v, n in enumerate(histogram)) / pixels
    variance = sum(n * (v - mean) ** 2 for v, n in enumerate(histogram)) / pixels
    return text.replace("\r\n", "").replace("\n", ""), sum(histogram[:128]), variance


def _rows(engine: Engine, table: Any, *where: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(table).where(*where)).all())


def test_the_deduction_letter_lists_every_deduction_its_total_and_how_to_appeal(
    cleared: Cleared,
) -> None:
    with read_transaction(cleared.engine) as connection:
        pdf = render_letter(connection, run_no=cleared.run_no, fixmedins_code=cleared.first,
                            printed_on=PRINTED)  # fmt: skip
        letter = load_letter(connection, run_no=cleared.run_no, fixmedins_code=cleared.first)
        name = connection.execute(select(institutions.c.fixmedins_name).where(
            institutions.c.fixmedins_code == cleared.first)).scalar_one()  # fmt: skip
    assert pdf.startswith(b"%PDF-")
    text, dark, variance = _read(pdf, LETTER_PNG)
    assert dark > 1000 and variance > 100, "page 1 is blank"
    mine = _rows(cleared.engine, deductions, deductions.c.run_no == cleared.run_no,
                 deductions.c.fixmedins_code == cleared.first)  # fmt: skip
    assert {r.kind for r in mine} == {"deduction", "penalty"} and len(mine) == 6
    total = sum((r.amount for r in mine), D(0))
    assert letter.total == total and len(letter.deductions) == len(mine)
    assert sum((x.amount for x in letter.deductions), D(0)) == total
    for r in mine:
        assert yuan(r.amount) in text, r.deduction_id
        assert f"D{r.deduction_id}" in text and str(r.appeal_due) in text
    for words in (
        "扣款函",
        name,
        cleared.first,
        cleared.run_no,
        yuan(total),
        "测试规则（duplicate_pair）",
        "申诉",
        "申诉成立已撤销",
        "已扣款",
        "违约金",
        "待经办机构决定",
        "暂停医保定点资格",
        "yibao appeals file",
        "病程记录",
        "检验报告",
        "下一个尚未关账的月度清算中退还",
        "示范市医疗保障事业管理中心",
        "第 1 页 / 共",
    ):
        assert words in text, words  # fmt: skip
    assert f"{letter.deadlines[0]}（含当日）" in text or f"最早 {letter.deadlines[0]}" in text
    reversed_ = next(x for x in letter.deductions if x.deduction_id == cleared.appealed)
    assert reversed_.state == "申诉成立已撤销" and reversed_.appeal is not None
    assert (
        reversed_.appeal.refund_amount == reversed_.amount and letter.refunded == reversed_.amount
    )


def test_the_letter_of_the_second_institution_has_only_its_deduction(cleared: Cleared) -> None:
    with read_transaction(cleared.engine) as connection:
        pdf = render_letter(connection, run_no=cleared.run_no, fixmedins_code=cleared.second,
                            printed_on=PRINTED, agency="测试医保中心")  # fmt: skip
    text, dark, _ = _read(pdf)
    assert dark > 1000
    assert (
        "测试医保中心" in text and yuan(D("3.50")) in text and "测试规则（price_ceiling）" in text
    )
    assert "duplicate_pair" not in text


def test_the_statement_pdf_shows_the_totals_and_says_draft_then_closed(cleared: Cleared) -> None:
    [row] = _rows(cleared.engine, payout_statements, payout_statements.c.period == MARCH,
                  payout_statements.c.fixmedins_code == cleared.first)  # fmt: skip
    assert row.deductions > 0 and row.penalties > 0 and row.deposit > 0 and row.appeal_refunds > 0
    text, dark, variance = _read(_statement(cleared), STATEMENT_PNG)
    assert dark > 1000 and variance > 100, "page 1 is blank"
    for amount in (
        row.net,
        row.fund_payments,
        row.deposit,
        row.deductions,
        row.penalties,
        row.appeal_refunds,
    ):
        assert yuan(amount) in text, amount  # fmt: skip
    for fund, amount in row.by_fund.items():
        assert yuan(D(amount)) in text, fund
    for words in (
        "定点医药机构月度清算单",
        f"{MARCH}-{cleared.first}",
        "草稿",
        "关账前仍可能变化",
        "应付净额",
        "基金支付",
        "质量保证金",
        "申诉退还",
        "个人账户",
        "基金支付 + 病组结算差额 − 审核扣款 − 违约金",
    ):
        assert words in text, words  # fmt: skip
    assert "已关账" not in text
    lines = _rows(cleared.engine, payout_lines, payout_lines.c.period == MARCH,
                  payout_lines.c.fixmedins_code == cleared.first)  # fmt: skip
    assert all(r.ref in text for r in lines)

    with write_transaction(cleared.engine) as connection:
        close_run(
            connection, period=MARCH, actor="结算科", now=datetime(2026, 4, 20), agreement=AGREEMENT
        )
    [closed] = _rows(cleared.engine, payout_statements, payout_statements.c.period == MARCH,
                     payout_statements.c.fixmedins_code == cleared.first)  # fmt: skip
    text, _, _ = _read(_statement(cleared))
    assert "已关账" in text and "草稿：" not in text and yuan(closed.net) in text


def _statement(cleared: Cleared) -> bytes:
    with read_transaction(cleared.engine) as connection:
        return render_statement_pdf(connection, period=MARCH, fixmedins_code=cleared.first,
                                    printed_on=PRINTED)  # fmt: skip


def test_the_statement_workbook_is_exact_to_the_fen(cleared: Cleared) -> None:
    with read_transaction(cleared.engine) as connection:
        data = statement_xlsx(connection, period=MARCH, fixmedins_code=cleared.first)
        statement = load_statement(connection, period=MARCH, fixmedins_code=cleared.first)
    [row] = _rows(cleared.engine, payout_statements, payout_statements.c.period == MARCH,
                  payout_statements.c.fixmedins_code == cleared.first)  # fmt: skip
    lines = _rows(cleared.engine, payout_lines, payout_lines.c.period == MARCH,
                  payout_lines.c.fixmedins_code == cleared.first)  # fmt: skip
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["汇总", "明细"]
    summary, detail = book["汇总"], book["明细"]
    values = {r[0].value: r[1] for r in summary.iter_rows(min_row=2)}
    expected = {"基金支付": row.fund_payments, "审核扣款": row.deductions, "违约金": row.penalties,
                "质量保证金": row.deposit, "申诉退还": row.appeal_refunds, "保证金返还": row.deposit_releases,
                "退付": row.refunds, "补缴": row.supplements, "应付净额": row.net}  # fmt: skip
    for label, amount in expected.items():
        cell = values[label]
        assert D(str(cell.value)) == amount, label
        assert cell.number_format == "#,##0.00" and cell.data_type == "n", label
    assert values["结算笔数"].value == row.settlements
    for fund, amount in row.by_fund.items():
        [cell] = [c for label, c in values.items() if str(label).startswith("  其中：") and
                  summary.cell(row=c.row, column=3).value == fund]  # fmt: skip
        assert D(str(cell.value)) == D(amount), fund
    [check] = [c for label, c in values.items() if str(label).startswith("核对：")]
    assert D(str(check.value)) == row.net and summary.cell(row=check.row, column=3).value == "一致"
    assert statement.identity_holds
    assert [c.value for c in summary[1]] == ["项目", "金额", "说明"] and summary[1][0].font.bold
    assert summary.freeze_panes == "A2" and detail.freeze_panes == "A2"
    assert summary.column_dimensions["A"].width > 20

    header, *body = list(detail.iter_rows(values_only=True))
    assert header == ("序号", "类型", "凭证", "日期", "摘要", "金额") and detail[1][5].font.bold
    assert len(body) == len(lines) and detail.max_row == len(lines) + 1
    assert sum((D(str(r[5])) for r in body), D(0)) == row.net
    by_no = {r.line_no: r for r in lines}
    for r in body:
        stored = by_no[r[0]]
        assert (r[2], r[4], D(str(r[5]))) == (stored.ref, stored.text, stored.amount)
        assert r[3].date() == stored.day
    assert {r[1] for r in body} >= {"结算", "审核扣款", "违约金/拒付", "质量保证金", "申诉退还"}


def test_unknown_runs_periods_and_institutions_are_refused_naming_the_field(
    cleared: Cleared,
) -> None:
    third = cleared.replayed.institutions[2]
    calls = [
        (lambda c: load_letter(c, run_no="KK202603-009", fixmedins_code=cleared.first), "run_no"),
        (lambda c: load_letter(c, run_no=cleared.run_no, fixmedins_code=third), "fixmedins_code"),
        (
            lambda c: render_letter(
                c, run_no=cleared.run_no, fixmedins_code="H00000000000", printed_on=PRINTED
            ),
            "fixmedins_code",
        ),
        (lambda c: load_statement(c, period="2026-02", fixmedins_code=cleared.first), "period"),
        (lambda c: statement_xlsx(c, period="2026-02", fixmedins_code=cleared.first), "period"),
        (
            lambda c: load_statement(c, period=MARCH, fixmedins_code="H00000000000"),
            "fixmedins_code",
        ),
        (
            lambda c: render_statement_pdf(
                c, period=MARCH, fixmedins_code="H00000000000", printed_on=PRINTED
            ),
            "fixmedins_code",
        ),
    ]
    for call, field in calls:
        with pytest.raises(NotFound) as refused, read_transaction(cleared.engine) as connection:
            call(connection)
        assert refused.value.message.startswith(f"{field}: "), refused.value.message
    with pytest.raises(NotFound) as refused, read_transaction(cleared.engine) as connection:
        load_letter(connection, run_no="KK202603-009", fixmedins_code=cleared.first)
    assert str(refused.value) == "[YB5001] run_no: no deduction run KK202603-009"
