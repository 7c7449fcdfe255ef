"""``yibao registry …`` on a migrated SQLite database holding the demo region."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from yibao.cli.main import app
from yibao.demo.population import DEMO_EMPLOYER
from yibao.registry.tables import accounts, enrolments
from yibao.store.engine import make_engine

runner = CliRunner()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite+pysqlite:///{tmp_path_factory.mktemp('registry') / 'yibao.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("YIBAO_DATABASE_URL", url)
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        assert runner.invoke(app, ["demo", "load", "--if-empty"]).exit_code == 0
        yield url


def run(database: str, *args: str) -> Any:
    result = runner.invoke(app, list(args), env={"YIBAO_DATABASE_URL": database})
    return result


def employees(
    database: str, psn_type: str, region: str | None = "990100"
) -> list[tuple[str, Decimal, Decimal | None]]:
    """The employees of ``psn_type`` with an account, insured in ``region`` (None: any region)."""
    engine = make_engine(database)
    query = (
        select(accounts.c.psn_no, accounts.c.balance, enrolments.c.contribution_base)
        .join(enrolments, enrolments.c.psn_no == accounts.c.psn_no)
        .where(enrolments.c.psn_type == psn_type)
        .order_by(accounts.c.psn_no)
    )
    if region is not None:
        query = query.where(enrolments.c.insuplc_admdvs == region)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    engine.dispose()
    return [(r.psn_no, r.balance, r.contribution_base) for r in rows]


def test_a_month_is_credited_once_by_the_policys_rule(database: str) -> None:
    in_work, retired = employees(database, "1101"), employees(database, "1201")
    first = run(database, "registry", "credit-accounts", "--month", "2026-11", "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    expected = sum((b * Decimal("0.02") for _, _, b in in_work if b), Decimal(0))
    assert report["credited"] == len(in_work) + len(retired)
    assert Decimal(report["total"]) == expected + Decimal("90.00") * len(retired)
    assert report["missing_contribution_base"] == []
    psn_no, before, base = in_work[0]
    ledger = json.loads(run(database, "registry", "account", psn_no, "--json").stdout)
    assert Decimal(ledger["balance"]) == before + base * Decimal("0.02")  # type: ignore[operator]
    assert (
        ledger["ledger"][-1]["source"] == "credit"
        and ledger["ledger"][-1]["ref"] == "credit:2026-11"
    )
    again = json.loads(
        run(database, "registry", "credit-accounts", "--month", "2026-11", "--json").stdout
    )
    assert again["credited"] == 0 and again["already_credited"] == report["credited"]


def test_carry_over_records_each_balance_once(database: str) -> None:
    first = json.loads(run(database, "registry", "carry-over", "--year", "2026", "--json").stdout)
    # every region's accounts: the carry-over is not per region
    count = len(employees(database, "1101", None)) + len(employees(database, "1201", None))
    assert first["accounts"] == count
    second = json.loads(run(database, "registry", "carry-over", "--year", "2026", "--json").stdout)
    assert second["accounts"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("link-family", "P-NOBODY", "X", "--relation", "02", "--consent-ref", "F1"),
         "holder_psn_no: no insured person"),
        (("link-family", "A", "A", "--relation", "02", "--consent-ref", "F1"), "member_psn_no: a person cannot"),
        (("link-family", "A", "B", "--relation", "77", "--consent-ref", "F1"), "relation: unknown relation"),
        (("credit-accounts", "--month", "2026-13"), "--month"),
        (("account", "P-NOBODY"), "psn_no: P-NOBODY has no personal account"),
    ],
    ids=["unknown holder", "self", "unknown relation", "bad month", "no account"],
)  # fmt: skip
def test_bad_input_names_the_field(database: str, args: tuple[str, ...], message: str) -> None:
    result = run(database, "registry", *args)
    assert result.exit_code != 0 and message in result.output, result.output


def test_family_link_and_unlink(database: str, tmp_path: Path) -> None:
    holder = employees(database, "1101")[0][0]
    member = employees(database, "1201")[0][0]
    linked = run(database, "registry", "link-family", holder, member, "--relation", "03",
                 "--consent-ref", "GJ-1", "--json")  # fmt: skip
    assert linked.exit_code == 0 and json.loads(linked.stdout)["member"] == member
    twice = run(database, "registry", "link-family", holder, member, "--relation", "03",
                "--consent-ref", "GJ-2")  # fmt: skip
    assert twice.exit_code != 0 and "already linked" in twice.output
    assert run(database, "registry", "unlink-family", holder, member).exit_code == 0
    assert "no consent" in run(database, "registry", "unlink-family", holder, member).output


def residents(database: str) -> list[str]:
    engine = make_engine(database)
    with engine.connect() as connection:
        found = list(connection.execute(
            select(enrolments.c.psn_no).where(enrolments.c.insutype == "390").order_by(enrolments.c.psn_no)
        ).scalars())  # fmt: skip
    engine.dispose()
    return found


def test_premium_movements_and_statement(database: str) -> None:
    psn_no = residents(database)[0]
    due = run(database, "registry", "premium", psn_no, "--kind", "due", "--amount", "230.00",
              "--year", "2027", "--ref", "D-1", "--json")  # fmt: skip
    assert due.exit_code == 0, due.output
    assert json.loads(due.stdout)["arrears"] == "230.00"
    no_reason = run(database, "registry", "premium", psn_no, "--kind", "supplementary",
                    "--amount", "230.00", "--year", "2027", "--ref", "S-1")  # fmt: skip
    assert (
        no_reason.exit_code != 0 and "reason: a supplementary needs its reason" in no_reason.output
    )
    paid = run(database, "registry", "premium", psn_no, "--kind", "supplementary", "--amount",
               "230.00", "--year", "2027", "--ref", "S-1", "--reason", "补缴", "--json")  # fmt: skip
    assert json.loads(paid.stdout)["arrears"] == "0.00"


def test_enrolling_an_enrolled_resident_is_refused(database: str) -> None:
    psn_no = residents(database)[1]
    result = run(database, "registry", "enrol", psn_no, "--year", "2026", "--paid-on", "2025-10-01")
    assert (
        result.exit_code != 0
        and f"psn_no: {psn_no} is already enrolled in 390 for 2026" in result.output
    )


def test_a_collection_run_from_the_command_line(database: str, tmp_path: Path) -> None:
    psn_no = residents(database)[2]
    assert run(database, "registry", "premium", psn_no, "--kind", "due", "--amount", "230.00",
               "--year", "2028", "--ref", "D-1").exit_code == 0  # fmt: skip
    bad_card = run(database, "registry", "card", psn_no, "--bank", "BOC", "--card-no", "12AB",
                   "--holder-name", "某")  # fmt: skip
    assert bad_card.exit_code != 0 and "card_no: '12AB' is not a card number" in bad_card.output
    assert run(database, "registry", "card", psn_no, "--bank", "BOC", "--card-no", "6216600000009999",
               "--holder-name", "某").exit_code == 0  # fmt: skip
    started = run(database, "registry", "collect", "--bank", "BOC", "--year", "2028",
                  "--out", str(tmp_path), "--json")  # fmt: skip
    assert started.exit_code == 0, started.output
    report = json.loads(started.stdout)
    assert report["lines"] == 1 and report["total"] == "230.00" and report["kept_back"] == []
    lines = Path(report["file"]).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and psn_no in lines[1] and "6216600000009999" in lines[1]
    result = tmp_path / "result.csv"
    result.write_text(
        "run_id,bank_code,line_no,psn_no,card_no,amount,result_code,result_msg,holder_name\n"
        f"{report['run_id']},BOC,1,{psn_no},6216600000009999,230.00,E110,,\n",
        encoding="utf-8",
    )
    answered = run(database, "registry", "collect-result", report["run_id"], str(result), "--json")
    assert answered.exit_code == 0, answered.output
    failed = json.loads(answered.stdout)["failed"]
    assert [(f["failure"], f["bank_result"]) for f in failed] == [("F10", "E110")] and failed[0][
        "action"
    ]


def test_special_identities_from_the_command_line(database: str) -> None:
    psn_no = residents(database)[1]
    granted = run(database, "registry", "identity", psn_no, "--type", "06", "--level", "1",
                  "--begin", "2026-02-01", "--ref", "残联-7", "--json")  # fmt: skip
    assert granted.exit_code == 0, granted.output
    assert json.loads(granted.stdout)["psn_type_lv"] == "1"
    ended = run(database, "registry", "identity-end", psn_no, "--type", "06", "--end", "2026-10-31",
                "--json")  # fmt: skip
    assert json.loads(ended.stdout)["endtime"] == "2026-10-31T23:59:59"
    listed = json.loads(run(database, "registry", "identities", psn_no, "--json").stdout)
    assert [(i["psn_idet_type"], i["begntime"], i["endtime"]) for i in listed["identities"]] == [
        ("06", "2026-02-01T00:00:00", "2026-10-31T23:59:59")
    ]
    bad = run(database, "registry", "identity", psn_no, "--type", "42", "--begin", "2026-01-01")
    assert bad.exit_code == 2 and "psn_idet_type: '42' is not a code" in bad.output


def test_an_employers_month_billed_and_paid_from_the_command_line(database: str) -> None:
    in_work = employees(database, "1101")
    bill = run(database, "registry", "employer-bill", DEMO_EMPLOYER, "--month", "2026-02", "--json")
    assert bill.exit_code == 0, bill.output
    billed = json.loads(bill.stdout)
    # 6% and 2% of each base, each rounded to the fen
    expected = sum((b * Decimal("0.06")).quantize(Decimal("0.01"))
                   + (b * Decimal("0.02")).quantize(Decimal("0.01")) for _, _, b in in_work if b)  # fmt: skip
    assert billed["billed"] == len(in_work) and Decimal(billed["total"]) == expected
    short = run(database, "registry", "employer-pay", DEMO_EMPLOYER, "--month", "2026-02",
                "--amount", "1.00", "--receipt", "B-1")  # fmt: skip
    assert short.exit_code != 0 and "a month's bill is paid whole" in short.output
    paid = run(database, "registry", "employer-pay", DEMO_EMPLOYER, "--month", "2026-02",
               "--amount", billed["total"], "--receipt", "B-2", "--json")  # fmt: skip
    assert json.loads(paid.stdout)["employees"] == len(in_work)
    months = json.loads(run(database, "registry", "employer-statement", DEMO_EMPLOYER, "--year",
                            "2026", "--json").stdout)["months"]  # fmt: skip
    assert months == [{"month": "2026-02", "due": billed["total"], "paid": billed["total"],
                       "arrears": "0.00"}]  # fmt: skip


def test_an_account_transfer_from_the_command_line(database: str) -> None:
    psn_no, before, _ = employees(database, "1201")[1]
    moved = run(database, "registry", "account-transfer", psn_no, "--direction", "in", "--amount",
                "300.00", "--region", "440106", "--ref", "ZYJX-9", "--json")  # fmt: skip
    assert moved.exit_code == 0, moved.output
    assert Decimal(json.loads(moved.stdout)["balance_after"]) == before + Decimal("300.00")
    ledger = json.loads(run(database, "registry", "account", psn_no, "--json").stdout)["ledger"]
    assert (ledger[-1]["source"], ledger[-1]["counterpart"]) == ("transfer_in", "440106")
