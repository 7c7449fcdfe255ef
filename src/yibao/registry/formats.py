"""Persons files: one row per person and enrolment, read whole or refused with every bad row.

A file is CSV (UTF-8, BOM optional) or XLSX (first sheet, read in openpyxl's read-only mode). The
header (row 1) names these columns, in any order, each at most once (cells required unless noted):

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
* optional columns (:data:`OPTIONAL_COLUMNS`, the header may leave them out): ``emp_no`` 单位编号
  (at most 30 characters) and ``contribution_base`` 缴费基数 in yuan (employees in work, 11xx)

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

import re
from collections.abc import Container, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from yibao.kernel.codes import Gend, InsuType, PsnType
from yibao.kernel.errors import InvalidValue, Problem, RejectedFile
from yibao.kernel.money import money
from yibao.registry.model import Enrolment, PersonRecord, resident_id_check_digit
from yibao.registry.person_codes import NATY_CODES, PSN_CERT_TYPES
from yibao.sheets import sheet_rows

__all__ = [
    "COLUMNS",
    "MAX_PROBLEMS",
    "NATY_CODES",
    "OPTIONAL_COLUMNS",
    "PERSON_COLUMNS",
    "PSN_CERT_TYPES",
    "PeopleFile",
    "PersonRow",
    "read_people_file",
    "rejection",
]

COLUMNS = ("psn_no", "psn_cert_type", "certno", "psn_name", "gend", "brdy", "naty", "insutype",
           "psn_type", "cvlserv_flag", "insuplc_admdvs", "emp_name", "begndate", "enddate",
           "emp_no", "contribution_base")  # fmt: skip
#: columns a file may leave out (older files have none of them)
OPTIONAL_COLUMNS = frozenset(("emp_no", "contribution_base"))
PERSON_COLUMNS = COLUMNS[:7]
MAX_PROBLEMS = 1000
RESIDENT_ID = "01"
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
    return RejectedFile([*ordered[:limit], Problem(source, reason)], total=len(ordered))


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
    rows = sheet_rows(path, source)
    header = next(rows, None)
    if header is None or not _trim(header):
        raise RejectedFile([Problem(source, "the file is empty: expected a header row")])
    positions = _positions(header, source)
    read = [reader.row(number, raw, positions) for number, raw in enumerate(rows, start=2)]
    if reader.problems:
        raise rejection(source, reader.problems)
    return PeopleFile(source, tuple(row for row in read if row is not None))


def _trim(cells: Sequence[object]) -> list[object]:
    end = len(cells)
    while end and (cells[end - 1] is None or str(cells[end - 1]).strip() == ""):
        end -= 1
    return list(cells[:end])


def _positions(header: Sequence[object], source: str) -> tuple[int, ...]:
    """Where each of :data:`COLUMNS` is in the file (-1: an optional column left out); any other
    header is one problem on row 1."""
    names = ["" if cell is None else str(cell).strip() for cell in _trim(header)]
    missing = [c for c in COLUMNS if c not in names and c not in OPTIONAL_COLUMNS]
    unexpected = [c or "(empty)" for c in names if c not in COLUMNS]
    twice = sorted({c for c in names if c and names.count(c) > 1})
    if not (missing or unexpected or twice):
        return tuple(names.index(column) if column in names else -1 for column in COLUMNS)
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
        width = sum(1 for position in positions if position >= 0)
        if len(cells) > width:
            self.fail("(row)", f"{len(cells)} cells but the header has {width} columns")
            return None
        cells += [None] * (width - len(cells))
        texts: list[str] = []
        for column, position in zip(COLUMNS, positions, strict=True):
            try:
                texts.append("" if position < 0 else _text(cells[position], column))
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
         admdvs, emp_name, begn_text, end_text, emp_no, base_text) = texts  # fmt: skip
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
        self._sized("emp_no", emp_no, 30, required=False)
        base = self._base(base_text, insutype, psn_type)
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
        enrolment = Enrolment(psn_no, insutype, psn_type, flag == "1", admdvs, begn, end, emp_name,
                              base, emp_no or None)  # fmt: skip
        return PersonRow(self.number, person, naty, enrolment)

    def _base(self, text: str, insutype: str, psn_type: str) -> Decimal | None:
        """``contribution_base``: 缴费基数 in yuan, for employees in work (11xx) only (judged
        when the person type is a right one: a wrong one is its own problem)."""
        if not text:
            return None
        fits = psn_type in _PSN_TYPE and psn_type.startswith(_FAMILIES.get(insutype, ()))
        if fits and not psn_type.startswith("11"):
            self.fail(
                "contribution_base", f"only employees in work (11xx) have one, not {psn_type}"
            )
            return None
        try:
            value = money(text, field="contribution_base")
        except InvalidValue as exc:
            self.fail("contribution_base", exc.reason)
            return None
        if value <= 0:
            self.fail("contribution_base", f"{value} must be more than 0")
            return None
        return value

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
