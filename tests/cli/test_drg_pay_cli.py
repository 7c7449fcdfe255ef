"""``yibao drg weights | weight-sets | pay`` on an empty migrated SQLite database: what a clerk sees
before any history exists — an empty list, and one line naming the field for each refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from yibao.cli.main import app
from yibao.store.engine import make_engine
from yibao.store.migrate import upgrade

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    database = f"sqlite+pysqlite:///{tmp_path / 'yibao.db'}"
    engine = make_engine(database)
    upgrade(engine)
    engine.dispose()
    return database


def run(url: str, *args: str) -> Result:
    return runner.invoke(app, ["drg", *args], env={"YIBAO_DATABASE_URL": url, "COLUMNS": "200"})


def test_no_history_no_versions_and_refusals_name_the_field(url: str) -> None:
    listed = run(url, "weight-sets", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == {"versions": []}
    cases = {
        ("weights", "--years", "2025", "--budget", "1000.00", "--actor", "x"): "years",
        ("weights", "--years", "2025", "--budget", "0", "--actor", "x"): "budget",
        ("weights", "--years", "twenty", "--budget", "1000.00", "--actor", "x"): "years",
        ("pay", "NO-SUCH-SETTLEMENT", "--version", "1"): "version",
    }
    for args, field in cases.items():
        result = run(url, *args)
        assert result.exit_code != 0, args
        assert result.stderr.startswith("error: ") and field in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output
