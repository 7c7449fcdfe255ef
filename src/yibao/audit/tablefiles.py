"""Knowledge-table files: read a rule's CSV table and check it against its family's columns.

A table file is UTF-8 CSV (BOM optional) with a header row naming exactly the family's columns
(any order). Every cell is checked by its column's kind; keys must name an entry of the rule's
parameter mappings; the family's key columns must be unique. Problems name the table file, the
row (the header is row 1), the column and the rule. Files are read once even when several rules
share one, and a path may not leave the rule base directory.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from yibao.audit.columns import Kind, check_cell, split_list
from yibao.audit.families import Family
from yibao.audit.model import KnowledgeTable
from yibao.kernel.errors import Problem

__all__ = ["TableFiles", "TableRefLike", "check_table"]


class TableRefLike(Protocol):
    """What a rule says of its table: a name and a file relative to the rule file."""

    @property
    def name(self) -> str: ...
    @property
    def file(self) -> str: ...


class TableFiles:
    """The CSV files of one rule base, read on first use and kept."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._read: dict[Path, list[list[str]] | str] = {}

    def read(self, rule_file: str, ref: str) -> tuple[str, list[list[str]] | str]:
        """The table's name relative to the root, and its rows or the reason it cannot be read."""
        path = ((self.root / rule_file).parent / ref).resolve()
        if not path.is_relative_to(self.root):
            return ref, f"{ref!r} lies outside the rule base directory"
        name = path.relative_to(self.root).as_posix()
        if path.suffix.lower() != ".csv":
            return name, f"{ref!r} is not a .csv file"
        if path not in self._read:
            self._read[path] = _rows(path)
        return name, self._read[path]


def _rows(path: Path) -> list[list[str]] | str:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = [list(row) for row in csv.reader(handle, strict=True)]
    except FileNotFoundError:
        return "the table file is missing"
    except OSError as exc:
        return f"cannot read the table file: {exc.strerror or exc}"
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte {exc.start})"
    except csv.Error as exc:
        return f"malformed CSV: {exc}"
    return rows or "the table file is empty: expected a header row"


def check_table(
    fam: Family,
    ref: TableRefLike,
    *,
    rule_file: str,
    label: str,
    refs: Mapping[str, frozenset[str]],
    tables: TableFiles,
    problems: list[Problem],
) -> KnowledgeTable | None:
    """The rule's table, or ``None`` with its problems added to ``problems``."""
    table_file, rows = tables.read(rule_file, ref.file)
    if isinstance(rows, str):
        reason = f"table {ref.file}: {rows}"
        problems.append(Problem(rule_file, reason, column=f"{label}.table.file"))
        return None
    header, expected = rows[0], fam.column_names
    if sorted(header) != sorted(expected):
        missing = [c for c in expected if c not in header]
        unexpected = [c or "(empty)" for c in header if c not in expected]
        reason = (f"wrong columns for family {fam.name}: missing {', '.join(missing) or '-'}; "
                  f"unexpected {', '.join(unexpected) or '-'} (expected {','.join(expected)})")  # fmt: skip
        problems.append(Problem(table_file, reason, row=1, column=label))
        return None
    before = len(problems)
    seen: dict[tuple[str, ...], int] = {}
    out: list[tuple[str, ...]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line holds no row
        if len(row) != len(header):
            reason = f"{len(row)} cells but the header has {len(header)} columns"
            problems.append(Problem(table_file, reason, row=number, column=label))
            continue
        cells = dict(zip(header, row, strict=True))
        problems.extend(
            _row_problems(fam, cells, refs, table_file=table_file, number=number, label=label)
        )
        key = tuple(cells[c] for c in fam.key)
        if fam.key and key in seen:
            reason = f"duplicate {'+'.join(fam.key)} {' '.join(key)}: also on row {seen[key]}"
            problems.append(Problem(table_file, reason, row=number, column=label))
        seen.setdefault(key, number)
        out.append(tuple(cells[c] for c in expected))
    if len(problems) > before:
        return None
    return KnowledgeTable(ref.name, expected, tuple(out), table_file)


def _row_problems(
    fam: Family,
    cells: Mapping[str, str],
    refs: Mapping[str, frozenset[str]],
    *,
    table_file: str,
    number: int,
    label: str,
) -> list[Problem]:
    found = []
    for column in fam.columns:
        text = cells[column.name]
        reason = check_cell(column.kind, text)
        if reason is None and column.ref is not None:
            reason = _ref_problem(column.kind, text, column.ref, refs)
        if reason:
            where = f"{column.name} ({label})"
            found.append(Problem(table_file, reason, row=number, column=where))
    if not found and fam.row_check is not None:
        reason = fam.row_check(cells)
        if reason:
            found.append(Problem(table_file, reason, row=number, column=label))
    return found


def _ref_problem(kind: Kind, text: str, ref: str, refs: Mapping[str, frozenset[str]]) -> str | None:
    keys = refs.get(ref, frozenset())
    values = split_list(text) if kind is Kind.KEYS else [text]
    unknown = [value for value in values if value not in keys]
    if unknown:
        known = ", ".join(sorted(keys)) or "none"
        return f"{', '.join(unknown)} is not defined in params.{ref} (defined: {known})"
    return None
