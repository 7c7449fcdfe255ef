"""Bank debit files: exports byte for byte, result files read back, and every kind of bad file."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from yibao.kernel.errors import InvalidValue, RejectedFile
from yibao.registry.bank import (
    DebitBatch,
    DebitFailure,
    DebitItem,
    DebitResult,
    DebitStatus,
    NameDifference,
)
from yibao.registry.bank_codes import demo_bank_tables, load_bank_tables
from yibao.registry.bank_files import (
    DEBIT_COLUMNS,
    RESULT_COLUMNS,
    read_result_csv,
    read_result_file,
    read_result_fixed,
    write_debit_csv,
    write_debit_fixed,
)

D = Decimal
TABLES = demo_bank_tables()
BOC = TABLES["BOC"]
RUN = "R2026A"
ITEMS = (
    DebitItem(RUN, 1, "P0001", "张伟", "990100200001011234", "BOC", "6217000010001234",
              D("380.00"), 2026, "390"),
    DebitItem(RUN, 2, "P0002", "买买提·艾力", "65010020000202123X", "BOC", "6217000010005678",
              D("380.00"), 2026, "390"),
    # line 3 of the run was kept back by screen() and is not in the file
    DebitItem(RUN, 4, "P0004", "欧阳娜娜", "990100200504040020", "BOC", "6217000010009012",
              D("190.50"), 2026, "390"),
)  # fmt: skip
BATCH = DebitBatch(RUN, "BOC", ITEMS)
RESULT_HEADER = ",".join(RESULT_COLUMNS)


# --- the fixed-width result layout, written out from docs/bank-debit-format.md ---------------
def text(value: str, width: int) -> bytes:
    data = value.encode("gb18030")
    assert len(data) <= width
    return data.ljust(width, b" ")


def digits(value: int, width: int) -> bytes:
    return str(value).zfill(width).encode()


def header(run: str = RUN, bank: str = "BOC") -> bytes:
    return b"H" + text(run, 20) + text(bank, 8) + b" " * 171


def detail(
    line: int, psn: str, card: str, fen: int, code: str, holder: str = "", msg: str = ""
) -> bytes:
    record = (b"D" + digits(line, 8) + text(psn, 30) + text(card, 32) + digits(fen, 12)
              + text(code, 8) + text(holder, 40) + text(msg, 60) + b" " * 9)  # fmt: skip
    assert len(record) == 200
    return record


def trailer(count: int, total: int, paid_count: int, paid_total: int) -> bytes:
    return (
        b"T"
        + digits(count, 8)
        + digits(total, 16)
        + digits(paid_count, 8)
        + digits(paid_total, 16)
        + b" " * 151
    )


def fixed_file(path: Path, *records: bytes) -> Path:
    path.write_bytes(b"".join(record + b"\r\n" for record in records))
    return path


def csv_file(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rejected(
    call: object, *args: object, **kwargs: object
) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(RejectedFile) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return [(p.row, p.column, p.reason) for p in caught.value.problems]


EXPECTED = (
    DebitResult(RUN, 1, DebitStatus.PAID, "0000", "交易成功"),
    DebitResult(RUN, 2, DebitStatus.FAILED, "E103", "户名不符", DebitFailure.NAME_MISMATCH,
                NameDifference.DOT),
    DebitResult(RUN, 4, DebitStatus.FAILED, "E109", "卡未激活", DebitFailure.CARD_NOT_ACTIVATED),
)  # fmt: skip
ANSWERS = {
    1: ("0000", "", "交易成功"),
    2: ("E103", "买买提艾力", "户名不符"),
    4: ("E109", "", "卡未激活"),
}


# --- exports ----------------------------------------------------------------------------------
def test_debit_csv_is_utf8_with_a_header(tmp_path: Path) -> None:
    path = tmp_path / "R2026A-BOC.csv"
    write_debit_csv(path, BATCH)
    assert path.read_bytes().decode("utf-8").split("\r\n") == [
        ",".join(DEBIT_COLUMNS),
        "R2026A,BOC,1,P0001,张伟,990100200001011234,6217000010001234,380.00,2026,390",
        "R2026A,BOC,2,P0002,买买提·艾力,65010020000202123X,6217000010005678,380.00,2026,390",
        "R2026A,BOC,4,P0004,欧阳娜娜,990100200504040020,6217000010009012,190.50,2026,390",
        "",
    ]


def test_debit_fixed_width_is_gb18030_with_byte_widths(tmp_path: Path) -> None:
    path = tmp_path / "R2026A-BOC.txt"
    write_debit_fixed(path, BATCH)
    records = path.read_bytes().split(b"\r\n")
    assert records[-1] == b"" and [len(r) for r in records[:-1]] == [150] * 5
    assert (
        records[0]
        == b"H"
        + b"R2026A".ljust(20)
        + b"BOC".ljust(8)
        + b"00000003"
        + b"0000000000095050"
        + b" " * 97
    )
    second = records[2]
    assert second[:9] == b"D00000002"
    assert second[9:39] == b"P0002".ljust(30)
    name = "买买提·艾力".encode("gb18030")
    assert len(name) == 12  # six characters, the dot included, of two bytes each
    assert second[39:79] == name + b" " * 28
    assert second[79:99] == b"65010020000202123X  "
    assert second[99:131] == b"6217000010005678".ljust(32)
    assert second[131:143] == b"000000038000"
    assert second[143:150] == b"2026390"
    assert records[3][131:143] == b"000000019050"
    assert records[4] == b"T00000003" + b"0000000000095050" + b" " * 125


def test_a_name_is_padded_by_its_bytes_and_never_cut(tmp_path: Path) -> None:
    rare = DebitItem(RUN, 1, "P9", "王𠀾", "C9", "BOC", "6217000010001234", D("1.00"), 2026, "390")
    path = tmp_path / "rare.txt"
    write_debit_fixed(path, DebitBatch(RUN, "BOC", (rare,)))
    assert path.read_bytes().split(b"\r\n")[1][39:79] == "王𠀾".encode("gb18030") + b" " * 34
    long = DebitItem(RUN, 1, "P9", "阿" * 21, "C9", "BOC", "6217000010001234", D("1"), 2026, "390")
    target = tmp_path / "long.txt"
    assert rejected(write_debit_fixed, target, DebitBatch(RUN, "BOC", (long,))) == [
        (2, "name", f"{'阿' * 21!r} takes 42 bytes in GB18030, the field has 40 (bytes 40–79)")
    ]
    assert not target.exists()


# --- round trips ------------------------------------------------------------------------------
def test_csv_round_trip(tmp_path: Path) -> None:
    debit = tmp_path / "R2026A-BOC.csv"
    write_debit_csv(debit, BATCH)
    with debit.open(encoding="utf-8", newline="") as handle:
        sent = list(csv.DictReader(handle))
    result = tmp_path / "R2026A-BOC-result.csv"
    with result.open("w", encoding="utf-8-sig", newline="") as handle:  # a bank's Excel adds a BOM
        writer = csv.writer(handle)
        writer.writerow(RESULT_COLUMNS)
        for row in reversed(sent):  # a bank may answer in any order
            code, holder, msg = ANSWERS[int(row["line_no"])]
            writer.writerow([row["run_id"], row["bank_code"], row["line_no"], row["psn_no"],
                             row["card_no"], row["amount"], code, msg, holder])  # fmt: skip
    assert read_result_csv(result, batch=BATCH, table=BOC) == EXPECTED
    assert read_result_file(result, batch=BATCH, table=BOC) == EXPECTED


def test_fixed_width_round_trip(tmp_path: Path) -> None:
    debit = tmp_path / "R2026A-BOC.txt"
    write_debit_fixed(debit, BATCH)
    records = debit.read_bytes().split(b"\r\n")[1:-2]
    answers = []
    for record in records:
        line = int(record[1:9])
        code, holder, msg = ANSWERS[line]
        answers.append(detail(line, record[9:39].decode().strip(), record[99:131].decode().strip(),
                              int(record[131:143]), code, holder, msg))  # fmt: skip
    result = fixed_file(tmp_path / "R2026A-BOC-result.dat", header(), *answers,
                        trailer(3, 95050, 1, 38000))  # fmt: skip
    assert read_result_fixed(result, batch=BATCH, table=BOC) == EXPECTED
    assert read_result_file(result, batch=BATCH, table=BOC) == EXPECTED


def test_a_traditional_holder_name_is_explained(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "r.csv", RESULT_HEADER,
                    "R2026A,BOC,1,P0001,6217000010001234,380.00,E108,账户校验失败,張偉",
                    "R2026A,BOC,2,P0002,6217000010005678,380.00,0000,,",
                    "R2026A,BOC,4,P0004,6217000010009012,190.50,0000,,")  # fmt: skip
    first = read_result_csv(path, batch=BATCH, table=BOC)[0]
    assert (first.failure, first.name_difference) == (
        DebitFailure.ACCOUNT_CHECK_FAILED, NameDifference.TRADITIONAL)  # fmt: skip


# --- bad CSV files ----------------------------------------------------------------------------
def test_csv_unknown_and_missing_columns(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "r.csv",
                    "run_id,bank_code,line_no,psn_no,card_no,amount,result_code,result_msg,bank_ref",
                    "R2026A,BOC,1,P0001,6217000010001234,380.00,0000,,X1")  # fmt: skip
    assert rejected(read_result_csv, path, batch=BATCH, table=BOC) == [
        (1, "bank_ref", "unknown column"), (1, "holder_name", "missing column")]  # fmt: skip


def test_csv_every_bad_line_is_listed_and_nothing_returned(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "r.csv", RESULT_HEADER,
                    "R2026A,BOC,1,P0001,6217000010001234,380.00,0000,,",
                    "R2026A,BOC,2,P0002,6217000010005678,380.00,E999,?,",
                    "R2026A,BOC,2,P0002,6217000010005678,380.00,0000,,",
                    "R2026A,BOC,7,P0007,6217000010000000,380.00,0000,,",
                    "R2025B,BOC,4,P0005,6217000010009012,190.00,0000,,",
                    "R2026A,BOC,x,P0004,6217000010009012,190.50,0000,,",
                    "R2026A,BOC,4,P0004,6217000010009012,190.50,0000,,,")  # fmt: skip
    assert rejected(read_result_csv, path, batch=BATCH, table=BOC) == [
        (3, "result_code", "unknown code 'E999': not in the table of BOC 中国银行"),
        (4, "line_no", "line 2 already answered on row 3"),
        (5, "line_no", "line 7 is not in run R2026A for bank BOC"),
        (6, "run_id", "'R2025B' is not this batch's 'R2026A'"),
        (6, "psn_no", "'P0005' differs from the debit's 'P0004'"),
        (6, "amount", "190.00 differs from the debit's 190.50"),
        (7, "line_no", "'x' is not a line number"),
        (8, None, "10 cells but the header has 9 columns"),
    ]


def test_csv_a_line_without_result_is_named(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "r.csv", RESULT_HEADER,
                    "R2026A,BOC,1,P0001,6217000010001234,380.00,0000,,",
                    "R2026A,BOC,2,P0002,6217000010005678,380.00,,,")  # fmt: skip
    assert rejected(read_result_csv, path, batch=BATCH, table=BOC) == [
        (3, "result_msg", "no result code, and the message '' is not in the table of BOC 中国银行"),
        (None, "line_no", "line 4 (P0004) of run R2026A has no result in the file"),
    ]


# --- bad fixed-width files --------------------------------------------------------------------
def test_fixed_width_truncated_line_unknown_code_duplicate_and_count(tmp_path: Path) -> None:
    path = fixed_file(tmp_path / "r.txt", header(),
                      detail(1, "P0001", "6217000010001234", 38000, "0000"),
                      detail(2, "P0002", "6217000010005678", 38000, "E103", "", "户名不符").rstrip(),
                      detail(4, "P0004", "6217000010009012", 19050, "E999"),
                      detail(4, "P0004", "6217000010009012", 19050, "0000"),
                      trailer(3, 95050, 2, 57050))  # fmt: skip
    assert rejected(read_result_fixed, path, batch=BATCH, table=BOC) == [
        (3, "record_length", "139 bytes, a record has 200: the line is cut short inside "
                             "result_msg (bytes 132–191); were trailing spaces removed?"),
        (4, "result_code", "unknown code 'E999': not in the table of BOC 中国银行"),
        (5, "line_no", "line 4 already answered on row 4"),
        (6, "count", "the trailer says 3, the details add up to 4"),
        (None, "line_no", "line 2 (P0002) of run R2026A has no result in the file"),
    ]  # fmt: skip


def test_fixed_width_trailer_totals_must_add_up(tmp_path: Path) -> None:
    path = fixed_file(tmp_path / "r.txt", header(),
                      detail(1, "P0001", "6217000010001234", 38000, "0000"),
                      detail(2, "P0002", "6217000010005678", 38000, "E104"),
                      detail(4, "P0004", "6217000010009012", 19050, "0000"),
                      trailer(3, 95049, 3, 95050))  # fmt: skip
    assert rejected(read_result_fixed, path, batch=BATCH, table=BOC) == [
        (5, "paid_count", "the trailer says 3, the details add up to 2"),
        (5, "total", "the trailer says 950.49, the details add up to 950.50"),
        (5, "paid_total", "the trailer says 950.50, the details add up to 570.50"),
    ]


def test_fixed_width_header_trailer_and_fields(tmp_path: Path) -> None:
    bad_amount = bytearray(detail(2, "P0002", "6217000010005678", 38000, "0000"))
    bad_amount[75] = ord("x")
    path = fixed_file(tmp_path / "r.txt", header(run="R2025B"),
                      detail(1, "P0001", "6217000010009999", 38000, "0000"),
                      bytes(bad_amount),
                      b"X" + b" " * 199,
                      detail(4, "P0004", "6217000010009012", 19000, "0000") + b" ")  # fmt: skip
    assert rejected(read_result_fixed, path, batch=BATCH, table=BOC) == [
        (1, "run_id", "'R2025B' is not this batch's 'R2026A'"),
        (2, "card_no", "'6217000010009999' differs from the debit's '6217000010001234'"),
        (3, "amount", "'0000x0038000' is not 12 digits, zero-padded (bytes 72–83)"),
        (4, "record_type", "unknown record type 'X' (expected H, D or T)"),
        (5, "record_length", "201 bytes, a record has 200: the line is too long"),
        (5, "record_type", "no trailer record (T) at the end: the file may be cut short"),
        (None, "line_no", "line 2 (P0002) of run R2026A has no result in the file"),
        (None, "line_no", "line 4 (P0004) of run R2026A has no result in the file"),
    ]


def test_fixed_width_records_out_of_place(tmp_path: Path) -> None:
    path = fixed_file(tmp_path / "r.txt",
                      detail(1, "P0001", "6217000010001234", 38000, "0000"), header(),
                      detail(2, "P0002", "6217000010005678", 38000, "0000"),
                      detail(4, "P0004", "6217000010009012", 19050, "0000"),
                      trailer(3, 95050, 3, 95050), trailer(3, 95050, 3, 95050))  # fmt: skip
    assert rejected(read_result_fixed, path, batch=BATCH, table=BOC) == [
        (1, "record_type", "the first record must be the header (H)"),
        (2, "record_type", "the header must be the first record"),
        (6, "record_type", "a record after the trailer on row 5"),
    ]


def test_empty_and_unsupported_files(tmp_path: Path) -> None:
    assert rejected(read_result_fixed, fixed_file(tmp_path / "e.txt"), batch=BATCH, table=BOC)[0] == (
        None, None, "the file is empty: expected a header record")  # fmt: skip
    empty_csv = csv_file(tmp_path / "e.csv", "")
    assert rejected(read_result_csv, empty_csv, batch=BATCH, table=BOC) == [
        (None, None, "the file is empty: expected a header row")]  # fmt: skip
    assert rejected(read_result_file, tmp_path / "r.xlsx", batch=BATCH, table=BOC) == [
        (None, None, "unsupported file type '.xlsx': use .csv, .txt or .dat")]  # fmt: skip
    with pytest.raises(InvalidValue, match="the code table of ICBC cannot read"):
        read_result_csv(empty_csv, batch=BATCH, table=TABLES["ICBC"])


def test_a_bad_code_table_file_names_every_key(tmp_path: Path) -> None:
    path = tmp_path / "banks.toml"
    path.write_text('[banks.ABC]\nname = "示范银行"\n[banks.ABC.codes]\n"00" = "paid"\n'
                    '"01" = "F99"\n"02" = "F03"\n[banks.abc]\nname = ""\n', encoding="utf-8")  # fmt: skip
    assert rejected(load_bank_tables, path, name="banks.toml") == [
        (None, "banks.ABC.codes.01", "unknown reason 'F99' (expected paid or F02–F10)"),
        (None, "banks.abc.[key]", "bank code 'abc' is not 2–8 capitals or digits"),
        (None, "banks.abc.name", "String should have at least 1 character"),
        (None, "banks.abc.codes", "Field required"),
    ]
