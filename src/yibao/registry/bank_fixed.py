"""The fixed-width bank files (定长格式): both layouts as data, the debit encoder, the result decoder.

Every record of a file has the same length in bytes (debit file 150, result file 200), is encoded
in GB18030 and ends with CR LF (LF alone is read too). Widths are bytes, not characters: a Chinese
character takes 2 bytes (4 for a rare one), so "张伟" fills 4 bytes of a name field and the rest is
spaces. Text is left-aligned and padded with spaces; numbers are right-aligned and padded with
zeros; amounts are in fen (分), so 120.00 yuan is ``000000012000``. The first record is the header
(``H``), the last the trailer (``T``), the details (``D``) lie between. Every field is listed, with
its position, in ``docs/bank-debit-format.md``; :data:`DEBIT` and :data:`RESULT` are that table.

:func:`encode_debit` writes a batch or refuses it whole (a name longer than its field is never cut).
:func:`decode_result` splits a result file into header, details and trailer cells as text, with a
problem for every line of the wrong length, unknown record type, non-digit number, filler that is
not blank or record out of place; ``registry.bank_files`` checks the cells against the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from yibao.kernel.errors import Problem, RejectedFile
from yibao.registry.bank import DebitBatch

__all__ = ["DEBIT", "ENCODING", "RESULT", "Decoded", "Field", "decode_result", "encode_debit"]

ENCODING = "gb18030"
NEWLINE = b"\r\n"


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a record: name, first byte (1-based), width in bytes, and kind.

    Kinds: ``type`` (the record letter), ``text`` (left-aligned, spaces), ``number`` and ``fen``
    (right-aligned, zeros; ``fen`` is an amount in fen), ``filler`` (spaces).
    """

    name: str
    start: int
    width: int
    kind: str

    @property
    def end(self) -> int:
        """The last byte of the field (1-based, inclusive)."""
        return self.start + self.width - 1


def _record(length: int, *specs: tuple[str, int, str]) -> tuple[Field, ...]:
    fields, start = [Field("record_type", 1, 1, "type")], 2
    for name, width, kind in specs:
        fields.append(Field(name, start, width, kind))
        start += width
    if start <= length:
        fields.append(Field("filler", start, length - start + 1, "filler"))
    return tuple(fields)


DEBIT_LENGTH, RESULT_LENGTH = 150, 200
DEBIT: dict[str, tuple[Field, ...]] = {
    "H": _record(DEBIT_LENGTH, ("run_id", 20, "text"), ("bank_code", 8, "text"),
                 ("count", 8, "number"), ("total", 16, "fen")),
    "D": _record(DEBIT_LENGTH, ("line_no", 8, "number"), ("psn_no", 30, "text"),
                 ("name", 40, "text"), ("certno", 20, "text"), ("card_no", 32, "text"),
                 ("amount", 12, "fen"), ("year", 4, "number"), ("insutype", 3, "text")),
    "T": _record(DEBIT_LENGTH, ("count", 8, "number"), ("total", 16, "fen")),
}  # fmt: skip
RESULT: dict[str, tuple[Field, ...]] = {
    "H": _record(RESULT_LENGTH, ("run_id", 20, "text"), ("bank_code", 8, "text")),
    "D": _record(RESULT_LENGTH, ("line_no", 8, "number"), ("psn_no", 30, "text"),
                 ("card_no", 32, "text"), ("amount", 12, "fen"), ("result_code", 8, "text"),
                 ("holder_name", 40, "text"), ("result_msg", 60, "text"), ("reserved", 9, "filler")),
    "T": _record(RESULT_LENGTH, ("count", 8, "number"), ("total", 16, "fen"),
                 ("paid_count", 8, "number"), ("paid_total", 16, "fen")),
}  # fmt: skip


def _fen(amount: Decimal) -> int:
    """An amount of at most two decimals as whole fen (no rounding: the amount is exact)."""
    fen = amount.scaleb(2)
    if fen % 1:
        raise ValueError(f"{amount} has more than two decimals")
    return int(fen)


def encode_debit(batch: DebitBatch, *, source: str) -> bytes:
    """The fixed-width debit file of ``batch``, or ``RejectedFile`` naming every field too long."""
    problems: list[Problem] = []
    total = _fen(batch.total)
    head = {"run_id": batch.run_id, "bank_code": batch.bank_code, "count": len(batch.items),
            "total": total}  # fmt: skip
    records = [_encode(DEBIT["H"], "H", head, source=source, row=1, problems=problems)]
    for row, item in enumerate(batch.items, start=2):
        values = {"line_no": item.line_no, "psn_no": item.psn_no, "name": item.name,
                  "certno": item.certno, "card_no": item.card_no, "amount": _fen(item.amount),
                  "year": item.year, "insutype": item.insutype}  # fmt: skip
        records.append(_encode(DEBIT["D"], "D", values, source=source, row=row, problems=problems))
    tail = {"count": len(batch.items), "total": total}
    records.append(
        _encode(DEBIT["T"], "T", tail, source=source, row=len(batch.items) + 2, problems=problems)
    )
    if problems:
        raise RejectedFile(problems)
    return b"".join(record + NEWLINE for record in records)


def _encode(
    fields: tuple[Field, ...],
    letter: str,
    values: Mapping[str, object],
    *,
    source: str,
    row: int,
    problems: list[Problem],
) -> bytes:
    parts: list[bytes] = []
    for spec in fields:
        if spec.kind in ("type", "filler"):
            parts.append(letter.encode() if spec.kind == "type" else b" " * spec.width)
            continue
        value = values[spec.name]
        text = str(value)
        data = text.encode(ENCODING)
        if spec.kind == "text" and any(ch < " " for ch in text):
            problems.append(Problem(source, "a control character", row, spec.name))
        if len(data) > spec.width:
            reason = (f"{text!r} takes {len(data)} bytes in {ENCODING.upper()}, the field "
                      f"has {spec.width} (bytes {spec.start}–{spec.end})")  # fmt: skip
            problems.append(Problem(source, reason, row, spec.name))
        pad = b" " if spec.kind == "text" else b"0"
        parts.append(
            data.ljust(spec.width, pad) if spec.kind == "text" else data.rjust(spec.width, pad)
        )
    return b"".join(parts)


@dataclass(slots=True)
class Decoded:
    """A result file split into records as text cells (amounts as yuan, ``120.00``), and problems."""

    header: tuple[int, dict[str, str]] | None = None
    details: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    trailer: tuple[int, dict[str, str]] | None = None
    detail_records: int = 0  # lines that start with D, read or not: what the trailer counts
    problems: list[Problem] = field(default_factory=list)


def decode_result(data: bytes, *, source: str) -> Decoded:
    """The records of a fixed-width result file; every line checked, none skipped silently."""
    decoded = Decoded()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last record
    if not lines:
        decoded.problems.append(Problem(source, "the file is empty: expected a header record"))
        return decoded
    for row, raw in enumerate(lines, start=1):
        line = raw.removesuffix(b"\r")
        decoded.detail_records += line[:1] == b"D"
        cells = _cells(line, source, row, decoded.problems)
        if cells is not None:
            _place(decoded, source, row, cells)
    if lines[0][:1] != b"H":
        decoded.problems.append(Problem(source, "the first record must be the header (H)", 1,
                                        "record_type"))  # fmt: skip
    if decoded.trailer is None and lines[-1][:1] != b"T":
        reason = "no trailer record (T) at the end: the file may be cut short"
        decoded.problems.append(Problem(source, reason, len(lines), "record_type"))
    return decoded


def _place(decoded: Decoded, source: str, row: int, cells: dict[str, str]) -> None:
    letter = cells.pop("record_type")
    misplaced = None
    if letter == "H":
        misplaced = (
            "a second header"
            if decoded.header
            else (None if row == 1 else "the header must be the first record")
        )
        decoded.header = decoded.header or (row, cells)
    elif decoded.trailer is not None:
        misplaced = f"a record after the trailer on row {decoded.trailer[0]}"
    elif letter == "D":
        decoded.details.append((row, cells))
    else:
        decoded.trailer = (row, cells)
    if misplaced:
        decoded.problems.append(Problem(source, misplaced, row, "record_type"))


def _cells(line: bytes, source: str, row: int, problems: list[Problem]) -> dict[str, str] | None:
    if len(line) != RESULT_LENGTH:
        problems.append(Problem(source, _length_problem(line), row, "record_length"))
        return None
    letter = line[:1].decode("latin-1")
    if letter not in RESULT:
        problems.append(Problem(source, f"unknown record type {letter!r} (expected H, D or T)",
                                row, "record_type"))  # fmt: skip
        return None
    found = len(problems)
    cells = {"record_type": letter}
    for spec in RESULT[letter][1:]:
        text = _field(line[spec.start - 1 : spec.end], spec, source, row, problems)
        if text is not None:
            cells[spec.name] = text
    return cells if len(problems) == found else None


def _length_problem(line: bytes) -> str:
    reason = f"{len(line)} bytes, a record has {RESULT_LENGTH}: the line is "
    if not line:
        return reason + "empty"
    if len(line) > RESULT_LENGTH:
        return reason + "too long"
    fields = RESULT.get(line[:1].decode("latin-1"), RESULT["D"])
    cut = next(spec for spec in fields if spec.end > len(line))
    return reason + (f"cut short inside {cut.name} (bytes {cut.start}–{cut.end}); "
                     "were trailing spaces removed?")  # fmt: skip


def _field(raw: bytes, spec: Field, source: str, row: int, problems: list[Problem]) -> str | None:
    where = f"(bytes {spec.start}–{spec.end})"
    try:
        text = raw.decode(ENCODING)
    except UnicodeDecodeError:
        reason = f"not {ENCODING.upper()} text, or a character cut at the field's edge {where}"
        problems.append(Problem(source, reason, row, spec.name))
        return None
    if spec.kind == "filler":
        if text.strip(" "):
            problems.append(Problem(source, f"{text!r}: the filler must be spaces {where}", row,
                                    spec.name))  # fmt: skip
        return None
    if spec.kind == "text":
        return text.strip(" ")
    if not (text.isascii() and text.isdigit()):
        reason = f"{text!r} is not {spec.width} digits, zero-padded {where}"
        problems.append(Problem(source, reason, row, spec.name))
        return None
    return str(int(text)) if spec.kind == "number" else str(Decimal(int(text)).scaleb(-2))
