"""Catalogue files: read and write the three layouts (catalogue, institutions, mapping).

A file is CSV (UTF-8, BOM optional) or XLSX (first sheet); its header decides its kind (columns in
``docs/catalog-format.md``). :func:`read_catalog_file` returns every record or raises
:class:`RejectedFile` with every problem of every row (file, row — the header is row 1 — column
and reason): nothing is skipped or half-read. Values go through the kernel's constructors, so no
float becomes money: an XLSX float cell is read from its shortest ``repr``, and a number in a
*code* column is refused, since leading zeros (``001102000040000``) survive only as text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from yibao.catalog.model import CatalogEntry, Institution, MappingEntry
from yibao.kernel.codes import ChrgitmLv, HospLv, ListType, MedChrgitmType
from yibao.kernel.dates import parse_date
from yibao.kernel.errors import InvalidValue, Problem, RejectedFile
from yibao.kernel.money import ZERO, ratio, to_decimal
from yibao.kernel.tiers import HospitalTier
from yibao.sheets import sheet_rows

__all__ = [
    "COLUMNS",
    "CatalogFile",
    "FileKind",
    "Located",
    "Record",
    "conflict_problems",
    "read_catalog_file",
    "record_key",
    "write_catalog_csv",
]

Record = CatalogEntry | Institution | MappingEntry
Convert = Callable[..., object]  # called as convert(text, field=column); raises InvalidValue


class FileKind(StrEnum):
    """The three layouts, named as their files are (``catalog.csv`` …)."""

    CATALOG = "catalog"
    INSTITUTIONS = "institutions"
    MAPPING = "mapping"


@dataclass(frozen=True, slots=True)
class CatalogFile:
    """A file read whole: its kind, its records in file order and the row each came from."""

    name: str
    kind: FileKind
    records: tuple[Record, ...]
    rows: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Located:
    """A record with the file and row it came from, to name them in a problem."""

    record: Record
    file: str
    row: int


def _matching(pattern: str, what: str) -> Convert:
    compiled = re.compile(pattern, re.DOTALL)

    def convert(text: str, *, field: str) -> str:
        if not compiled.fullmatch(text):
            raise InvalidValue(field, f"{text!r} is not {what}")
        return text

    return convert


def _one_of(table: type[StrEnum] | tuple[str, ...]) -> Convert:
    allowed = tuple(str(member) for member in table)

    def convert(text: str, *, field: str) -> object:
        if text not in allowed:
            raise InvalidValue(
                field, f"unknown code {text!r} (expected one of {', '.join(allowed)})"
            )
        return table(text) if isinstance(table, type) else text

    return convert


def _price(text: str, *, field: str) -> Decimal:
    number = to_decimal(text, field=field, kind="price")
    if number <= ZERO:
        raise InvalidValue(field, f"{text} must be greater than 0 (leave empty for no ceiling)")
    return number


def _flag(text: str, *, field: str) -> bool:
    if text not in ("0", "1"):
        raise InvalidValue(field, f"{text!r} is not a flag: expected 0 or 1")
    return text == "1"


_CODE = _matching(r"[^\s,]{1,50}", "a code (1–50 characters, no spaces or commas)")
_TEXT = _matching(r".{1,500}", "a text of at most 500 characters")
_ADMDVS = _matching(r"\d{6}", "a region code (admdvs) of six digits")
_FIXMEDINS = _matching(r"[A-Z]\d{11}", "an institution code: a capital letter, the six-digit "
                       "region, five digits (12 characters)")  # fmt: skip
INSTITUTION_KINDS = ("hospital", "primary", "pharmacy")
_CEILINGS = {f"pric_uplmt_{tier.value}": tier for tier in HospitalTier}
_DATES: dict[str, tuple[Convert, bool]] = {"begndate": (parse_date, True),
                                           "enddate": (parse_date, False)}  # fmt: skip
# column -> (converter, required), in the order of the header
_FIELDS: dict[FileKind, dict[str, tuple[Convert, bool]]] = {
    FileKind.CATALOG: {
        "code": (_CODE, True), "name": (_TEXT, True), "list_type": (_one_of(ListType), True),
        "chrgitm_lv": (_one_of(ChrgitmLv), True),
        "med_chrgitm_type": (_one_of(MedChrgitmType), True), "admdvs": (_ADMDVS, True),
        "selfpay_prop": (ratio, True), **{column: (_price, False) for column in _CEILINGS},
        "lmt_used_flag": (_flag, True), "lmt_used_scope": (_TEXT, False), **_DATES,
        "demo": (_flag, True),
    },
    FileKind.INSTITUTIONS: {
        "fixmedins_code": (_FIXMEDINS, True), "fixmedins_name": (_TEXT, True),
        "hosp_lv": (_one_of(HospLv), True), "admdvs": (_ADMDVS, True),
        "kind": (_one_of(INSTITUTION_KINDS), True), "demo": (_flag, True),
        "remote_enabled": (_flag, True),
    },
    FileKind.MAPPING: {
        "fixmedins_code": (_FIXMEDINS, True), "medins_list_codg": (_CODE, True),
        "med_list_codg": (_CODE, True), **_DATES,
    },
}  # fmt: skip
COLUMNS: dict[FileKind, tuple[str, ...]] = {kind: tuple(f) for kind, f in _FIELDS.items()}
_KIND_OF = {CatalogEntry: FileKind.CATALOG, Institution: FileKind.INSTITUTIONS,
            MappingEntry: FileKind.MAPPING}  # fmt: skip
_KEY_COLUMN = {FileKind.CATALOG: "code", FileKind.INSTITUTIONS: "fixmedins_code",
               FileKind.MAPPING: "medins_list_codg"}  # fmt: skip
# Columns that hold codes: an XLSX number there has lost its leading zeros, or would be a guess.
_CODE_COLUMNS = frozenset(("code", "list_type", "chrgitm_lv", "med_chrgitm_type", "admdvs",
    "fixmedins_code", "hosp_lv", "medins_list_codg", "med_list_codg"))  # fmt: skip


def read_catalog_file(path: Path, *, name: str | None = None) -> CatalogFile:
    """Every record of a catalogue, institution or mapping file, or every problem in it.

    ``name`` is how problems name the file (default: the path as given).
    """
    source = name or str(path)
    rows = _raw_rows(path, source)
    header = [_cell_text(cell, "") for cell in _trim(rows[0])]
    kind = _kind_of(header, source)
    problems: list[Problem] = []
    located: list[Located] = []
    for number, raw in enumerate(rows[1:], start=2):
        cells = _trim(raw)
        if not cells:
            continue  # a blank line (or a formatted but empty Excel row) holds no record
        if len(cells) > len(header):
            reason = f"{len(cells)} cells but the header has {len(header)} columns"
            problems.append(Problem(source, reason, row=number))
            continue
        row = _Row(source, number, dict(zip(header, [*cells, *[None] * len(header)], strict=False)))
        record = _parse(kind, row)
        problems.extend(row.problems)
        if record is not None:
            located.append(Located(record, source, number))
    problems.extend(conflict_problems(located))
    if problems:
        raise RejectedFile(sorted(problems, key=lambda p: p.row or 0))
    records = tuple(item.record for item in located)
    return CatalogFile(source, kind, records, tuple(item.row for item in located))


def _raw_rows(path: Path, source: str) -> list[list[object]]:
    rows = [list(row) for row in sheet_rows(path, source)]
    if any(_trim(row) for row in rows):
        return rows
    raise RejectedFile([Problem(source, "the file is empty: expected a header row")])


def _trim(cells: Sequence[object]) -> list[object]:
    """The cells without the empty ones at the end of the row."""
    end = len(cells)
    while end and _cell_text(cells[end - 1], "") == "":
        end -= 1
    return list(cells[:end])


def _cell_text(value: object, column: str) -> str:
    """A cell as text: numbers without a binary round trip, codes only from text cells."""
    if isinstance(value, int | float) and not isinstance(value, bool) and column in _CODE_COLUMNS:
        raise InvalidValue(column, f"numeric cell {value!r}: format the {column} column as text "
                           "in Excel (codes keep their leading zeros only as text)")  # fmt: skip
    if isinstance(value, datetime) and value.time() != time():
        return value.isoformat(" ")
    if isinstance(value, date):
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same binary value
    return "" if value is None else str(value).strip()


def _kind_of(header: list[str], source: str) -> FileKind:
    for kind, columns in COLUMNS.items():
        if sorted(header) == sorted(columns):
            return kind
    best = max(COLUMNS, key=lambda k: len(set(header) & set(COLUMNS[k])))
    missing = [c for c in COLUMNS[best] if c not in header]
    unexpected = [c or "(empty)" for c in header if c not in COLUMNS[best]]
    twice = sorted({c for c in header if c and header.count(c) > 1})
    parts = [f"{label} {', '.join(names)}" for label, names in
             (("missing columns", missing), ("unexpected columns", unexpected),
              ("duplicate columns", twice)) if names]  # fmt: skip
    reason = (f"unknown header: closest to a {best} file, but {'; '.join(parts)} "
              f"(expected: {','.join(COLUMNS[best])})")  # fmt: skip
    raise RejectedFile([Problem(source, reason, row=1)])


@dataclass(slots=True)
class _Row:
    """One data row's cells by column, and the problems found in it so far."""

    file: str
    number: int
    cells: dict[str, object]
    problems: list[Problem] = field(default_factory=list)

    def fail(self, column: str, reason: str) -> None:
        self.problems.append(Problem(self.file, reason, row=self.number, column=column))

    def get(self, column: str, convert: Convert, required: bool) -> Any:
        """The converted cell, or None when empty (a problem if required) or invalid (a problem)."""
        try:
            text = _cell_text(self.cells[column], column)
            if text:
                return convert(text, field=column)
            if required:
                self.fail(column, "required: the cell is empty")
        except InvalidValue as exc:
            self.fail(column, exc.reason)
        return None


def _parse(kind: FileKind, row: _Row) -> Record | None:
    values = {column: row.get(column, *spec) for column, spec in _FIELDS[kind].items()}
    begn, end = values.get("begndate"), values.get("enddate")
    if begn is not None and end is not None and end < begn:
        row.fail("enddate", f"{end} is before begndate {begn}")
    if kind is FileKind.CATALOG:
        return _catalog_entry(row, values)
    code, admdvs = values.get("fixmedins_code"), values.get("admdvs")
    if code is not None and admdvs is not None and code[1:7] != admdvs:
        row.fail("fixmedins_code", f"{code} does not carry its region {admdvs} in characters 2–7")
    if row.problems:
        return None
    return Institution(**values) if kind is FileKind.INSTITUTIONS else MappingEntry(**values)


def _catalog_entry(row: _Row, values: dict[str, Any]) -> CatalogEntry | None:
    level, share = values["chrgitm_lv"], values["selfpay_prop"]
    if level == ChrgitmLv.CLASS_A and share is not None and share != ZERO:
        row.fail("selfpay_prop", f"{share}: 甲类 (chrgitm_lv 01) has no self-pay share, use 0")
    values["restricted"] = values.pop("lmt_used_flag")
    values["restriction"] = values.pop("lmt_used_scope") or ""
    if values["restricted"] and not values["restriction"]:
        row.fail("lmt_used_scope", "required when lmt_used_flag is 1 (the 限制使用 text)")
    ceilings = {tier: values.pop(column) for column, tier in _CEILINGS.items()}
    values["price_ceilings"] = {t: price for t, price in ceilings.items() if price is not None}
    return None if row.problems else CatalogEntry(**values)


def kind_of(record: Record) -> FileKind:
    """The layout a record belongs to."""
    return _KIND_OF[type(record)]


def record_key(record: Record) -> tuple[str, ...]:
    """(code, admdvs, begndate), (fixmedins_code,) or (fixmedins_code, own code, begndate)."""
    if isinstance(record, CatalogEntry):
        return record.code, record.admdvs, record.begndate.isoformat()
    if isinstance(record, Institution):
        return (record.fixmedins_code,)
    return record.fixmedins_code, record.medins_list_codg, record.begndate.isoformat()


def conflict_problems(items: Sequence[Located]) -> list[Problem]:
    """Duplicate keys and overlapping date ranges of one code, each reported at the later item.

    "Later" is the order of ``items``: the service lists stored rows before imported ones, so a
    conflict between the two names the imported file and row.
    """
    groups: dict[tuple[str, ...], list[Located]] = {}
    problems: list[Problem] = []
    for item in items:
        group = groups.setdefault(record_key(item.record)[:2], [])
        found = (_conflict(earlier, item) for earlier in group)
        first = next((problem for problem in found if problem is not None), None)
        if first is not None:  # one problem per row is enough to find and fix it
            problems.append(first)
        group.append(item)
    return problems


def _conflict(earlier: Located, item: Located) -> Problem | None:
    where = f"row {earlier.row}"
    if earlier.file != item.file:
        where = f"{earlier.file} {where}"
    key = record_key(item.record)
    if key == record_key(earlier.record):
        reason = f"duplicate key ({', '.join(key)}): also on {where}"
        return Problem(item.file, reason, row=item.row, column=_KEY_COLUMN[kind_of(item.record)])
    first, second = earlier.record, item.record
    if isinstance(first, Institution) or isinstance(second, Institution):
        return None
    if (first.enddate is None or second.begndate <= first.enddate) and (
        second.enddate is None or first.begndate <= second.enddate
    ):
        reason = (f"{' '.join(key[:2])}: dates {_span(second)} overlap {_span(first)} on {where}; "
                  "the date ranges of one code must not overlap")  # fmt: skip
        return Problem(item.file, reason, row=item.row, column="begndate")
    return None


def _span(record: CatalogEntry | MappingEntry) -> str:
    return f"{record.begndate.isoformat()}–{_iso(record.enddate) or '(open)'}"


def write_catalog_csv(path: Path, records: Iterable[Record], *, kind: FileKind) -> None:
    """Write ``records`` (all of ``kind``) as a CSV file: header first, rows sorted by key."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS[kind])
        writer.writerows(_cells(record) for record in sorted(records, key=record_key))


def _cells(record: Record) -> list[str]:
    if isinstance(record, Institution):
        return [record.fixmedins_code, record.fixmedins_name, str(record.hosp_lv), record.admdvs,
                record.kind, str(int(record.demo)), str(int(record.remote_enabled))]  # fmt: skip
    if isinstance(record, MappingEntry):
        return [record.fixmedins_code, record.medins_list_codg, record.med_list_codg,
                record.begndate.isoformat(), _iso(record.enddate)]  # fmt: skip
    # format "f" never writes an exponent: Decimal("1E+2") is written 100
    ceilings = [record.ceiling(tier) for tier in _CEILINGS.values()]
    return [
        record.code, record.name, str(record.list_type), str(record.chrgitm_lv),
        str(record.med_chrgitm_type), record.admdvs, format(record.selfpay_prop, "f"),
        *("" if c is None else format(c, "f") for c in ceilings), str(int(record.restricted)),
        record.restriction, record.begndate.isoformat(), _iso(record.enddate),
        str(int(record.demo)),
    ]  # fmt: skip


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()
