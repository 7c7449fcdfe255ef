"""audit.formats: a rule base loads whole, or every problem is named with file, rule id and reason."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from yibao.audit.families import FAMILIES
from yibao.audit.formats import load_rule_base
from yibao.audit.model import Action, Grade, Moment
from yibao.audit.writer import rule_set_toml, write_table
from yibao.kernel.errors import Problem, RejectedFile

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "audit-examples"

RULES = """\
[ruleset]
name = "test"
version = "2026.1"

[[rules]]
id = "T-SEX"
name = "限定性别用药"
family = "sex"
grade = "violation"
action = "self_pay"
moments = ["during", "after"]
begin = 2026-01-01
vola_cont = "{name}限{gend_label}性使用"
[rules.table]
name = "t_sex"
file = "tables/sex.csv"
[rules.evidence]
document = "两库 第一批"

[[rules]]
id = "T-OPERATION"
name = "主次手术"
family = "main_secondary_operation"
grade = "suspicious"
action = "hold"
moments = ["after"]
begin = 2026-01-01
end = 2026-12-31
vola_cont = "{name}与{main_name}同属{group}"
[rules.params]
secondary_ratio = 0.5
[rules.table]
name = "t_operation"
file = "tables/operation.csv"
[rules.evidence]
document = "两库 第二批"

[[rules]]
id = "T-RX"
name = "处方限量"
family = "prescription_limit"
grade = "reminder"
action = "warn"
moments = ["before"]
begin = 2026-01-01
vola_cont = "处方{rx_no}超过{limit}天"
off_regions = ["990200"]
[rules.params]
outpatient_days = 7
[rules.evidence]
document = "处方管理办法"
"""
SEX = "code,name,gend,source\nXL02BBA326A001010102180,阿帕他胺片,1,s2:2\n"
OPERATION = "code,name,group,source\n003310010140000,食管癌根治+结肠代食管术,胃肠手术组,s1:2\n"


def rule_base(tmp_path: Path, rules: str = RULES, **tables: str) -> Path:
    (tmp_path / "tables").mkdir(exist_ok=True)
    (tmp_path / "rules.toml").write_text(rules, encoding="utf-8")
    for name, text in {"sex": SEX, "operation": OPERATION, **tables}.items():
        (tmp_path / "tables" / f"{name}.csv").write_text(text, encoding="utf-8")
    return tmp_path


def problems(directory: Path) -> list[Problem]:
    with pytest.raises(RejectedFile) as caught:
        load_rule_base(directory)
    return list(caught.value.problems)


def only(found: list[Problem]) -> Problem:
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_a_good_rule_file_loads_into_frozen_typed_rules(tmp_path: Path) -> None:
    base = load_rule_base(rule_base(tmp_path))
    assert [r.rule_id for r in base] == ["T-OPERATION", "T-RX", "T-SEX"]
    sex = base["T-SEX"]
    assert (sex.grade, sex.action, sex.moments) == (
        Grade.VIOLATION, Action.SELF_PAY, frozenset({Moment.DURING, Moment.AFTER}),
    )  # fmt: skip
    assert sex.table is not None and sex.table.rows[0][:3] == (
        "XL02BBA326A001010102180",
        "阿帕他胺片",
        "1",
    )
    assert (sex.table.file, sex.source_file, sex.version) == (
        "tables/sex.csv",
        "rules.toml",
        "2026.1",
    )
    operation = base["T-OPERATION"]
    assert operation.params["secondary_ratio"] == Decimal("0.5") and operation.end == date(
        2026, 12, 31
    )
    assert operation.params["window"] == "day"  # the default is written into the rule
    rx = base["T-RX"]
    assert rx.table is None and rx.params["emergency_med_types"] == ("13",)
    assert rx.off_regions == {"990200"} and not rx.applies(
        date(2026, 3, 1), "990201", "02", Moment.BEFORE
    )
    with pytest.raises(TypeError):
        rx.params["outpatient_days"] = 3  # type: ignore[index]


@pytest.mark.parametrize(
    ("old", "new", "column", "reason"),
    [
        ('family = "sex"', 'family = "gender"', "rule T-SEX.family", "unknown family 'gender'"),
        ('grade = "violation"', 'grade = "fatal"', "rule T-SEX.grade", "unknown code 'fatal'"),
        ('action = "self_pay"', 'action = "deduct"', "rule T-SEX.action", "unknown code 'deduct'"),
        ('moments = ["during", "after"]', 'moments = ["later"]', "rule T-SEX.moments.0", "unknown code 'later'"),
        ("begin = 2026-01-01\nvola_cont = \"{name}限", "begin = 2026-01-01\nend = 2025-12-31\nvola_cont = \"{name}限",
         "rule T-SEX", "end 2025-12-31 is before begin 2026-01-01"),
        ('vola_cont = "{name}限{gend_label}性使用"', 'vola_cont = "{name}限{sex}"', "rule T-SEX.vola_cont",
         "unknown placeholder(s) sex"),
        ('file = "tables/sex.csv"', 'file = "tables/none.csv"', "rule T-SEX.table.file",
         "table tables/none.csv: the table file is missing"),
        ('file = "tables/sex.csv"', 'file = "../outside.csv"', "rule T-SEX.table.file", "outside the rule base"),
        ("secondary_ratio = 0.5", 'secondary_ratio = "half"', "rule T-OPERATION.params.secondary_ratio",
         "decimal"),
        ("secondary_ratio = 0.5", "secondary_ratio = 1.5", "rule T-OPERATION.params.secondary_ratio",
         "less than or equal to 1"),
        ("secondary_ratio = 0.5", "ratio = 0.5", "rule T-OPERATION.params.ratio", "Extra inputs"),
        ("outpatient_days = 7", "outpatient_days = 0", "rule T-RX.params.outpatient_days", "greater than"),
        ('document = "处方管理办法"\n',
         'document = "处方管理办法"\n[rules.table]\nname = "t"\nfile = "tables/sex.csv"\n',
         "rule T-RX.table", "family prescription_limit takes no table"),
        ('off_regions = ["990200"]', 'off_regions = ["9902"]', "rule T-RX.off_regions.0", "String should match"),
    ],
)  # fmt: skip
def test_a_bad_rule_is_refused_with_its_file_rule_id_and_reason(
    tmp_path: Path, old: str, new: str, column: str, reason: str
) -> None:
    assert old in RULES
    problem = only(problems(rule_base(tmp_path, RULES.replace(old, new, 1))))
    assert (problem.file, problem.column) == ("rules.toml", column)
    assert reason in problem.reason


def test_a_missing_parameter_is_named(tmp_path: Path) -> None:
    rules = RULES.replace('family = "sex"', 'family = "age"').replace("gend_label", "band_label")
    problem = only(problems(rule_base(tmp_path, rules, sex="code,name,band,source\n")))
    assert (problem.file, problem.column, problem.reason) == (
        "rules.toml", "rule T-SEX.params.bands", "Field required"
    )  # fmt: skip


def test_a_family_that_needs_a_table_refuses_a_rule_without_one(tmp_path: Path) -> None:
    rules = RULES.replace('[rules.table]\nname = "t_sex"\nfile = "tables/sex.csv"\n', "")
    problem = only(problems(rule_base(tmp_path, rules)))
    assert (problem.column, problem.reason) == (
        "rule T-SEX.table",
        "family sex needs a [rules.table]",
    )


@pytest.mark.parametrize(
    ("table", "row", "column", "reason"),
    [
        ("code,name,sex,source\n", 1, "rule T-SEX", "missing gend; unexpected sex"),
        (SEX + "1102000050000,住院诊查费,1,s\n", 3, "code (rule T-SEX)", "is not a national code"),
        (SEX + "XZ02BBA326A00101010218,阿帕他胺片,1,s\n", 3, "code (rule T-SEX)", "is not a national code"),
        (SEX + "ZD03AAA0043010100166,艾附暖宫丸,3,s\n", 3, "gend (rule T-SEX)", "'3' is not one of 1, 2"),
        (SEX + "ZD03AAA0043010100166,,2,s\n", 3, "name (rule T-SEX)", "required: the cell is empty"),
        (SEX + "ZD03AAA0043010100166,艾附暖宫丸,2\n", 3, "rule T-SEX", "3 cells but the header has 4"),
        (SEX + "XL02BBA326A001010102180,阿帕他胺片,2,again\n", 3, "rule T-SEX",
         "duplicate code XL02BBA326A001010102180: also on row 2"),
    ],
)  # fmt: skip
def test_a_bad_table_is_refused_with_its_file_row_column_and_rule(
    tmp_path: Path, table: str, row: int, column: str, reason: str
) -> None:
    problem = only(problems(rule_base(tmp_path, sex=table)))
    assert (problem.file, problem.row, problem.column) == ("tables/sex.csv", row, column)
    assert reason in problem.reason


def test_a_non_number_where_a_number_is_needed_is_refused(tmp_path: Path) -> None:
    rules = RULES.replace('family = "sex"', 'family = "pay_course"').replace(
        "{gend_label}", "{max_days}"
    )
    table = "code,name,max_days,source\nXB01AXA223B002010100156,奥扎格雷钠注射液,十四,s\n"
    problem = only(problems(rule_base(tmp_path, rules, sex=table)))
    assert (problem.row, problem.column) == (2, "max_days (rule T-SEX)")
    assert problem.reason == "'十四' is not a whole number ≥ 1"


def test_a_table_key_must_name_a_parameter_entry(tmp_path: Path) -> None:
    rules = RULES.replace('family = "sex"', 'family = "age"').replace(
        "{gend_label}", "{band_label}"
    )
    rules = rules.replace('[rules.table]\nname = "t_sex"', '[rules.params]\nbands = { "儿童" = { below = "18y" } }\n'
                          '[rules.table]\nname = "t_sex"')  # fmt: skip
    table = "code,name,band,source\nZA04CAE0023010100166,儿童清肺口服液,小儿,s\n"
    problem = only(problems(rule_base(tmp_path, rules, sex=table)))
    assert problem.column == "band (rule T-SEX)"
    assert problem.reason == "小儿 is not defined in params.bands (defined: 儿童)"


def test_duplicate_rule_ids_across_files_are_refused(tmp_path: Path) -> None:
    rule_base(tmp_path)
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "again.toml").write_text(
        RULES.replace('file = "tables/', 'file = "../tables/'), encoding="utf-8"
    )
    found = problems(tmp_path)
    assert {(p.file, p.column) for p in found} == {
        ("rules.toml", f"rule {rule_id}.id") for rule_id in ("T-SEX", "T-OPERATION", "T-RX")
    }
    assert all(p.reason == "duplicate rule id: also in more/again.toml" for p in found)


def test_every_problem_of_every_file_is_reported_and_nothing_is_loaded(tmp_path: Path) -> None:
    rules = RULES.replace('grade = "violation"', 'grade = "fatal"').replace("0.5", "2")
    rule_base(tmp_path, rules, operation=OPERATION + "003310010140000,重复,胃肠手术组,s\n")
    (tmp_path / "broken.toml").write_text("[ruleset\n", encoding="utf-8")
    found = {(p.file, p.column) for p in problems(tmp_path)}
    assert found == {
        ("broken.toml", None),
        ("rules.toml", "rule T-SEX.grade"),
        ("rules.toml", "rule T-OPERATION.params.secondary_ratio"),
        ("tables/operation.csv", "rule T-OPERATION"),  # the table is checked all the same
    }


def test_a_directory_without_rule_files_is_refused(tmp_path: Path) -> None:
    assert only(problems(tmp_path)).reason == "no rule files (*.toml) in the directory"
    assert only(problems(tmp_path / "missing")).reason == "not a directory"


def test_written_rules_load_back_the_same(tmp_path: Path) -> None:
    base = load_rule_base(EXAMPLES)
    out = tmp_path / "copy"
    for rule in base:
        if rule.table is not None:
            write_table(out / rule.table.file, rule.table)
    text = rule_set_toml("examples", "2026.1", base, comment="written by a test")
    (out / "examples.toml").write_text(text, encoding="utf-8")
    again = load_rule_base(out)
    assert list(again.rules) == list(base.rules)
    for rule in base:
        assert again[rule.rule_id] == rule


def test_the_documented_examples_cover_every_family() -> None:
    base = load_rule_base(EXAMPLES)
    assert {rule.family for rule in base} == set(FAMILIES)
    indication = base["EX-INDICATION"]
    assert indication.table is not None and indication.table.values("labs")[0] == "ALB < 30 g/L"
    bands = base["EX-AGE"].params["bands"]
    assert isinstance(bands, Mapping)
    assert bands["法定就业年龄"] == {"from": "16y", "below": {"male": "60y", "female": "55y"}}


def test_a_price_ceiling_rule_has_a_table_exactly_when_it_reads_its_ceilings_from_one(
    tmp_path: Path,
) -> None:
    rules = RULES.replace('family = "sex"', 'family = "price_ceiling"').replace(
        "{gend_label}", "{ceiling}"
    )
    table = "code,name,tier,max_price,source\n001102000050000,住院诊查费,tier3,20.00,s\n"
    problem = only(problems(rule_base(tmp_path, rules, sex=table)))
    assert (problem.column, problem.reason) == (
        "rule T-SEX.table",
        "a [rules.table] is read only with ceilings = 'table'",
    )
    with_table = rules.replace("[rules.table]\nname = \"t_sex\"", "[rules.params]\nceilings = \"table\"\n"
                               "[rules.table]\nname = \"t_sex\"", 1)  # fmt: skip
    ceiling = load_rule_base(rule_base(tmp_path, with_table, sex=table))["T-SEX"]
    assert ceiling.table is not None and ceiling.table.values("max_price") == ("20.00",)
