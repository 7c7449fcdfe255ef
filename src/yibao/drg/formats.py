"""The CSV of ``yibao drg group``: cases in, groupings out, one row at a time.

Input columns ``id,gender,age,age_days,weight,los,leaving_type,diagnoses,procedures`` (codes
separated by ``|``, the main one first; empty numbers are missing values). A row that cannot be
read (a bad number, too few fields) becomes an ``invalid`` grouping naming the column; only a
missing file or a wrong header stops the run. Output columns ``id,status,mdc,adrg,drg`` and, with
the trace, ``trace`` (steps joined by `` ; ``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import TextIO

from yibao.drg.model import Case, Grouping
from yibao.kernel.errors import InvalidValue

__all__ = ["INPUT_COLUMNS", "OUTPUT_COLUMNS", "case_row", "read_rows", "row_case", "write_rows"]

INPUT_COLUMNS = (
    "id", "gender", "age", "age_days", "weight", "los", "leaving_type", "diagnoses", "procedures",
)  # fmt: skip
OUTPUT_COLUMNS = ("id", "status", "mdc", "adrg", "drg")
_NUMBERS = ("age", "age_days", "weight", "los")


def read_rows(stream: Iterable[str], *, name: str) -> Iterator[list[str]]:
    """The data rows of an input CSV, after checking its header (``InvalidValue`` if wrong).

    A row with the wrong number of fields comes as ``[id, reason]``, for :func:`row_case` to refuse.
    """
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise InvalidValue(name, "empty file: the header row is missing")
    header = [h.strip().lstrip("\ufeff") for h in header]
    for column in INPUT_COLUMNS:
        if column not in header:
            raise InvalidValue(name, f"header: missing column {column!r}")
    positions = [header.index(c) for c in INPUT_COLUMNS]
    width = len(header)
    for row in reader:
        if not row:
            continue
        if len(row) != width:
            # the id (if any) is kept so the output row can still be matched to the input
            yield [row[0], f"{len(row)} fields, the header has {width}"]
            continue
        yield [row[i] for i in positions]


def row_case(row: list[str]) -> Case | Grouping:
    """One input row (in ``INPUT_COLUMNS`` order) as a case, or an invalid grouping naming the column."""
    if len(row) != len(INPUT_COLUMNS):
        return Grouping.invalid("row", row[-1])
    case_id, gender, age, days, weight, los, leaving, diagnoses, procedures = (
        s.strip() for s in row
    )
    numbers: list[int | None] = []
    for column, text in zip(_NUMBERS, (age, days, weight, los), strict=True):
        if not text:
            numbers.append(None)
            continue
        try:
            numbers.append(int(text))
        except ValueError:
            return Grouping.invalid(column, f"not a whole number: {text!r}")
    return Case(
        id=case_id,
        gender=gender,
        age=numbers[0],
        age_days=numbers[1],
        weight=numbers[2],
        los=numbers[3],
        leaving_type=leaving or None,
        diagnoses=tuple(c.strip() for c in diagnoses.split("|") if c.strip()),
        procedures=tuple(c.strip() for c in procedures.split("|") if c.strip()),
    )


def case_row(case: Case) -> list[str]:
    """A case as an input row (what the generator writes)."""

    def text(value: int | str | None) -> str:
        return "" if value is None else str(value)

    return [
        case.id, case.gender, text(case.age), text(case.age_days), text(case.weight),
        text(case.los), text(case.leaving_type), "|".join(case.diagnoses), "|".join(case.procedures),
    ]  # fmt: skip


def write_rows(
    stream: TextIO, results: Iterable[tuple[str, Grouping]], *, trace: bool = False
) -> int:
    """Write the output CSV; returns the number of data rows written."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow((*OUTPUT_COLUMNS, "trace") if trace else OUTPUT_COLUMNS)
    count = 0
    for case_id, g in results:
        row = [case_id, g.status.value, g.mdc or "", g.adrg, g.drg]
        if trace:
            row.append(" ; ".join(g.trace))
        writer.writerow(row)
        count += 1
    return count
