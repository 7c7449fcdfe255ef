"""Bank collection runs on SQLite and PostgreSQL: export, result import, premium payments, re-run."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from yibao.kernel.errors import ConflictError, RejectedFile
from yibao.registry.bank import DebitFailure, DebitStatus
from yibao.registry.bank_codes import demo_bank_tables
from yibao.registry.bank_files import RESULT_COLUMNS, write_debit_csv
from yibao.registry.collections import import_results, start_run
from yibao.registry.model import Enrolment, PersonRecord
from yibao.registry.premiums import record, statement
from yibao.registry.repository import save_people
from yibao.registry.tables import bank_cards, collection_items, enrolments
from yibao.store.engine import make_engine, write_transaction
from yibao.store.migrate import upgrade

NOW = datetime(2026, 11, 24, 9, 0)
DUE = Decimal("230.00")
CARDS = {"P1": ("BOC", "6216600000000001"), "P2": ("BOC", "6216600000000002"),
         "P4": ("ICBC", "6222000000000004"), "P5": ("BOC", "6216600000000005")}  # fmt: skip


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    people = [PersonRecord(f"P{n}", "01", f"11010119900101{n:03d}X", f"居民{n}", "1", date(1990, 1, 1))
              for n in range(1, 6)]  # fmt: skip
    enrolled = [
        Enrolment(p.psn_no, "390", "1501", False, "990100", date(2020, 1, 1)) for p in people
    ]
    with write_transaction(engine) as connection:
        save_people(connection, people=people, enrolled=enrolled, identities=[], balances=[])
        connection.execute(
            enrolments.update().where(enrolments.c.psn_no == "P5").values(status="2")
        )
        connection.execute(insert(bank_cards), [
            {"psn_no": p, "bank_code": bank, "card_no": card, "holder_name": f"居民{p[1]}",
             "registered_at": NOW} for p, (bank, card) in CARDS.items()])  # fmt: skip
        for p in people:
            record(connection, psn_no=p.psn_no, insutype="390", year=2027, kind="due", amount=DUE,
                   ref="D-2027", now=NOW)  # fmt: skip
    yield engine
    engine.dispose()


def answer(path: Path, run_id: str, rows: list[tuple[int, str, str, str]]) -> Path:
    """A BOC result file: (line, psn_no, card, code) per line sent."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESULT_COLUMNS)
        for line_no, psn_no, card, code in rows:
            writer.writerow([run_id, "BOC", line_no, psn_no, card, "230.00", code, "", ""])
    return path


def test_a_run_debits_only_what_is_owed_and_a_rerun_only_what_is_still_unpaid(
    engine: Engine, tmp_path: Path
) -> None:
    tables = demo_bank_tables()
    with write_transaction(engine) as connection:
        plan = start_run(
            connection, run_id="BOC-1", bank_code="BOC", insutype="390", year=2027, now=NOW
        )
    assert [i.psn_no for i in plan.batch.items] == ["P1", "P2"]
    assert {(r.line_no, r.failure) for r in plan.kept_back} == {
        (3, DebitFailure.NO_CARD),
        (4, DebitFailure.STATUS_NOT_ELIGIBLE),  # P4 banks with ICBC: not a line of this run
    }
    write_debit_csv(tmp_path / "BOC-1.csv", plan.batch)
    with (
        write_transaction(engine) as connection,
        pytest.raises(ConflictError, match="BOC-1 is not imported"),
    ):
        start_run(connection, run_id="BOC-2", bank_code="BOC", insutype="390", year=2027, now=NOW)
    result = answer(tmp_path / "result.csv", "BOC-1", [(1, "P1", CARDS["P1"][1], "0000"),
                                                       (2, "P2", CARDS["P2"][1], "E103")])  # fmt: skip
    with write_transaction(engine) as connection:
        results = import_results(connection, run_id="BOC-1", path=result, tables=tables, now=NOW)
        assert [(r.line_no, r.status, r.failure) for r in results] == [
            (1, DebitStatus.PAID, None),
            (2, DebitStatus.FAILED, DebitFailure.NAME_MISMATCH),
        ]
        assert statement(connection, psn_no="P1", insutype="390", year=2027).arrears == 0
        assert statement(connection, psn_no="P2", insutype="390", year=2027).arrears == DUE
        failures = dict(connection.execute(
            select(collection_items.c.psn_no, collection_items.c.failure)
            .where(collection_items.c.run_id == "BOC-1")).all())  # fmt: skip
        assert failures == {"P1": None, "P2": "F03", "P3": "F02", "P5": "F01"}
    with (
        write_transaction(engine) as connection,
        pytest.raises(ConflictError, match="already imported"),
    ):
        import_results(connection, run_id="BOC-1", path=result, tables=tables, now=NOW)
    with write_transaction(engine) as connection:
        again = start_run(
            connection, run_id="BOC-2", bank_code="BOC", insutype="390", year=2027, now=NOW
        )
    assert [i.psn_no for i in again.batch.items] == ["P2"]


def test_a_bad_result_file_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    with write_transaction(engine) as connection:
        start_run(connection, run_id="BOC-1", bank_code="BOC", insutype="390", year=2027, now=NOW)
    bad = answer(tmp_path / "bad.csv", "BOC-1", [(1, "P1", CARDS["P1"][1], "0000"),
                                                 (2, "P2", CARDS["P2"][1], "X999")])  # fmt: skip
    with pytest.raises(RejectedFile, match="result_code"), write_transaction(engine) as connection:
        import_results(connection, run_id="BOC-1", path=bad, tables=demo_bank_tables(), now=NOW)
    with write_transaction(engine) as connection:
        assert statement(connection, psn_no="P1", insutype="390", year=2027).arrears == DUE
        statuses = set(connection.execute(
            select(collection_items.c.status).where(collection_items.c.psn_no.in_(["P1", "P2"]))
        ).scalars())  # fmt: skip
        assert statuses == {"pending"}
