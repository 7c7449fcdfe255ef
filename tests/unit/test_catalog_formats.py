"""The catalogue file formats: good CSV and XLSX files of each kind, and every kind of mistake."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from yibao.catalog.formats import (
    COLUMNS,
    FileKind,
    read_catalog_file,
    record_key,
    write_catalog_csv,
)
from yibao.catalog.model import CatalogEntry, Institution, MappingEntry
from yibao.kernel.codes import ChrgitmLv, HospLv, ListType, MedChrgitmType
from yibao.kernel.errors import Problem, RejectedFile
from yibao.kernel.tiers import HospitalTier

D = Decimal
CATALOG_HEADER = ",".join(COLUMNS[FileKind.CATALOG])
INSTITUTIONS_HEADER = "fixmedins_code,fixmedins_name,hosp_lv,admdvs,kind,demo,remote_enabled"
MAPPING_HEADER = "fixmedins_code,medins_list_codg,med_list_codg,begndate,enddate"
# code,name,list_type,chrgitm_lv,med_chrgitm_type,admdvs,selfpay_prop,tier3,tier2,tier1,primary,
# lmt_used_flag,lmt_used_scope,begndate,enddate,demo
DRUG_A = "XA01AAA001A001010100001,甲药片,101,01,09,990100,0,12.5,11.25,10,9.999999,0,,2024-01-01,,1"
DRUG_B = (
    "ZA01AAA0001010100001,乙颗粒,102,02,11,990100,0.10,,,,,1,限二级及以上医疗机构,"
    "2024-01-01,2024-12-31,0"
)
ITEM_C = "001102000040000,门急诊留观诊查费,201,03,02,990100,0.5,,,,,0,,2024-01-01,,1"


def write(path: Path, *lines: str, bom: bool = False) -> Path:
    path.write_text(("\ufeff" if bom else "") + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def problems_of(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(RejectedFile) as caught:
        read_catalog_file(path)
    return caught.value.problems


def only_problem(path: Path) -> Problem:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


def expected_drug_a() -> CatalogEntry:
    return CatalogEntry(
        code="XA01AAA001A001010100001",
        name="甲药片",
        list_type=ListType.WESTERN_MEDICINE,
        chrgitm_lv=ChrgitmLv.CLASS_A,
        med_chrgitm_type=MedChrgitmType.WESTERN_MEDICINE_FEE,
        admdvs="990100",
        selfpay_prop=D("0"),
        price_ceilings={
            HospitalTier.TIER3: D("12.5"),
            HospitalTier.TIER2: D("11.25"),
            HospitalTier.TIER1: D("10"),
            HospitalTier.PRIMARY: D("9.999999"),
        },
        restricted=False,
        restriction="",
        begndate=date(2024, 1, 1),
        enddate=None,
        demo=True,
    )


# ----------------------------------------------------------------------------- good files


def test_good_catalog_csv_parses_to_exact_records(tmp_path: Path) -> None:
    parsed = read_catalog_file(write(tmp_path / "c.csv", CATALOG_HEADER, DRUG_A, DRUG_B, ITEM_C))
    assert parsed.kind is FileKind.CATALOG
    assert parsed.rows == (2, 3, 4)
    first, second, third = parsed.records
    assert first == expected_drug_a()
    assert isinstance(second, CatalogEntry) and isinstance(third, CatalogEntry)
    assert second.selfpay_prop == D("0.10") and str(second.selfpay_prop) == "0.10"
    assert second.price_ceilings == {}
    assert second.restricted and second.restriction == "限二级及以上医疗机构"
    assert second.enddate == date(2024, 12, 31) and second.demo is False
    assert third.chrgitm_lv is ChrgitmLv.CLASS_C and third.selfpay_prop == D("0.5")


def test_bom_and_blank_lines_are_accepted_and_rows_keep_their_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", CATALOG_HEADER, DRUG_A, "", DRUG_B, bom=True)
    parsed = read_catalog_file(path)
    assert parsed.rows == (2, 4)
    assert parsed.records[0] == expected_drug_a()


def test_columns_may_come_in_any_order(tmp_path: Path) -> None:
    parsed = read_catalog_file(
        write(
            tmp_path / "m.csv",
            "begndate,enddate,fixmedins_code,medins_list_codg,med_list_codg",
            "2024-01-01,,H99010000001,HIS-1,001102000040000",
        )
    )
    assert parsed.records == (
        MappingEntry("H99010000001", "HIS-1", "001102000040000", date(2024, 1, 1), None),
    )


def test_good_catalog_xlsx_with_numeric_and_date_cells(tmp_path: Path) -> None:
    header = CATALOG_HEADER.split(",")
    row: list[object] = [
        "XA01AAA001A001010100001", "甲药片", "101", "01", "09", "990100", 0,
        12.5, 11.25, 10, 9.999999, 0, None, datetime(2024, 1, 1), None, 1,
    ]  # fmt: skip
    parsed = read_catalog_file(write_xlsx(tmp_path / "c.xlsx", [header, row]))
    assert parsed.kind is FileKind.CATALOG
    assert parsed.records == (expected_drug_a(),)
    entry = parsed.records[0]
    assert isinstance(entry, CatalogEntry)
    assert entry.ceiling(HospitalTier.TIER1) == D("10")
    assert entry.ceiling(HospitalTier.PRIMARY) == D("9.999999")


def test_xlsx_ratio_cell_is_read_from_its_text_not_through_binary(tmp_path: Path) -> None:
    header = CATALOG_HEADER.split(",")
    row: list[object] = [*DRUG_B.split(",")]
    row[6] = 0.1  # a float cell: 0.1 must become Decimal("0.1"), not 0.1000000000000000055…
    parsed = read_catalog_file(write_xlsx(tmp_path / "c.xlsx", [header, row]))
    entry = parsed.records[0]
    assert isinstance(entry, CatalogEntry)
    assert entry.selfpay_prop == D("0.1")


def test_good_institutions_csv_and_xlsx(tmp_path: Path) -> None:
    rows = [
        "H99010000001,示范市第一人民医院,02,990100,hospital,1,1",
        "P99010000001,示范大药房,11,990100,pharmacy,0,0",
    ]
    expected = (
        Institution(
            "H99010000001", "示范市第一人民医院", HospLv.TIER3_A, "990100", "hospital", True, True
        ),
        Institution(
            "P99010000001", "示范大药房", HospLv.UNGRADED, "990100", "pharmacy", False, False
        ),
    )
    parsed = read_catalog_file(write(tmp_path / "i.csv", INSTITUTIONS_HEADER, *rows))
    assert parsed.kind is FileKind.INSTITUTIONS and parsed.records == expected
    sheet = [INSTITUTIONS_HEADER.split(",")] + [
        [*r.split(",")[:-2], *(int(flag) for flag in r.split(",")[-2:])] for r in rows
    ]
    assert read_catalog_file(write_xlsx(tmp_path / "i.xlsx", sheet)).records == expected


def test_good_mapping_csv_and_xlsx(tmp_path: Path) -> None:
    expected = (
        MappingEntry("H99010000001", "HIS-0001", "001102000040000", date(2024, 1, 1), None),
        MappingEntry(
            "H99010000001", "HIS-0002", "XA01AAA001A001010100001", date(2024, 1, 1),
            date(2025, 6, 30),
        ),
    )  # fmt: skip
    parsed = read_catalog_file(
        write(
            tmp_path / "m.csv",
            MAPPING_HEADER,
            "H99010000001,HIS-0001,001102000040000,2024-01-01,",
            "H99010000001,HIS-0002,XA01AAA001A001010100001,2024-01-01,2025-06-30",
        )
    )
    assert parsed.kind is FileKind.MAPPING and parsed.records == expected
    sheet: list[Sequence[object]] = [
        MAPPING_HEADER.split(","),
        ["H99010000001", "HIS-0001", "001102000040000", date(2024, 1, 1), None],
        ["H99010000001", "HIS-0002", "XA01AAA001A001010100001", "2024-01-01", "2025-06-30"],
    ]
    assert read_catalog_file(write_xlsx(tmp_path / "m.xlsx", sheet)).records == expected


def test_written_csv_reads_back_to_the_same_records_sorted_by_key(tmp_path: Path) -> None:
    parsed = read_catalog_file(write(tmp_path / "c.csv", CATALOG_HEADER, ITEM_C, DRUG_B, DRUG_A))
    out = tmp_path / "out.csv"
    write_catalog_csv(out, parsed.records, kind=FileKind.CATALOG)
    again = read_catalog_file(out)
    assert again.records == tuple(sorted(parsed.records, key=record_key))
    codes = [line.split(",")[0] for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    assert codes == sorted(codes)
    assert "12.5,11.25,10,9.999999" in out.read_text(encoding="utf-8")


def test_an_empty_file_of_a_kind_can_be_written_and_read(tmp_path: Path) -> None:
    out = tmp_path / "mapping.csv"
    write_catalog_csv(out, [], kind=FileKind.MAPPING)
    assert out.read_text(encoding="utf-8") == MAPPING_HEADER + "\n"
    parsed = read_catalog_file(out)
    assert parsed.kind is FileKind.MAPPING and parsed.records == ()


# ---------------------------------------------------------------------- one mistake each


def _with(line: str, column: str, value: str) -> str:
    cells = line.split(",")
    cells[COLUMNS[FileKind.CATALOG].index(column)] = value
    return ",".join(cells)


MISTAKES = [
    ("list_type", _with(DRUG_A, "list_type", "109"), "unknown code '109'"),
    ("chrgitm_lv", _with(DRUG_A, "chrgitm_lv", "05"), "unknown code '05'"),
    ("pric_uplmt_tier3", _with(DRUG_A, "pric_uplmt_tier3", "12.1234567"), "more than 6 decimal"),
    ("pric_uplmt_tier2", _with(DRUG_A, "pric_uplmt_tier2", "-3.00"), "must be greater than 0"),
    ("selfpay_prop", _with(DRUG_B, "selfpay_prop", "1.5"), "not between 0 and 1"),
    ("selfpay_prop", _with(DRUG_A, "selfpay_prop", "0.1"), "甲类"),
    ("begndate", _with(DRUG_A, "begndate", "2024-13-01"), "not a date"),
    ("enddate", _with(DRUG_A, "enddate", "2023-12-31"), "before begndate"),
    ("lmt_used_scope", _with(DRUG_B, "lmt_used_scope", ""), "required when lmt_used_flag is 1"),
    ("admdvs", _with(DRUG_A, "admdvs", "99010"), "six digits"),
    ("med_chrgitm_type", _with(DRUG_A, "med_chrgitm_type", "99"), "unknown code '99'"),
    ("lmt_used_flag", _with(DRUG_A, "lmt_used_flag", "yes"), "expected 0 or 1"),
    ("name", _with(DRUG_A, "name", ""), "required"),
    ("selfpay_prop", _with(DRUG_A, "selfpay_prop", "abc"), "not a number"),
]


@pytest.mark.parametrize(("column", "line", "fragment"), MISTAKES, ids=[m[2] for m in MISTAKES])
def test_each_mistake_names_row_column_and_reason(
    tmp_path: Path, column: str, line: str, fragment: str
) -> None:
    path = write(tmp_path / "c.csv", CATALOG_HEADER, ITEM_C, line)
    problem = only_problem(path)
    assert (problem.file, problem.row, problem.column) == (str(path), 3, column)
    assert fragment in problem.reason
    assert str(path) in str(problem) and "row 3" in str(problem)


def test_class_c_share_is_ignored_but_must_still_be_a_ratio(tmp_path: Path) -> None:
    problem = only_problem(
        write(tmp_path / "c.csv", CATALOG_HEADER, _with(ITEM_C, "selfpay_prop", "2"))
    )
    assert (problem.row, problem.column) == (2, "selfpay_prop")


def test_duplicate_key_is_reported_on_the_second_row(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path / "c.csv", CATALOG_HEADER, DRUG_A, ITEM_C, DRUG_A))
    assert (problem.row, problem.column) == (4, "code")
    assert "duplicate key" in problem.reason and "row 2" in problem.reason


def test_overlapping_date_ranges_of_one_code_are_refused(tmp_path: Path) -> None:
    later = _with(_with(DRUG_B, "begndate", "2024-06-01"), "enddate", "")
    problem = only_problem(write(tmp_path / "c.csv", CATALOG_HEADER, DRUG_B, later))
    assert (problem.row, problem.column) == (3, "begndate")
    assert "overlap" in problem.reason and "row 2" in problem.reason


def test_adjacent_date_ranges_are_fine(tmp_path: Path) -> None:
    next_year = _with(_with(DRUG_B, "begndate", "2025-01-01"), "enddate", "")
    parsed = read_catalog_file(write(tmp_path / "c.csv", CATALOG_HEADER, DRUG_B, next_year))
    assert len(parsed.records) == 2


def test_same_code_in_another_region_is_not_an_overlap(tmp_path: Path) -> None:
    other = _with(DRUG_A, "admdvs", "990200")
    assert (
        len(read_catalog_file(write(tmp_path / "c.csv", CATALOG_HEADER, DRUG_A, other)).records)
        == 2
    )


def test_wrong_header_names_missing_and_unexpected_columns(tmp_path: Path) -> None:
    header = CATALOG_HEADER.replace("selfpay_prop", "selfpay").replace(",demo", "")
    problem = only_problem(write(tmp_path / "c.csv", header, DRUG_A))
    assert (problem.row, problem.column) == (1, None)
    assert "missing columns selfpay_prop, demo" in problem.reason
    assert "unexpected columns selfpay" in problem.reason


def test_numeric_code_cell_in_xlsx_asks_for_text(tmp_path: Path) -> None:
    header = CATALOG_HEADER.split(",")
    row: list[object] = [*ITEM_C.split(",")]
    row[0] = 1102000040000  # what Excel makes of 001102000040000 typed into a number cell
    problem = only_problem(write_xlsx(tmp_path / "c.xlsx", [header, row]))
    assert (problem.row, problem.column) == (2, "code")
    assert "format the code column as text" in problem.reason


def test_numeric_chrgitm_lv_in_xlsx_is_not_guessed(tmp_path: Path) -> None:
    header = CATALOG_HEADER.split(",")
    row: list[object] = [*DRUG_A.split(",")]
    row[3] = 1
    problem = only_problem(write_xlsx(tmp_path / "c.xlsx", [header, row]))
    assert (problem.row, problem.column) == (2, "chrgitm_lv")


def test_float_cell_with_too_many_decimals_is_refused(tmp_path: Path) -> None:
    header = CATALOG_HEADER.split(",")
    row: list[object] = [*DRUG_A.split(",")]
    row[7] = 12.1234567  # read as "12.1234567": more decimals than a price (N16,6) may have
    problem = only_problem(write_xlsx(tmp_path / "c.xlsx", [header, row]))
    assert (problem.row, problem.column) == (2, "pric_uplmt_tier3")
    assert "decimal places" in problem.reason


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"")
    problem = only_problem(path)
    assert (problem.file, problem.row, problem.column) == (str(path), None, None)
    assert "empty" in problem.reason


def test_empty_xlsx(tmp_path: Path) -> None:
    assert "empty" in only_problem(write_xlsx(tmp_path / "c.xlsx", [])).reason


@pytest.mark.parametrize("name", ["catalog.txt", "catalog.xls", "catalog"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    problem = only_problem(write(tmp_path / name, CATALOG_HEADER, DRUG_A))
    assert problem.file.endswith(name) and "unsupported file type" in problem.reason


def test_missing_file_is_named(tmp_path: Path) -> None:
    problem = only_problem(tmp_path / "nowhere.csv")
    assert problem.file.endswith("nowhere.csv") and "cannot read" in problem.reason


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes((CATALOG_HEADER + "\n" + DRUG_A + "\n").encode("gbk"))
    assert "not UTF-8" in only_problem(path).reason


def test_broken_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    assert "not a readable XLSX" in only_problem(path).reason


def test_too_many_cells(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path / "c.csv", CATALOG_HEADER, DRUG_A + ",surplus"))
    assert problem.row == 2 and "cells" in problem.reason


def test_three_bad_rows_are_all_reported_and_nothing_is_returned(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.csv",
        CATALOG_HEADER,
        _with(DRUG_A, "list_type", "999"),
        ITEM_C,
        _with(DRUG_B, "begndate", "yesterday"),
        _with(_with(DRUG_A, "code", "X2"), "pric_uplmt_primary", "0"),
    )
    problems = problems_of(path)
    assert [(p.row, p.column) for p in problems] == [
        (2, "list_type"),
        (4, "begndate"),
        (5, "pric_uplmt_primary"),
    ]


def test_every_problem_of_one_row_is_reported(tmp_path: Path) -> None:
    line = _with(_with(_with(DRUG_A, "list_type", "1"), "admdvs", "x"), "demo", "2")
    problems = problems_of(write(tmp_path / "c.csv", CATALOG_HEADER, line))
    assert [p.column for p in problems] == ["list_type", "admdvs", "demo"]


# --------------------------------------------------------------- institutions and mapping


@pytest.mark.parametrize(
    ("line", "column", "fragment"),
    [
        ("H99010000001,医院,02,990200,hospital,1,1", "fixmedins_code", "does not carry its region"),
        ("H9901000001,医院,02,990100,hospital,1,1", "fixmedins_code", "12 characters"),
        ("H99010000001,医院,15,990100,hospital,1,1", "hosp_lv", "unknown code '15'"),
        ("H99010000001,医院,02,990100,clinic,1,1", "kind", "unknown code 'clinic'"),
        ("H99010000001,医院,02,990100,hospital,1,", "remote_enabled", "required"),
        ("H99010000001,医院,02,990100,hospital,1,2", "remote_enabled", "not a flag"),
    ],
)
def test_institution_mistakes(tmp_path: Path, line: str, column: str, fragment: str) -> None:
    problem = only_problem(write(tmp_path / "i.csv", INSTITUTIONS_HEADER, line))
    assert (problem.row, problem.column) == (2, column) and fragment in problem.reason


def test_duplicate_institution(tmp_path: Path) -> None:
    line = "H99010000001,医院,02,990100,hospital,1,0"
    problem = only_problem(write(tmp_path / "i.csv", INSTITUTIONS_HEADER, line, line))
    assert (problem.row, problem.column) == (3, "fixmedins_code")
    assert "duplicate key" in problem.reason


def test_mapping_duplicate_key_and_overlap(tmp_path: Path) -> None:
    path = write(
        tmp_path / "m.csv",
        MAPPING_HEADER,
        "H99010000001,HIS-1,001102000040000,2024-01-01,2024-12-31",
        "H99010000001,HIS-1,001102000050000,2024-01-01,",
        "H99010000001,HIS-1,001102000050000,2024-07-01,",
    )
    problems = problems_of(path)
    # row 4 overlaps rows 2 and 3; one problem per row is reported
    assert [(p.row, p.column) for p in problems] == [(3, "medins_list_codg"), (4, "begndate")]
    assert "duplicate key" in problems[0].reason and "overlap" in problems[1].reason
