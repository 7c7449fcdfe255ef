"""audit.engine: each family's SQL finds exactly the lines that break a rule, with the amount."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from yibao.audit.engine import AuditEngine
from yibao.audit.facts import FeeLineRecord, VisitRecord, age_on, build_facts
from yibao.audit.findings import Finding
from yibao.audit.formats import load_rule_base
from yibao.audit.model import Moment
from yibao.audit.queries import QUERIES
from yibao.audit.service import shipped_rule_base_dir
from yibao.kernel.errors import InvalidValue

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "audit-examples"
DAY = date(2026, 3, 2)

APALUTAMIDE = "XL02BBA326A001010102180"  # 阿帕他胺片, men only
CHILD_DRUG = "ZA04CAE0023010100166"  # 儿童清肺口服液, children
WORK_TRAINING = "003402000320000"  # 职业功能训练, legal working age
SHENFU = "ZA05CAC0029010102312"  # 参附注射液, tier2 and above
ANGONG = "ZA07AAA0061010100166"  # 安宫牛黄丸, inpatient or emergency
CARBOPROST = "XG02ADK026B002010100568"  # 卡前列素氨丁三醇注射液, maternity
WARD_VISIT = "001102000050000"  # 住院诊查费, 1 a day
VENTILATOR = "003106030010000"  # 呼吸机辅助呼吸, 24 hours a day
HBA1C = "002503020030000"  # 糖化血红蛋白测定, 1 per 15 days
ER_MONITOR, ER_VISIT = "001103000010000", "001102000030000"  # 急诊监护费 ⟂ 急诊诊查费
OZAGREL_A, OZAGREL_B = "XB01AXA223B002010100156", "XB01AXA223B004010180963"


def line(sn: str, code: str, *, cnt: str = "1", pric: str = "10", day: date = DAY,
         at: datetime | None = None) -> FeeLineRecord:  # fmt: skip
    amount = (Decimal(cnt) * Decimal(pric)).quantize(Decimal("0.01"))
    return FeeLineRecord(sn, code, "名称", Decimal(cnt), Decimal(pric), amount, day, fee_time=at)


def visit(*lines: FeeLineRecord, mdtrt_id: str = "M1", gend: str = "1",
          brdy: date = date(1980, 1, 1), med_type: str = "21", insutype: str = "310",
          hosp_lv: str = "05", admdvs: str = "110101", fixmedins: str = "H1") -> VisitRecord:  # fmt: skip
    return VisitRecord(mdtrt_id, "P1", gend, brdy, insutype, med_type, fixmedins, hosp_lv,
                       admdvs, DAY, lines=lines)  # fmt: skip


@pytest.fixture(scope="module")
def engine() -> Iterator[AuditEngine]:
    with AuditEngine(load_rule_base(EXAMPLES)) as built:
        yield built


def found(
    engine: AuditEngine, *visits: VisitRecord, rule: str
) -> list[tuple[str, str, Decimal, str]]:
    result = engine.evaluate(build_facts(visits), moment=Moment.AFTER, day=DAY)
    return [(f.mdtrt_id, f.feedetl_sn, f.amount, f.vola_cont) for f in result.findings
            if f.rule_id == rule]  # fmt: skip


def test_sex_a_woman_with_a_men_only_drug_is_found(engine: AuditEngine) -> None:
    v = visit(line("1", APALUTAMIDE, cnt="2", pric="12.5"), gend="2")
    text = f"阿帕他胺片（{APALUTAMIDE}）限男性使用，参保人性别为女性"
    assert found(engine, v, rule="EX-SEX") == [("M1", "1", Decimal("25.00"), text)]
    assert found(engine, visit(line("1", APALUTAMIDE), gend="1"), rule="EX-SEX") == []


def test_sex_rule_switched_off_for_the_region_finds_nothing(engine: AuditEngine) -> None:
    # EX-SEX is off in 990200 (a city: every 9902xx)
    assert found(engine, visit(line("1", APALUTAMIDE), gend="2", admdvs="990201"),
                 rule="EX-SEX") == []  # fmt: skip
    assert len(found(engine, visit(line("1", APALUTAMIDE), gend="2", admdvs="990301"),
                     rule="EX-SEX")) == 1  # fmt: skip


def test_age_children_band_ends_on_the_18th_birthday(engine: AuditEngine) -> None:
    born = date(2008, 3, 2)
    text = f"儿童清肺口服液（{CHILD_DRUG}）限儿童，参保人年龄18岁"
    assert found(engine, visit(line("1", CHILD_DRUG), brdy=born), rule="EX-AGE") == [
        ("M1", "1", Decimal("10.00"), text)
    ]
    day_before = line("1", CHILD_DRUG, day=date(2026, 3, 1))
    assert found(engine, visit(day_before, brdy=born), rule="EX-AGE") == []


def test_age_working_age_differs_by_sex(engine: AuditEngine) -> None:
    born = date(1971, 3, 2)  # 55 on DAY
    text = f"职业功能训练（{WORK_TRAINING}）限法定就业年龄，参保人年龄55岁"
    assert found(engine, visit(line("1", WORK_TRAINING), gend="2", brdy=born),
                 rule="EX-AGE") == [("M1", "1", Decimal("10.00"), text)]  # fmt: skip
    assert found(engine, visit(line("1", WORK_TRAINING), gend="1", brdy=born), rule="EX-AGE") == []


def test_inst_level_below_the_minimum_tier_is_found(engine: AuditEngine) -> None:
    text = "参附注射液限二级及以上医疗机构，本机构为一级甲等"
    assert found(engine, visit(line("1", SHENFU), hosp_lv="08"), rule="EX-LEVEL") == [
        ("M1", "1", Decimal("10.00"), text)
    ]
    assert found(engine, visit(line("1", SHENFU), hosp_lv="07"), rule="EX-LEVEL") == []
    # EX-LEVEL is switched off at level 11 (无等级)
    assert found(engine, visit(line("1", SHENFU), hosp_lv="11"), rule="EX-LEVEL") == []


def test_med_type_outpatient_use_of_an_inpatient_or_emergency_drug(engine: AuditEngine) -> None:
    text = "安宫牛黄丸限住院或急诊患者，本次为普通门诊"
    assert found(engine, visit(line("1", ANGONG), med_type="11"), rule="EX-MEDTYPE") == [
        ("M1", "1", Decimal("10.00"), text)
    ]
    assert found(engine, visit(line("1", ANGONG), med_type="13"), rule="EX-MEDTYPE") == []


def test_insutype_maternity_drug_outside_maternity(engine: AuditEngine) -> None:
    text = "卡前列素氨丁三醇注射液为生育保险目录用药，职工基本医疗保险不予支付"
    assert found(engine, visit(line("1", CARBOPROST)), rule="EX-INSUTYPE") == [
        ("M1", "1", Decimal("10.00"), text)
    ]
    assert found(engine, visit(line("1", CARBOPROST), med_type="52"), rule="EX-INSUTYPE") == []
    assert found(engine, visit(line("1", CARBOPROST), insutype="510"), rule="EX-INSUTYPE") == []


def test_frequency_at_the_limit_and_one_over(engine: AuditEngine) -> None:
    assert found(engine, visit(line("1", WARD_VISIT), line("2", VENTILATOR, cnt="24")),
                 rule="EX-FREQUENCY") == []  # fmt: skip
    two_lines = visit(line("1", WARD_VISIT), line("2", WARD_VISIT, pric="12"))
    assert found(engine, two_lines, rule="EX-FREQUENCY") == [
        ("M1", "2", Decimal("12.00"), f"住院诊查费每日限1，{DAY}计2")
    ]
    hours = visit(line("1", VENTILATOR, cnt="25", pric="3.5"))  # 87.50, one hour too many
    assert found(engine, hours, rule="EX-FREQUENCY") == [
        ("M1", "1", Decimal("3.50"), f"呼吸机辅助呼吸每日限24，{DAY}计25")
    ]


def test_cycle_on_day_n_and_day_n_plus_one(engine: AuditEngine) -> None:
    first = visit(line("1", HBA1C, day=date(2026, 3, 1)), mdtrt_id="M0")
    day_15 = visit(line("1", HBA1C, day=date(2026, 3, 15)))
    day_16 = visit(line("1", HBA1C, day=date(2026, 3, 16)))
    text = "糖化血红蛋白测定15天内限1次，上次2026-03-01"
    assert found(engine, first, day_15, rule="EX-CYCLE") == [("M1", "1", Decimal("10.00"), text)]
    assert found(engine, first, day_16, rule="EX-CYCLE") == []
    # EX-CYCLE counts per institution (across_institutions = false)
    elsewhere = visit(line("1", HBA1C, day=date(2026, 3, 15)), fixmedins="H2")
    assert found(engine, first, elsewhere, rule="EX-CYCLE") == []


def test_duplicate_pair_on_the_same_day(engine: AuditEngine) -> None:
    text = "急诊诊查费与急诊监护费同日内重复收费：含监护、床位、诊查、护理"
    same_day = visit(line("1", ER_MONITOR, pric="50"), line("2", ER_VISIT, pric="8"))
    assert found(engine, same_day, rule="EX-PAIR") == [("M1", "2", Decimal("8.00"), text)]
    next_day = visit(line("1", ER_MONITOR), line("2", ER_VISIT, day=date(2026, 3, 3)))
    assert found(engine, next_day, rule="EX-PAIR") == []


PAY_COURSE = """\
[ruleset]
name = "t"
version = "1"

[[rules]]
id = "T-PAY"
name = "限支付疗程"
family = "pay_course"
grade = "violation"
action = "self_pay"
moments = ["after"]
begin = 2026-01-01
vola_cont = "{name}支付不超过{max_days}天，已计{days}天（{amount}元）"
[rules.table]
name = "t_pay"
file = "pay.csv"
[rules.evidence]
document = "两库 第六批"
"""


def test_pay_course_at_max_days_and_one_more(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(PAY_COURSE, encoding="utf-8")
    (tmp_path / "pay.csv").write_text(
        f"code,name,max_days,source\n{OZAGREL_A},奥扎格雷钠,3,t\n{OZAGREL_B},奥扎格雷钠,3,t\n",
        encoding="utf-8",
    )
    days = [date(2026, 3, d) for d in (1, 2, 2, 3)]
    lines = [line(str(n), OZAGREL_A if n % 2 else OZAGREL_B, day=d) for n, d in enumerate(days)]
    with AuditEngine(load_rule_base(tmp_path)) as engine:
        assert found(engine, visit(*lines), rule="T-PAY") == []
        fourth = line("9", OZAGREL_B, pric="7", day=date(2026, 3, 5))
        assert found(engine, visit(*lines, fourth), rule="T-PAY") == [
            ("M1", "9", Decimal("7.00"), "奥扎格雷钠支付不超过3天，已计4天（7.00元）")
        ]


def test_a_failing_family_is_reported_and_the_others_still_run() -> None:
    broken = {**QUERIES, "age": replace(QUERIES["age"], sql="SELECT no_such_column FROM lines")}
    with AuditEngine(load_rule_base(EXAMPLES), queries=broken) as engine:
        facts = build_facts([visit(line("1", APALUTAMIDE), line("2", CHILD_DRUG), gend="2")])
        result = engine.evaluate(facts, moment=Moment.AFTER, day=DAY)
    assert [(f.family, f.rule_ids) for f in result.failures] == [("age", ("EX-AGE",))]
    assert "no_such_column" in result.failures[0].error
    assert [f.rule_id for f in result.findings] == ["EX-SEX"]


def test_rules_not_in_force_or_not_at_the_moment_are_not_run(engine: AuditEngine) -> None:
    facts = build_facts([visit(line("1", SHENFU), hosp_lv="08")])
    assert engine.evaluate(facts, moment=Moment.BEFORE, day=DAY).findings == ()  # during/after
    assert engine.evaluate(facts, moment=Moment.AFTER, day=date(2027, 1, 1)).findings == ()


def test_the_shipped_national_rule_base_finds_a_men_only_drug_for_a_woman() -> None:
    with AuditEngine(load_rule_base(shipped_rule_base_dir())) as engine:
        facts = build_facts([visit(line("1", APALUTAMIDE, pric="88.8"), gend="2")])
        result = engine.evaluate(facts, moment=Moment.DURING, day=DAY)
    assert result.failures == ()
    assert result.findings == (
        Finding(
            rule_id="NAT1-DRUG-SEX", rule_name="限定性别用药（第一批）", family="sex",
            grade=result.findings[0].grade, action=result.findings[0].action, mdtrt_id="M1",
            psn_no="P1", feedetl_sn="1", amount=Decimal("88.80"), fee_date=DAY,
            vola_cont=f"阿帕他胺片（{APALUTAMIDE}）限男性使用，参保人性别为女性",
            evidence=result.findings[0].evidence, detail=result.findings[0].detail,
        ),
    )  # fmt: skip
    assert str(result.findings[0].grade) == "violation"
    assert "nat1_drug_sex sheet1:2 sheet2:2" in result.findings[0].evidence


def test_ages_are_completed_units_on_the_fee_date() -> None:
    assert age_on(date(2008, 3, 2), date(2026, 3, 1)) == (17, 215, 6573)
    assert age_on(date(2024, 1, 31), date(2024, 2, 29)) == (0, 0, 29)  # no 31 February
    assert age_on(date(2024, 1, 31), date(2024, 3, 1)) == (0, 1, 30)
    assert age_on(date(2024, 2, 29), date(2025, 2, 28)) == (0, 11, 365)
    assert age_on(date(2024, 2, 29), date(2025, 3, 1)) == (1, 12, 366)


def test_facts_refuse_a_float_naming_the_field() -> None:
    bad = FeeLineRecord("7", APALUTAMIDE, "x", 1.5, Decimal(1), Decimal(1), DAY)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="visit M1, line 7, cnt"):
        build_facts([visit(bad)])
