"""audit.queries.orders: 处方限量, 超量/计量单位, 超限价 and 出院带药超量 on the example rules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from yibao.audit.engine import AuditEngine
from yibao.audit.facts import FeeLineRecord, VisitRecord, build_facts
from yibao.audit.findings import Finding
from yibao.audit.formats import load_rule_base
from yibao.audit.model import Moment
from yibao.audit.queries import QUERIES
from yibao.kernel.money import fen

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "audit-examples"
DAY = date(2026, 3, 2)
FAMILIES = ("prescription_limit", "quantity_unit", "price_ceiling", "discharge_medication")

AMLODIPINE = "XC08CAA0001A00101010000"  # a western drug (illustrative code)
SEVOFLURANE = "XN01ABQ045L017010100000"  # 七氟烷吸入剂（示例编码）: 1 瓶 = 250 ml
CEFTRIAXONE = "XJ01DDT044B001010100000"  # a western drug billed in 支 (illustrative code)
WARD_VISIT = "001102000050000"  # 住院诊查费: ceiling tier3 20.00, tier2 16.00
DRESSING = "003308000010000"  # an item (illustrative code)


def line(sn: str, code: str, *, name: str = "名称", cnt: str = "1", pric: str = "10",
         **more: Any) -> FeeLineRecord:  # fmt: skip
    amount = fen(Decimal(cnt) * Decimal(pric))
    record = FeeLineRecord(sn, code, name, Decimal(cnt), Decimal(pric), amount, DAY)
    return replace(record, **more)


def drug(sn: str, rx_no: str, days: int, *, code: str = AMLODIPINE, pric: str = "10",
         kind: str = "09", **more: Any) -> FeeLineRecord:  # fmt: skip
    return line(sn, code, pric=pric, rx_no=rx_no, medc_days=days, med_chrgitm_type=kind, **more)


def herb(sn: str, rx_no: str, doses: int, *, pric: str = "10") -> FeeLineRecord:
    code = f"T{int(sn):03d}"  # 饮片 lines: one code per herb
    return line(sn, code, pric=pric, rx_no=rx_no, doses=doses, med_chrgitm_type="10")


def visit(*lines: FeeLineRecord, med_type: str = "11", hosp_lv: str = "05") -> VisitRecord:
    return VisitRecord("M1", "P1", "1", date(1970, 1, 1), "310", med_type, "H1", hosp_lv,
                       "110101", DAY, lines=lines)  # fmt: skip


@pytest.fixture(scope="module")
def engine() -> Iterator[AuditEngine]:
    with AuditEngine(load_rule_base(EXAMPLES)) as built:
        yield built


def findings(engine: AuditEngine, v: VisitRecord, rule: str) -> list[Finding]:
    result = engine.evaluate(build_facts([v]), moment=Moment.DURING, day=DAY)
    assert [f for f in result.failures if f.family in FAMILIES] == []
    return [f for f in result.findings if f.rule_id == rule]


def found(engine: AuditEngine, v: VisitRecord, rule: str) -> list[tuple[str, Decimal, str]]:
    return [(f.feedetl_sn, f.amount, f.vola_cont) for f in findings(engine, v, rule)]


RULES = """\
[ruleset]
name = "t"
version = "1"

[[rules]]
id = "T-RX"
name = "处方限量"
family = "prescription_limit"
grade = "reminder"
action = "warn"
moments = ["during"]
begin = 2026-01-01
vola_cont = "处方{rx_no}：{drugs}种，{days}天，限{limit}"
[rules.evidence]
document = "处方管理办法"

[[rules]]
id = "T-PRICE"
name = "超目录限价"
family = "price_ceiling"
grade = "violation"
action = "self_pay"
moments = ["during"]
begin = 2026-01-01
vola_cont = "{name}单价{unit_price}元超过限价{ceiling}元"
[rules.params]
tolerance = 0.5
[rules.evidence]
document = "目录限价"

[[rules]]
id = "T-HOME"
name = "出院带检查治疗"
family = "discharge_medication"
grade = "violation"
action = "self_pay"
moments = ["during"]
begin = 2026-01-01
vola_cont = "出院带药{days}天"
[rules.params]
items_allowed = true
[rules.evidence]
document = "出院带药"
"""


@pytest.fixture(scope="module")
def own_rules(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditEngine]:
    directory = tmp_path_factory.mktemp("rules")
    (directory / "rules.toml").write_text(RULES, encoding="utf-8")
    with AuditEngine(load_rule_base(directory)) as built:
        yield built


@pytest.mark.parametrize("family", FAMILIES)
def test_the_sql_transpiles_to_spark(family: str) -> None:
    raise_ = sqlglot.ErrorLevel.RAISE
    spark = sqlglot.transpile(
        QUERIES[family].sql, read="duckdb", write="spark", unsupported_level=raise_
    )
    assert len(spark) == 1


def test_prescription_days_beyond_the_outpatient_limit(engine: AuditEngine) -> None:
    v = visit(drug("1", "R1", 10, pric="10", cnt="10"), drug("2", "R1", 7))
    # 100.00 for 10 days, 3 beyond the 7 allowed
    assert found(engine, v, "EX-PRESCRIPTION") == [
        ("1", Decimal("30.00"), "处方R1：用药10天，超过7天")
    ]
    assert findings(engine, v, "EX-PRESCRIPTION")[0].detail["excess"] == "用药10天，超过7天"


@pytest.mark.parametrize(("med_type", "limit"), [("13", 3), ("14", 28), ("140104", 28), ("11", 7)])
def test_prescription_days_limit_by_med_type(
    engine: AuditEngine, med_type: str, limit: int
) -> None:
    at_limit = visit(drug("1", "R1", limit), med_type=med_type)
    assert found(engine, at_limit, "EX-PRESCRIPTION") == []
    over = visit(drug("1", "R1", limit + 1, pric="7", cnt=str(limit + 1)), med_type=med_type)
    assert found(engine, over, "EX-PRESCRIPTION") == [
        ("1", Decimal("7.00"), f"处方R1：用药{limit + 1}天，超过{limit}天")
    ]


def test_prescription_lines_without_rx_or_taken_home_are_not_counted(engine: AuditEngine) -> None:
    no_rx = replace(drug("1", "R1", 30), rx_no=None)
    home = drug("2", "R1", 30, dscg_med_flag=True)
    item = drug("3", "R1", 30, kind="05")
    assert found(engine, visit(no_rx, home, item), "EX-PRESCRIPTION") == []


def test_prescription_the_sixth_drug_is_at_issue_whole(own_rules: AuditEngine) -> None:
    five = [drug(str(n), "R2", 3, code=f"{AMLODIPINE[:-1]}{n}") for n in range(1, 6)]
    patent = drug("6", "R2", 3, code="ZA12HAG0158010100000", kind="11", pric="12.34")
    assert found(own_rules, visit(*five), "T-RX") == []
    assert found(own_rules, visit(*five, patent), "T-RX") == [
        ("6", Decimal("12.34"), "处方R2：6种，3天，限5")
    ]
    # two lines of one drug are one drug; another prescription is counted apart
    again = drug("7", "R2", 3, code=f"{AMLODIPINE[:-1]}1")
    other = drug("8", "R3", 3, code="ZA12HAG0158010100000", kind="11")
    assert found(own_rules, visit(*five, again, other), "T-RX") == []


def test_prescription_drugs_beyond_the_fifth_and_days_together(own_rules: AuditEngine) -> None:
    six = [drug(str(n), "R2", 3, code=f"{AMLODIPINE[:-1]}{n}") for n in range(1, 7)]
    six[5] = replace(six[5], medc_days=9)  # the 6th: beyond 5 drugs (whole) and 7 days
    six[0] = replace(six[0], medc_days=14, cnt=Decimal(14), amount=Decimal("140.00"))
    result = findings(own_rules, visit(*six), "T-RX")
    assert [(f.feedetl_sn, f.amount, f.vola_cont, f.detail["excess"]) for f in result] == [
        ("1", Decimal("70.00"), "处方R2：6种，14天，限7", "用药14天，超过7天"),
        ("6", Decimal("10.00"), "处方R2：6种，9天，限5", "药品6种，超过5种"),
    ]


def test_prescription_herbal_doses_and_herbs(own_rules: AuditEngine) -> None:
    assert found(own_rules, visit(*(herb(str(n), "H1", 5) for n in range(1, 16))), "T-RX") == []
    # 7 doses: each line's 2 doses beyond 5 (10.00 × 2/7 = 2.857… → 2.86)
    seven = visit(herb("1", "H1", 7), herb("2", "H1", 7, pric="3.5"))
    assert found(own_rules, seven, "T-RX") == [
        ("1", Decimal("2.86"), "处方H1：2种，7天，限5"),
        ("2", Decimal("1.00"), "处方H1：2种，7天，限5"),
    ]
    sixteen = [herb(str(n), "H1", 5) for n in range(1, 17)]
    result = findings(own_rules, visit(*sixteen), "T-RX")
    assert [(f.feedetl_sn, f.amount, f.vola_cont, f.detail["excess"]) for f in result] == [
        ("16", Decimal("10.00"), "处方H1：16种，5天，限15", "中药饮片16味，超过15味")
    ]


def test_prescription_herbs_for_special_diseases(own_rules: AuditEngine) -> None:
    twenty = [herb(str(n), "H1", 5) for n in range(1, 21)]
    assert found(own_rules, visit(*twenty, med_type="14"), "T-RX") == []
    more = visit(*twenty, herb("21", "H1", 5), med_type="14")
    assert found(own_rules, more, "T-RX") == [("21", Decimal("10.00"), "处方H1：21种，5天，限20")]


QUANTITY_TEXT = "七氟烷吸入剂（示例编码）记账{}瓶，医嘱{}ml"


def sevoflurane(cnt: str, order_ml: str) -> FeeLineRecord:
    return line("1", SEVOFLURANE, name="七氟烷", cnt=cnt, pric="5.825", order_cnt=Decimal(order_ml),
                order_unit="ml", billed_unit="瓶")  # fmt: skip


def test_quantity_ordered_in_ml_billed_in_bottles(engine: AuditEngine) -> None:
    # seed 003: 20 ml ordered, 20 bottles (5000 ml) billed; 22 ml (20 + 10%) justified:
    # 116.50 × (5000 − 22) / 5000 = 115.9874 → 115.99
    v = visit(sevoflurane("20", "20"))
    assert found(engine, v, "EX-QUANTITY") == [
        ("1", Decimal("115.99"), QUANTITY_TEXT.format("20", "20"))
    ]


def test_quantity_within_the_tolerance(engine: AuditEngine) -> None:
    # one bottle = 250 ml; 227.28 ml × 1.1 = 250.008 ml covers it
    assert found(engine, visit(sevoflurane("1", "227.28")), "EX-QUANTITY") == []
    assert found(engine, visit(sevoflurane("1", "250")), "EX-QUANTITY") == []
    # 200 ml × 1.1 = 220 ml justified of 250: 5.83 × 30 / 250 = 0.6996 → 0.70
    assert found(engine, visit(sevoflurane("1", "200")), "EX-QUANTITY") == [
        ("1", Decimal("0.70"), QUANTITY_TEXT.format("1", "200"))
    ]


def test_quantity_same_unit_without_a_table_row(engine: AuditEngine) -> None:
    def billed(cnt: str, order_unit: str = "支") -> VisitRecord:
        return visit(line("1", CEFTRIAXONE, name="头孢曲松钠", cnt=cnt, pric="6",
                          order_cnt=Decimal(10), order_unit=order_unit, billed_unit="支"))  # fmt: skip

    assert found(engine, billed("11"), "EX-QUANTITY") == []  # 10 × 1.1
    # 12 支 billed, 11 justified: 72.00 × 1/12
    assert found(engine, billed("12"), "EX-QUANTITY") == [
        ("1", Decimal("6.00"), "头孢曲松钠记账12支，医嘱10支")
    ]
    assert found(engine, billed("12", order_unit="g"), "EX-QUANTITY") == []  # no factor known
    no_order = visit(line("1", CEFTRIAXONE, cnt="12", billed_unit="支", order_unit="支"))
    assert found(engine, no_order, "EX-QUANTITY") == []


def test_price_above_the_table_ceiling_for_the_tier(engine: AuditEngine) -> None:
    tier3 = visit(line("1", WARD_VISIT, cnt="2", pric="25"), hosp_lv="02")
    assert found(engine, tier3, "EX-PRICE") == [
        ("1", Decimal("10.00"), "住院诊查费单价25.00元超过限价20.00元")
    ]
    tier2 = visit(line("1", WARD_VISIT, pric="16.5"), hosp_lv="13")
    assert found(engine, tier2, "EX-PRICE") == [
        ("1", Decimal("0.50"), "住院诊查费单价16.50元超过限价16.00元")
    ]


def test_price_at_the_ceiling_or_without_one(engine: AuditEngine) -> None:
    assert found(engine, visit(line("1", WARD_VISIT, pric="20"), hosp_lv="02"), "EX-PRICE") == []
    assert found(engine, visit(line("1", WARD_VISIT, pric="16"), hosp_lv="05"), "EX-PRICE") == []
    # no row for tier1; the catalogue's pric_uplmt is not read with ceilings = 'table'
    tier1 = visit(line("1", WARD_VISIT, pric="99", pric_uplmt=Decimal(5)), hosp_lv="08")
    assert found(engine, tier1, "EX-PRICE") == []


def test_price_above_the_catalogue_ceiling_and_tolerance(own_rules: AuditEngine) -> None:
    def priced(pric: str) -> VisitRecord:
        return visit(line("1", WARD_VISIT, name="住院诊查费", cnt="3", pric=pric,
                          pric_uplmt=Decimal("10")))  # fmt: skip

    assert found(own_rules, priced("10.5"), "T-PRICE") == []  # ceiling + tolerance 0.50
    assert found(own_rules, priced("10.625"), "T-PRICE") == [
        ("1", Decimal("0.38"), "住院诊查费单价10.625元超过限价10.00元")  # 0.125 × 3
    ]
    no_ceiling = visit(line("1", WARD_VISIT, pric="99"))
    assert found(own_rules, no_ceiling, "T-PRICE") == []


def test_discharge_medication_beyond_the_days(engine: AuditEngine) -> None:
    home = drug("1", "D1", 10, cnt="10", pric="8", dscg_med_flag=True)
    assert found(engine, visit(home, med_type="21"), "EX-DISCHARGE") == [
        ("1", Decimal("24.00"), "出院带药10天，超过7天")  # 80.00 × 3/10
    ]
    detail = findings(engine, visit(home, med_type="21"), "EX-DISCHARGE")[0].detail
    assert (detail["limit"], detail["excess"]) == ("7", "带药10天，超过7天")
    at_limit = drug("1", "D1", 7, dscg_med_flag=True)
    assert found(engine, visit(at_limit, med_type="21"), "EX-DISCHARGE") == []
    not_home = drug("1", "D1", 30, dscg_med_flag=False)
    assert found(engine, visit(not_home, med_type="21"), "EX-DISCHARGE") == []


def test_discharge_medication_for_chronic_med_types(engine: AuditEngine) -> None:
    at_limit = drug("1", "D1", 28, dscg_med_flag=True)
    assert found(engine, visit(at_limit, med_type="14"), "EX-DISCHARGE") == []
    over = drug("1", "D1", 30, cnt="30", pric="1", dscg_med_flag=True)
    assert found(engine, visit(over, med_type="14"), "EX-DISCHARGE") == [
        ("1", Decimal("2.00"), "出院带药30天，超过28天")
    ]


def test_discharge_items_taken_home(engine: AuditEngine, own_rules: AuditEngine) -> None:
    item = line("1", DRESSING, pric="35", med_chrgitm_type="05", dscg_med_flag=True)
    untyped_drug = line("2", AMLODIPINE, medc_days=5, dscg_med_flag=True)
    v = visit(item, untyped_drug, med_type="21")
    result = findings(engine, v, "EX-DISCHARGE")
    assert [(f.feedetl_sn, f.amount, f.vola_cont, f.detail["excess"]) for f in result] == [
        ("1", Decimal("35.00"), "出院带检查治疗项目出院", "带检查治疗项目出院")
    ]
    assert found(own_rules, v, "T-HOME") == []  # items_allowed = true
