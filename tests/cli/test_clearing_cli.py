"""``yibao clearing …`` (the app of ``yibao.cli.clearing``) on a migrated SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from yibao.cli.clearing import app
from yibao.crossregion.clearing import build_period
from yibao.crossregion.clearing_sim import simulate_month, store_month
from yibao.store.engine import make_engine
from yibao.store.migrate import upgrade

runner = CliRunner()
MONTH = "2025-03"
A, B, C = "980100", "990100", "990200"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database."""
    url = f"sqlite+pysqlite:///{tmp_path / 'yibao.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database whose simulated month is built (the bad-input tests read it, never change it)."""
    url = f"sqlite+pysqlite:///{tmp_path_factory.mktemp('clearing') / 'yibao.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        store_month(connection, simulate_month(MONTH))
        build_period(connection, period=MONTH, actor="清算员", now=datetime(2025, 4, 2))
    engine.dispose()
    yield url


def run(database: str, *args: str) -> Result:
    # wide enough that rich tables do not wrap the cells the tests look for
    return runner.invoke(app, list(args), env={"YIBAO_DATABASE_URL": database, "COLUMNS": "300"})


def ok(database: str, *args: str) -> Any:
    result = run(database, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_month_from_traffic_to_a_balanced_clearing(database: str) -> None:
    simulated = run(database, "simulate", "--period", MONTH)
    assert simulated.exit_code == 0 and "159 simulated receivable(s)" in simulated.stdout
    built = run(database, "build", "--period", MONTH, "--actor", "清算员甲")
    assert built.exit_code == 0, built.output
    assert (
        "3 statement(s), 159 new line(s), 0 carried" in built.stdout and f"{A}–{B}" in built.stdout
    )
    again = run(database, "build", "--period", MONTH, "--actor", "清算员甲")
    assert again.exit_code == 5 and "period: 2025-03 is already built" in again.output
    listed = ok(database, "show", "--period", MONTH)
    assert [s["pair"] for s in listed["statements"]] == [[A, B], [A, C], [B, C]]
    assert all(s["status"] == "open" for s in listed["statements"])

    statement = ok(database, "show", "--period", MONTH, "--pair", f"{B},{A}")
    line = next(x for x in statement["lines"] if x["creditor"] == A and x["kind"] == "final")
    setl_id = line["setl_id"]
    where = ["--period", MONTH, "--pair", f"{B},{A}", "--setl-id", setl_id]
    no_reason = run(database, "dispute", *where, "--side", B, "--actor", "参保地对账员")
    assert no_reason.exit_code == 2 and "reason: missing" in no_reason.output
    outsider = run(database, "agree", *where, "--side", C, "--actor", "x")
    assert outsider.exit_code == 2 and f"side: {C} is not a party" in outsider.output
    disputed = ok(database, "dispute", *where, "--side", B, "--actor", "参保地对账员",
                  "--reason", "无备案 [见备案库]")  # fmt: skip
    assert (disputed["state"], disputed["disputed_by"], disputed["counts_as"]) == (
        "disputed",
        B,
        "held",
    )
    shown = run(database, "show", "--period", MONTH, "--pair", f"{A},{B}")
    assert shown.exit_code == 0 and "无备案 [见备案库]" in shown.stdout and setl_id in shown.stdout
    wrong = run(database, "resolve", *where, "--side", B, "--actor", "x", "--resolution", "withdrawn",
                "--reason", "r")  # fmt: skip
    assert wrong.exit_code == 2 and "only the creditor withdraws" in wrong.output
    gone = ok(database, "resolve", *where, "--side", A, "--actor", "就医地对账员",
              "--resolution", "withdrawn", "--reason", "撤回")  # fmt: skip
    assert (gone["state"], gone["resolution"], gone["counts_as"]) == (
        "resolved",
        "withdrawn",
        "withdrawn",
    )

    history = run(database, "line", setl_id)
    assert history.exit_code == 0, history.output
    for text in (
        "参保地对账员",
        "就医地对账员",
        "无备案 [见备案库]",
        "resolved: withdrawn",
        f"{A} (creditor)",
    ):
        assert text in history.stdout, text

    balance = ok(database, "balance", "--period", MONTH)
    assert balance["balanced"] is True and balance["problems"] == []
    assert (
        balance["total_receivable"] == balance["total_payable"] and balance["total_net"] == "0.00"
    )
    nets = {r["region"]: Decimal(r["net"]) for r in balance["regions"]}
    assert sum(nets.values()) == 0 and len(nets) == 3
    [ab] = [s for s in balance["statements"] if s["pair"] == [A, B]]
    assert Decimal(ab["to_a"]["withdrawn"]) == Decimal(line["amount"])
    table = run(database, "balance", "--period", MONTH)
    assert (
        table.exit_code == 0
        and "159 receivable(s), 159 stated: balanced to the fen" in table.stdout
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["build", "--period", "2025-13", "--actor", "x"], 2, "period: '2025-13' is not a month YYYY-MM"),
        (["show", "--period", "2025/03"], 2, "period: '2025/03'"),
        (["show", "--period", "2024-01"], 5, "period: 2024-01 is not built yet"),
        (["show", "--period", MONTH, "--pair", f"{B},123456"], 2, "pair: unknown region 123456"),
        (["show", "--period", MONTH, "--pair", B], 2, "pair: 1 region(s)"),
        (["agree", "--period", MONTH, "--pair", f"{A},{B}", "--setl-id", "NOPE", "--side", A,
          "--actor", "x"], 4, "setl_id: no line NOPE on any statement"),
        (["line", "NOPE"], 4, "setl_id: no line NOPE"),
        (["balance", "--period", "2024-01"], 5, "period: 2024-01 is not built yet"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_the_field(
    built: str, args: list[str], code: int, message: str
) -> None:
    result = run(built, *args)
    assert result.exit_code == code, result.output
    assert message in result.output and "Traceback" not in result.output
