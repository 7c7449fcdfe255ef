"""Bank debit files: export a batch (CSV or fixed-width), import the bank's result file whole.

One debit file per bank and run. CSV files are UTF-8 with a header row (a BOM is accepted when
read); fixed-width files are GB18030 with a header and a trailer record (``registry.bank_fixed``).
``docs/bank-debit-format.md`` lists every column and field.

Importing a result file (:func:`read_result_file`) returns one :class:`DebitResult` for every
line of the batch, or raises :class:`RejectedFile` with every problem — file, row (the CSV header
and the fixed-width header record are row 1), column and reason — and nothing is accepted: unknown
or missing columns, lines of the wrong length, a run or bank that is not the batch's, a line not
in the batch or given twice or missing, a person, card or amount that differs from the debit, a
result code not in the bank's table, trailer totals that do not add up.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from yibao.kernel.errors import InvalidValue, Problem, RejectedFile
from yibao.kernel.money import ZERO, money
from yibao.registry.bank import BankCodeTable, DebitBatch, DebitItem, DebitResult, result_for
from yibao.registry.bank_fixed import decode_result, encode_debit
from yibao.registry.names import to_simplified as _to_simplified
from yibao.sheets import sheet_rows

__all__ = [
    "DEBIT_COLUMNS",
    "RESULT_COLUMNS",
    "read_result_csv",
    "read_result_file",
    "read_result_fixed",
    "write_debit_csv",
    "write_debit_fixed",
]

DEBIT_COLUMNS = ("run_id", "bank_code", "line_no", "psn_no", "name", "certno", "card_no",
                 "amount", "year", "insutype")  # fmt: skip
RESULT_COLUMNS = ("run_id", "bank_code", "line_no", "psn_no", "card_no", "amount",
                  "result_code", "result_msg", "holder_name")  # fmt: skip
_REQUIRED = ("run_id", "bank_code", "line_no", "psn_no", "card_no", "amount")
_FIXED_SUFFIXES = (".txt", ".dat")


def write_debit_csv(path: Path, batch: DebitBatch) -> None:
    """The batch as a CSV debit file: header, then one row per line in batch order."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(DEBIT_COLUMNS)
        writer.writerows(_debit_row(item) for item in batch.items)


def _debit_row(item: DebitItem) -> list[str]:
    return [item.run_id, item.bank_code, str(item.line_no), item.psn_no, item.name, item.certno,
            item.card_no, format(item.amount, "f"), str(item.year), item.insutype]  # fmt: skip


def write_debit_fixed(path: Path, batch: DebitBatch) -> None:
    """The batch as a fixed-width GB18030 debit file; nothing is written if a field is too long."""
    path.write_bytes(encode_debit(batch, source=path.name))


def read_result_file(
    path: Path,
    *,
    batch: DebitBatch,
    table: BankCodeTable,
    name: str | None = None,
    to_simplified: Callable[[str], str] = _to_simplified,
) -> tuple[DebitResult, ...]:
    """The results of a ``.csv`` or fixed-width (``.txt``, ``.dat``) result file, by line number."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_result_csv(
            path, batch=batch, table=table, name=name, to_simplified=to_simplified
        )
    if suffix in _FIXED_SUFFIXES:
        return read_result_fixed(path, batch=batch, table=table, name=name,
                                 to_simplified=to_simplified)  # fmt: skip
    reason = f"unsupported file type {suffix or '(none)'!r}: use .csv, .txt or .dat"
    raise RejectedFile([Problem(name or str(path), reason)])


def read_result_csv(
    path: Path,
    *,
    batch: DebitBatch,
    table: BankCodeTable,
    name: str | None = None,
    to_simplified: Callable[[str], str] = _to_simplified,
) -> tuple[DebitResult, ...]:
    """Every line's result from a CSV result file, or every problem in it."""
    check = _Check(name or str(path), batch, _table_of(batch, table), to_simplified)
    for row, cells in _csv_rows(path, check.source, check.problems):
        check.line(row, cells)
    return check.finish()


def read_result_fixed(
    path: Path,
    *,
    batch: DebitBatch,
    table: BankCodeTable,
    name: str | None = None,
    to_simplified: Callable[[str], str] = _to_simplified,
) -> tuple[DebitResult, ...]:
    """Every line's result from a fixed-width result file, or every problem in it."""
    check = _Check(name or str(path), batch, _table_of(batch, table), to_simplified)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RejectedFile(
            [Problem(check.source, f"cannot read the file: {exc.strerror or exc}")]
        ) from None
    decoded = decode_result(data, source=check.source)
    check.problems.extend(decoded.problems)
    if decoded.header is not None:
        check.identity(*decoded.header)
    for row, cells in decoded.details:
        check.line(row, cells)
    if decoded.trailer is not None:
        check.trailer(*decoded.trailer, details=decoded.detail_records)
    return check.finish()


def _table_of(batch: DebitBatch, table: BankCodeTable) -> BankCodeTable:
    if table.bank_code != batch.bank_code:
        raise InvalidValue("table", f"the code table of {table.bank_code} cannot read the "
                           f"results of bank {batch.bank_code}")  # fmt: skip
    return table


def _csv_rows(path: Path, source: str, problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    rows = [[str(cell) for cell in row] for row in sheet_rows(path, source)]
    if rows and any(cell.strip() for cell in rows[0]):
        return _csv_cells(rows, source, problems)
    raise RejectedFile([Problem(source, "the file is empty: expected a header row")])


def _csv_cells(
    rows: list[list[str]], source: str, problems: list[Problem]
) -> list[tuple[int, dict[str, str]]]:
    header = [cell.strip() for cell in rows[0]]
    bad = [Problem(source, "unknown column", 1, column or "(empty)")
           for column in header if column not in RESULT_COLUMNS]  # fmt: skip
    bad += [Problem(source, "missing column", 1, column)
            for column in RESULT_COLUMNS if column not in header]  # fmt: skip
    bad += [Problem(source, "column given twice", 1, column)
            for column in sorted(set(header)) if column and header.count(column) > 1]  # fmt: skip
    if bad:  # the rows cannot be read against a wrong header
        raise RejectedFile(bad)
    found: list[tuple[int, dict[str, str]]] = []
    for row, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line holds no result
        if len(cells) != len(header):
            reason = f"{len(cells)} cells but the header has {len(header)} columns"
            problems.append(Problem(source, reason, row))
            continue
        found.append(
            (row, {column: cell.strip() for column, cell in zip(header, cells, strict=True)})
        )
    return found


@dataclass(slots=True)
class _Check:
    """The lines of one result file checked against the batch: results, or every problem."""

    source: str
    batch: DebitBatch
    table: BankCodeTable
    to_simplified: Callable[[str], str]
    problems: list[Problem] = field(default_factory=list)
    rows_of: dict[int, int] = field(default_factory=dict)  # line_no -> the row that answered it
    results: list[DebitResult] = field(default_factory=list)
    amounts: list[tuple[Decimal, bool]] = field(default_factory=list)  # (amount, paid) per line

    def fail(self, row: int | None, column: str | None, reason: str) -> None:
        self.problems.append(Problem(self.source, reason, row, column))

    def identity(self, row: int, cells: dict[str, str]) -> None:
        """The run and bank a header or a CSV row names must be the batch's."""
        for column, expected in (
            ("run_id", self.batch.run_id),
            ("bank_code", self.batch.bank_code),
        ):
            if cells.get(column, expected) != expected:
                self.fail(row, column, f"{cells[column]!r} is not this batch's {expected!r}")

    def line(self, row: int, cells: dict[str, str]) -> None:
        """One detail: which debit it answers, that it matches it, and what the bank said."""
        found = len(self.problems)
        self.identity(row, cells)
        for column in _REQUIRED:
            if column in cells and not cells[column]:
                self.fail(row, column, "required: the cell is empty")
        item = self._item(row, cells.get("line_no", ""))
        amount = self._amount(row, cells.get("amount", ""))
        if item is None:
            return
        for column, ours in (("psn_no", item.psn_no), ("card_no", item.card_no)):
            if cells.get(column) and cells[column] != ours:
                self.fail(row, column, f"{cells[column]!r} differs from the debit's {ours!r}")
        if amount is not None and amount != item.amount:
            self.fail(row, "amount", f"{amount} differs from the debit's {item.amount}")
        try:
            result = result_for(item, self.table, result_code=cells.get("result_code", ""),
                                result_msg=cells.get("result_msg", ""),
                                holder_name=cells.get("holder_name", ""),
                                to_simplified=self.to_simplified)  # fmt: skip
        except InvalidValue as exc:
            self.fail(row, exc.field, exc.reason)
            return
        if amount is not None:
            self.amounts.append((amount, result.failure is None))
        if len(self.problems) == found:
            self.results.append(result)

    def _item(self, row: int, text: str) -> DebitItem | None:
        if not (text.isascii() and text.isdigit()):
            if text:
                self.fail(row, "line_no", f"{text!r} is not a line number")
            return None
        number = int(text)
        item = self.batch.item(number)
        if item is None:
            self.fail(row, "line_no", f"line {number} is not in run {self.batch.run_id} "
                      f"for bank {self.batch.bank_code}")  # fmt: skip
        elif number in self.rows_of:
            self.fail(
                row, "line_no", f"line {number} already answered on row {self.rows_of[number]}"
            )
            return None
        else:
            self.rows_of[number] = row
        return item

    def _amount(self, row: int, text: str) -> Decimal | None:
        try:
            return money(text, field="amount") if text else None
        except InvalidValue as exc:
            self.fail(row, "amount", exc.reason)
            return None

    def trailer(self, row: int, cells: dict[str, str], *, details: int) -> None:
        """The trailer's count and totals must be those of the detail records."""
        paid = [amount for amount, was_paid in self.amounts if was_paid]
        stated = {"count": Decimal(details), "paid_count": Decimal(len(paid)),
                  "total": sum((a for a, _ in self.amounts), ZERO), "paid_total": sum(paid, ZERO)}  # fmt: skip
        complete = len(self.amounts) == details  # totals are only known when every line was read
        for column, value in stated.items():
            if (complete or column == "count") and Decimal(cells[column]) != value:
                self.fail(
                    row, column, f"the trailer says {cells[column]}, the details add up to {value}"
                )

    def finish(self) -> tuple[DebitResult, ...]:
        """The results in line order, or ``RejectedFile`` with every problem (missing lines too)."""
        for item in self.batch.items:
            if item.line_no not in self.rows_of:
                self.fail(None, "line_no", f"line {item.line_no} ({item.psn_no}) of run "
                          f"{self.batch.run_id} has no result in the file")  # fmt: skip
        if self.problems:
            rows = sorted(self.problems, key=lambda p: (p.row is None, p.row or 0))
            raise RejectedFile(rows)
        return tuple(sorted(self.results, key=lambda result: result.line_no))
