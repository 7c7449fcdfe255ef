"""Generate ``src/yibao/kernel/codes.py`` from the code-table CSVs in ``data/reference/``.

The NHSA code tables (码表) are data: ``data/reference/nhsa_dicts.csv`` holds the values found in
public sources, ``data/reference/yibao_dicts.csv`` the project-defined stand-ins for tables whose
official values were not found (see ``docs/adr/0003-code-tables.md``). This script turns both into
one pure, import-time-I/O-free module of ``StrEnum`` classes. The output is deterministic: the same
CSVs always give the same bytes, so ``--check`` can tell whether the module is up to date.

Usage::

    python tools/gen_codes.py          # (re)write src/yibao/kernel/codes.py
    python tools/gen_codes.py --check  # exit 1 if src/yibao/kernel/codes.py is out of date
"""

from __future__ import annotations

import argparse
import csv
import keyword
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NHSA_CSV = ROOT / "data" / "reference" / "nhsa_dicts.csv"
YIBAO_CSV = ROOT / "data" / "reference" / "yibao_dicts.csv"
OUTPUT = ROOT / "src" / "yibao" / "kernel" / "codes.py"

COLUMNS = ["dict_field", "dict_cn", "code", "name", "identifier", "source", "note"]

# Class names that are not the plain CamelCase of the field name.
CLASS_NAME_OVERRIDES = {"insutype": "InsuType"}

_FIELD_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_IDENTIFIER_RE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
_FORBIDDEN_CHARS = ("\n", "\r", "\\", '"""')


class CodeTableError(ValueError):
    """A code-table CSV is malformed or inconsistent."""


@dataclass(frozen=True)
class Member:
    identifier: str
    code: str
    name: str


@dataclass
class Table:
    dict_field: str
    dict_cn: str
    project_defined: bool
    members: list[Member] = field(default_factory=list)

    @property
    def class_name(self) -> str:
        if self.dict_field in CLASS_NAME_OVERRIDES:
            return CLASS_NAME_OVERRIDES[self.dict_field]
        return "".join(part.capitalize() for part in self.dict_field.split("_"))


def read_rows(path: Path) -> list[dict[str, str]]:
    """Read one code-table CSV, checking its header and the number of columns of every row."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or rows[0] != COLUMNS:
        raise CodeTableError(f"{path.name}: header {rows[:1]!r} != {COLUMNS!r}")
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(COLUMNS):
            raise CodeTableError(f"{path.name}:{line}: {len(row)} columns, want {len(COLUMNS)}")
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]


def _check_row(where: str, row: dict[str, str]) -> None:
    if not _FIELD_RE.match(row["dict_field"]):
        raise CodeTableError(f"{where}: bad dict_field {row['dict_field']!r}")
    if not _IDENTIFIER_RE.match(row["identifier"]) or keyword.iskeyword(row["identifier"]):
        raise CodeTableError(f"{where}: identifier {row['identifier']!r} is not UPPER_SNAKE_CASE")
    if not row["code"] or not row["name"]:
        raise CodeTableError(f"{where}: empty code or name")
    for column in ("dict_cn", "code", "name"):
        if any(bad in row[column] for bad in _FORBIDDEN_CHARS):
            raise CodeTableError(f"{where}: {column} contains a newline, backslash or triple quote")


def _add_row(tables: dict[str, Table], where: str, row: dict[str, str], project: bool) -> None:
    _check_row(where, row)
    table = tables.setdefault(
        row["dict_field"], Table(row["dict_field"], row["dict_cn"], project_defined=project)
    )
    if table.project_defined != project:
        raise CodeTableError(f"{where}: {row['dict_field']} is defined in both CSVs")
    if table.dict_cn != row["dict_cn"]:
        raise CodeTableError(f"{where}: dict_cn {row['dict_cn']!r} != {table.dict_cn!r}")
    for member in table.members:
        if member.code == row["code"]:
            raise CodeTableError(f"{where}: duplicate code {row['code']!r}")
        if member.identifier == row["identifier"]:
            raise CodeTableError(f"{where}: duplicate identifier {row['identifier']!r}")
    table.members.append(Member(row["identifier"], row["code"], row["name"]))


def load_tables(nhsa_csv: Path = NHSA_CSV, yibao_csv: Path = YIBAO_CSV) -> list[Table]:
    """All code tables, in order of first appearance (NHSA first); members in CSV order."""
    tables: dict[str, Table] = {}
    for path, project in ((nhsa_csv, False), (yibao_csv, True)):
        for line, row in enumerate(read_rows(path), start=2):
            _add_row(tables, f"{path.name}:{line}", row, project)
    class_names = [table.class_name for table in tables.values()]
    if len(set(class_names)) != len(class_names):
        raise CodeTableError(f"class names collide: {class_names!r}")
    return list(tables.values())


def py_str(text: str) -> str:
    """A string literal as ``ruff format`` writes it (double quotes unless that needs escapes)."""
    if '"' in text and "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', '\\"') + '"'


def _all_sort_key(name: str) -> tuple[int, str]:
    # isort-style order, as ruff's RUF022 wants: CONSTANTS, then Classes, then functions.
    if name.isupper():
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


HEADER = '''\
"""The NHSA code tables (码表) as ``StrEnum`` classes.

Generated by ``tools/gen_codes.py`` from ``data/reference/nhsa_dicts.csv`` and
``data/reference/yibao_dicts.csv``. DO NOT EDIT BY HAND: change the CSVs and run
``python tools/gen_codes.py``; ``tests/unit/test_codes.py`` fails when this file is out of date.

Every coded field of the NHSA interface (险种类型 ``insutype``, 医疗类别 ``med_type``, ...) is one
class here. A member's value is the code string exactly as the interface carries it, so
``InsuType.EMPLOYEE_BASIC == "310"`` and ``InsuType("310")`` parses a received code; ``.label``
gives the Chinese name. ``CODE_TABLES`` maps each interface field name to its class, for the 1901
dictionary transaction and for validating incoming values. The kernel stays pure: the tables are
literals, nothing is read at import time.

Tables marked project-defined come from ``yibao_dicts.csv``: their official values were not found,
see ``docs/adr/0003-code-tables.md``.
"""

from enum import StrEnum

'''

BASE_CLASS = '''

class NhsaCode(StrEnum):
    """Base of every code table: the value is the code string, ``label`` its Chinese name."""

    @property
    def label(self) -> str:
        """The Chinese name (码值名称) of this code."""
        return _LABELS[type(self)][self]
'''


def _render_all(tables: list[Table]) -> list[str]:
    names = sorted(["CODE_TABLES", "NhsaCode", *(t.class_name for t in tables)], key=_all_sort_key)
    return ["__all__ = [", *(f"    {py_str(name)}," for name in names), "]"]


def _render_class(table: Table) -> list[str]:
    lines = ["", ""]
    if table.project_defined:
        lines.append("# Project-defined: official values not found (docs/adr/0003-code-tables.md).")
    lines += [
        f"class {table.class_name}(NhsaCode):",
        f'    """{table.dict_cn} ({table.dict_field})."""',
        "",
    ]
    for member in table.members:
        lines += [f"    #: {member.name}", f"    {member.identifier} = {py_str(member.code)}"]
    return lines


def _render_labels(tables: list[Table]) -> list[str]:
    lines = ["", "", "_LABELS: dict[type[NhsaCode], dict[NhsaCode, str]] = {"]
    for table in tables:
        lines.append(f"    {table.class_name}: {{")
        for member in table.members:
            key = f"{table.class_name}.{member.identifier}"
            lines.append(f"        {key}: {py_str(member.name)},")
        lines.append("    },")
    lines.append("}")
    return lines


def _render_code_tables(tables: list[Table]) -> list[str]:
    lines = ["", "CODE_TABLES: dict[str, type[NhsaCode]] = {"]
    lines += [f"    {py_str(table.dict_field)}: {table.class_name}," for table in tables]
    lines += ["}", '"""Interface field name (``dict_field``) -> its code-table class."""']
    return lines


def render(tables: list[Table]) -> str:
    """The full text of ``codes.py`` for these tables."""
    lines = _render_all(tables)
    lines += BASE_CLASS.rstrip("\n").split("\n")
    for table in tables:
        lines += _render_class(table)
    lines += _render_labels(tables)
    lines += _render_code_tables(tables)
    return HEADER + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the generated file is out of date"
    )
    args = parser.parse_args(argv)
    try:
        text = render(load_tables())
    except CodeTableError as error:
        print(f"gen_codes: {error}", file=sys.stderr)
        return 2
    relative = OUTPUT.relative_to(ROOT)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else None
        if current != text:
            print(
                f"gen_codes: {relative} is out of date with data/reference/*.csv; "
                "run `python tools/gen_codes.py`",
                file=sys.stderr,
            )
            return 1
        print(f"gen_codes: {relative} is up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8", newline="\n")
    print(f"gen_codes: wrote {relative}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
