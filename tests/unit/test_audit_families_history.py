"""audit.queries.history and .stays: 限定疗程, 分解住院, 挂床住院, 冒名就医 and 限支付疗程 per person."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from yibao.audit.engine import AuditEngine
from yibao.audit.facts import DiagnosisRecord, FeeLineRecord, VisitRecord, build_facts
from yibao.audit.formats import load_rule_base
from yibao.audit.model import Moment
from yibao.audit.queries import QUERIES
from yibao.kernel.money import fen

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "audit-examples"
DAY = date(2026, 3, 2)

HAND_ASSESSMENT = "003402000050000"  # 手功能评定: 90 days, 14 days apart
WEIGHT_SUPPORT = "003402000210000"  # 减重支持系统训练: 30 days
OZAGREL = "XB01AXA223B002010100156"  # 奥扎格雷钠注射液: 14 days in 30 (EX-PAYCOURSE)
BED, DRUG = "01", "09"  # med_chrgitm_type 床位费, 西药费
BED_CODE, DRUG_CODE = "001103000010000", "XB05BAU012B002010102180"
FAMILIES = ("course", "readmission", "bed_blocking", "overlapping_visits", "pay_course")


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def line(sn: str, code: str, on: date, *, pric: str = "10", **more: Any) -> FeeLineRecord:
    record = FeeLineRecord(sn, code, "名称", Decimal(1), Decimal(pric), fen(Decimal(pric)), on)
    return replace(record, **more)


def visit(mdtrt_id: str, begin: date, end: date | None, *lines: FeeLineRecord,
          med_type: str = "21", fixmedins: str = "H1",
          diagnoses: tuple[DiagnosisRecord, ...] = ()) -> VisitRecord:  # fmt: skip
    return VisitRecord(mdtrt_id, "P1", "1", date(1970, 1, 1), "310", med_type, fixmedins, "05",
                       "110101", begin, end, lines=lines, diagnoses=diagnoses)  # fmt: skip


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


@pytest.fixture(scope="module")
def engine() -> Iterator[AuditEngine]:
    with AuditEngine(load_rule_base(EXAMPLES)) as built:
        yield built


def found(
    engine: AuditEngine, *visits: VisitRecord, rule: str
) -> list[tuple[str, str, Decimal, str]]:
    result = engine.evaluate(build_facts(visits), moment=Moment.AFTER, day=DAY)
    assert result.failures == ()
    return [(f.mdtrt_id, f.feedetl_sn, f.amount, f.vola_cont) for f in result.findings
            if f.rule_id == rule]  # fmt: skip


@pytest.mark.parametrize("family", FAMILIES)
def test_the_sql_is_portable_to_spark(family: str) -> None:
    assert sqlglot.transpile(QUERIES[family].sql, read="duckdb", write="spark")
    assert QUERIES[family].history is (family != "bed_blocking")


# -- 限定疗程 (EX-COURSE: span, a new course after 365 days without a use) -------------------


def test_course_beyond_max_days_is_found_from_the_first_day_past_it(engine: AuditEngine) -> None:
    uses = [line(str(n), WEIGHT_SUPPORT, on) for n, on in enumerate([d(1, 1), d(1, 15), d(1, 30)])]
    assert found(engine, visit("M1", d(1, 1), d(1, 30), *uses), rule="EX-COURSE") == []  # day 30
    late = line("9", WEIGHT_SUPPORT, d(1, 31), pric="12.5")
    assert found(engine, visit("M1", d(1, 1), d(1, 31), *uses, late), rule="EX-COURSE") == [
        ("M1", "9", Decimal("12.50"), "减重支持系统训练本疗程自2026-01-01起31天，距上次1天")
    ]


def test_course_counts_across_institutions_and_visits(engine: AuditEngine) -> None:
    first = visit("M1", d(1, 1), d(1, 1), line("1", WEIGHT_SUPPORT, d(1, 1)), med_type="11")
    other = visit("M2", d(2, 5), d(2, 5), line("1", WEIGHT_SUPPORT, d(2, 5)), med_type="11",
                  fixmedins="H2")  # fmt: skip
    assert found(engine, first, other, rule="EX-COURSE") == [
        ("M2", "1", Decimal("10.00"), "减重支持系统训练本疗程自2026-01-01起36天，距上次35天")
    ]


def test_course_interval_below_the_minimum_is_found(engine: AuditEngine) -> None:
    uses = [line("1", HAND_ASSESSMENT, d(3, 1)), line("2", HAND_ASSESSMENT, d(3, 15))]
    assert found(engine, visit("M1", d(3, 1), d(3, 28), *uses), rule="EX-COURSE") == []  # 14 days
    early = line("3", HAND_ASSESSMENT, d(3, 28))
    assert found(engine, visit("M1", d(3, 1), d(3, 28), *uses, early), rule="EX-COURSE") == [
        ("M1", "3", Decimal("10.00"), "手功能评定本疗程自2026-03-01起28天，距上次13天")
    ]


def test_course_restarts_after_more_than_new_course_after_days(engine: AuditEngine) -> None:
    old = visit("M0", d(1, 1, 2025), d(1, 1, 2025), line("1", WEIGHT_SUPPORT, d(1, 1, 2025)))
    day_366 = visit("M1", d(1, 2), d(1, 2), line("1", WEIGHT_SUPPORT, d(1, 2)))  # 366 days later
    assert found(engine, old, day_366, rule="EX-COURSE") == []
    day_365 = visit("M1", d(1, 1), d(1, 1), line("1", WEIGHT_SUPPORT, d(1, 1)))  # 365: same course
    assert found(engine, old, day_365, rule="EX-COURSE") == [
        ("M1", "1", Decimal("10.00"), "减重支持系统训练本疗程自2025-01-01起366天，距上次365天")
    ]


COURSE = """\
[ruleset]
name = "t"
version = "1"

[[rules]]
id = "T-COURSE"
name = "限定疗程"
family = "course"
grade = "violation"
action = "self_pay"
moments = ["after"]
begin = 2026-01-01
vola_cont = "{name}已计{days}天"
[rules.params]
measure = "billed_days"
across_institutions = false
[rules.table]
name = "t_course"
file = "course.csv"
[rules.evidence]
document = "t"
"""


def test_course_billed_days_per_institution(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(COURSE, encoding="utf-8")
    (tmp_path / "course.csv").write_text(
        f"code,name,max_days,min_interval_days,source\n{WEIGHT_SUPPORT},减重训练,2,,t\n",
        encoding="utf-8",
    )
    uses = [line("1", WEIGHT_SUPPORT, d(3, 1)), line("2", WEIGHT_SUPPORT, d(3, 1)),
            line("3", WEIGHT_SUPPORT, d(3, 20))]  # fmt: skip
    here = visit("M1", d(3, 1), d(3, 20), *uses)
    elsewhere = visit("M2", d(3, 25), d(3, 25), line("1", WEIGHT_SUPPORT, d(3, 25)),
                      fixmedins="H2")  # fmt: skip
    with AuditEngine(load_rule_base(tmp_path)) as engine:
        assert found(engine, here, elsewhere, rule="T-COURSE") == []  # 2 billed days at H1
        fourth = line("4", WEIGHT_SUPPORT, d(3, 21), pric="7")
        assert found(engine, replace(here, lines=(*uses, fourth)), elsewhere,
                     rule="T-COURSE") == [("M1", "4", Decimal("7.00"), "减重训练已计3天")]  # fmt: skip


# -- 分解住院 (EX-READMISSION: 15 days, same institution, Z51 exempt) ---------------------------


def _admitted(begin: date, *, fixmedins: str = "H1", main: str = "I63.9",
              med_type: str = "21") -> VisitRecord:  # fmt: skip
    lines = (line("2", BED_CODE, begin + timedelta(1), pric="80"), line("1", BED_CODE, begin),
             line("3", DRUG_CODE, begin + timedelta(1), pric="5.55"))  # fmt: skip
    diagnoses = (DiagnosisRecord("Z51.1"), DiagnosisRecord(main, maindiag_flag=True))
    return visit("M2", begin, begin + timedelta(3), *lines, fixmedins=fixmedins,
                 med_type=med_type, diagnoses=diagnoses)  # fmt: skip


FIRST_STAY = visit("M1", d(2, 1), d(2, 15), line("1", BED_CODE, d(2, 1)))


def test_readmission_within_days_holds_the_whole_second_stay(engine: AuditEngine) -> None:
    text = "出院（2026-02-15）后15天内再次入院"
    assert found(engine, FIRST_STAY, _admitted(d(3, 2)), rule="EX-READMISSION") == [
        ("M2", "1", Decimal("95.55"), text)  # its first line, the stay's total
    ]
    assert found(engine, FIRST_STAY, _admitted(d(3, 3)), rule="EX-READMISSION") == []  # 16 days


def test_readmission_elsewhere_exempt_or_outpatient_is_not_found(engine: AuditEngine) -> None:
    for second in (_admitted(d(2, 20), fixmedins="H2"), _admitted(d(2, 20), main="Z51.0"),
                   _admitted(d(2, 20), med_type="11")):  # fmt: skip
        assert found(engine, FIRST_STAY, second, rule="EX-READMISSION") == []
    assert [f[:3] for f in found(engine, FIRST_STAY, _admitted(d(2, 15)),
                                 rule="EX-READMISSION")] == [("M2", "1", Decimal("95.55"))]  # fmt: skip


# -- 挂床住院 (EX-BED: more than 3 idle days, admission and discharge days not counted) ------


DISCHARGE = date(2026, 3, 10)


def _stay(*treated: date, end: date = DISCHARGE) -> VisitRecord:
    beds = [line(f"b{on.day:02}", BED_CODE, on, pric="50", med_chrgitm_type=BED)
            for on in days(d(3, 1), end)]  # fmt: skip
    drugs = [line(f"d{on.day:02}", DRUG_CODE, on, med_chrgitm_type=DRUG) for on in treated]
    return visit("M1", d(3, 1), end, *beds, *drugs)


def test_bed_blocking_idle_days_beyond_the_allowed_ones_are_found(engine: AuditEngine) -> None:
    # counted 3-02 … 3-09; treated 3-02, 3-03, 3-04, 3-09: idle 3-05 … 3-08, the 4th is at issue
    stay = _stay(d(3, 2), d(3, 3), d(3, 4), d(3, 9))
    assert found(engine, stay, rule="EX-BED") == [
        ("M1", "b08", Decimal("50.00"), "住院期间4天无治疗费用")
    ]
    assert found(engine, _stay(d(3, 2), d(3, 3), d(3, 4), d(3, 8), d(3, 9)), rule="EX-BED") == []


def test_bed_blocking_days_without_any_line_are_idle(engine: AuditEngine) -> None:
    lump = visit("M1", d(3, 1), d(3, 7), line("1", BED_CODE, d(3, 7), pric="300",
                                              med_chrgitm_type=BED))  # fmt: skip
    # counted 3-02 … 3-06, all without lines: 5 idle days, none carrying a line: held at 0.00
    assert found(engine, lump, rule="EX-BED") == [
        ("M1", "1", Decimal("0.00"), "住院期间5天无治疗费用")
    ]
    short = replace(lump, end=d(3, 5), lines=(line("1", BED_CODE, d(3, 5)),))  # 3 idle days
    assert found(engine, short, rule="EX-BED") == []
    assert found(engine, replace(lump, med_type="11"), rule="EX-BED") == []  # not a stay


# -- 冒名就医/同时两地 (EX-OVERLAP: outpatient visits count, not on edge days) --------------------


def _elsewhere(on: date, *, fixmedins: str = "H2") -> VisitRecord:
    return visit("M9", on, on, line("1", DRUG_CODE, on), med_type="11", fixmedins=fixmedins)


def test_overlap_an_outpatient_visit_elsewhere_during_a_stay(engine: AuditEngine) -> None:
    stay = _stay()
    assert found(engine, stay, _elsewhere(d(3, 5)), rule="EX-OVERLAP") == [
        ("M1", "b05", Decimal("50.00"), "住院期间在H2就医，重叠1天")
    ]
    for day in (d(3, 1), d(3, 10), d(3, 11)):  # admission and discharge days, after the stay
        assert found(engine, stay, _elsewhere(day), rule="EX-OVERLAP") == []
    assert found(engine, stay, _elsewhere(d(3, 5), fixmedins="H1"), rule="EX-OVERLAP") == []


def test_overlap_two_stays_at_two_institutions_are_both_found(engine: AuditEngine) -> None:
    other = visit("M2", d(3, 9), d(3, 12), line("1", BED_CODE, d(3, 9), pric="40"),
                  line("2", BED_CODE, d(3, 12), pric="40"), fixmedins="H2")  # fmt: skip
    text = "住院期间在{}就医，重叠2天"
    assert found(engine, _stay(), other, rule="EX-OVERLAP") == [
        ("M1", "b09", Decimal("50.00"), text.format("H2")),
        ("M1", "b10", Decimal("50.00"), text.format("H2")),
        ("M2", "1", Decimal("40.00"), text.format("H1")),
    ]


# -- 限支付疗程 per person (EX-PAYCOURSE: 14 billed days in any 30 days, by generic name) -----


def _ozagrel(mdtrt_id: str, on: list[date], fixmedins: str = "H1") -> VisitRecord:
    lines = [line(f"{n}", OZAGREL, day, pric="20") for n, day in enumerate(on, start=1)]
    return visit(mdtrt_id, on[0], on[-1], *lines, fixmedins=fixmedins)


def test_pay_course_per_person_counts_the_days_of_every_visit(engine: AuditEngine) -> None:
    first = _ozagrel("M1", days(d(3, 1), d(3, 7)))
    second = _ozagrel("M2", days(d(3, 10), d(3, 16)), fixmedins="H2")  # 14 days in all
    assert found(engine, first, second, rule="EX-PAYCOURSE") == []
    third = _ozagrel("M3", [d(3, 17)])
    assert found(engine, first, second, third, rule="EX-PAYCOURSE") == [
        ("M3", "1", Decimal("20.00"), "奥扎格雷钠注射液支付不超过14天，已计15天")
    ]


def test_pay_course_per_person_window_is_lookback_days_ending_on_the_fee_date(
    engine: AuditEngine,
) -> None:
    later = _ozagrel("M2", days(d(2, 24), d(3, 9)))  # 14 days; 3-09 looks back to 2-08
    assert found(engine, _ozagrel("M1", [d(2, 7)]), later, rule="EX-PAYCOURSE") == []
    assert found(engine, _ozagrel("M1", [d(2, 8)]), later, rule="EX-PAYCOURSE") == [
        ("M2", "14", Decimal("20.00"), "奥扎格雷钠注射液支付不超过14天，已计15天")
    ]
