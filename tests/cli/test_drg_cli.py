"""``yibao drg group``: a CSV in, a CSV out with every status; bad rows never stop the file."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from yibao.cli.main import app

runner = CliRunner()
HEADER = "id,gender,age,age_days,weight,los,leaving_type,diagnoses,procedures\n"
ROWS = [
    "ok1,1,40,,,5,1,K35.800x001|A01.100,47.0901",
    "qy1,1,40,,,5,1,K35.800x001,38.5901",
    "bad-age,1,forty,,,5,1,K35.800x001,",
    "nb1,2,0,3,1200,12,1,P07.300,",
    "unknown,1,40,,,5,1,K35.800x001|X99.999,",
    "nogroup,1,40,,,5,1,Z99.100,",
    "short,1,40",
    "tx1,1,55,,,30,1,I42.000,37.5100",
]


def run(tmp_path: Path, text: str, *extra: str) -> tuple[int, str, list[dict[str, str]]]:
    source = tmp_path / "in.csv"
    source.write_text(text, encoding="utf-8")
    target = tmp_path / "out.csv"
    result = runner.invoke(app, ["drg", "group", str(source), "-o", str(target), *extra])
    rows = list(csv.DictReader(target.open(encoding="utf-8"))) if target.exists() else []
    return result.exit_code, result.output, rows


def test_every_status_and_bad_rows_in_the_middle(tmp_path: Path) -> None:
    code, output, rows = run(tmp_path, HEADER + "\n".join(ROWS) + "\n")
    assert code == 0, output
    assert "8 cases grouped" in output
    got = {r["id"]: (r["status"], r["mdc"], r["adrg"], r["drg"]) for r in rows}
    assert list(rows[0]) == ["id", "status", "mdc", "adrg", "drg"]
    assert got == {
        "ok1": ("ok", "MDCG", "GD2", "GD23"),
        "qy1": ("ambiguous", "MDCG", "QY", "GQY"),
        "bad-age": ("invalid", "", "00", "0000"),
        "nb1": ("ok", "MDCP", "PS1", "PS15"),
        "unknown": ("invalid", "", "00", "0000"),
        "nogroup": ("ungroupable", "", "00", "0000"),
        "short": ("invalid", "", "00", "0000"),
        "tx1": ("ok", "MDCA", "AA1", "AA19"),
    }


def test_trace_column(tmp_path: Path) -> None:
    code, _, rows = run(tmp_path, HEADER + "\n".join(ROWS) + "\n", "--trace")
    assert code == 0
    traces = {r["id"]: r["trace"] for r in rows}
    assert traces["bad-age"] == "age: not a whole number: 'forty'"
    assert traces["unknown"] == "diagnoses[1]: unknown diagnosis code 'X99.999'"
    assert traces["short"] == "row: 3 fields, the header has 9"
    assert traces["ok1"].split(" ; ") == [
        "MDC: MDCG by main diagnosis K35.800x001 in the MDCG 主诊表",
        "ADRG: GD2 阑尾切除术 by main procedure 47.0901 in its 主要手术表",
        "DRG: GD23 by MCC A01.100 (5_MCC); GD2 has no MCC group (…1)",
    ]


def test_wrong_header_is_refused_with_the_column(tmp_path: Path) -> None:
    code, output, rows = run(tmp_path, "id,sex,age\n1,1,40\n")
    assert code == 2
    assert "header: missing column 'gender'" in output
    assert "Traceback" not in output and rows == []


def test_missing_file_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["drg", "group", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 2
    assert "nope.csv: no such file" in result.output
