"""The batch run on DuckDB: pieces of the period for rules that begin or end inside it, scopes.

A generated month (`yibao demo month`, 5,000 fee lines and two months of history) is audited with
the shipped rule base and docs/audit-examples (docs/adr/0012).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from yibao.audit.batch import DuckDBBatch, FactFiles, Period, Piece, plan_pieces, run_batch
from yibao.audit.batch_output import load_rule_bases
from yibao.audit.findings import Finding
from yibao.audit.model import Moment, RuleBase
from yibao.audit.service import shipped_rule_base_dir
from yibao.demo.month import generate_month
from yibao.kernel.errors import InvalidValue

ROOT = Path(__file__).resolve().parents[2]
PERIOD = Period.parse("2026-03")

Key = tuple[str, str, str, Decimal, str, date]


def keys(findings: list[Finding]) -> Counter[Key]:
    return Counter((f.rule_id, f.mdtrt_id, f.feedetl_sn, f.amount, f.vola_cont, f.fee_date)
                   for f in findings)  # fmt: skip


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> FactFiles:
    out = tmp_path_factory.mktemp("month") / "facts"
    generate_month(out, period=PERIOD, lines=5_000, seed=5, violations=10)
    return FactFiles.under(out)


@pytest.fixture(scope="module")
def rule_base() -> RuleBase:
    return load_rule_bases([shipped_rule_base_dir(), ROOT / "docs" / "audit-examples"])


def test_ordinary_care_breaks_no_rule(tmp_path: Path, rule_base: RuleBase) -> None:
    # the generated month without its violations: every code drawn fits its person and place
    generate_month(tmp_path / "facts", period=PERIOD, lines=20_000, seed=3, violations=0)
    with DuckDBBatch(rule_base) as duck:
        result = run_batch(duck, FactFiles.under(tmp_path / "facts"), PERIOD)
    assert result.lines == 20_000 and not result.failures
    assert [(f.rule_id, f.vola_cont) for f in result.findings] == []


def test_a_period_is_a_month() -> None:
    assert Period.parse("2024-02").last == date(2024, 2, 29)
    assert Period.parse("2026-01").previous(2) == Period.parse("2025-11")
    for bad in ("2026-13", "2026-3", "26-03", "2026-00", "march"):
        with pytest.raises(InvalidValue, match="--period"):
            Period.parse(bad, field="--period")


def test_pieces_cut_the_period_where_a_family_changes_its_rules(rule_base: RuleBase) -> None:
    ends, begins = date(2026, 3, 10), date(2026, 3, 20)
    changed = RuleBase(
        replace(r, end=ends) if r.family == "sex"
        else replace(r, begin=begins) if r.family == "age" else r
        for r in rule_base
    )  # fmt: skip
    with DuckDBBatch(changed) as duck:
        pieces = plan_pieces(duck.compiled, PERIOD, Moment.AFTER)
    by_family: dict[str, list[tuple[date, date]]] = {}
    for piece in pieces:
        for family in piece.families:
            by_family.setdefault(family, []).append((piece.first, piece.last))
    assert by_family["sex"] == [(PERIOD.first, ends)]
    assert by_family["age"] == [(begins, PERIOD.last)]
    assert by_family["frequency"] == [(PERIOD.first, PERIOD.last)]


def test_scopes_read_the_range_the_visits_or_the_history() -> None:
    piece = Piece(date(2026, 3, 1), date(2026, 3, 31), ())
    assert piece.where("line") == "fee_date BETWEEN DATE '2026-03-01' AND DATE '2026-03-31'"
    assert "visit_end >= DATE '2026-03-01'" in (piece.where("visit") or "")
    assert piece.where("history") == "fee_date <= DATE '2026-03-31'"


def test_only_the_period_is_reported_and_history_is_read(
    month: FactFiles, rule_base: RuleBase
) -> None:
    with DuckDBBatch(rule_base) as duck:
        result = run_batch(duck, month, PERIOD)
    assert result.lines == 5_000 and not result.failures
    assert all(PERIOD.first <= f.fee_date <= PERIOD.last for f in result.findings)
    # a stay admitted in February and still there in March: its March lines are found
    assert any(f.mdtrt_id.startswith("V202602") for f in result.findings)
    assert result.group_by_seconds > 0 and result.ratio > 0


def test_a_rule_ending_inside_the_period_keeps_only_its_days(
    month: FactFiles, rule_base: RuleBase
) -> None:
    ends = date(2026, 3, 15)
    cut = RuleBase(replace(r, end=ends) if r.family == "sex" else r for r in rule_base)
    with DuckDBBatch(rule_base) as duck:
        whole = run_batch(duck, month, PERIOD)
    with DuckDBBatch(cut) as duck:
        part = run_batch(duck, month, PERIOD)
    sex = [f for f in whole.findings if f.family == "sex"]
    assert sex and any(f.fee_date > ends for f in sex)
    assert keys([f for f in part.findings if f.family == "sex"]) == keys(
        [f for f in sex if f.fee_date <= ends]
    )
    assert keys([f for f in part.findings if f.family != "sex"]) == keys(
        [f for f in whole.findings if f.family != "sex"]
    )
    assert part.pieces == 2
