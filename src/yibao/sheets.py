"""Rows of a CSV or XLSX file, with one set of reasons for a file that cannot be read.

The catalogue and the persons files (and any later tabular import) read their rows here: CSV as
UTF-8 (BOM optional), XLSX from the first sheet in openpyxl's read-only mode. An unreadable file
— missing, not UTF-8, malformed CSV, not a workbook, another suffix — is one
:class:`~yibao.kernel.errors.Problem` on the file, raised as :class:`RejectedFile`, also when it
stops being readable halfway through.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from yibao.kernel.errors import Problem, RejectedFile

__all__ = ["sheet_rows"]


def sheet_rows(path: Path, source: str) -> Iterator[Sequence[object]]:
    """The rows of ``path`` as they are read; ``source`` is how a problem names the file."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        reason = f"unsupported file type {suffix or '(none)'!r}: use .csv or .xlsx"
        raise RejectedFile([Problem(source, reason)])
    try:
        yield from _csv_rows(path) if suffix == ".csv" else _xlsx_rows(path)
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


def _csv_rows(path: Path) -> Iterator[Sequence[object]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.reader(handle, strict=True)


def _xlsx_rows(path: Path) -> Iterator[Sequence[object]]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if book.worksheets:
            yield from book.worksheets[0].iter_rows(values_only=True)
    finally:
        book.close()
