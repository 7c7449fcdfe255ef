"""audit.national: the import of the 14 national batches (两库), checked against the source files."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pytest

from yibao.audit.formats import load_rule_base
from yibao.audit.model import Grade, Moment, ParamValue, Rule, RuleBase
from yibao.audit.national_report import ImportReport
from yibao.audit.service import (
    check_rule_base,
    import_national_rules,
    shipped_rule_base_dir,
)
from yibao.kernel.errors import RejectedFile

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "data" / "two_libraries" / "csv"
SHIPPED = ROOT / "src" / "yibao" / "audit" / "rulebase" / "national"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[ImportReport, RuleBase]:
    out = tmp_path_factory.mktemp("audit") / "national"
    report = import_national_rules(SOURCE, out)
    return report, load_rule_base(out)


def rows_of(rule: Rule, column: str, value: str) -> list[dict[str, str]]:
    assert rule.table is not None
    return [record for record in rule.table.records() if record[column] == value]


def mapping(rule: Rule, *keys: str) -> Mapping[str, ParamValue]:
    """A mapping parameter of a rule, by its key path."""
    value: ParamValue = rule.params
    for key in keys:
        assert isinstance(value, Mapping)
        value = value[key]
    assert isinstance(value, Mapping)
    return value


def source_rows(name: str) -> list[dict[str, str]]:
    with (SOURCE / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("title", "sheet1", "sheet2", "table_rows", "codes", "refused"),
    [
        ("第一批 药品 限定年龄对象", 282, 4398, 4398, 4398, 0),
        ("第一批 药品 限定性别对象", 481, 6472, 6472, 6472, 0),
        ("第一批 项目 限定年龄对象", 30, None, 30, 30, 0),
        ("第一批 项目 限定性别对象", 390, None, 390, 390, 0),
        ("第二批", 378, None, 378, 368, 0),  # ten operations belong to two to four groups
        ("第三批", 12, 112, 112, 112, 0),
        ("第四批", 35, 736, 736, 736, 0),
        ("第五批", 61, 962, 962, 962, 0),
        ("第六批", 30, 1147, 1147, 1147, 0),
        ("第七批", 901, None, 900, 528, 1),  # 900 pairs and an empty row
        ("第八批-1", 69, None, 67, 67, 2),  # 67 items, a 合计 line and a footnote
        ("第八批-2", 1, None, 1, 1, 0),
        ("第八批-3", 11, None, 11, 11, 0),
        ("第八批-4", 14, None, 14, 14, 0),
    ],
)
def test_every_batch_is_imported_with_the_counts_of_the_source(
    imported: tuple[ImportReport, RuleBase],
    title: str, sheet1: int, sheet2: int | None, table_rows: int, codes: int, refused: int,
) -> None:  # fmt: skip
    report, base = imported
    batch = report.batch(title)
    assert (batch.sheet1_rows, batch.sheet2_rows) == (sheet1, sheet2) == batch.expected
    assert (batch.table_rows, batch.distinct_codes, len(batch.refused)) == (
        table_rows,
        codes,
        refused,
    )
    assert batch.rules_without_codes == () and batch.codes_without_rule == ()
    table = base[batch.rules[0]].table
    assert table is not None and len(table) == table_rows


def test_the_import_writes_fifteen_rules_that_all_run_at_every_moment(
    imported: tuple[ImportReport, RuleBase],
) -> None:
    report, base = imported
    assert len(base) == report.rules == 15
    assert len(base.active(date(2026, 3, 1), "990100", "05", Moment.BEFORE)) == 15
    assert base.active(date(2023, 12, 31), "990100", "05", Moment.AFTER) == ()
    assert base["NAT4-DRUG-NUTRITION"].family == "nutrition_screening"
    assert base["NAT8-2-ITEM-WORKING-AGE"].grade is Grade.SUSPICIOUS


def test_every_drug_code_of_sheet2_is_in_its_rule_table(
    imported: tuple[ImportReport, RuleBase],
) -> None:
    _, base = imported
    sheet2 = source_rows("【第一批】药品规则库(限定性别对象).sheet2.csv")
    table = base["NAT1-DRUG-SEX"].table
    assert table is not None and set(table.values("code")) == {row["药品代码"] for row in sheet2}


def test_apalutamide_is_for_men_only(imported: tuple[ImportReport, RuleBase]) -> None:
    rows = rows_of(imported[1]["NAT1-DRUG-SEX"], "name", "阿帕他胺片")
    assert {row["code"] for row in rows} == {
        "XL02BBA326A001010102180", "XL02BBA326A001010178537", "XL02BBA326A001020278537",
    }  # fmt: skip
    assert {row["gend"] for row in rows} == {"1"}
    assert rows[0]["source"] == "sheet1:2 sheet2:2"


def test_ozagrel_is_paid_for_fourteen_days(imported: tuple[ImportReport, RuleBase]) -> None:
    rule = imported[1]["NAT6-DRUG-PAYCOURSE"]
    rows = rows_of(rule, "name", "奥扎格雷钠注射液")
    assert len(rows) > 1 and {row["max_days"] for row in rows} == {"14"}
    assert rule.params["episode"] == "visit" and rule.params["measure"] == "billed_days"


def test_glycated_haemoglobin_is_paid_once_in_fifteen_days(
    imported: tuple[ImportReport, RuleBase],
) -> None:
    (row,) = rows_of(imported[1]["NAT8-4-ITEM-CYCLE"], "name", "糖化血红蛋白测定")
    assert (row["code"], row["max_count"], row["cycle_days"]) == ("002503020030000", "1", "15")
    (fructosamine,) = rows_of(imported[1]["NAT8-4-ITEM-CYCLE"], "name", "血清果糖胺测定")
    assert (fructosamine["max_count"], fructosamine["cycle_days"]) == ("1", "7")


def test_hand_function_assessment_lasts_ninety_days_fourteen_apart(
    imported: tuple[ImportReport, RuleBase],
) -> None:
    rule = imported[1]["NAT8-3-ITEM-COURSE"]
    (row,) = rows_of(rule, "name", "手功能评定")
    assert (row["code"], row["max_days"], row["min_interval_days"]) == (
        "003402000050000",
        "90",
        "14",
    )
    (training,) = rows_of(rule, "name", "减重支持系统训练")
    assert (training["max_days"], training["min_interval_days"]) == ("30", "")
    (hearing,) = rows_of(rule, "name", "儿童听力障碍语言训练")
    assert (hearing["max_days"], hearing["min_interval_days"]) == ("365", "7")


def test_emergency_monitoring_excludes_the_emergency_consultation_the_same_day(
    imported: tuple[ImportReport, RuleBase],
) -> None:
    rows = rows_of(imported[1]["NAT7-ITEM-DUPLICATE"], "sub_name", "急诊诊查费")
    pair = next(row for row in rows if row["main_name"] == "急诊监护费")
    assert (pair["main_code"], pair["sub_code"], pair["window"]) == (
        "001103000010000", "001102000030000", "day",
    )  # fmt: skip
    assert pair["note"] == "含监护、床位、诊查、护理"


def test_free_text_values_become_typed_cells(imported: tuple[ImportReport, RuleBase]) -> None:
    _, base = imported
    assert {r["band"] for r in rows_of(base["NAT1-ITEM-AGE"], "name", "新生儿护理")} <= {"新生儿"}
    assert set(mapping(base["NAT1-ITEM-AGE"], "bands")) == {"儿童", "新生儿", "婴幼儿"}
    assert {r["scheme"] for r in rows_of(base["NAT3-DRUG-INSUTYPE"], "name", "疤痕止痒软化膏")} == {
        "work_injury"
    }
    assert {r["min_tier"] for r in rows_of(base["NAT5-DRUG-LEVEL"], "name", "参附注射液")} == {
        "tier2"
    }
    assert {r["allowed"] for r in rows_of(base["NAT4-DRUG-MEDTYPE"], "name", "安宫牛黄丸")} == {
        "inpatient|emergency"
    }
    (ward,) = rows_of(base["NAT8-1-ITEM-FREQUENCY"], "name", "住院诊查费")
    (ventilator,) = rows_of(base["NAT8-1-ITEM-FREQUENCY"], "name", "呼吸机辅助呼吸")
    assert (ward["max_quantity"], ward["unit"], ventilator["max_quantity"], ventilator["unit"]) == (
        "1", "day", "24", "hour",
    )  # fmt: skip
    working = mapping(base["NAT8-2-ITEM-WORKING-AGE"], "bands", "法定就业年龄")
    assert working == {"from": "16y", "below": {"female": "55y", "male": "60y"}}


def test_rows_that_are_not_rules_are_listed_with_file_row_and_reason(
    imported: tuple[ImportReport, RuleBase],
) -> None:
    report, _ = imported
    assert [(i.file, i.row, i.reason[:12]) for i in report.refused] == [
        ("【第七批】项目规则库（重复收费）.sheet1.csv", 902, "an empty row"),
        ("【第八批-1】项目规则库（限定频次）.sheet1.csv", 69, "a 合计 (total)"),
        ("【第八批-1】项目规则库（限定频次）.sheet1.csv", 70, "a footnote w"),
    ]
    notes = {(n.file[:5], n.row): n.reason for batch in report.batches for n in batch.notes}
    # 注射用益气复脉(冻干): 15天 in the value column, 14天 in the description
    assert (
        notes["【第六批】", 28]
        == "限定值域 15天 but 药品说明 says 14天: the value column (15) is used"
    )


def test_a_row_that_cannot_be_read_is_refused_not_skipped(tmp_path: Path) -> None:
    source = tmp_path / "csv"
    shutil.copytree(SOURCE, source)
    course = source / "【第六批】药品规则库（限定支付疗程）.sheet1.csv"
    course.write_text(
        course.read_text(encoding="utf-8-sig").replace(",14天\n", ",两周\n", 1), encoding="utf-8"
    )
    sex = source / "【第一批】药品规则库(限定性别对象).sheet2.csv"
    sex.write_text(sex.read_text(encoding="utf-8-sig").replace("XL02BBA326A001010178537", "XL02BBA326A0010"),
                   encoding="utf-8")  # fmt: skip
    with sex.open("a", encoding="utf-8") as handle:  # one code twice: same drug, another drug
        handle.write("阿帕他胺片,4,XL02BBA326A001020278537,限定性别对象\n")
        handle.write("艾附暖宫丸,9,XL02BBA326A001010102180,限定性别对象\n")
    report = import_national_rules(source, tmp_path / "out")
    paycourse = report.batch("第六批")
    (refused_rule,) = [i for i in paycourse.refused if i.file.endswith("sheet1.csv")]
    assert (refused_rule.row, refused_rule.reason) == (
        2, "限定值域 '两周' is not a number of days like 14天",
    )  # fmt: skip
    left_out = [i for i in paycourse.refused if i.file.endswith("sheet2.csv")]
    assert left_out and all("was refused" in i.reason for i in left_out)
    assert paycourse.table_rows == 1147 - len(left_out)
    sexes = report.batch("第一批 药品 限定性别")
    bad_code, other_drug = sexes.refused
    assert bad_code.row == 3 and "is not a national code" in bad_code.reason
    assert other_drug.reason == (
        "XL02BBA326A001010102180 is already in the table from sheet1:2 sheet2:2 (阿帕他胺片); "
        "sheet1:3 sheet2:6475 (艾附暖宫丸) differs: refused"
    )
    assert any(n.reason.endswith("has the same restriction: merged") for n in sexes.notes)
    assert (sexes.sheet2_rows, sexes.table_rows) == (6474, 6471)


def test_a_missing_source_file_or_a_foreign_output_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RejectedFile, match="cannot read the source file"):
        import_national_rules(tmp_path, tmp_path / "out")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(RejectedFile, match="not a generated national rule base"):
        import_national_rules(SOURCE, foreign)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


def test_the_shipped_rule_base_is_a_fresh_import(imported: tuple[ImportReport, RuleBase]) -> None:
    report, _ = imported
    fresh = Path(report.out_dir)
    names = sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file())
    shipped = sorted(p.relative_to(SHIPPED).as_posix() for p in SHIPPED.rglob("*") if p.is_file())
    assert shipped == names == list(report.files)
    stale = [name for name in names if (SHIPPED / name).read_bytes() != (fresh / name).read_bytes()]
    assert stale == [], f"regenerate with the command in {SHIPPED / 'README.md'}"


def test_the_package_ships_a_rule_base_that_loads() -> None:
    check = check_rule_base(directory=shipped_rule_base_dir())
    ids = [rule.rule_id for rule in check.rule_base]
    assert len(ids) == 25  # 15 national rules, 10 of seed 003's cases
    assert sum(i.startswith("NAT") for i in ids) == 15
    assert sum(i.startswith("SEED-") for i in ids) == 10
    assert "NAT7-ITEM-DUPLICATE 重复收费（第七批）" in check.summary()
