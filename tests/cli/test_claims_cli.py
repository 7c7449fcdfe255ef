"""``yibao claims …`` on a migrated SQLite database with the demo regions: a claim from the
failure record to the payment, a third-party refusal, a refused upload, the overdue list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner, Result

from tests.integration.test_claims import (
    BEGIN,
    END,
    FEE_LIST,
    NOT_ENABLED,
    ZIP,
    minimal_pdf,
    minimal_png,
)
from yibao.catalog.service import demo_store
from yibao.cli.claims import app as claims_app
from yibao.demo.load import load_demo
from yibao.registry.tables import enrolments, persons
from yibao.store.engine import make_engine
from yibao.store.migrate import upgrade

runner = CliRunner()
#: the ``claims`` app under a root, as ``yibao claims`` mounts it
root = typer.Typer()
root.add_typer(claims_app, name="claims")


@pytest.fixture(scope="module")
def setup(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path, list[tuple[str, str]]]]:
    """The database's URL, the var directory and in-service employees of 990100 (psn_no, name)."""
    base = tmp_path_factory.mktemp("claims-cli")
    url = f"sqlite+pysqlite:///{base / 'yibao.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        load_demo(connection, catalog=demo_store().load(), persons_count=200)
        e = enrolments.c
        people = connection.execute(
            select(e.psn_no, persons.c.psn_name).join(persons, persons.c.psn_no == e.psn_no)
            .where(e.insutype == "310", e.psn_type == "1101", e.cvlserv_flag.is_(False),
                   e.insuplc_admdvs == "990100").order_by(e.psn_no)
        ).all()  # fmt: skip
    engine.dispose()
    yield url, base / "var", [(p.psn_no, p.psn_name) for p in people]


def run(setup: tuple[str, Path, Any], *args: str) -> Result:
    url, var_dir, _ = setup
    env = {"YIBAO_DATABASE_URL": url, "YIBAO_VAR_DIR": str(var_dir), "COLUMNS": "250"}
    return runner.invoke(root, ["claims", *args], env=env)


def ok(setup: tuple[str, Path, Any], *args: str) -> Any:
    result = run(setup, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write(tmp_path: Path, name: str, content: Any) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return str(path)


def claim_file(
    setup: tuple[str, Path, Any], tmp_path: Path, person: int, cause: str = "none"
) -> str:
    psn_no, name = setup[2][person]
    record = write(tmp_path, "record.json", {
        "fixmedins_code": NOT_ENABLED, "psn_no": psn_no, "psn_name": name, "insuplc_admdvs": "990100",
        "med_type": "21", "begndate": BEGIN.isoformat(), "enddate": END.isoformat(),
        "medfee_sumamt": "2281.50", "reason": "not_enabled", "detail": "本院未开通跨省直接结算"})  # fmt: skip
    failure_no = ok(setup, "issue-failure", record, "--by", "收费处")["failure_no"]
    claim = write(tmp_path, "claim.json", {
        "psn_no": psn_no, "insutype": "310", "failure_no": failure_no, "injury_cause": cause,
        "diagnoses": [{"diag_code": "K35.800", "diag_name": "急性阑尾炎"}],
        "lines": [{"code": c, "name": n, "cnt": q, "pric": p, "amount": a} for c, n, q, p, a in FEE_LIST]})  # fmt: skip
    filed = ok(setup, "file", claim, "--operator", "窗口 陈", "--by", "agency")
    assert filed["missing_documents"] == [
        "invoice",
        "fee_list",
        "discharge_summary",
        "filing_proof",
    ]
    claim_no = str(filed["claim"]["claim_no"])
    for doc_type, name_, content in (("invoice", "发票.pdf", minimal_pdf(f"i {claim_no}")),
                                     ("fee_list", "清单.pdf", minimal_pdf(f"f {claim_no}")),
                                     ("discharge_summary", "出院小结.png", minimal_png(5)),
                                     ("filing_proof", "备案.png", minimal_png(250))):  # fmt: skip
        ok(
            setup,
            "upload",
            claim_no,
            write(tmp_path, name_, content),
            "--type",
            doc_type,
            "--actor",
            "参保人",
        )
    ok(setup, "take", claim_no, "--clerk", "王五")
    return claim_no


def test_a_claim_from_the_failure_record_to_the_payment(setup: Any, tmp_path: Path) -> None:
    claim_no = claim_file(setup, tmp_path, 0)
    assert (
        ok(setup, "decide", claim_no, "--clerk", "王五", "--outcome", "approve")["state"]
        == "approved"
    )
    settled = ok(setup, "settle", claim_no, "--clerk", "王五")
    info = settled["settlement"]["setlinfo"]
    # no filing in the registry: other temporary care, 88% less 20 points = 68% of 1,012.10
    assert (info["fund_pay_sumamt"], info["psn_part_amt"], settled["claim"]["filing_type"]) == (
        "688.23", "1593.27", "other_temporary")  # fmt: skip
    today = date.today().isoformat()
    paid = ok(
        setup,
        "pay",
        claim_no,
        "--actor",
        "财务",
        "--on",
        today,
        "--bank-ref",
        "ICBC42",
        "--amount",
        "688.23",
    )
    assert (paid["state"], paid["paid_amount"], paid["bank_ref"]) == ("paid", "688.23", "ICBC42")
    shown = run(setup, "show", claim_no)
    assert shown.exit_code == 0 and "paid" in shown.stdout and "ICBC42" in shown.stdout
    out = tmp_path / "back.png"
    assert run(setup, "document", claim_no, "3", "--out", str(out)).exit_code == 0
    assert out.read_bytes() == minimal_png(5)


def test_a_traffic_accident_is_refused_and_the_reason_printed(setup: Any, tmp_path: Path) -> None:
    claim_no = claim_file(setup, tmp_path, 1, cause="traffic_accident")
    done = run(setup, "decide", claim_no, "--clerk", "王五", "--outcome", "approve")
    assert (
        done.exit_code == 0 and "refused" in done.stdout and "第三方责任（交通事故）" in done.stdout
    )
    assert ok(setup, "show", claim_no)["claim"]["refusal_code"] == "third_party_liability"


def test_a_refused_upload_names_the_field_and_keeps_nothing(setup: Any, tmp_path: Path) -> None:
    claim_no = claim_file(setup, tmp_path, 2)
    zipped = run(
        setup,
        "upload",
        claim_no,
        write(tmp_path, "scan.pdf", ZIP),
        "--type",
        "other",
        "--actor",
        "p",
    )
    assert zipped.exit_code == 2 and "content: a zip file (application/zip)" in zipped.output
    bad_type = run(setup, "upload", claim_no, write(tmp_path, "x.pdf", minimal_pdf("x")), "--type", "selfie",
                   "--actor", "p")  # fmt: skip
    assert bad_type.exit_code == 2 and "doc_type:" in bad_type.output
    assert len(ok(setup, "show", claim_no)["documents"]) == 4
    decided = run(setup, "decide", claim_no, "--clerk", "k", "--outcome", "refuse")
    assert decided.exit_code == 2 and "reason: missing" in decided.output


def test_the_overdue_list(setup: Any, tmp_path: Path) -> None:
    claim_no = claim_file(setup, tmp_path, 3)
    later = (date.today() + timedelta(days=31)).isoformat()
    overdue = ok(setup, "list", "--overdue", "--on", later)["claims"]
    assert claim_no in [c["claim_no"] for c in overdue]
    table = run(setup, "list", "--overdue", "--on", later)
    assert table.exit_code == 0 and claim_no in table.stdout and "overdue" in table.stdout
    both = run(setup, "list", "--overdue", "--due-soon")
    assert both.exit_code == 2 and "--overdue" in both.output
