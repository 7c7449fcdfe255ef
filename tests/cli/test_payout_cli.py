"""``yibao deductions``, ``yibao appeals`` and ``yibao payout`` on a migrated SQLite database with a
replayed March: deductions built and decided, the letter printed, an appeal won, the run built,
its statements printed, the run closed and its payment instruction issued as the bank's CSV file,
which adds up to the statements' nets to the fen and is printed again unchanged."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from typer.testing import CliRunner, Result

from tests.support.month_replay import Replayed, plant_violations, replay_month
from yibao.catalog.service import demo_store
from yibao.clearing.payments import CSV_COLUMNS
from yibao.clearing.tables import institution_accounts, payment_instructions, payout_statements
from yibao.cli.main import app
from yibao.demo.load import load_demo
from yibao.settlement.visits import load_reference
from yibao.store.engine import make_engine
from yibao.store.migrate import upgrade

D = Decimal
MARCH = "2026-03"
runner = CliRunner()
pytestmark = pytest.mark.usefixtures("cjk_fonts")


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Replayed]]:
    """A replayed March with a violation on four visits of the first hospital."""
    url = f"sqlite+pysqlite:///{tmp_path_factory.mktemp('payout-cli') / 'yibao.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        load_demo(connection, catalog=demo_store().load(), persons_count=200)
    with engine.connect() as connection:
        ref = load_reference(connection)
    replayed = replay_month(engine, ref, period=MARCH, visits=40)
    first = replayed.institutions[0]
    picks = [(m, ls[0].feedetl_sn, "duplicate_pair", None)
             for m, ls in replayed.lines.items() if m.startswith(first[-12:])][:4]  # fmt: skip
    with engine.begin() as connection:
        plant_violations(connection, replayed, picks, now=datetime(2026, 4, 2, 9), period=MARCH)
    engine.dispose()
    yield url, replayed


def run(url: str, *args: str) -> Result:
    return runner.invoke(app, list(args), env={"YIBAO_DATABASE_URL": url, "COLUMNS": "300"})


def ok(url: str, *args: str) -> Any:
    result = run(url, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(url: str, *args: str) -> str:
    result = run(url, *args)
    assert result.exit_code != 0, result.output
    return result.stderr


def rows(url: str, query: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(query).all())
    finally:
        engine.dispose()


def test_a_month_from_deductions_to_the_bank_file(
    month: tuple[str, Replayed], tmp_path: Path
) -> None:
    url, replayed = month
    first = replayed.institutions[0]
    built = ok(url, "deductions", "build", MARCH, "--actor", "审核科")
    run_no = built["run_no"]
    assert built["institutions"][first]["deductions"] == 4
    listed = ok(url, "deductions", "list", "--run", run_no)["deductions"]
    assert sum(D(d["amount"]) for d in listed) == D(built["total"])

    pending = ok(url, "deductions", "consequences", "--pending")["consequences"]
    penalty = next(c for c in pending if c["kind"] == "penalty" and c["fixmedins_code"] == first)
    decided = ok(url, "deductions", "decide", str(penalty["consequence_id"]), "--accept", "--multiplier", "2",
                 "--reason", "首次违规，按下限", "--actor", "基金监管科")  # fmt: skip
    assert D(decided["amount"]) == 2 * D(penalty["base_amount"])
    for other in (c for c in pending if c is not penalty):
        ok(url, "deductions", "decide", str(other["consequence_id"]), "--reject", "--reason", "情节轻微",
           "--actor", "基金监管科")  # fmt: skip
    assert "consequence" in refused(url, "deductions", "decide", str(penalty["consequence_id"]), "--reject",
                                    "--reason", "again", "--actor", "x")  # fmt: skip

    letter = tmp_path / "letter.pdf"
    result = run(url, "deductions", "letter", run_no, first, "--out", str(letter))
    assert result.exit_code == 0, result.output
    assert letter.read_bytes().startswith(b"%PDF")
    assert "run_no" in refused(
        url, "deductions", "letter", "KK000000-001", first, "--out", str(letter)
    )

    target = listed[0]["deduction_id"]
    assert "deduction_id" in refused(url, "appeals", "file", str(target), "--institution", "H00000000000",
                                     "--reason", "x", "--evidence", "y", "--actor", "z")  # fmt: skip
    filed = ok(url, "appeals", "file", str(target), "--institution", first, "--reason", "病程记录证明必要",
               "--evidence", "病程记录 2026-03-05", "--evidence", "检验报告", "--actor", "医保办")  # fmt: skip
    won = ok(url, "appeals", "decide", str(filed["appeal_id"]), "--won", "--reason", "证据充分",
             "--actor", "审核科")  # fmt: skip
    assert won["state"] == "won" and D(won["refund_amount"]) == D(listed[0]["amount"])
    assert len(ok(url, "appeals", "show", str(filed["appeal_id"]))["steps"]) == 2

    draft = ok(url, "payout", "build", MARCH, "--actor", "结算科")
    assert draft["state"] == "draft" and first in draft["statements"]
    assert "draft" in refused(url, "payout", "instruction", MARCH, "--actor", "财务科",
                              "--out", str(tmp_path / "x.csv"))  # fmt: skip
    for suffix in ("pdf", "xlsx"):
        out = tmp_path / f"statement.{suffix}"
        assert run(url, "payout", "statement", MARCH, first, "--out", str(out)).exit_code == 0
        assert out.stat().st_size > 1000
    assert "--out" in refused(
        url, "payout", "statement", MARCH, first, "--out", str(tmp_path / "s.doc")
    )

    # a payee without an account: refused, naming it, nothing issued
    ok(url, "payout", "close", MARCH, "--actor", "结算科")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            delete(institution_accounts).where(institution_accounts.c.fixmedins_code == first)
        )
    engine.dispose()
    bank = tmp_path / "bank.csv"
    assert first in refused(
        url, "payout", "instruction", MARCH, "--actor", "财务科", "--out", str(bank)
    )
    assert rows(url, select(func.count()).select_from(payment_instructions)) == [(0,)]
    result = run(url, "payout", "account", first, "--bank", "示范银行", "--account-no", "6222 0000 1111 2222",
                 "--name", "示范市第一人民医院", "--actor", "财务科")  # fmt: skip
    assert result.exit_code == 0, result.output

    issued = ok(url, "payout", "instruction", MARCH, "--actor", "财务科", "--out", str(bank))
    nets = {r.fixmedins_code: r.net for r in rows(url, select(payout_statements).where(
        payout_statements.c.period == MARCH))}  # fmt: skip
    lines = list(csv.DictReader(io.StringIO(bank.read_text(encoding="utf-8"))))
    assert tuple(lines[0]) == CSV_COLUMNS
    paid = {x["fixmedins_code"]: D(x["amount"]) for x in lines}
    assert paid == {k: v for k, v in nets.items() if v > 0}
    assert D(issued["paid_total"]) - D(issued["collected_total"]) == sum(nets.values())
    assert (
        next(x for x in lines if x["fixmedins_code"] == first)["account_no"] == "6222000011112222"
    )

    # printed again after the account changed: the file sent to the bank, unchanged
    before = bank.read_bytes()
    run(url, "payout", "account", first, "--bank", "另一银行", "--account-no", "1234567890", "--name", "x",
        "--actor", "财务科")  # fmt: skip
    ok(url, "payout", "instruction", MARCH, "--actor", "财务科", "--out", str(bank))
    assert bank.read_bytes() == before


def test_bad_input_is_one_line_naming_the_field(
    month: tuple[str, Replayed], tmp_path: Path
) -> None:
    url, replayed = month
    first = replayed.institutions[0]
    assert "period" in refused(url, "payout", "build", "2026-13", "--actor", "x")
    assert "account_no" in refused(url, "payout", "account", first, "--bank", "b", "--account-no", "12ab",
                                   "--name", "n", "--actor", "x")  # fmt: skip
    assert "fixmedins_code" in refused(url, "payout", "account", "H00000000000", "--bank", "b",
                                       "--account-no", "12345678", "--name", "n", "--actor", "x")  # fmt: skip
    assert "year" in refused(url, "payout", "release-deposit", first, "--year", "2999", "--rating", "good",
                             "--actor", "x")  # fmt: skip
    assert "kind" in refused(url, "payout", "adjust", "--kind", "gift", "--party-type", "institution",
                             "--party", first, "--amount", "1", "--reason", "r", "--corrects-type", "payout",
                             "--corrects-ref", MARCH, "--actor", "x")  # fmt: skip
    assert "appeal_id" in refused(url, "appeals", "show", "999999")
    for result in (run(url, "payout", "build", "2026-13", "--actor", "x"),):
        assert "Traceback" not in result.output
