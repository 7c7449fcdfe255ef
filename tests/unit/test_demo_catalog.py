"""The demo catalogue of 示范市 (990100): up to date with its tool, loadable, and its roles hold.

The other demo regions' catalogues and institutions are tested in ``test_demo_regions.py``.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from yibao.catalog.model import CatalogEntry
from yibao.catalog.service import CatalogData, demo_store
from yibao.kernel.codes import ChrgitmLv, ListType
from yibao.kernel.tiers import HospitalTier

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "build_demo_catalog.py"
README = ROOT / "src" / "yibao" / "demo" / "data" / "catalog" / "README.md"
DAY = date(2026, 3, 10)
DRUGS = {ListType.WESTERN_MEDICINE, ListType.CHINESE_PATENT_MEDICINE}
A, B, C = ChrgitmLv.CLASS_A, ChrgitmLv.CLASS_B, ChrgitmLv.CLASS_C


@cache
def demo() -> CatalogData:
    return demo_store().load()


def entries() -> dict[str, CatalogEntry]:
    return dict(demo().catalogs["990100"].at(DAY))


def role_rows() -> list[dict[str, str]]:
    """The role table of the README as dicts, one per role."""
    text = README.read_text(encoding="utf-8").split("## Codes for golden tests", 1)[1]
    text = text.split("\n## ", 1)[0]
    table = [line for line in text.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True))
            for line in table[1:]]  # fmt: skip


ROLES: dict[str, Callable[[CatalogEntry], bool]] = {
    "drug_a": lambda e: (e.list_type in DRUGS and e.chrgitm_lv is A and not e.price_ceilings
                         and not e.restricted),
    "drug_b10": lambda e: (e.list_type in DRUGS and e.chrgitm_lv is B
                           and e.selfpay_prop == Decimal("0.10") and not e.price_ceilings
                           and not e.restricted),
    "drug_b20": lambda e: (e.list_type in DRUGS and e.chrgitm_lv is B
                           and e.selfpay_prop == Decimal("0.20") and not e.restricted),
    "drug_c": lambda e: e.list_type in DRUGS and e.chrgitm_lv is C and not e.restricted,
    "drug_restricted": lambda e: e.list_type in DRUGS and e.restricted and bool(e.restriction),
    "item_a_ceiling": lambda e: (e.list_type is ListType.SERVICE_ITEM and e.chrgitm_lv is A
                                 and e.ceiling(HospitalTier.TIER3) is not None),
    "item_b_ceilings": lambda e: (e.list_type is ListType.SERVICE_ITEM and e.chrgitm_lv is B
                                  and len(e.price_ceilings) == 4),
    "item_c": lambda e: e.list_type is ListType.SERVICE_ITEM and e.chrgitm_lv is C,
}  # fmt: skip


def test_the_files_are_what_the_tool_generates() -> None:
    result = subprocess.run(
        [sys.executable, str(TOOL), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_demo_store_loads_with_at_least_a_thousand_entries() -> None:
    data = demo()
    assert set(data.catalogs) == {"990100", "990200", "980100"}
    everything = data.catalogs["990100"].entries()
    assert len(everything) >= 1000
    assert all(e.demo and e.admdvs == "990100" for e in everything)
    assert {e.list_type for e in everything} == {*DRUGS, ListType.SERVICE_ITEM,
                                                 ListType.MEDICAL_MATERIAL}  # fmt: skip


def test_the_readme_lists_every_role_once() -> None:
    assert sorted(row["role"] for row in role_rows()) == sorted(ROLES)


@pytest.mark.parametrize("row", role_rows(), ids=lambda row: row["role"])
def test_each_role_code_exists_with_the_stated_properties(row: dict[str, str]) -> None:
    entry = entries()[row["code"]]
    assert ROLES[row["role"]](entry), entry
    assert entry.name == row["name"]
    assert (entry.list_type, entry.chrgitm_lv) == (row["list_type"], row["chrgitm_lv"])
    assert entry.selfpay_prop == Decimal(row["selfpay_prop"])
    for tier in HospitalTier:
        stated = row[tier.value]
        assert entry.ceiling(tier) == (None if stated == "-" else Decimal(stated))
    assert entry.restricted == (row["lmt_used_flag"] == "1")


def test_class_mix_ceilings_and_shares_look_like_the_brief() -> None:
    everything = list(entries().values())
    share = Counter(e.chrgitm_lv for e in everything)
    assert 0.45 < share[A] / len(everything) < 0.55
    assert 0.35 < share[B] / len(everything) < 0.45
    assert 0.07 < share[C] / len(everything) < 0.13
    assert all(e.selfpay_prop == 0 for e in everything if e.chrgitm_lv is A)
    assert {e.selfpay_prop for e in everything if e.chrgitm_lv is B} == {
        Decimal(v) for v in ("0.05", "0.10", "0.15", "0.20")
    }
    with_ceiling = [e for e in everything if e.price_ceilings]
    assert 0.25 < len(with_ceiling) / len(everything) < 0.35
    for e in with_ceiling:
        values = [e.price_ceilings[tier] for tier in HospitalTier]  # every tier has one
        assert values == sorted(values, reverse=True), e.code  # tier3 ≥ tier2 ≥ tier1 ≥ primary
        assert all(v.as_tuple().exponent == -2 for v in values)  # two decimals


def test_codes_are_real_except_the_marked_materials() -> None:
    # seed 003's entries with no national code in the shared data are marked 示例编码
    marked = [e for e in entries().values() if "示例编码" in e.name]
    assert len(marked) == 7
    everything = [e for e in entries().values() if "示例编码" not in e.name]
    materials = [e for e in everything if e.list_type is ListType.MEDICAL_MATERIAL]
    assert len(materials) == 5 and all("(演示耗材)" in e.name for e in materials)
    assert not any(e.code.startswith("DEMO") for e in everything)
    assert all(e.code[0] == "X" for e in everything if e.list_type is ListType.WESTERN_MEDICINE)
    assert all(
        len(e.code) == 15 and e.code.isdigit()
        for e in everything
        if e.list_type is ListType.SERVICE_ITEM
    )
    restricted = [e for e in everything if e.restricted]
    assert restricted and all(e.restriction.startswith("限定") for e in restricted)


def test_every_institution_tier_is_present() -> None:
    institutions = [i for i in demo().institutions.values() if i.admdvs == "990100"]
    assert len(institutions) == 8
    assert {i.tier for i in institutions} == set(HospitalTier)
    assert {i.kind for i in institutions} == {"hospital", "primary", "pharmacy"}
    assert all(i.demo for i in institutions)


def test_the_mapping_of_the_first_hospital_points_into_the_catalogue() -> None:
    mappings = demo().mappings
    assert len(mappings) == 50
    assert {m.fixmedins_code for m in mappings} == {"H99010000001"}
    assert all(m.med_list_codg in entries() for m in mappings)
    assert {row["code"] for row in role_rows()} <= {m.med_list_codg for m in mappings}
