"""audit.queries.evidence: 限适应症, 营养风险筛查, 虚记 and 串换 on the example rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlglot

from yibao.audit.engine import AuditEngine
from yibao.audit.facts import (
    DiagnosisRecord,
    DocumentRecord,
    FeeLineRecord,
    LabRecord,
    StockRecord,
    VisitRecord,
    build_facts,
)
from yibao.audit.formats import load_rule_base
from yibao.audit.model import Moment
from yibao.audit.queries import QUERIES
from yibao.kernel.money import fen

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "audit-examples"
DAY = date(2026, 3, 2)

ALBUMIN = "XB05AAR001B002010100000"  # 人血白蛋白（示例编码）
DAPTOMYCIN = "XJ01XXD050B001010100000"  # 注射用达托霉素（示例编码）
EMULSION = "XB05BAU012B002010102180"  # 脂肪乳氨基酸葡萄糖注射液: needs a screening
HBA1C = "002503020030000"  # 糖化血红蛋白测定: needs a 检验报告
OZAGREL = "XB01AXA223B002010100156"
WARD_VISIT = "001102000050000"
FAMILIES = ("indication", "nutrition_screening", "phantom_billing", "stock_mismatch")

ALBUMIN_TEXT = "人血白蛋白（示例编码）限白蛋白低于30g/L且抢救、重症或肝硬化、癌症引起胸腹水，缺少{}"
EMULSION_NAME = "ω-3甘油三酯(2%)中/长链脂肪乳/氨基酸(16)/葡萄糖(36%)注射液"


def line(sn: str, code: str, on: date = DAY, *, cnt: str = "1", pric: str = "10") -> FeeLineRecord:
    amount = fen(Decimal(cnt) * Decimal(pric))
    return FeeLineRecord(sn, code, "名称", Decimal(cnt), Decimal(pric), amount, on)


def visit(*lines: FeeLineRecord, mdtrt_id: str = "M1", fixmedins: str = "H1",
          diagnoses: tuple[str, ...] = (), labs: tuple[LabRecord, ...] = (),
          documents: tuple[DocumentRecord, ...] = ()) -> VisitRecord:  # fmt: skip
    return VisitRecord(mdtrt_id, "P1", "1", date(1970, 1, 1), "310", "21", fixmedins, "05",
                       "110101", date(2026, 2, 20), None, lines=lines,
                       diagnoses=tuple(DiagnosisRecord(code) for code in diagnoses), labs=labs,
                       documents=documents)  # fmt: skip


def alb(value: str, days_before: int = 0, unit: str = "g/L") -> LabRecord:
    return LabRecord("ALB", Decimal(value), DAY - timedelta(days_before), unit)


@pytest.fixture(scope="module")
def engine() -> Iterator[AuditEngine]:
    with AuditEngine(load_rule_base(EXAMPLES)) as built:
        yield built


def found(
    engine: AuditEngine, *visits: VisitRecord, rule: str, stock: tuple[StockRecord, ...] = ()
) -> list[tuple[str, str, Decimal, str]]:
    result = engine.evaluate(build_facts(visits, stock), moment=Moment.AFTER, day=DAY)
    assert result.failures == ()
    return [(f.mdtrt_id, f.feedetl_sn, f.amount, f.vola_cont) for f in result.findings
            if f.rule_id == rule]  # fmt: skip


@pytest.mark.parametrize("family", FAMILIES)
def test_the_sql_is_portable_to_spark(family: str) -> None:
    assert sqlglot.transpile(QUERIES[family].sql, read="duckdb", write="spark")


# -- 限适应症 (EX-INDICATION: labs up to 3 days old) ------------------------------------------


def test_indication_albumin_needs_low_albumin_and_a_listed_diagnosis(engine: AuditEngine) -> None:
    albumin = line("1", ALBUMIN, pric="365.5")
    assert found(engine, visit(albumin, diagnoses=("K74.6",), labs=(alb("25", 3),)),
                 rule="EX-INDICATION") == []  # fmt: skip
    missing_lab = visit(albumin, diagnoses=("K74.6",), labs=(alb("25", 4),))  # 4 days old
    assert found(engine, missing_lab, rule="EX-INDICATION") == [
        ("M1", "1", Decimal("365.50"), ALBUMIN_TEXT.format("检验ALB < 30 g/L"))
    ]
    both = ALBUMIN_TEXT.format("诊断R57/K74/R18/J91之一、检验ALB < 30 g/L")
    assert found(engine, visit(albumin, diagnoses=("I10",)), rule="EX-INDICATION") == [
        ("M1", "1", Decimal("365.50"), both)
    ]


@pytest.mark.parametrize(
    "lab",
    [alb("30"), alb("2.5", unit="g/dL"), LabRecord("ALB", None, DAY, "g/L"), alb("25", -1)],
    ids=["at-the-limit", "other-unit", "no-value", "reported-after-the-fee"],
)
def test_indication_a_lab_result_that_does_not_meet_the_condition(
    engine: AuditEngine, lab: LabRecord
) -> None:
    albumin = visit(line("1", ALBUMIN), diagnoses=("R57.1",), labs=(lab,))
    assert [f[3] for f in found(engine, albumin, rule="EX-INDICATION")] == [
        ALBUMIN_TEXT.format("检验ALB < 30 g/L")
    ]


def test_indication_a_lab_of_another_visit_of_the_person_counts(engine: AuditEngine) -> None:
    earlier = visit(mdtrt_id="M0", labs=(alb("28", 2),))
    albumin = visit(line("1", ALBUMIN), diagnoses=("J91.8",))
    assert found(engine, earlier, albumin, rule="EX-INDICATION") == []


def test_indication_daptomycin_only_for_staphylococcal_sepsis(engine: AuditEngine) -> None:
    text = "注射用达托霉素（示例编码）限有证据支持的金黄色葡萄球菌菌血症，缺少诊断A41.0"
    dapto = line("1", DAPTOMYCIN, cnt="3", pric="2550")
    assert found(engine, visit(dapto, diagnoses=("A41.9",)), rule="EX-INDICATION") == [
        ("M1", "1", Decimal("7650.00"), text)
    ]
    assert found(engine, visit(dapto, diagnoses=("I10", "A41.0")), rule="EX-INDICATION") == []


CLAUSES = """\
[ruleset]
name = "t"
version = "1"

[[rules]]
id = "T-IND"
name = "限适应症"
family = "indication"
grade = "suspicious"
action = "hold"
moments = ["after"]
begin = 2026-01-01
vola_cont = "{name}限{condition}，缺少{missing}"
[rules.table]
name = "t_ind"
file = "ind.csv"
[rules.evidence]
document = "t"
"""


def test_indication_one_clause_met_is_enough(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(CLAUSES, encoding="utf-8")
    (tmp_path / "ind.csv").write_text(
        "code,name,clause,diagnoses,labs,combine,condition,source\n"
        f"{DAPTOMYCIN},达托霉素,1,J18,PCT >= 0.5 ng/mL|CRP > 10 mg/L,any,肺炎或感染指标升高,t\n"
        f"{DAPTOMYCIN},达托霉素,2,A41,,any,败血症,t\n",
        encoding="utf-8",
    )
    pct = LabRecord("PCT", Decimal("0.5"), DAY, "ng/mL")
    crp = LabRecord("CRP", Decimal("10.5"), DAY - timedelta(7), "mg/L")  # default window: 7 days
    dapto = line("1", DAPTOMYCIN)
    with AuditEngine(load_rule_base(tmp_path)) as engine:
        assert found(engine, visit(dapto, diagnoses=("A41.9",)), rule="T-IND") == []  # clause 2
        assert found(engine, visit(dapto, labs=(pct, crp)), rule="T-IND") == []  # clause 1
        text = "达托霉素限肺炎或感染指标升高，缺少诊断J18或检验CRP > 10 mg/L"
        assert found(engine, visit(dapto, labs=(pct,)), rule="T-IND") == [
            ("M1", "1", Decimal("10.00"), text)
        ]


# -- 营养风险筛查 (EX-NUTRITION: NRS2002 or 营养风险筛查表, up to 1 day after the first fee) ----


def test_nutrition_screening_up_to_grace_days_after_the_first_fee(engine: AuditEngine) -> None:
    lines = (line("1", EMULSION, pric="88"), line("2", EMULSION, DAY + timedelta(1), pric="88"))
    on_time = DocumentRecord("NRS2002", DAY + timedelta(1))
    assert found(engine, visit(*lines, documents=(on_time,)), rule="EX-NUTRITION") == []
    earlier = DocumentRecord("营养风险筛查表", DAY - timedelta(10))
    assert found(engine, visit(*lines, documents=(earlier,)), rule="EX-NUTRITION") == []
    late = DocumentRecord("NRS2002", DAY + timedelta(2))
    text = f"{EMULSION_NAME}需营养风险筛查"
    assert found(engine, visit(*lines, documents=(late,)), rule="EX-NUTRITION") == [
        ("M1", "1", Decimal("88.00"), text),
        ("M1", "2", Decimal("88.00"), text),
    ]


def test_nutrition_screening_of_another_kind_or_visit_does_not_count(engine: AuditEngine) -> None:
    nursing = visit(line("1", EMULSION), documents=(DocumentRecord("护理记录", DAY),))
    assert len(found(engine, nursing, rule="EX-NUTRITION")) == 1
    other = visit(mdtrt_id="M0", documents=(DocumentRecord("NRS2002", DAY),))
    assert len(found(engine, other, visit(line("1", EMULSION)), rule="EX-NUTRITION")) == 1


# -- 虚记 (EX-PHANTOM: a 检验报告 within 1 day of the fee date) ----------------------------------


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_phantom_billing_a_report_within_the_window(engine: AuditEngine, offset: int) -> None:
    report = DocumentRecord("检验报告", DAY + timedelta(offset))
    assert found(engine, visit(line("1", HBA1C), documents=(report,)), rule="EX-PHANTOM") == []


@pytest.mark.parametrize(
    "report",
    [DocumentRecord("检验报告", DAY + timedelta(2)), DocumentRecord("检验报告", DAY - timedelta(2)),
     DocumentRecord("检验报告", DAY, code=WARD_VISIT), DocumentRecord("手术记录", DAY)],
    ids=["two-days-after", "two-days-before", "for-another-code", "another-kind"],
)  # fmt: skip
def test_phantom_billing_without_a_report_is_found(
    engine: AuditEngine, report: DocumentRecord
) -> None:
    billed = visit(line("1", HBA1C, pric="45"), documents=(report,))
    assert found(engine, billed, rule="EX-PHANTOM") == [
        ("M1", "1", Decimal("45.00"), "糖化血红蛋白测定已收费，无检验报告")
    ]
    named = DocumentRecord("检验报告", DAY, code=HBA1C)
    assert found(engine, visit(line("1", HBA1C), documents=(named,)), rule="EX-PHANTOM") == []


# -- 串换 (EX-STOCK: billed > bought × 1.05 in a month) ------------------------------------------


def _month(*counts: str, fixmedins: str = "H1", code: str = OZAGREL) -> list[VisitRecord]:
    return [visit(line("1", code, DAY + timedelta(n), cnt=cnt, pric="2"), mdtrt_id=f"M{n}",
                  fixmedins=fixmedins) for n, cnt in enumerate(counts)]  # fmt: skip


BOUGHT = (StockRecord("H1", OZAGREL, "2026-03", Decimal(60)),
          StockRecord("H1", OZAGREL, "2026-03", Decimal(40)),
          StockRecord("H1", OZAGREL, "2026-02", Decimal(500)))  # fmt: skip


def test_stock_mismatch_the_month_billed_beyond_the_stock(engine: AuditEngine) -> None:
    assert found(engine, *_month("50", "50", "5"), rule="EX-STOCK", stock=BOUGHT) == []  # 105
    text = "本月收费106，进货100"  # each line's share of the 6 not bought: × 6/106
    assert found(engine, *_month("50", "50", "6"), rule="EX-STOCK", stock=BOUGHT) == [
        ("M0", "1", Decimal("5.66"), text),
        ("M1", "1", Decimal("5.66"), text),
        ("M2", "1", Decimal("0.68"), text),
    ]


def test_stock_mismatch_without_stock_data_or_for_an_item_finds_nothing(
    engine: AuditEngine,
) -> None:
    assert found(engine, *_month("200", fixmedins="H2"), rule="EX-STOCK", stock=BOUGHT) == []
    nothing_bought = _month("3", code=EMULSION)
    assert found(engine, *nothing_bought, rule="EX-STOCK", stock=BOUGHT) == [
        ("M0", "1", Decimal("6.00"), "本月收费3，进货0")
    ]
    items = _month("200", code=WARD_VISIT)
    assert found(engine, *items, rule="EX-STOCK", stock=BOUGHT) == []


QUARTER = """\
[ruleset]
name = "t"
version = "1"

[[rules]]
id = "T-STOCK"
name = "串换"
family = "stock_mismatch"
grade = "suspicious"
action = "warn"
moments = ["after"]
begin = 2026-01-01
vola_cont = "本季收费{billed_quantity}，进货{stocked_quantity}"
[rules.params]
tolerance = 0
period = "quarter"
[rules.evidence]
document = "t"
"""


def test_stock_mismatch_by_quarter(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(QUARTER, encoding="utf-8")
    stock = (StockRecord("H1", OZAGREL, "2026-01", Decimal(50)),
             StockRecord("H1", OZAGREL, "2026-03", Decimal(50)),
             StockRecord("H1", OZAGREL, "2026-04", Decimal(100)))  # fmt: skip
    february = visit(line("1", OZAGREL, date(2026, 2, 10), cnt="60", pric="1"), mdtrt_id="M0")
    march = visit(line("1", OZAGREL, cnt="40", pric="1"))
    with AuditEngine(load_rule_base(tmp_path)) as engine:
        assert found(engine, february, march, rule="T-STOCK", stock=stock) == []  # 100 of 100
        more = visit(line("1", OZAGREL, cnt="50", pric="1"))
        assert found(engine, february, more, rule="T-STOCK", stock=stock) == [
            ("M0", "1", Decimal("5.45"), "本季收费110，进货100"),  # 60 × 10/110
            ("M1", "1", Decimal("4.55"), "本季收费110，进货100"),  # 50 × 10/110
        ]
