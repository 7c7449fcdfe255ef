"""Persons files: good CSV and XLSX files read back exactly, and each mistake named by row and column."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from yibao.kernel.errors import Problem, RejectedFile
from yibao.registry.formats import (
    COLUMNS,
    MAX_PROBLEMS,
    OPTIONAL_COLUMNS,
    PeopleFile,
    PersonRow,
    read_people_file,
)
from yibao.registry.model import Enrolment, PersonRecord

TODAY = date(2026, 6, 1)
# 990101 1980-05-12 003, check digit 4; the 17th digit 3 is odd: male
EMPLOYEE = {
    "psn_no": "P001", "psn_cert_type": "01", "certno": "990101198005120034", "psn_name": "王伟",
    "gend": "1", "brdy": "1980-05-12", "naty": "01", "insutype": "310", "psn_type": "1101",
    "cvlserv_flag": "0", "insuplc_admdvs": "990100", "emp_name": "示范市演示单位",
    "begndate": "2020-01-01", "enddate": "", "emp_no": "E990100000001", "contribution_base": "6500.50",
}  # fmt: skip
# the example of GB 11643: 1949-12-31, 17th digit 2 (female), check character X
RESIDENT = {
    **EMPLOYEE, "psn_no": "P002", "certno": "11010519491231002X", "psn_name": "李芳",
    "gend": "2", "brdy": "1949-12-31", "naty": "03", "insutype": "390", "psn_type": "16",
    "emp_name": "", "emp_no": "", "contribution_base": "",
}  # fmt: skip
EARLIER = {**EMPLOYEE, "insutype": "390", "psn_type": "1501", "emp_name": "", "emp_no": "",
           "contribution_base": "",
           "begndate": "2016-01-01", "enddate": "2019-12-31"}  # fmt: skip


def line(values: dict[str, str], **changes: str) -> str:
    return ",".join({**values, **changes}[column] for column in COLUMNS)


def write_csv(path: Path, *lines: str, bom: bool = False) -> Path:
    text = "\n".join([",".join(COLUMNS), *lines]) + "\n"
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def problems_of(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(RejectedFile) as caught:
        read_people_file(path, today=TODAY)
    return caught.value.problems


def expected_rows() -> tuple[PersonRow, ...]:
    wang = PersonRecord("P001", "01", "990101198005120034", "王伟", "1", date(1980, 5, 12))
    li = PersonRecord("P002", "01", "11010519491231002X", "李芳", "2", date(1949, 12, 31))
    return (
        PersonRow(2, wang, "01", Enrolment("P001", "310", "1101", False, "990100",
                                           date(2020, 1, 1), None, "示范市演示单位",
                                           Decimal("6500.50"), "E990100000001")),
        PersonRow(3, wang, "01", Enrolment("P001", "390", "1501", False, "990100",
                                           date(2016, 1, 1), date(2019, 12, 31), "")),
        PersonRow(5, li, "03", Enrolment("P002", "390", "16", False, "990100",
                                         date(2020, 1, 1), None, "")),
    )  # fmt: skip


def test_a_good_csv_reads_back_exactly(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", line(EMPLOYEE), line(EARLIER), "", line(RESIDENT),
                     bom=True)  # fmt: skip
    assert read_people_file(path, today=TODAY) == PeopleFile(str(path), expected_rows())


def test_the_optional_columns_may_be_left_out(tmp_path: Path) -> None:
    required = [c for c in COLUMNS if c not in OPTIONAL_COLUMNS]
    path = tmp_path / "older.csv"
    path.write_text("\n".join(",".join(r) for r in (
        required, [EMPLOYEE[c] for c in required], [RESIDENT[c] for c in required],
    )) + "\n", encoding="utf-8")  # fmt: skip
    rows = read_people_file(path, today=TODAY).rows
    assert [(r.enrolment.emp_no, r.enrolment.contribution_base) for r in rows] == [
        (None, None),
        (None, None),
    ]
    assert rows[0].enrolment.emp_name == "示范市演示单位"


def test_a_good_xlsx_reads_back_exactly_with_date_and_number_cells(tmp_path: Path) -> None:
    header = list(reversed(COLUMNS))  # any column order
    rows: list[list[object]] = []
    for values in (EMPLOYEE, EARLIER, {}, RESIDENT):
        cells: dict[str, object] = {c: v or None for c, v in values.items()}
        if values:
            cells.update(brdy=datetime.fromisoformat(values["brdy"]),
                         begndate=date.fromisoformat(values["begndate"]),
                         insutype=int(values["insutype"]), gend=int(values["gend"]))  # fmt: skip
        rows.append([cells.get(column) for column in header])
    path = write_xlsx(tmp_path / "people.xlsx", [header, *rows])
    assert read_people_file(path, name="people.xlsx", today=TODAY) == PeopleFile(
        "people.xlsx", expected_rows()
    )


def test_a_lower_case_check_character_is_read_as_x(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", line(RESIDENT, certno="11010519491231002x"))
    assert read_people_file(path, today=TODAY).rows[0].person.certno == "11010519491231002X"


def test_other_certificates_are_not_checked_as_resident_ids(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", line(EMPLOYEE, psn_cert_type="08", certno="E12345678"))
    assert read_people_file(path, today=TODAY).rows[0].person.certno == "E12345678"


ONE_ROW_MISTAKES = {
    "bad check digit": ({"certno": "990101198005120035"}, "certno", "wrong check digit 5 (expected 4)"),
    "birth date not brdy": ({"brdy": "1980-05-13"}, "brdy", "does not match the birth date 1980-05-12"),
    "sex digit not gend": ({"gend": "2"}, "gend", "17th digit 3 is odd: male"),
    "not a resident id": ({"certno": "99010119800512003"}, "certno", "is not a resident ID"),
    "impossible date in the id": (
        {"certno": "990101198002300010", "brdy": "1980-02-28"}, "certno", "19800230 is not a real date"
    ),
    "impossible begndate": ({"begndate": "2026-02-30"}, "begndate", "2026-02-30 is not a real date"),
    "impossible brdy": ({"brdy": "1980-13-12"}, "brdy", "1980-13-12 is not a real date"),
    "not a date": ({"enddate": "2025/01/01"}, "enddate", "is not a date yyyy-MM-dd"),
    "brdy in the future": (
        {"brdy": "2026-06-02", "certno": "990101202606020011", "begndate": "2026-06-02"},
        "brdy", "2026-06-02 is not a possible birth date",
    ),
    "unknown insutype": ({"insutype": "999"}, "insutype", "unknown code '999' in code table insutype"),
    "unknown gend": ({"gend": "3"}, "gend", "unknown code '3' in code table gend"),
    "unknown psn_type": ({"psn_type": "9999"}, "psn_type", "unknown code '9999'"),
    "unknown cert type": ({"psn_cert_type": "55"}, "psn_cert_type", "unknown code '55'"),
    "unknown naty": ({"naty": "60"}, "naty", "unknown code '60'"),
    "flag not 0/1": ({"cvlserv_flag": "Y"}, "cvlserv_flag", "unknown code 'Y'"),
    "region not six digits": ({"insuplc_admdvs": "99010"}, "insuplc_admdvs", "six digits"),
    "psn_type of residents for 310": ({"psn_type": "1501"}, "psn_type", "not a person type of insutype 310"),
    "missing emp_name for 310": ({"emp_name": ""}, "emp_name", "required for an employee (insutype 310)"),
    "base of a retiree": ({"psn_type": "1201"}, "contribution_base",
                          "only employees in work (11xx) have one, not 1201"),
    "base not money": ({"contribution_base": "6500.505"}, "contribution_base", "6500.505"),
    "base of nothing": ({"contribution_base": "0"}, "contribution_base", "0.00 must be more than 0"),
    "emp_no too long": ({"emp_no": "E" * 31}, "emp_no", "31 characters: at most 30"),
    "missing psn_name": ({"psn_name": ""}, "psn_name", "required"),
    "bad psn_no": ({"psn_no": "P 1"}, "psn_no", "is not 1–30 letters or digits"),
    "enddate before begndate": ({"enddate": "2019-12-31"}, "enddate", "2019-12-31 is before begndate 2020-01-01"),
    "begndate before brdy": ({"begndate": "1979-01-01"}, "begndate", "is before the birth date 1980-05-12"),
}  # fmt: skip


@pytest.mark.parametrize(("changes", "column", "reason"), ONE_ROW_MISTAKES.values(),
                         ids=ONE_ROW_MISTAKES.keys())  # fmt: skip
def test_each_mistake_is_named_by_row_and_column(
    tmp_path: Path, changes: dict[str, str], column: str, reason: str
) -> None:
    path = write_csv(tmp_path / "p.csv", line(RESIDENT), line(EMPLOYEE, **changes))
    problems = problems_of(path)
    assert [(p.file, p.row, p.column) for p in problems] == [(str(path), 3, column)], problems
    assert reason in problems[0].reason


def test_a_certno_of_two_persons_is_refused_at_the_later_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", line(EMPLOYEE), line(RESIDENT),
                     line(EMPLOYEE, psn_no="P003"))  # fmt: skip
    (problem,) = problems_of(path)
    assert (problem.row, problem.column) == (4, "certno")
    assert "also on row 2 for psn_no P001" in problem.reason


def test_rows_of_one_psn_no_must_agree_on_the_person(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", line(EMPLOYEE), line(EARLIER, psn_name="王伟伟"))
    (problem,) = problems_of(path)
    assert (problem.row, problem.column) == (3, "psn_name")
    assert "'王伟伟' differs from row 2 ('王伟')" in problem.reason


def test_enrolments_of_one_insutype_must_not_overlap(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", line(EMPLOYEE), line(EMPLOYEE, begndate="2024-01-01"))
    (problem,) = problems_of(path)
    assert (problem.row, problem.column) == (3, "begndate")
    assert "overlaps row 2" in problem.reason


def test_every_problem_of_every_row_is_reported_in_row_order(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        line(EMPLOYEE, gend="3", enddate="2019-01-01"),
        line(RESIDENT),
        line(RESIDENT, psn_no="P004", certno="110105194912310021", insutype="888"),
        "P005,01",
    )
    found = [(p.row, p.column) for p in problems_of(path)]
    assert found[:4] == [(2, "gend"), (2, "enddate"), (4, "certno"), (4, "insutype")]
    assert (5, "certno") in found and (5, "begndate") in found and (5, "psn_name") in found


def test_a_broken_file_lists_at_most_the_cap_and_counts_the_rest(tmp_path: Path) -> None:
    bad = [line(EMPLOYEE, psn_no=f"P{n}", psn_cert_type="99", certno=f"C{n}", gend="7")
           for n in range(1500)]  # fmt: skip
    with pytest.raises(RejectedFile) as caught:
        read_people_file(write_csv(tmp_path / "p.csv", *bad), today=TODAY)
    problems = caught.value.problems
    assert caught.value.total == 1500 and str(caught.value).startswith("[YB1002] 1500 problem(s)")
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[MAX_PROBLEMS - 1].row == MAX_PROBLEMS + 1
    assert (
        problems[-1].row is None
        and "500 more problem(s) not listed (1500 in all;" in problems[-1].reason
    )


def test_a_wrong_header_is_one_problem_on_row_1(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("psn_no,certno,certno,extra\n", encoding="utf-8")
    (problem,) = problems_of(path)
    assert problem.row == 1
    assert "missing columns psn_cert_type" in problem.reason
    assert (
        "unexpected columns extra" in problem.reason
        and "duplicate columns certno" in problem.reason
    )


def test_numbers_that_lose_digits_are_refused_in_xlsx(tmp_path: Path) -> None:
    cells: dict[str, object] = {**EMPLOYEE, "certno": 990101198005120034, "enddate": None}
    path = write_xlsx(tmp_path / "p.xlsx", [COLUMNS, [cells[c] for c in COLUMNS]])
    (problem,) = problems_of(path)
    assert (problem.row, problem.column) == (2, "certno")
    assert "format the certno column as text" in problem.reason


def test_too_many_cells_and_unreadable_files_are_refused(tmp_path: Path) -> None:
    (problem,) = problems_of(write_csv(tmp_path / "p.csv", line(EMPLOYEE) + ",extra"))
    assert (problem.row, problem.column) == (2, "(row)")
    (tmp_path / "p.txt").write_text("x", encoding="utf-8")
    assert "unsupported file type '.txt'" in problems_of(tmp_path / "p.txt")[0].reason
    (tmp_path / "empty.csv").write_text("\n", encoding="utf-8")
    assert "the file is empty" in problems_of(tmp_path / "empty.csv")[0].reason
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    assert "not a readable XLSX" in problems_of(tmp_path / "bad.xlsx")[0].reason
    (tmp_path / "latin.csv").write_bytes(",".join(COLUMNS).encode() + b"\n\xff\xfe\n")
    assert "not UTF-8" in problems_of(tmp_path / "latin.csv")[0].reason
