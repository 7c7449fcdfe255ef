"""The generated code tables (``yibao.kernel.codes``) match ``data/reference/*.csv``."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from yibao.kernel.codes import (
    CODE_TABLES,
    ChrgitmLv,
    FundPayType,
    InsuType,
    MedType,
    NhsaCode,
)

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "data" / "reference"
CSV_FILES = ("nhsa_dicts.csv", "yibao_dicts.csv")
COLUMNS = ["dict_field", "dict_cn", "code", "name", "identifier", "source", "note"]


def _rows(filename: str) -> list[dict[str, str]]:
    with (REFERENCE / filename).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


ALL_ROWS = [row for filename in CSV_FILES for row in _rows(filename)]


def test_generated_module_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_codes.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_row_counts() -> None:
    assert len(_rows("nhsa_dicts.csv")) == 160
    assert len(_rows("yibao_dicts.csv")) == 28


@pytest.mark.parametrize(
    "row", ALL_ROWS, ids=[f"{row['dict_field']}-{row['code']}" for row in ALL_ROWS]
)
def test_every_row_is_a_member(row: dict[str, str]) -> None:
    table = CODE_TABLES[row["dict_field"]]
    member = table[row["identifier"]]
    assert member.value == row["code"]
    assert member == row["code"]
    assert table(row["code"]) is member
    assert member.label == row["name"]
    assert table.__doc__ == f"{row['dict_cn']} ({row['dict_field']})."


def test_tables_have_exactly_the_csv_rows() -> None:
    expected: dict[str, list[str]] = {}
    for row in ALL_ROWS:
        expected.setdefault(row["dict_field"], []).append(row["identifier"])
    assert list(CODE_TABLES) == list(expected)
    for dict_field, identifiers in expected.items():
        assert [member.name for member in CODE_TABLES[dict_field]] == identifiers


def test_identifiers_and_codes_unique_per_table() -> None:
    for key in ("identifier", "code"):
        counts = Counter((row["dict_field"], row[key]) for row in ALL_ROWS)
        assert [pair for pair, n in counts.items() if n > 1] == []


def test_spot_values() -> None:
    assert InsuType.EMPLOYEE_BASIC == "310"
    assert InsuType("390").label == "城乡居民基本医疗保险"
    assert FundPayType.MEDICAL_AID == "610100"
    assert ChrgitmLv.CLASS_C.label == "丙类"
    assert MedType.ACCIDENT_OUTPATIENT == "19"
    assert MedType.ACCIDENT_OUTPATIENT_81 == "81"
    assert str(InsuType.EMPLOYEE_BASIC) == "310"
    assert f"{FundPayType.EMPLOYEE_POOL}" == "310100"


def test_code_tables_mapping() -> None:
    assert CODE_TABLES["insutype"] is InsuType
    assert CODE_TABLES["fund_pay_type"] is FundPayType
    assert all(issubclass(table, NhsaCode) for table in CODE_TABLES.values())


def test_unknown_code_is_rejected() -> None:
    with pytest.raises(ValueError):
        InsuType("999")
