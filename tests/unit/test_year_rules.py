"""registry.year_rules: the demo enrolment rules load, and a broken file is refused by file and key."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from yibao.kernel.errors import NotFound, RejectedFile
from yibao.registry.coverage import CoverRule, EnrolmentReason, coverage_for
from yibao.registry.year_rules import (
    demo_enrolment_dir,
    load_year_rules,
    load_year_rules_file,
    rules_for,
)

DEMO = demo_enrolment_dir() / "990100" / "2026.toml"


def write(directory: Path, text: str, name: str = "990100/2026.toml") -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str, *, source: Path = DEMO) -> str:
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, 1)


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(RejectedFile) as caught:
        load_year_rules(directory)
    return [str(p) for p in caught.value.problems]


def test_the_demo_rules_load_for_both_years() -> None:
    book = load_year_rules(demo_enrolment_dir())
    assert sorted(book) == [("990100", 2025), ("990100", 2026)]
    y2025, y2026 = book[("990100", 2025)], book[("990100", 2026)]
    assert (y2025.premium.total, y2025.premium.personal, y2025.premium.subsidy) == (
        Decimal("580.00"),
        Decimal("210.00"),
        Decimal("370.00"),
    )
    assert (y2026.premium.total, y2026.premium.personal, y2026.premium.subsidy) == (
        Decimal("610.00"),
        Decimal("230.00"),
        Decimal("380.00"),
    )
    assert (y2026.window.first_day, y2026.window.last_day) == (date(2025, 9, 1), date(2025, 12, 31))
    assert (y2026.regular_start, y2026.half_year_from) == (date(2026, 1, 1), date(2026, 7, 1))
    assert (y2025.newborn_days, y2025.waiting_days, y2026.waiting_days) == (90, 0, 90)
    assert y2025.source == "990100/2025.toml" and "演示" in y2025.document


def test_the_demo_rules_give_the_seeds_newborn_cover() -> None:
    rules = rules_for(load_year_rules(demo_enrolment_dir()), region="990100", year=2025)
    cover = coverage_for(
        rules, reason=EnrolmentReason.NEWBORN, birth_date=date(2025, 8, 2), paid_on=date(2025, 9, 1)
    )
    assert (cover.rule, cover.start, cover.personal, cover.subsidy) == (
        CoverRule.NEWBORN,
        date(2025, 8, 2),
        Decimal("105.00"),
        Decimal("185.00"),
    )
    assert cover.basis.endswith("half year 105.00 (990100/2025.toml)")


def test_rules_for_an_unknown_year_names_what_is_known() -> None:
    with pytest.raises(NotFound) as caught:
        rules_for(load_year_rules(demo_enrolment_dir()), region="990100", year=2027)
    assert "region 990100, year 2027 (known: 990100/2025, 990100/2026)" in str(caught.value)


def test_a_total_that_is_not_personal_plus_subsidy_is_refused_by_key(tmp_path: Path) -> None:
    write(tmp_path, edited("total = 610", "total = 600"))
    assert problems_of(tmp_path) == [
        "990100/2026.toml, premium.total: 600.00 is not personal 230.00 + subsidy 380.00 = 610.00"
    ]


def test_an_unknown_key_is_refused_by_key(tmp_path: Path) -> None:
    write(tmp_path, edited("waiting_days = 90", "waiting_days = 90\ngrace_days = 3"))
    assert problems_of(tmp_path) == ["990100/2026.toml, grace_days: Extra inputs are not permitted"]


def test_a_bad_date_is_refused_by_key(tmp_path: Path) -> None:
    write(tmp_path, edited("regular_start = 2026-01-01", 'regular_start = "2026-02-30"'))
    [problem] = problems_of(tmp_path)
    assert problem.startswith("990100/2026.toml, regular_start: ")
    assert "date" in problem


def test_a_date_toml_itself_cannot_read_is_refused_by_file(tmp_path: Path) -> None:
    write(tmp_path, edited("first_day = 2025-09-01", "first_day = 2025-09-31"))
    [problem] = problems_of(tmp_path)
    assert problem.startswith("990100/2026.toml: not valid TOML")


def test_a_date_outside_the_year_is_refused_by_key(tmp_path: Path) -> None:
    write(tmp_path, edited("half_year_from = 2026-07-01", "half_year_from = 2025-07-01"))
    assert problems_of(tmp_path) == [
        "990100/2026.toml, half_year_from: 2025-07-01 is not after 1 January 2026"
    ]


def test_amounts_with_three_decimals_and_missing_keys_are_all_reported(tmp_path: Path) -> None:
    text = edited("personal = 230", "personal = 230.001").replace("newborn_days = 90\n", "")
    write(tmp_path, text)
    problems = problems_of(tmp_path)
    assert len(problems) == 2
    assert "990100/2026.toml, newborn_days: Field required" in problems
    assert any(p.startswith("990100/2026.toml, premium.personal: ") for p in problems)


def test_every_broken_file_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, edited("total = 610", "total = 600"))
    demo_2025 = demo_enrolment_dir() / "990100" / "2025.toml"
    write(
        tmp_path,
        edited("newborn_days = 90", "newborn_days = -1", source=demo_2025),
        "990100/2025.toml",
    )
    problems = problems_of(tmp_path)
    assert len(problems) == 2
    assert problems[0].startswith("990100/2025.toml, newborn_days: ")
    assert problems[1].startswith("990100/2026.toml, premium.total: ")


def test_a_file_named_for_another_year_or_region_is_refused(tmp_path: Path) -> None:
    write(tmp_path, DEMO.read_text(encoding="utf-8"), name="990200/2025.toml")
    assert problems_of(tmp_path) == [
        "990200/2025.toml, year: 2026 but the file is named 2025.toml",
        "990200/2025.toml, region: 990100 but the file is in 990200/",
    ]


def test_two_files_for_one_region_and_year_are_refused(tmp_path: Path) -> None:
    write(tmp_path, DEMO.read_text(encoding="utf-8"))
    write(tmp_path, DEMO.read_text(encoding="utf-8"), name="990100/copy/rules.toml")
    assert problems_of(tmp_path) == [
        "990100/copy/rules.toml: region 990100 year 2026 is also in 990100/2026.toml"
    ]


def test_a_single_file_loads_and_a_missing_directory_is_not_found(tmp_path: Path) -> None:
    rules = load_year_rules_file(DEMO, name="demo.toml")
    assert (rules.region, rules.year, rules.source) == ("990100", 2026, "demo.toml")
    with pytest.raises(NotFound):
        load_year_rules(tmp_path / "absent")
    with pytest.raises(NotFound):
        load_year_rules(tmp_path)
