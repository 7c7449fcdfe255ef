"""The ``yibao`` command end to end: good runs, and every kind of bad input refused clearly.

Bad input must give a non-zero exit, a message naming the file, the field and the reason, no
traceback, and no change anywhere.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from yibao.cli.main import app
from yibao.demo.visits import demo_visit_files
from yibao.policy.service import demo_policy_dir

runner = CliRunner()
VISIT = json.loads(demo_visit_files()[0].read_text(encoding="utf-8"))


def invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def write(tmp_path: Path, doc: object, name: str = "visit.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False), "utf-8")
    return path


def test_settle_prints_the_settlement_with_nhsa_names(tmp_path: Path) -> None:
    result = invoke("settle", "--visit", str(write(tmp_path, VISIT)))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    settled = out["steps"][-1]["output"]
    info = settled["setlinfo"]
    assert info["mdtrt_id"] == "DEMO-IP-0001"
    assert {row["fund_pay_type"] for row in settled["setldetail"]} == {"310100"}
    assert Decimal(info["acct_pay"]) + Decimal(info["psn_cash_pay"]) == Decimal(
        info["psn_part_amt"]
    )
    assert out["steps"][-1]["result"][0]["feedetl_sn"] == "1"
    assert settled["yibao"]["policy"]["version"] == "2026"
    assert out["year_state"]["accumulators"]["admissions"] == "1"


def _mutated(change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(VISIT)
    change(doc)
    return doc


BAD_VISITS = {
    "missing field": (
        lambda d: d["mdtrtinfo"].pop("med_type"),
        "mdtrtinfo.med_type",
        "Field required",
    ),
    "unknown code": (
        lambda d: d["mdtrtinfo"].update(med_type="99"),
        "mdtrtinfo.med_type",
        "unknown code '99'",
    ),
    "amount not price × count": (
        lambda d: d["feedetail"][0].update(det_item_fee_sumamt="999.00"),
        "feedetail.0",
        "≠ pric × cnt",
    ),
    "too many decimals": (
        lambda d: d["feedetail"][1].update(pric="1.1234567"),
        "feedetail.1.pric",
        "more than 6 decimal places",
    ),
    "not a number": (
        lambda d: d["feedetail"][1].update(cnt="seven"),
        "feedetail.1.cnt",
        "not a number",
    ),
    "impossible date": (
        lambda d: d["mdtrtinfo"].update(begntime="2026-02-30 09:00:00"),
        "mdtrtinfo.begntime",
        "is not a time",
    ),
    "over-long field": (
        lambda d: d["mdtrtinfo"].update(mdtrt_id="X" * 31),
        "mdtrtinfo.mdtrt_id",
        "at most 30",
    ),
    "person mismatch": (
        lambda d: d["data"].update(psn_no="OTHER"),
        "data",
        "differ from mdtrtinfo",
    ),
}


@pytest.mark.parametrize("case", BAD_VISITS, ids=list(BAD_VISITS))
def test_a_malformed_visit_names_file_field_and_reason(tmp_path: Path, case: str) -> None:
    change, field, reason = BAD_VISITS[case]
    path = write(tmp_path, _mutated(change))
    result = invoke("settle", "--visit", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert str(path) in result.stderr and field in result.stderr and reason in result.stderr


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    result = invoke("settle", "--visit", str(write(tmp_path, '{"mdtrtinfo": ')))
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr and "line 1" in result.stderr


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    result = invoke("settle", "--visit", str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert "cannot read the file" in result.stderr


def test_an_unknown_institution_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, _mutated(lambda d: d.update(fixmedins_code="H99010099999")))
    result = invoke("settle", "--visit", str(path))
    assert result.exit_code == 2
    assert "fixmedins_code: institution H99010099999" in result.stderr


def test_a_refund_of_more_than_the_original_is_refused(tmp_path: Path) -> None:
    line = dict(
        VISIT["feedetail"][0],
        feedetl_sn="99",
        init_feedetl_sn="1",
        cnt="-8",
        det_item_fee_sumamt="-360.00",
    )
    path = write(tmp_path, _mutated(lambda d: d["feedetail"].append(line)))
    result = invoke("settle", "--visit", str(path))
    assert result.exit_code == 2
    assert "feedetail.8.cnt" in result.stderr and "exceed the original count" in result.stderr


def test_a_visit_outside_any_policy_is_refused(tmp_path: Path) -> None:
    def move(d: dict[str, Any]) -> None:
        d["mdtrtinfo"].update(begntime="2024-03-02 09:00:00", endtime="2024-03-09 10:00:00")
        d["year_state"]["year"] = 2024

    result = invoke("settle", "--visit", str(write(tmp_path, _mutated(move))))
    assert result.exit_code == 3
    assert "no policy of region 990100 is in force on 2024-03-09" in result.stderr


def test_policy_check_accepts_the_demo_policies() -> None:
    result = invoke("policy", "check", str(demo_policy_dir()))
    assert result.exit_code == 0
    assert "6 policy file(s) valid" in result.stdout and "990100/2026.toml" in result.stdout
    assert "990200/2026.toml" in result.stdout and "980100/2026.toml" in result.stdout


POLICY_MISTAKES = {
    "ratio above one": (
        "ratio = 0.85 }",
        "ratio = 1.85 }",
        "plans.310.care.inpatient.ratios.tier3.0.ratio",
        "less than or equal to 1",
    ),
    "unknown key": (
        "retiree_bonus = 0.10",
        "retiree_bonus = 0.10\nbonus = 1",
        "plans.310.care.outpatient.bonus",
        "Extra inputs are not permitted",
    ),
    "unknown fund": (
        'pool_fund = "390100"',
        'pool_fund = "390199"',
        "plans.390.pool_fund",
        "unknown code '390199'",
    ),
    "bad segments": (
        "{ upto = 50000, ratio = 0.85 }, { ratio = 0.90 }",
        "{ ratio = 0.85 }, { ratio = 0.90 }",
        "plans.310.care.inpatient.ratios.tier3",
        "has no 'upto' but is not the last",
    ),
    "not toml": ("[policy]", "[policy", "line 8, column 8", "not valid TOML"),
}


@pytest.mark.parametrize("case", POLICY_MISTAKES, ids=list(POLICY_MISTAKES))
def test_a_bad_policy_names_file_key_and_reason(tmp_path: Path, case: str) -> None:
    old, new, key, reason = POLICY_MISTAKES[case]
    text = (demo_policy_dir() / "990100" / "2026.toml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "990100").mkdir()
    (tmp_path / "990100" / "2026.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
    result = invoke("policy", "check", str(tmp_path))
    assert result.exit_code == 2
    assert "990100/2026.toml" in result.stderr and key in result.stderr and reason in result.stderr


def test_overlapping_policy_versions_are_refused(tmp_path: Path) -> None:
    (tmp_path / "990100").mkdir()
    for name in ("2025.toml", "2026.toml"):
        text = (demo_policy_dir() / "990100" / name).read_text(encoding="utf-8")
        (tmp_path / "990100" / name).write_text(
            text.replace("effective_to = 2025-12-31\n", ""), "utf-8"
        )
    result = invoke("policy", "check", str(tmp_path))
    assert result.exit_code == 2
    assert "still in force" in result.stderr


def test_a_bad_catalogue_file_changes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "catalog"
    good = tmp_path / "good.csv"
    header = (
        "code,name,list_type,chrgitm_lv,med_chrgitm_type,admdvs,selfpay_prop,pric_uplmt_tier3,"
        "pric_uplmt_tier2,pric_uplmt_tier1,pric_uplmt_primary,lmt_used_flag,lmt_used_scope,"
        "begndate,enddate,demo\n"
    )
    good.write_text(header + "X0001,测试药,101,01,09,990100,0,,,,,0,,2024-01-01,,1\n", "utf-8")
    assert invoke("catalog", "import", str(good), "--into", str(store)).exit_code == 0
    before = (store / "catalog.csv").read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text(header + "X0002,测试药2,101,09,09,990100,0,,,,,0,,2024-01-01,,1\n", "utf-8")
    result = invoke("catalog", "import", str(bad), "--into", str(store))
    assert result.exit_code == 2
    assert "bad.csv, row 2, chrgitm_lv" in result.stderr
    assert (store / "catalog.csv").read_bytes() == before


def test_the_installed_command_exits_cleanly_on_bad_input(tmp_path: Path) -> None:
    path = write(tmp_path, _mutated(lambda d: d["mdtrtinfo"].update(med_type="99")))
    done = subprocess.run(
        [sys.executable, "-m", "yibao", "settle", "--visit", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "unknown code '99'" in done.stderr


def test_bench_engine_prints_visits_per_second() -> None:
    result = invoke("bench", "engine", "--visits", "20", "--lines", "10", "--rounds", "2")
    assert result.exit_code == 0
    assert result.stdout.strip().endswith("visits/s")


def test_demo_run_settles_every_demo_visit() -> None:
    result = invoke("demo", "run")
    assert result.exit_code == 0
    assert f"{len(demo_visit_files())} demo visit(s) settled." in result.stdout
    assert "中途结算" in result.stdout and "结算撤销" in result.stdout
