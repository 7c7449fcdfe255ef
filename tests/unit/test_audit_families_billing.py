"""audit.queries.billing: 主次操作, 除外内容/打包, 分解收费 and 叠加用药 on the example rules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from yibao.audit.engine import AuditEngine
from yibao.audit.facts import FeeLineRecord, VisitRecord, build_facts
from yibao.audit.formats import load_rule_base
from yibao.audit.model import Moment
from yibao.audit.queries import QUERIES
from yibao.kernel.money import fen

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "audit-examples"
DAY = date(2026, 3, 2)
NEXT_DAY = date(2026, 3, 3)

OESOPHAGECTOMY = "003310010140000"  # 食管癌根治+结肠代食管术, 胃肠手术组
STRICTUROPLASTY = "003310010160000"  # 食管胃吻合口狭窄切开成形术, 胃肠手术组
ANGIOGRAPHY = "003206000010000"  # 经股动脉全脑动脉造影术（示例编码）
GUIDE_WIRE = "C0201" + "0" * 21 + "1"  # 造影导丝类 C0201…
CATHETER = "C0202" + "0" * 21 + "1"  # another material class
ERCP_31, ERCP_33 = "003107020120000", "003310060150000"  # 31类介入 / 33类手术
GUANXINNING = "ZA12HAG0158010100000"  # 冠心宁注射液 (A12HA, drug key ZA12HAG0158)
GUANXINNING_2 = "ZA12HAG0158020200000"  # the same drug, another product
SHUXUENING = "ZA12HAS0311010100000"  # 舒血宁注射液 (A12HA)
KUDIEZI = "ZA12GAK0062010100000"  # 苦碟子注射液 (A12GA)

OP_NAMES = {
    OESOPHAGECTOMY: "食管癌根治+结肠代食管术",
    STRICTUROPLASTY: "食管胃吻合口狭窄切开成形术",
}
OP_TEXT = "食管胃吻合口狭窄切开成形术与食管癌根治+结肠代食管术同属胃肠手术组，计{}元，应不超过{}元"
BUNDLED_TEXT = "造影导丝类（示例编码）含在经股动脉全脑动脉造影术（示例编码）价格内，不得另收（{}）"
SPLIT_TEXT = (
    "经内镜奥狄氏括约肌切开取石术(ECT)与经十二指肠胆道取石术（31类，示例编码）为同一操作，重复记账"
)
FAMILIES = ("main_secondary_operation", "bundled", "split_billing", "same_class_stacking")
STACKING_TEXT = "同一最小分类A12HA药品叠加使用：{}"


def line(sn: str, code: str, *, name: str = "名称", cnt: str = "1", pric: str = "10",
         day: date = DAY, hour: int | None = None, **more: Any) -> FeeLineRecord:  # fmt: skip
    amount = fen(Decimal(cnt) * Decimal(pric))
    at = None if hour is None else datetime(day.year, day.month, day.day, hour)
    record = FeeLineRecord(sn, code, name, Decimal(cnt), Decimal(pric), amount, day, fee_time=at)
    return replace(record, **more)


def visit(*lines: FeeLineRecord, mdtrt_id: str = "M1") -> VisitRecord:
    return VisitRecord(mdtrt_id, "P1", "1", date(1970, 1, 1), "310", "21", "H1", "05", "110101",
                       DAY, lines=lines)  # fmt: skip


@pytest.fixture(scope="module")
def engine() -> Iterator[AuditEngine]:
    with AuditEngine(load_rule_base(EXAMPLES)) as built:
        yield built


def found(engine: AuditEngine, *visits: VisitRecord, rule: str) -> list[tuple[str, Decimal, str]]:
    result = engine.evaluate(build_facts(visits), moment=Moment.AFTER, day=DAY)
    assert [f for f in result.failures if f.family in FAMILIES] == []
    return [(f.feedetl_sn, f.amount, f.vola_cont) for f in result.findings if f.rule_id == rule]


def operation(sn: str, code: str, pric: str, **more: Any) -> FeeLineRecord:
    return line(sn, code, name=OP_NAMES[code], pric=pric, med_chrgitm_type="06", **more)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_sql_transpiles_to_spark(family: str) -> None:
    raise_ = sqlglot.ErrorLevel.RAISE
    spark = sqlglot.transpile(
        QUERIES[family].sql, read="duckdb", write="spark", unsupported_level=raise_
    )
    assert len(spark) == 1


def test_operation_a_second_operation_at_full_price(engine: AuditEngine) -> None:
    v = visit(operation("1", OESOPHAGECTOMY, "5000"), operation("2", STRICTUROPLASTY, "3000"))
    assert found(engine, v, rule="EX-OPERATION") == [
        ("2", Decimal("1500.00"), OP_TEXT.format("3000.00", "1500.00"))
    ]


def test_operation_at_the_secondary_ratio_is_not_found(engine: AuditEngine) -> None:
    half_count = operation("2", STRICTUROPLASTY, "3000", cnt="0.5")  # 1500.00
    half_price = operation("2", STRICTUROPLASTY, "1500", pric_uplmt=Decimal("3000"))
    for second in (half_count, half_price):
        v = visit(operation("1", OESOPHAGECTOMY, "5000"), second)
        assert found(engine, v, rule="EX-OPERATION") == []
    # one fen above the allowed amount
    over = operation("2", STRICTUROPLASTY, "1500.01", pric_uplmt=Decimal("3000"))
    v = visit(operation("1", OESOPHAGECTOMY, "5000"), over)
    assert found(engine, v, rule="EX-OPERATION") == [
        ("2", Decimal("0.01"), OP_TEXT.format("1500.01", "1500.00"))
    ]


def test_operation_the_catalogue_price_decides_which_is_main(engine: AuditEngine) -> None:
    # billed dearer, but its catalogue price (pric_uplmt) is below the other operation's
    cheap = operation("1", OESOPHAGECTOMY, "2500", pric_uplmt=Decimal("2500"))
    dear = operation("2", STRICTUROPLASTY, "3000", pric_uplmt=Decimal("3000"))
    text = "食管癌根治+结肠代食管术与食管胃吻合口狭窄切开成形术同属胃肠手术组，计2500.00元，应不超过1250.00元"
    assert found(engine, visit(cheap, dear), rule="EX-OPERATION") == [
        ("1", Decimal("1250.00"), text)
    ]


def test_operation_on_another_day_is_another_incision(engine: AuditEngine) -> None:
    v = visit(operation("1", OESOPHAGECTOMY, "5000"),
              operation("2", STRICTUROPLASTY, "3000", day=NEXT_DAY))  # fmt: skip
    assert found(engine, v, rule="EX-OPERATION") == []
    alone = visit(operation("1", STRICTUROPLASTY, "3000"))
    assert found(engine, alone, rule="EX-OPERATION") == []


def test_operation_the_same_operation_twice_on_one_line(engine: AuditEngine) -> None:
    # two operations on one line: one at full price, the second at the ratio (5000 + 2500)
    v = visit(operation("1", OESOPHAGECTOMY, "5000", cnt="2"))
    text = "食管癌根治+结肠代食管术与食管癌根治+结肠代食管术同属胃肠手术组，计10000.00元，应不超过7500.00元"
    assert found(engine, v, rule="EX-OPERATION") == [("1", Decimal("2500.00"), text)]


def test_operation_two_lines_of_one_price_keep_the_first_as_main(engine: AuditEngine) -> None:
    v = visit(operation("10", STRICTUROPLASTY, "3000", hour=9),
              operation("9", STRICTUROPLASTY, "3000", hour=9))  # fmt: skip
    text = "食管胃吻合口狭窄切开成形术与食管胃吻合口狭窄切开成形术同属胃肠手术组，计3000.00元，应不超过1500.00元"
    assert found(engine, v, rule="EX-OPERATION") == [("10", Decimal("1500.00"), text)]


def test_bundled_a_guide_wire_billed_with_the_angiography(engine: AuditEngine) -> None:
    v = visit(line("1", ANGIOGRAPHY, name="经股动脉全脑动脉造影术", pric="1200"),
              line("2", GUIDE_WIRE, name="造影导丝", pric="252", day=NEXT_DAY))  # fmt: skip
    # EX-BUNDLED: window = visit (default), consumable_match = prefix
    assert found(engine, v, rule="EX-BUNDLED") == [
        ("2", Decimal("252.00"), BUNDLED_TEXT.format("造影导丝 252.00元"))
    ]


def test_bundled_needs_the_item_and_a_consumable_of_the_class(engine: AuditEngine) -> None:
    wire = line("2", GUIDE_WIRE, name="造影导丝", pric="252")
    assert found(engine, visit(wire), rule="EX-BUNDLED") == []
    other = line("2", CATHETER, name="导管", pric="300")
    assert found(engine, visit(line("1", ANGIOGRAPHY), other), rule="EX-BUNDLED") == []
    elsewhere = visit(line("1", ANGIOGRAPHY), mdtrt_id="M0")
    assert found(engine, elsewhere, visit(wire), rule="EX-BUNDLED") == []


def test_bundled_two_item_lines_find_the_consumable_once(engine: AuditEngine) -> None:
    v = visit(line("1", ANGIOGRAPHY), line("2", ANGIOGRAPHY),
              line("3", GUIDE_WIRE, name="造影导丝", cnt="2", pric="126"))  # fmt: skip
    assert found(engine, v, rule="EX-BUNDLED") == [
        ("3", Decimal("252.00"), BUNDLED_TEXT.format("造影导丝 252.00元"))
    ]


def test_split_billing_ercp_as_intervention_and_operation(engine: AuditEngine) -> None:
    v = visit(line("1", ERCP_31, pric="2100"), line("2", ERCP_33, pric="1658"))
    assert found(engine, v, rule="EX-SPLIT") == [("2", Decimal("1658.00"), SPLIT_TEXT)]


def test_split_billing_only_one_coding_or_another_day(engine: AuditEngine) -> None:
    assert found(engine, visit(line("2", ERCP_33, pric="1658")), rule="EX-SPLIT") == []
    assert found(engine, visit(line("1", ERCP_31)), rule="EX-SPLIT") == []
    # EX-SPLIT: window = day (default)
    v = visit(line("1", ERCP_31), line("2", ERCP_33, day=NEXT_DAY))
    assert found(engine, v, rule="EX-SPLIT") == []


def test_split_billing_a_code_b_line_is_found_once(engine: AuditEngine) -> None:
    v = visit(line("1", ERCP_31), line("2", ERCP_31), line("3", ERCP_33, pric="1658"))
    assert found(engine, v, rule="EX-SPLIT") == [("3", Decimal("1658.00"), SPLIT_TEXT)]


def test_stacking_two_drugs_of_one_class_on_one_day(engine: AuditEngine) -> None:
    v = visit(line("1", GUANXINNING, name="冠心宁注射液", pric="30", hour=8),
              line("2", SHUXUENING, name="舒血宁注射液", pric="45", hour=9),
              line("3", SHUXUENING, name="舒血宁注射液", pric="45", hour=20))  # fmt: skip
    text = STACKING_TEXT.format("冠心宁注射液、舒血宁注射液")
    assert found(engine, v, rule="EX-STACKING") == [
        ("2", Decimal("45.00"), text),
        ("3", Decimal("45.00"), text),
    ]


def test_stacking_one_drug_in_two_products_is_not_stacking(engine: AuditEngine) -> None:
    v = visit(line("1", GUANXINNING, name="冠心宁注射液"),
              line("2", GUANXINNING_2, name="冠心宁注射液"))  # fmt: skip
    assert found(engine, v, rule="EX-STACKING") == []
    # two classes: A12HA and A12GA
    other_class = visit(line("1", GUANXINNING), line("2", KUDIEZI))
    assert found(engine, other_class, rule="EX-STACKING") == []
    # EX-STACKING: window = day
    next_day = visit(line("1", GUANXINNING), line("2", SHUXUENING, day=NEXT_DAY))
    assert found(engine, next_day, rule="EX-STACKING") == []


def test_stacking_keeps_the_drug_started_first(engine: AuditEngine) -> None:
    # 舒血宁 started the day before; on the day both are billed, 冠心宁 is the added drug
    v = visit(line("1", SHUXUENING, name="舒血宁注射液", day=DAY),
              line("2", GUANXINNING, name="冠心宁注射液", pric="30", day=NEXT_DAY, hour=8),
              line("3", SHUXUENING, name="舒血宁注射液", day=NEXT_DAY, hour=9))  # fmt: skip
    text = STACKING_TEXT.format("舒血宁注射液、冠心宁注射液")
    assert found(engine, v, rule="EX-STACKING") == [("2", Decimal("30.00"), text)]


VARIANTS = """\
[ruleset]
name = "t"
version = "1"

[[rules]]
id = "T-OP"
name = "主次手术（同次就诊）"
family = "main_secondary_operation"
grade = "suspicious"
action = "hold"
moments = ["after"]
begin = 2026-01-01
vola_cont = "{name}：{billed_price}/{allowed_price}（{main_name}）"
[rules.params]
secondary_ratio = 0.6
window = "visit"
[rules.table]
name = "t_op"
file = "op.csv"
[rules.evidence]
document = "t"

[[rules]]
id = "T-BUNDLED"
name = "打包耗材（同日、编码）"
family = "bundled"
grade = "violation"
action = "self_pay"
moments = ["after"]
begin = 2026-01-01
vola_cont = "{consumable_billed}"
[rules.params]
window = "day"
[rules.table]
name = "t_bundled"
file = "bundled.csv"
[rules.evidence]
document = "t"

[[rules]]
id = "T-SPLIT"
name = "分解收费（同次就诊）"
family = "split_billing"
grade = "violation"
action = "self_pay"
moments = ["after"]
begin = 2026-01-01
vola_cont = "{name_b}"
[rules.params]
window = "visit"
[rules.table]
name = "t_split"
file = "split.csv"
[rules.evidence]
document = "t"

[[rules]]
id = "T-STACK"
name = "叠加用药（三种）"
family = "same_class_stacking"
grade = "violation"
action = "self_pay"
moments = ["after"]
begin = 2026-01-01
vola_cont = "{drugs}"
[rules.params]
window = "visit"
min_drugs = 3
drug_key_length = { X = 10, Z = 7 }
[rules.table]
name = "t_stack"
file = "stack.csv"
[rules.evidence]
document = "t"
"""
TABLES = {
    "op.csv": f"code,name,group,source\n{OESOPHAGECTOMY},甲,G1,t\n{STRICTUROPLASTY},乙,G1,t\n"
    f"{STRICTUROPLASTY},乙,G2,t\n{ERCP_33},丙,G2,t\n",
    "bundled.csv": f"item_code,item_name,consumable,consumable_name,source\n"
    f"{ANGIOGRAPHY},造影,{GUIDE_WIRE},导丝,t\n",
    "split.csv": f"code_a,name_a,code_b,name_b,source\n{ERCP_31},介入,{ERCP_33},手术,t\n",
    "stack.csv": "drug_class,class_name,source\nA12HA,活血,t\n",
}


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditEngine]:
    directory = tmp_path_factory.mktemp("rules")
    (directory / "rules.toml").write_text(VARIANTS, encoding="utf-8")
    for name, text in TABLES.items():
        (directory / name).write_text(text, encoding="utf-8")
    with AuditEngine(load_rule_base(directory)) as built:
        yield built


def test_operation_visit_window_and_a_code_in_two_groups(variants: AuditEngine) -> None:
    # 乙 is secondary to 甲 in G1 (excess 3000 − 0.6 × 3000 = 1200) and to 丙 in G2 (the same):
    # found once, through G1 (the larger excess, then the first group)
    v = visit(operation("1", OESOPHAGECTOMY, "5000"),
              operation("2", STRICTUROPLASTY, "3000", day=NEXT_DAY),
              line("3", ERCP_33, name="丙", pric="4000"))  # fmt: skip
    assert found(variants, v, rule="T-OP") == [
        ("2", Decimal("1200.00"), "乙：3000.00/1800.00（甲）")
    ]
    # 丙 is the main operation of G2; 乙 billed at the ratio of its catalogue price
    second = operation("2", STRICTUROPLASTY, "1800", pric_uplmt=Decimal("3000"))
    v = visit(second, line("3", ERCP_33, pric="4000"))
    assert found(variants, v, rule="T-OP") == []


def test_bundled_exact_code_on_the_same_day(variants: AuditEngine) -> None:
    wire = line("2", GUIDE_WIRE, name="导丝", pric="252")
    assert found(variants, visit(line("1", ANGIOGRAPHY), wire), rule="T-BUNDLED") == [
        ("2", Decimal("252.00"), "导丝 252.00元")
    ]
    assert (
        found(variants, visit(line("1", ANGIOGRAPHY, day=NEXT_DAY), wire), rule="T-BUNDLED") == []
    )
    same_class = line("2", GUIDE_WIRE[:-1] + "2", pric="252")  # C0201…2: not the exact code
    assert found(variants, visit(line("1", ANGIOGRAPHY), same_class), rule="T-BUNDLED") == []


def test_split_billing_visit_window(variants: AuditEngine) -> None:
    v = visit(line("1", ERCP_31), line("2", ERCP_33, pric="1658", day=NEXT_DAY))
    assert found(variants, v, rule="T-SPLIT") == [("2", Decimal("1658.00"), "手术")]


def test_stacking_visit_window_from_the_third_drug(variants: AuditEngine) -> None:
    # drug key = 7 characters (ZA12HAG, ZA12HAS, ZA12HAX): three drugs, the third is found
    third = "ZA12HAX0001010100000"
    two = visit(line("1", GUANXINNING, name="冠心宁注射液"),
                line("2", SHUXUENING, name="舒血宁注射液", day=NEXT_DAY))  # fmt: skip
    assert found(variants, two, rule="T-STACK") == []
    three = visit(*two.lines, line("3", third, name="丙药", pric="5", day=NEXT_DAY),
                  line("4", GUANXINNING_2, name="冠心宁注射液", day=NEXT_DAY))  # fmt: skip
    assert found(variants, three, rule="T-STACK") == [("3", Decimal("5.00"), "冠心宁注射液、丙药")]
