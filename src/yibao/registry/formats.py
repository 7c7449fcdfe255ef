"""Persons files: one row per person and enrolment, read whole or refused with every bad row.

A file is CSV (UTF-8, BOM optional) or XLSX (first sheet, read in openpyxl's read-only mode). The
header (row 1) names these columns, in any order, each exactly once (all required but two):

* ``psn_no`` 人员编号: 1–30 letters or digits; the agency's key, never generated
* ``psn_cert_type`` 人员证件类型: :data:`PSN_CERT_TYPES` (NHSA 码表 7.13; ``01`` 居民身份证)
* ``certno`` 证件号码: 1–50 characters; for ``01`` an 18-character resident ID
* ``psn_name`` 姓名: at most 50 characters; ``gend`` 性别: code table ``gend`` (1 男, 2 女)
* ``brdy`` 出生日期 ``yyyy-MM-dd``: a real day, from 1900 on, not in the future
* ``naty`` 民族: :data:`NATY_CODES`, GB/T 3304 (``01`` 汉族 … ``56``, ``97``, ``98``)
* ``insutype`` 险种类型 and ``psn_type`` 人员类别: their code tables; 11–13xx for 310, 14–16xx for 390
* ``cvlserv_flag`` 公务员标志: 0 or 1; ``insuplc_admdvs`` 参保地医保区划: six digits
* ``emp_name`` 单位名称: at most 200 characters, required for employees (310) only
* ``begndate`` 开始日期 ``yyyy-MM-dd``, not before ``brdy``; ``enddate`` 结束日期, optional, not
  before ``begndate`` (empty while enrolled)

A person with several enrolments takes several rows; their person columns (``psn_no`` to
``naty``) must agree, and the enrolments of one ``insutype`` must not overlap. One ``certno``
belongs to one ``psn_no``. A resident ID (``01``) is 17 digits and a check digit (GB 11643, ``x``
is read as ``X``); the birth date inside it must be ``brdy`` and its 17th digit must agree with
``gend`` (odd: male ``1``). When the check digit is right the number is taken as typed correctly,
so a disagreement is reported on ``brdy`` or ``gend``; when it is wrong, only on ``certno``.
Numeric XLSX cells are refused where a number loses leading zeros or digits (``psn_no``,
``psn_cert_type``, ``certno``, ``naty``); the other code columns take whole numbers (``310``).

:func:`read_people_file` returns every row, or raises :class:`RejectedFile` listing every problem
in row order (file, row, column, reason), at most :data:`MAX_PROBLEMS` of them followed by how
many more there are. (``psn_cert_type`` and ``naty`` have no table in ``kernel.codes`` yet.)
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from yibao.kernel.codes import Gend, InsuType, PsnType
from yibao.kernel.errors import InvalidValue, Problem, RejectedFile
from yibao.registry.model import Enrolment, PersonRecord, resident_id_check_digit

__all__ = [
    "COLUMNS",
    "MAX_PROBLEMS",
    "NATY_CODES",
    "PERSON_COLUMNS",
    "PSN_CERT_TYPES",
    "PeopleFile",
    "PersonRow",
    "read_people_file",
    "rejection",
]

COLUMNS = ("psn_no", "psn_cert_type", "certno", "psn_name", "gend", "brdy", "naty", "insutype",
           "psn_type", "cvlserv_flag", "insuplc_admdvs", "emp_name", "begndate", "enddate")  # fmt: skip
PERSON_COLUMNS = COLUMNS[:7]
MAX_PROBLEMS = 1000
RESIDENT_ID = "01"
PSN_CERT_TYPES = {
    "01": "居民身份证（户口簿）", "02": "中国人民解放军军官证", "03": "中国人民武装警察警官证",
    "04": "香港特区护照/港澳居民来往内地通行证", "05": "澳门特区护照/港澳居民来往内地通行证",
    "06": "台湾居民来往大陆通行证", "07": "外国人永久居留证", "08": "外国人护照", "09": "残疾人证",
    "10": "军烈属证明", "11": "外国人就业证", "12": "外国专家证", "13": "外国人常驻记者证",
    "14": "台港澳人员就业证", "15": "回国（来华）定居专家证", "16": "中国护照",
    "17": "港澳台居民居住证", "90": "社会保障卡", "99": "其他身份证件",
}  # fmt: skip
NATY_CODES = frozenset({f"{n:02d}" for n in range(1, 57)} | {"97", "98"})
EARLIEST_BIRTH = date(1900, 1, 1)
_GEND = frozenset(Gend)
_INSUTYPE = frozenset(InsuType)
_PSN_TYPE = frozenset(PsnType)
# psn_type families (first two digits) that fit an insurance type: employees and residents
_FAMILIES = {"310": ("11", "12", "13"), "390": ("14", "15", "16")}
_EMPLOYEE = "310"
_PSN_NO = re.compile(r"[0-9A-Za-z]{1,30}")
_CERTNO = re.compile(r"\S{1,50}")
_RESIDENT = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
_ADMDVS = re.compile(r"[0-9]{6}", re.ASCII)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_TEXT_ONLY = frozenset(("psn_no", "psn_cert_type", "certno", "naty"))
_DATES = frozenset(("brdy", "begndate", "enddate"))


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One row read: a person, their ethnicity (``naty``), one enrolment, and the file row."""

    row: int
    person: PersonRecord
    naty: str
    enrolment: Enrolment


@dataclass(frozen=True, slots=True)
class PeopleFile:
    """A persons file read whole: its name (as problems name it) and its rows in file order."""

    name: str
    rows: tuple[PersonRow, ...]


def rejection(
    source: str, problems: Sequence[Problem], *, limit: int = MAX_PROBLEMS
) -> RejectedFile:
    """Every problem in row and column order, the first ``limit`` listed, the rest counted."""
    ordered = sorted(problems, key=_position)
    if len(ordered) <= limit:
        return RejectedFile(ordered)
    more = len(ordered) - limit
    reason = f"{more} more problem(s) not listed ({len(ordered)} in all; the list stops at {limit})"
    return RejectedFile([*ordered[:limit], Problem(source, reason)])


def _position(problem: Problem) -> tuple[int, int]:
    column = problem.column or ""
    return problem.row or 0, COLUMNS.index(column) if column in COLUMNS else -1


def read_people_file(
    path: Path, *, name: str | None = None, today: date | None = None
) -> PeopleFile:
    """Every row of a persons file, or :class:`RejectedFile` with every problem in it.

    ``name`` is how problems name the file (default: the path as given); ``today`` is the last
    possible birth date (default: the computer's date).
    """
    source = name or str(path)
    reader = _Reader(source, today or date.today())
    rows = _guarded(_raw_rows(path, source), source)
    header = next(rows, None)
    if header is None or not _trim(header):
        raise RejectedFile([Problem(source, "the file is empty: expected a header row")])
    positions = _positions(header, source)
    read = [reader.row(number, raw, positions) for number, raw in enumerate(rows, start=2)]
    if reader.problems:
        raise rejection(source, reader.problems)
    return PeopleFile(source, tuple(row for row in read if row is not None))


def _raw_rows(path: Path, source: str) -> Iterator[Sequence[object]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from csv.reader(handle, strict=True)
    elif suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            if book.worksheets:
                yield from book.worksheets[0].iter_rows(values_only=True)
        finally:
            book.close()
    else:
        reason = f"unsupported file type {suffix or '(none)'!r}: use .csv or .xlsx"
        raise RejectedFile([Problem(source, reason)])


def _guarded(rows: Iterator[Sequence[object]], source: str) -> Iterator[Sequence[object]]:
    """The rows; a file that cannot be read (or stops being readable) becomes one problem."""
    try:
        yield from rows
    except OSError as exc:
        reason = f"cannot read the file: {exc.strerror or exc}"
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text (byte {exc.start}): save the CSV as UTF-8"
    except csv.Error as exc:
        reason = f"malformed CSV: {exc}"
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        reason = f"not a readable XLSX workbook ({type(exc).__name__}: {exc})"
    else:
        return
    raise RejectedFile([Problem(source, reason)])


def _trim(cells: Sequence[object]) -> list[object]:
    end = len(cells)
    while end and (cells[end - 1] is None or str(cells[end - 1]).strip() == ""):
        end -= 1
    return list(cells[:end])


def _positions(header: Sequence[object], source: str) -> tuple[int, ...]:
    """Where each of :data:`COLUMNS` is in the file; any other header is one problem on row 1."""
    names = ["" if cell is None else str(cell).strip() for cell in _trim(header)]
    if sorted(names) == sorted(COLUMNS):
        return tuple(names.index(column) for column in COLUMNS)
    missing = [c for c in COLUMNS if c not in names]
    unexpected = [c or "(empty)" for c in names if c not in COLUMNS]
    twice = sorted({c for c in names if c and names.count(c) > 1})
    parts = [f"{label} {', '.join(found)}" for label, found in
             (("missing columns", missing), ("unexpected columns", unexpected),
              ("duplicate columns", twice)) if found]  # fmt: skip
    reason = f"not a persons file: {'; '.join(parts)} (expected: {','.join(COLUMNS)})"
    raise RejectedFile([Problem(source, reason, row=1)])


def _text(value: object, column: str) -> str:
    """A cell as text; a number or a time where it cannot be meant raises :class:`InvalidValue`."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | date):
        return str(value).strip()
    if isinstance(value, date):
        if column not in _DATES or (isinstance(value, datetime) and value.time() != time()):
            raise InvalidValue(column, f"a date cell {value} where text is expected")
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if column in _TEXT_ONLY or isinstance(value, float):
        raise InvalidValue(column, f"numeric cell {value!r}: format the {column} column as text "
                           "in Excel (numbers lose leading zeros and digits)")  # fmt: skip
    return str(value)


class _Reader:
    """Checks rows one after another, remembering what later rows must agree with."""

    def __init__(self, source: str, today: date) -> None:
        self.source = source
        self.today = today
        self.problems: list[Problem] = []
        self.days: dict[str, date] = {}
        self.first: dict[str, tuple[int, list[str]]] = {}  # psn_no -> (row, person texts)
        self.holders: dict[str, tuple[str, int]] = {}  # certno -> (psn_no, row)
        self.spans: dict[str, list[tuple[str, date, date | None, int]]] = {}
        self.number = 0
        self.unreadable: set[str] = set()  # this row's cells already reported as unreadable

    def fail(self, column: str, reason: str) -> None:
        if column not in self.unreadable:
            self.problems.append(Problem(self.source, reason, row=self.number, column=column))

    def row(self, number: int, raw: Sequence[object], positions: Sequence[int]) -> PersonRow | None:
        """The row's record, or None when it is blank or has a problem (each one recorded)."""
        self.number = number
        self.unreadable = set()
        cells = _trim(raw)
        if not cells:
            return None  # a blank line, or a formatted but empty Excel row
        if len(cells) > len(COLUMNS):
            self.fail("(row)", f"{len(cells)} cells but the header has {len(COLUMNS)} columns")
            return None
        cells += [None] * (len(COLUMNS) - len(cells))
        texts: list[str] = []
        for column, position in zip(COLUMNS, positions, strict=True):
            try:
                texts.append(_text(cells[position], column))
            except InvalidValue as exc:
                self.fail(column, exc.reason)
                self.unreadable.add(column)
                texts.append("")
        texts[2] = texts[2].upper()  # a resident ID's check character x is X
        before = len(self.problems)
        self._agree(texts)
        record = self._record(texts)
        return record if len(self.problems) == before else None

    def _agree(self, texts: list[str]) -> None:
        """The checks against earlier rows: one person's columns, one certno's person."""
        psn_no, certno = texts[0], texts[2]
        first = self.first.get(psn_no) if psn_no else None
        if first is None and psn_no:
            self.first[psn_no] = (self.number, texts[:7])
        elif first is not None:
            for column, mine, theirs in zip(PERSON_COLUMNS, texts, first[1], strict=False):
                if mine != theirs:
                    self.fail(column, f"{mine!r} differs from row {first[0]} ({theirs!r}) of "
                              f"the same psn_no {psn_no}: one person, one set of person columns")  # fmt: skip
        holder = self.holders.setdefault(certno, (psn_no, self.number)) if certno else None
        if holder is not None and holder[0] != psn_no:
            self.fail("certno", f"{certno} is also on row {holder[1]} for psn_no {holder[0]}: "
                      "one certificate, one person")  # fmt: skip

    def _record(self, texts: list[str]) -> PersonRow | None:
        (psn_no, cert_type, certno, psn_name, gend, brdy_text, naty, insutype, psn_type, flag,
         admdvs, emp_name, begn_text, end_text) = texts  # fmt: skip
        self._pattern("psn_no", psn_no, _PSN_NO, "1–30 letters or digits")
        self._code("psn_cert_type", cert_type, PSN_CERT_TYPES)
        self._pattern("certno", certno, _CERTNO, "1–50 characters without spaces")
        self._sized("psn_name", psn_name, 50, required=True)
        self._code("gend", gend, _GEND)
        self._code("naty", naty, NATY_CODES)
        self._code("insutype", insutype, _INSUTYPE)
        self._code("psn_type", psn_type, _PSN_TYPE)
        self._code("cvlserv_flag", flag, ("0", "1"))
        self._pattern("insuplc_admdvs", admdvs, _ADMDVS, "a region code (admdvs) of six digits")
        self._sized("emp_name", emp_name, 200, required=insutype == _EMPLOYEE)
        brdy, begn = self._day("brdy", brdy_text), self._day("begndate", begn_text)
        end = self._day("enddate", end_text, required=False)
        self._dates(brdy, begn, end)
        family = _FAMILIES.get(insutype)
        if family and psn_type in _PSN_TYPE and not psn_type.startswith(family):
            self.fail("psn_type", f"{psn_type} is not a person type of insutype {insutype} "
                      f"(expected {'/'.join(family)}xx)")  # fmt: skip
        if cert_type == RESIDENT_ID and certno:
            self._resident_id(certno, brdy, gend)
        if brdy is None or begn is None:
            return None
        if psn_no:
            self._overlap(psn_no, insutype, begn, end)
        person = PersonRecord(psn_no, cert_type, certno, psn_name, gend, brdy)
        enrolment = Enrolment(psn_no, insutype, psn_type, flag == "1", admdvs, begn, end, emp_name)
        return PersonRow(self.number, person, naty, enrolment)

    def _pattern(self, column: str, text: str, pattern: re.Pattern[str], what: str) -> None:
        if not text:
            self.fail(column, "required: the cell is empty")
        elif not pattern.fullmatch(text):
            self.fail(column, f"{text!r} is not {what}")

    def _code(self, column: str, text: str, allowed: Container[str]) -> None:
        if not text:
            self.fail(column, "required: the cell is empty")
        elif text not in allowed:
            self.fail(column, f"unknown code {text!r} in code table {column}")

    def _sized(self, column: str, text: str, limit: int, *, required: bool) -> None:
        if required and not text:
            extra = " for an employee (insutype 310)" if column == "emp_name" else ""
            self.fail(column, f"required{extra}: the cell is empty")
        elif len(text) > limit:
            self.fail(column, f"{len(text)} characters: at most {limit}")

    def _day(self, column: str, text: str, *, required: bool = True) -> date | None:
        if not text:
            if required:
                self.fail(column, "required: the cell is empty")
            return None
        day = self.days.get(text)
        if day is not None:
            return day
        if not _ISO_DAY.fullmatch(text):
            self.fail(column, f"{text!r} is not a date yyyy-MM-dd")
            return None
        try:
            day = self.days[text] = date.fromisoformat(text)
        except ValueError as exc:
            self.fail(column, f"{text} is not a real date ({exc})")
        return day

    def _dates(self, brdy: date | None, begn: date | None, end: date | None) -> None:
        if brdy is not None and not EARLIEST_BIRTH <= brdy <= self.today:
            self.fail("brdy", f"{brdy} is not a possible birth date "
                      f"(from {EARLIEST_BIRTH} to today, {self.today})")  # fmt: skip
        if brdy is not None and begn is not None and begn < brdy:
            self.fail("begndate", f"{begn} is before the birth date {brdy}")
        if begn is not None and end is not None and end < begn:
            self.fail("enddate", f"{end} is before begndate {begn}")

    def _resident_id(self, certno: str, brdy: date | None, gend: str) -> None:
        """An 18-character resident ID: digits, a real birth date, the check digit, the sex digit."""
        if not _RESIDENT.fullmatch(certno):
            self.fail("certno", f"{certno} is not a resident ID (psn_cert_type 01): 17 digits "
                      "and a check digit 0–9 or X")  # fmt: skip
            return
        digits = certno[6:14]
        try:
            born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            self.fail("certno", f"{certno}: its birth date {digits} is not a real date")
            return
        check = resident_id_check_digit(certno[:17])
        if certno[17] != check:
            self.fail("certno", f"{certno}: wrong check digit {certno[17]} (expected {check}); "
                      "is a digit mistyped?")  # fmt: skip
            return
        if brdy is not None and born != brdy:
            self.fail("brdy", f"{brdy} does not match the birth date {born} in certno {certno}")
        male = int(certno[16]) % 2 == 1
        if gend in _GEND and (gend == Gend.MALE) != male:
            self.fail("gend", f"{gend} does not match certno {certno}, whose 17th digit "
                      f"{certno[16]} is {'odd: male (1)' if male else 'even: female (2)'}")  # fmt: skip

    def _overlap(self, psn_no: str, insutype: str, begn: date, end: date | None) -> None:
        spans = self.spans.setdefault(psn_no, [])
        for other, start, stop, row in spans:
            if (
                other == insutype
                and (stop is None or begn <= stop)
                and (end is None or start <= end)
            ):
                self.fail("begndate", f"the {insutype} enrolment of psn_no {psn_no} overlaps "
                          f"row {row} ({start}–{stop or '(open)'})")  # fmt: skip
                break
        spans.append((insutype, begn, end, self.number))
