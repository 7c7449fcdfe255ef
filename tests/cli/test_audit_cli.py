"""``yibao audit check`` and ``import-national`` from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from yibao.cli.main import app

runner = CliRunner()
NATIONAL = Path(__file__).resolve().parents[2] / "data" / "two_libraries" / "csv"


def test_the_shipped_rule_base_checks_clean() -> None:
    result = runner.invoke(app, ["audit", "check"])
    assert result.exit_code == 0, result.output
    assert (
        "25 rule(s) valid" in result.stdout
        and "NAT7-ITEM-DUPLICATE" in result.stdout
        and "SEED-GUIDE-WIRE" in result.stdout
    )


def test_a_bad_rule_file_is_refused_naming_file_and_rule(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(
        '[[rules]]\nid = "R1"\nname = "x"\nfamily = "no_such_family"\ngrade = "violation"\n'
        'action = "warn"\nmoments = ["after"]\nbegin = 2026-01-01\nvola_cont = "x"\n'
        '[rules.evidence]\ndocument = "d"\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["audit", "check", str(tmp_path)])
    assert result.exit_code == 2
    assert "mine.toml" in result.output and "R1" in result.output
    assert "no_such_family" in result.output


def test_the_national_import_reports_every_batch(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "import-national", str(NATIONAL), str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "第八批-4 项目 限定周期: 14 rows read" in result.stdout
    assert "row 902: an empty row" in result.stdout
    assert (tmp_path / "out" / "national.toml").is_file()
