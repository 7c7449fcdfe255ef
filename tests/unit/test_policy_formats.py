"""policy.formats and policy.model: what a policy file may say, and how versions are chosen."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from yibao.kernel.errors import RejectedFile, SettlementRefused
from yibao.kernel.tiers import HospitalTier
from yibao.policy.formats import load_policy_file, parse_policy
from yibao.policy.service import demo_policy_dir, load_policy_book

DEMO = demo_policy_dir() / "990100" / "2026.toml"


def demo_raw() -> dict[str, Any]:
    return tomllib.loads(DEMO.read_text(encoding="utf-8"), parse_float=Decimal)


def problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(RejectedFile) as caught:
        parse_policy(raw, source="p.toml")
    return [f"{p.column}: {p.reason}" for p in caught.value.problems]


def test_the_demo_policy_reads_as_exact_decimals_with_clauses() -> None:
    policy = load_policy_file(DEMO, name="990100/2026.toml")
    care = policy.plan("310").care_for("21")
    first = care.segments(HospitalTier.TIER3)[0]
    assert first.ratio == Decimal("0.85") and str(first.clause).endswith("ratios.tier3[0]")
    assert policy.plan("390").layers[0].segments[0].lower == Decimal("10000.00")


def test_a_layer_cannot_reuse_a_fund_another_step_pays() -> None:
    raw = demo_raw()
    raw["plans"]["310"]["layers"].append(dict(raw["plans"]["310"]["layers"][0]))
    assert any("layers[1].fund: 330100 is already paid" in p for p in problems(raw))
    raw = demo_raw()
    raw["plans"]["390"]["layers"][0]["fund"] = "390100"
    assert any("layers[0].fund: 390100 is already paid" in p for p in problems(raw))


def test_a_per_admission_deductible_must_count_admissions() -> None:
    raw = demo_raw()
    raw["plans"]["310"]["care"]["outpatient"]["deductible"] = {
        "kind": "per_admission",
        "tier3": [100, 0],
        "tier2": [1],
        "tier1": [1],
        "primary": [1],
    }
    assert any("per_admission needs counts_admission" in p for p in problems(raw))


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    raw = demo_raw()
    raw["plans"]["310"]["annual_cap"] = -1
    raw["plans"]["390"]["care"]["inpatient"]["ratios"]["tier2"][0]["ratio"] = Decimal("2")
    found = problems(raw)
    assert len(found) == 2
    assert found[0].startswith("plans.310.annual_cap")


def test_a_number_too_long_to_read_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text(
        DEMO.read_text(encoding="utf-8").replace(
            "annual_cap = 200000", "annual_cap = " + "9" * 5000
        ),
        encoding="utf-8",
    )
    with pytest.raises(RejectedFile, match="not a usable TOML document"):
        load_policy_file(path)


def test_the_version_in_force_is_chosen_by_date() -> None:
    book = load_policy_book(directory=demo_policy_dir())
    assert book.in_force("990100", date(2025, 12, 31)).version == "2025"
    assert book.in_force("990100", date(2026, 1, 1)).version == "2026"
    with pytest.raises(SettlementRefused, match="no policy of region 990100 is in force on 2024"):
        book.in_force("990100", date(2024, 6, 1))
