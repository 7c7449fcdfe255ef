"""The three demo regions (issue E, 异地就医): catalogues, institutions, policies and population.

示范市 990100 and 示范二市 990200 share the invented province 99; 邻省市 980100 is in province 98.
The codes that differ between the regions' catalogues are documented in the catalogue README;
these tests read that table as test writers will and check it against the shipped files.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from yibao.catalog.model import CatalogEntry
from yibao.catalog.service import CatalogData, demo_store
from yibao.demo.generate import generate_visit
from yibao.demo.load import REGIONS
from yibao.demo.population import demo_population
from yibao.kernel.codes import ChrgitmLv, InsuType
from yibao.kernel.tiers import HospitalTier
from yibao.policy.model import CareType, PolicyBook
from yibao.policy.service import demo_policy_dir, load_policy_book

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "src" / "yibao" / "demo" / "data" / "catalog" / "README.md"
DAY = date(2026, 3, 10)
OTHERS = ("990200", "980100")
LONG_TERM = ("retiree_resettled", "long_term_residence", "posted_worker")
TEMPORARY = ("referral", "emergency", "other_temporary")
#: the institutions of each region that are not enabled for cross-region direct settlement
NOT_ENABLED = {"990100": "H99010000005", "990200": "H99020000003", "980100": "H98010000003"}


@cache
def demo() -> CatalogData:
    return demo_store().load()


@cache
def book() -> PolicyBook:
    return load_policy_book(directory=demo_policy_dir())


def listed(region: str) -> dict[str, CatalogEntry]:
    return dict(demo().catalogs[region].at(DAY))


def readme_table(section: str, after: str = "") -> list[dict[str, str]]:
    """The first table of a README section (after the line starting ``after``), as dicts."""
    text = README.read_text(encoding="utf-8").split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    if after:
        text = text.split(after, 1)[1]
    lines = text.strip().splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("| "))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip("|").split("|")])
    header, rows = table[0], table[2:]
    return [dict(zip(header, row, strict=True)) for row in rows]


def cell(entry: CatalogEntry | None) -> str:
    """An entry as the README writes it: class, 乙类 share, tier-3 ceiling; absent: a dash."""
    if entry is None:
        return "— (absent)"
    text = f"{entry.chrgitm_lv} {entry.chrgitm_lv.label}"
    if entry.chrgitm_lv is ChrgitmLv.CLASS_B:
        text += f" {entry.selfpay_prop}"
    tier3 = entry.ceiling(HospitalTier.TIER3)
    return text + ("" if tier3 is None else f", tier3 ≤ {tier3}")


def column(region: str) -> str:
    return f"{region} {REGIONS[region]}"


# ---------------------------------------------------------------------------------- catalogues


def test_three_regions_are_loaded_each_with_its_catalogue() -> None:
    assert REGIONS == {"990100": "示范市", "990200": "示范二市", "980100": "邻省市"}
    assert set(demo().catalogs) == set(REGIONS)
    sizes = {region: len(listed(region)) for region in REGIONS}
    assert sizes == {"990100": 14939, "990200": 14938, "980100": 14938}
    for region in REGIONS:
        assert all(e.admdvs == region and e.demo for e in demo().catalogs[region].entries())
    # same invented province for 990200 (省内异地), another one for 980100 (跨省异地)
    assert [region[:2] for region in REGIONS] == ["99", "99", "98"]


@pytest.mark.parametrize("region", OTHERS)
def test_other_regions_draw_their_own_classes_shares_and_ceilings(region: str) -> None:
    home, other = listed("990100"), listed(region)
    shared = [code for code in other if code in home]
    differ = [code for code in shared if cell(home[code]) != cell(other[code])]
    assert len(differ) > len(shared) / 2  # most values are drawn anew
    levels = Counter(e.chrgitm_lv for e in other.values())
    assert 0.45 < levels[ChrgitmLv.CLASS_A] / len(other) < 0.55
    assert 0.35 < levels[ChrgitmLv.CLASS_B] / len(other) < 0.45
    assert 0.07 < levels[ChrgitmLv.CLASS_C] / len(other) < 0.13
    assert all(e.selfpay_prop == 0 for e in other.values() if e.chrgitm_lv is ChrgitmLv.CLASS_A)
    assert 0.25 < sum(bool(e.price_ceilings) for e in other.values()) / len(other) < 0.35
    # restrictions come from the national rules, not the region: the same in every region
    assert all(e.restricted == home[e.code].restricted for e in other.values() if e.code in home)


def test_the_readme_table_of_differing_codes_matches_the_catalogues() -> None:
    rows = readme_table("Codes that differ between regions")
    catalogues = {region: listed(region) for region in REGIONS}
    everywhere = set.intersection(*(set(c) for c in catalogues.values()))
    somewhere = set.union(*(set(c) for c in catalogues.values()))
    assert sorted(row["code"] for row in rows) == sorted(somewhere - everywhere)
    for row in rows:
        for region, entries in catalogues.items():
            assert row[column(region)] == cell(entries.get(row["code"])), (row["code"], region)


@pytest.mark.parametrize(
    ("present", "absent"),
    [(a, b) for a in REGIONS for b in REGIONS if a != b],
    ids=lambda region: region,
)
def test_some_code_is_in_one_regions_catalogue_and_not_in_the_other(
    present: str, absent: str
) -> None:
    rows = readme_table("Codes that differ between regions")
    found = [
        row["code"]
        for row in rows
        if row[column(present)] != "— (absent)" and row[column(absent)] == "— (absent)"
    ]
    assert found, f"no documented code listed by {present} and not by {absent}"
    assert all(code in listed(present) and code not in listed(absent) for code in found)


def test_each_other_region_leaves_out_three_real_codes_and_adds_two_local_ones() -> None:
    home = listed("990100")
    for region in OTHERS:
        entries = listed(region)
        left_out = sorted(set(home) - set(entries))
        local = sorted(set(entries) - set(home))
        assert len(left_out) == 3
        assert all(home[code].chrgitm_lv is ChrgitmLv.CLASS_A for code in left_out)
        assert local == [f"L{region}00001", f"L{region}00002"]
        assert all("(演示" in entries[code].name for code in local)
    absent_somewhere = [set(home) - set(listed(region)) for region in OTHERS]
    assert not set.intersection(*absent_somewhere)  # the two regions leave out other codes


def test_the_role_codes_of_every_region_are_as_documented() -> None:
    rows = readme_table("Codes that differ between regions", after="The role codes in every")
    assert len(rows) == 8
    for row in rows:
        for region in REGIONS:
            assert row[column(region)] == cell(listed(region).get(row["code"])), row["role"]
    home = {row["role"]: row["990100 示范市"] for row in rows}
    assert home["item_a_ceiling"] == "01 甲类, tier3 ≤ 50.00"
    assert any(row["990100 示范市"] != row["990200 示范二市"] for row in rows)
    assert any(row["990100 示范市"] != row["980100 邻省市"] for row in rows)


# -------------------------------------------------------------------------------- institutions


@pytest.mark.parametrize("region", list(REGIONS))
def test_each_region_has_its_institutions_one_not_enabled_for_remote_settlement(
    region: str,
) -> None:
    found = {c: i for c, i in demo().institutions.items() if i.admdvs == region}
    assert len(found) == (8 if region == "990100" else 5)
    assert all(code[1:7] == region and i.demo for code, i in found.items())
    assert [c for c, i in found.items() if not i.remote_enabled] == [NOT_ENABLED[region]]
    kinds = Counter(i.kind for i in found.values())
    assert kinds["pharmacy"] == 1 and kinds["hospital"] >= 3
    assert f"P{region}00001" in found
    assert len({i.hosp_lv for i in found.values()}) >= 4  # of various levels


def test_the_readme_lists_every_institution_with_its_flag() -> None:
    rows = readme_table("Regions")
    institutions = demo().institutions
    assert sorted(row["fixmedins_code"] for row in rows) == sorted(institutions)
    for row in rows:
        institution = institutions[row["fixmedins_code"]]
        assert row["remote_enabled"] == str(int(institution.remote_enabled))
        assert row["admdvs"] == institution.admdvs


# ------------------------------------------------------------------------------------ policies


@pytest.mark.parametrize("region", list(REGIONS))
@pytest.mark.parametrize("day", [date(2025, 6, 1), date(2026, 6, 1)], ids=["2025", "2026"])
def test_every_regions_policy_loads_with_all_six_reductions(region: str, day: date) -> None:
    policy = book().in_force(region, day)
    assert policy.region_name == REGIONS[region] and policy.version == str(day.year)
    assert set(policy.plans) == {"310", "390"}
    rules = policy.out_of_area
    assert rules is not None
    assert set(rules.reductions) == {*LONG_TERM, *TEMPORARY}
    assert all(isinstance(v, Decimal) for v in rules.reductions.values())
    assert all(rules.reduction(kind) == 0 for kind in LONG_TERM)
    assert rules.reduction("referral") == rules.reduction("emergency") == Decimal("0.10")
    other = Decimal("0.15") if region == "980100" else Decimal("0.20")
    assert rules.reduction("other_temporary") == other
    assert Decimal("0") < rules.floor_ratio < Decimal("1")


def test_the_regions_policies_differ() -> None:
    day = date(2026, 6, 1)
    employees, residents = InsuType("310"), InsuType("390")
    caps = {region: book().in_force(region, day).plans[employees].annual_cap for region in REGIONS}
    assert caps == {"990100": Decimal("200000"), "990200": Decimal("180000"),
                    "980100": Decimal("250000")}  # fmt: skip
    deductibles = {
        region: book().in_force(region, day).plans[residents].care[CareType.INPATIENT].deductible
        for region in REGIONS
    }
    tier3 = {region: d.by_tier[HospitalTier.TIER3][0] for region, d in deductibles.items()}
    assert tier3 == {"990100": Decimal("1200"), "990200": Decimal("1000"),
                     "980100": Decimal("1500")}  # fmt: skip
    assert len(book().policies) == 6


# ---------------------------------------------------------------------------------- population


def test_the_population_appends_persons_insured_in_the_other_regions() -> None:
    population = demo_population(1200)
    regions = Counter(e.insuplc_admdvs for e in population.enrolments)
    assert regions == {"990100": 1200, "990200": 60, "980100": 60}
    first = population.enrolments[:1200]
    assert all(e.insuplc_admdvs == "990100" for e in first)
    assert population.people[0].psn_no == "99010000000001"
    for person, enrolment in zip(population.people, population.enrolments, strict=True):
        region = enrolment.insuplc_admdvs
        assert person.psn_no.startswith(region) and person.certno.startswith(region[:4])
        if enrolment.insutype == "310":
            assert enrolment.emp_no == f"E{region}000001"
    assert len({p.certno for p in population.people}) == len(population.people)
    assert demo_population(1200) == population  # deterministic


def test_the_other_regions_do_not_change_the_first_regions_persons() -> None:
    small, large = demo_population(1000), demo_population(1200)
    assert large.people[:1000] == small.people[:1000]
    assert large.enrolments[:1000] == small.enrolments[:1000]
    assert len(small.people) == 1100


def test_a_generated_visit_is_local_unless_told_otherwise() -> None:
    institution = demo().institutions["H98010000001"]
    catalog = listed("980100")
    codes = sorted(catalog)[:50]
    visit = generate_visit(random.Random(1), number=1, catalog=catalog, codes=codes,
                           institution=institution, lines=3, day=DAY)  # fmt: skip
    assert visit.person.insuplc_admdvs == "980100" == visit.mdtrtarea_admvs
    away = generate_visit(random.Random(1), number=2, catalog=catalog, codes=codes,
                          institution=institution, lines=3, day=DAY,
                          insuplc_admdvs="990100")  # fmt: skip
    assert (away.person.insuplc_admdvs, away.mdtrtarea_admvs) == ("990100", "980100")
