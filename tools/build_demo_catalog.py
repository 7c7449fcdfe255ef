"""Build the demo catalogues of the three demo regions from the shipped rule-library CSVs.

The codes and names are real: every distinct national drug code of the drug rule files (sheet2,
国标代码 / 药品代码 with 药品通用名) and every service-item code with a name in the item rule files
of ``data/two_libraries/csv/``. Everything else is a DEMO VALUE derived from ``sha256`` of the
code, so the output is the same on every run: the class (≈50% 甲类, 40% 乙类, 10% 丙类), the
self-pay share, the price ceilings of ~30% of the entries, the fee type of items. Drugs of the
限定… rule files are restricted (``lmt_used_flag`` 1) with the rule's restriction as text. Eight
chosen codes get forced values so that golden tests can rely on one code per role, and five
invented materials (演示耗材) are added, since the shared data has no material codes.

The regions are 示范市 990100, 示范二市 990200 (same invented province 99) and 邻省市 980100
(invented province 98), for out-of-area care (异地就医). 990100's rows are the ones described
above. 990200 and 980100 list the same codes with values drawn with the region in the hash (so
classes, shares and ceilings differ), except a few documented codes: three real codes of 990100
each of them leaves out (ABSENT_PICKS, chosen by hash), and two invented local entries each
(LOCAL_ENTRIES: a 地方项目 service item and a 自制剂) that no other region lists.

Writes ``src/yibao/demo/data/catalog/`` (catalog.csv, institutions.csv, mapping.csv, README.md)::

    python tools/build_demo_catalog.py          # (re)write the files and print the role table
    python tools/build_demo_catalog.py --check  # exit 1 if regenerating would change a file
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from yibao.catalog.formats import FileKind, write_catalog_csv
from yibao.catalog.model import CatalogEntry, Institution, MappingEntry
from yibao.kernel.codes import ChrgitmLv, HospLv, ListType, MedChrgitmType
from yibao.kernel.tiers import HospitalTier

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "data" / "two_libraries" / "csv"
OUTPUT = ROOT / "src" / "yibao" / "demo" / "data" / "catalog"
REGION = "990100"  # the first demo region: its rows are drawn with the unsalted hash
#: every demo region; the catalogue README and the tests name them
REGIONS = {"990100": "示范市", "990200": "示范二市", "980100": "邻省市"}
OTHER_REGIONS = ("990200", "980100")
BEGIN = date(2024, 1, 1)
HOSPITAL = "H99010000001"
MAPPED = 50

# Item rule files: (file, ((name column, code column), ...)).
ITEM_SOURCES = (
    ("【第一批】项目规则库(限定年龄对象).sheet1.csv", (("项目名称", "国标代码"),)),
    ("【第一批】项目规则库(限定性别对象).sheet1.csv", (("项目名称", "国标代码"),)),
    (
        "【第七批】项目规则库（重复收费）.sheet1.csv",
        (("主项名称", "主项编码"), ("从项名称", "从项编码")),
    ),
    ("【第二批】项目规则库（限定主次操作）.sheet1.csv", (("项目名称", "国标代码"),)),
    ("【第八批-1】项目规则库（限定频次）.sheet1.csv", (("项目名称", "项目编码"),)),
    ("【第八批-2】项目规则库（限定年龄）.sheet1.csv", (("项目名称", "项目代码"),)),
    ("【第八批-3】项目规则库（限定疗程）.sheet1.csv", (("项目名称", "项目代码"),)),
    ("【第八批-4】项目规则库（限定周期）.sheet1.csv", (("项目名称", "项目代码"),)),
)
# Item fee type (med_chrgitm_type) by a word of the name, first match wins, then by chapter.
ITEM_WORDS = (
    ("床位", "01"),
    ("诊查", "02"),
    ("监护", "07"),
    ("护理", "07"),
    ("术", "06"),
    ("检查", "03"),
    ("造影", "03"),
    ("化验", "04"),
    ("测定", "04"),
)
ITEM_CHAPTERS = {"21": "03", "22": "03", "23": "03", "25": "04", "26": "04", "27": "04", "33": "06"}
B_SHARES = (Decimal("0.05"), Decimal("0.10"), Decimal("0.15"), Decimal("0.20"))
MATERIALS = (
    "一次性使用无菌注射器",
    "一次性使用输液器",
    "医用脱脂纱布",
    "一次性使用导尿管",
    "冠状动脉药物洗脱支架",
)


@dataclass(frozen=True)
class Role:
    """A code that golden tests rely on, with the values the tool forces on it."""

    key: str
    label: str
    code: str
    chrgitm_lv: ChrgitmLv
    selfpay_prop: str
    ceiling_tier3: str | None = None  # lower tiers get 90%, 80% and 70% of it
    restricted: bool = False


A, B, C = ChrgitmLv.CLASS_A, ChrgitmLv.CLASS_B, ChrgitmLv.CLASS_C
ROLES = (
    Role("drug_a", "甲类药品，无限价", "XG01AFK079A008010100225", A, "0"),
    Role("drug_b10", "乙类药品，先行自付 0.10，无限价", "ZA14AAX0455010100286", B, "0.10"),
    Role("drug_b20", "乙类药品，先行自付 0.20", "XB05BAF150B002010100269", B, "0.20"),
    Role("drug_c", "丙类药品", "XG04BET001A001010100299", C, "0"),
    Role(
        "drug_restricted",
        "限制使用药品（乙类 0.10）",
        "ZA12CAD0073010100142",
        B,
        "0.10",
        restricted=True,
    ),
    Role("item_a_ceiling", "甲类诊疗项目，有三级限价", "001109000010000", A, "0", "50.00"),
    Role("item_b_ceilings", "乙类诊疗项目，有限价", "002503020030000", B, "0.10", "60.00"),
    Role("item_c", "丙类诊疗项目", "003105120040000", C, "0"),
)


@dataclass(frozen=True)
class SeedEntry:
    """An entry seed 003's audit deductions name (src/yibao/audit/rulebase/seed/).

    ``origin`` says where the code comes from; ``price`` is the unit price the replay tests bill
    (the seed's where it gives one, otherwise a demo price); both appear in the README only.
    """

    code: str
    name: str
    list_type: ListType
    fee_type: str
    chrgitm_lv: ChrgitmLv
    selfpay_prop: str
    restriction: str
    origin: str
    price: str


_WEST, _PATENT = ListType.WESTERN_MEDICINE, ListType.CHINESE_PATENT_MEDICINE
_ITEM, _MATERIAL = ListType.SERVICE_ITEM, ListType.MEDICAL_MATERIAL
_EXAMPLE = "示例编码 (the shared data has no code for it; as docs/audit-examples)"
_SEED_PRICE = "seed 003"
_DEMO_PRICE = "demo"
#: every drug and item of seed 003's deduction cases; an entry already drawn from the rule files
#: (the 中药注射剂, ECT, 急诊监护费 …) keeps its drawn values and is listed here only when missing
SEED_ENTRIES = (
    SeedEntry("XB05AAR001B002010100000", "人血白蛋白（示例编码）", _WEST, "09", B, "0.10",
              "限抢救、重症或因肝硬化、癌症引起胸腹水且白蛋白低于30g/L的患者", _EXAMPLE,
              "demo 380.00/瓶"),
    SeedEntry("XJ01XXD050B001010100000", "注射用达托霉素（示例编码）", _WEST, "09", B, "0.10",
              "限有证据支持的金黄色葡萄球菌菌血症", _EXAMPLE, "seed 7650.00 = 15 × 510.00"),
    SeedEntry("XJ01XXL061A001010100000", "利奈唑胺片（示例编码）", _WEST, "09", B, "0.10",
              "限万古霉素治疗不可耐受的感染", _EXAMPLE, "seed 2573.00 = 10 × 257.30"),
    SeedEntry("XH05BXX019A001010100000", "西那卡塞片（示例编码）", _WEST, "09", B, "0.10",
              "甲状旁腺功能亢进：病程记录及实验室指标须支持（seed 003）", _EXAMPLE,
              "seed 2423.00 = 1 × 2423.00"),
    SeedEntry("XN01ABQ045L017010100000", "七氟烷吸入剂（示例编码）", _WEST, "09", B, "0.10", "",
              _EXAMPLE, "seed 116.50 = 20 × 5.825"),
    SeedEntry("003206000010000", "经股动脉全脑动脉造影术", _ITEM, "03", A, "0", "",
              "seed 003: 编码 320600001 (national 00 + 320600001 + 0000)", "demo 1800.00"),
    SeedEntry("C02010000000000000000000000", "造影导丝（示例编码）", _MATERIAL, "08", B, "0.10",
              "", _EXAMPLE, "seed 252.00"),
    SeedEntry("003107020120000", "经十二指肠胆道取石术（31类，示例编码）", _ITEM, "06", A, "0",
              "", _EXAMPLE, "demo 1500.00"),
)  # fmt: skip


@dataclass(frozen=True)
class LocalEntry:
    """An invented entry one region lists and no other does (地方增补项目, 医疗机构自制剂).

    The code is ``L``, the region and five digits (like an institution code), the name ends in
    (演示地方项目) or (演示自制剂); values are fixed so tests know them: no restriction.
    """

    admdvs: str
    code: str
    name: str
    list_type: ListType
    fee_type: str
    chrgitm_lv: ChrgitmLv
    selfpay_prop: str
    ceiling_tier3: str | None


_PREPARATION = ListType.INSTITUTION_PREPARATION
LOCAL_ENTRIES = (
    LocalEntry("990200", "L99020000001", "中医定向透药疗法(演示地方项目)", _ITEM, "05", A, "0",
               "80.00"),
    LocalEntry("990200", "L99020000002", "清肺止咳合剂(演示自制剂)", _PREPARATION, "11", B, "0.10",
               None),
    LocalEntry("980100", "L98010000001", "远程会诊(演示地方项目)", _ITEM, "02", A, "0", "150.00"),
    LocalEntry("980100", "L98010000002", "黄芪益气口服液(演示自制剂)", _PREPARATION, "11", B,
               "0.15", None),
)  # fmt: skip
#: per other region, the list types of which it leaves out one real code of 990100: a code of
#: lowest hash (salt ``absent:<region>``) among 990100's 甲类 entries without ceiling or
#: restriction that are no role, seed, mapped or material code (see absent_codes)
ABSENT_PICKS = (_WEST, _PATENT, _ITEM)


def _read(name: str) -> list[dict[str, str]]:
    with (SOURCE / name).open(encoding="utf-8-sig", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _number(code: str, salt: str, modulus: int) -> int:
    digest = hashlib.sha256(f"{salt}:{code}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % modulus


def _yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def _ceilings(tier3_fen: int) -> dict[HospitalTier, Decimal]:
    shares = {
        HospitalTier.TIER3: 100,
        HospitalTier.TIER2: 90,
        HospitalTier.TIER1: 80,
        HospitalTier.PRIMARY: 70,
    }
    return {tier: _yuan(tier3_fen * share // 100) for tier, share in shares.items()}


RESTRICTING_BATCHES = ("限定机构等级", "限定就医方式")


def drug_sources() -> tuple[dict[str, str], dict[str, set[str]]]:
    """Name and restriction texts of every drug code of the drug rule files."""
    names: dict[str, str] = {}
    restrictions: dict[str, set[str]] = {}
    for sheet2 in sorted(p.name for p in SOURCE.glob("*药品规则库*.sheet2.csv")):
        rules = {}
        for rule in _read(sheet2.replace("sheet2", "sheet1")):
            value = rule.get("限定对象") or rule.get("限定值域") or ""
            rules[rule["药品通用名"]] = f"{rule['限定类型']}：{value}"
        # Only the payment-scope batches (institution level, care type) restrict use in the
        # catalogue's sense (限定支付范围); sex, age, insurance-type and duration limits are audit
        # rules (issue D), not catalogue restrictions.
        restricts = any(batch in sheet2 for batch in RESTRICTING_BATCHES)
        for row in _read(sheet2):
            code = row.get("国标代码") or row.get("药品代码") or ""
            if code and row["药品通用名"]:
                names[code] = min(names.get(code, row["药品通用名"]), row["药品通用名"])
                found = restrictions.setdefault(code, set())
                if restricts:
                    found.add(rules[row["药品通用名"]])
    return names, restrictions


def item_sources() -> dict[str, str]:
    """Name of every service-item code of the item rule files (the smallest name if several)."""
    names: dict[str, str] = {}
    for filename, pairs in ITEM_SOURCES:
        for row in _read(filename):
            for name_column, code_column in pairs:
                code, name = row[code_column], row[name_column]
                if code and name:
                    names[code] = min(names.get(code, name), name)
    return names


def demo_entry(
    code: str, name: str, list_type: ListType, fee_type: str, scope: str, *, region: str = REGION
) -> CatalogEntry:
    """One entry with demo values drawn from the code's hash (and the region's, but for 990100)."""
    prefix = "" if region == REGION else f"{region}:"
    draw = _number(code, f"{prefix}class", 100)
    level = A if draw < 50 else B if draw < 90 else C
    share = B_SHARES[_number(code, f"{prefix}share", 4)] if level is B else Decimal("0")
    ceilings = {}
    if _number(code, f"{prefix}ceiling", 100) < 30:
        top = {ListType.SERVICE_ITEM: 200_000, ListType.MEDICAL_MATERIAL: 500_000}
        ceilings = _ceilings(100 + _number(code, f"{prefix}price", top.get(list_type, 50_000)))
    return CatalogEntry(
        code=code,
        name=name,
        list_type=list_type,
        chrgitm_lv=level,
        med_chrgitm_type=MedChrgitmType(fee_type),
        admdvs=region,
        selfpay_prop=share,
        price_ceilings=ceilings,
        restricted=bool(scope),
        restriction=scope,
        begndate=BEGIN,
        enddate=None,
        demo=True,
    )


def item_fee_type(code: str, name: str) -> str:
    for word, fee_type in ITEM_WORDS:
        if word in name:
            return fee_type
    return ITEM_CHAPTERS.get(code[2:4], "05")


def build_entries() -> dict[str, CatalogEntry]:
    """Every demo entry by code, roles forced."""
    drugs, restrictions = drug_sources()
    entries = {}
    for code, name in drugs.items():
        list_type = (
            ListType.WESTERN_MEDICINE if code[0] == "X" else ListType.CHINESE_PATENT_MEDICINE
        )
        fee_type = "09" if code[0] == "X" else "11"
        scope = "；".join(sorted(restrictions[code]))
        entries[code] = demo_entry(code, name, list_type, fee_type, scope)
    for code, name in item_sources().items():
        entries[code] = demo_entry(code, name, ListType.SERVICE_ITEM, item_fee_type(code, name), "")
    for seed in SEED_ENTRIES:
        if seed.code not in entries:
            entries[seed.code] = replace(
                demo_entry(seed.code, seed.name, seed.list_type, seed.fee_type, seed.restriction),
                chrgitm_lv=seed.chrgitm_lv,
                selfpay_prop=Decimal(seed.selfpay_prop),
                price_ceilings={},
            )
    for number, name in enumerate(MATERIALS, start=1):
        code = f"C{REGION}{number:019d}"  # an invented code; the name says (演示耗材)
        entries[code] = demo_entry(code, f"{name}(演示耗材)", ListType.MEDICAL_MATERIAL, "08", "")
    for role in ROLES:
        entry = entries[role.code]  # a KeyError here means the source data changed
        ceilings = (
            {} if role.ceiling_tier3 is None else _ceilings(int(Decimal(role.ceiling_tier3) * 100))
        )
        entries[role.code] = replace(
            entry,
            chrgitm_lv=role.chrgitm_lv,
            selfpay_prop=Decimal(role.selfpay_prop),
            price_ceilings=ceilings,
            restricted=role.restricted,
            restriction=entry.restriction if role.restricted else "",
        )
    return entries


def region_entries(base: dict[str, CatalogEntry]) -> dict[str, dict[str, CatalogEntry]]:
    """Every region's entries by code: 990100's are ``base``; the others draw their own values.

    An other region lists every code of 990100 but its absent codes, with the class, share and
    ceilings drawn with the region in the hash (seed 003's entries keep their values: the audit
    replay relies on them), and its local entries.
    """
    seed = {entry.code for entry in SEED_ENTRIES}
    absent = absent_codes(base)
    regions = {REGION: base}
    for region in OTHER_REGIONS:
        entries = {}
        for code, entry in base.items():
            if code in absent[region]:
                continue
            entries[code] = (
                replace(entry, admdvs=region)
                if code in seed
                else demo_entry(
                    code, entry.name, entry.list_type, entry.med_chrgitm_type,
                    entry.restriction, region=region,
                )
            )  # fmt: skip
        for local in LOCAL_ENTRIES:
            if local.admdvs == region:
                entries[local.code] = local_entry(local)
        regions[region] = entries
    return regions


def absent_codes(base: dict[str, CatalogEntry]) -> dict[str, list[str]]:
    """Per other region, the real codes of 990100 it does not list (one per ABSENT_PICKS type)."""
    kept = {role.code for role in ROLES} | {entry.code for entry in SEED_ENTRIES}
    kept |= {m.med_list_codg for m in mappings(base)}
    candidates = [
        e
        for e in base.values()
        if e.code not in kept
        and e.chrgitm_lv is A
        and not e.restricted
        and not e.price_ceilings
        and e.list_type in ABSENT_PICKS
    ]
    taken: set[str] = set()
    absent: dict[str, list[str]] = {}
    for region in OTHER_REGIONS:
        picks = []
        salt = f"absent:{region}"
        for list_type in ABSENT_PICKS:
            ranked = (
                (_number(e.code, salt, 1 << 62), e.code)
                for e in candidates
                if e.list_type is list_type and e.code not in taken
            )
            code = min(ranked)[1]
            picks.append(code)
            taken.add(code)
        absent[region] = picks
    return absent


def local_entry(local: LocalEntry) -> CatalogEntry:
    ceilings = (
        {} if local.ceiling_tier3 is None else _ceilings(int(Decimal(local.ceiling_tier3) * 100))
    )
    return CatalogEntry(
        code=local.code,
        name=local.name,
        list_type=local.list_type,
        chrgitm_lv=local.chrgitm_lv,
        med_chrgitm_type=MedChrgitmType(local.fee_type),
        admdvs=local.admdvs,
        selfpay_prop=Decimal(local.selfpay_prop),
        price_ceilings=ceilings,
        restricted=False,
        restriction="",
        begndate=BEGIN,
        enddate=None,
        demo=True,
    )


#: code, name, level, kind, remote_enabled (异地联网定点: settles visits of persons insured in
#: another region directly); one institution per region is not enabled
INSTITUTIONS = {
    "990100": (
        ("H99010000001", "示范市第一人民医院", HospLv.TIER3_A, "hospital", True),
        ("H99010000002", "示范市中医院", HospLv.TIER3_B, "hospital", True),
        ("H99010000003", "示范市第二人民医院", HospLv.TIER2_A, "hospital", True),
        ("H99010000004", "示范市妇幼保健院", HospLv.TIER2_B, "hospital", True),
        ("H99010000005", "示范区人民医院", HospLv.TIER1_A, "hospital", False),
        ("H99010000006", "东城社区卫生服务中心", HospLv.UNGRADED, "primary", True),
        ("H99010000007", "南湖镇卫生院", HospLv.UNGRADED, "primary", True),
        ("P99010000001", "示范大药房", HospLv.UNGRADED, "pharmacy", True),
    ),
    "990200": (
        ("H99020000001", "示范二市人民医院", HospLv.TIER3_A, "hospital", True),
        ("H99020000002", "示范二市中心医院", HospLv.TIER2_A, "hospital", True),
        ("H99020000003", "示范二市城西医院", HospLv.TIER1_A, "hospital", False),
        ("H99020000004", "西山社区卫生服务中心", HospLv.UNGRADED, "primary", True),
        ("P99020000001", "示范二市大药房", HospLv.UNGRADED, "pharmacy", True),
    ),
    "980100": (
        ("H98010000001", "邻省市第一人民医院", HospLv.TIER3_A, "hospital", True),
        ("H98010000002", "邻省市中医医院", HospLv.TIER3_B, "hospital", True),
        ("H98010000003", "邻省市第二人民医院", HospLv.TIER2_B, "hospital", False),
        ("H98010000004", "东关镇卫生院", HospLv.UNGRADED, "primary", True),
        ("P98010000001", "邻省市大药房", HospLv.UNGRADED, "pharmacy", True),
    ),
}


def institutions() -> list[Institution]:
    return [
        Institution(code, name, level, region, kind, demo=True, remote_enabled=enabled)
        for region, rows in INSTITUTIONS.items()
        for code, name, level, kind, enabled in rows
    ]


def mappings(entries: dict[str, CatalogEntry]) -> list[MappingEntry]:
    """The role codes and the codes of lowest hash, up to MAPPED, as H99010000001's own codes."""
    chosen = {role.code for role in ROLES}
    seed = {entry.code for entry in SEED_ENTRIES}  # added later: the mapping stays as it was
    candidates = (code for code in entries if code not in seed)
    for code in sorted(candidates, key=lambda c: (_number(c, "mapping", 1 << 62), c)):
        if len(chosen) >= MAPPED:
            break
        chosen.add(code)
    return [
        MappingEntry(HOSPITAL, f"HIS-{n:04d}", code, BEGIN, None)
        for n, code in enumerate(sorted(chosen), start=1)
    ]


def role_table(entries: dict[str, CatalogEntry]) -> list[str]:
    lines = [
        "| role | 说明 | code | name | list_type | chrgitm_lv | selfpay_prop | "
        "tier3 | tier2 | tier1 | primary | lmt_used_flag |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for role in ROLES:
        e = entries[role.code]
        ceilings = [str(e.ceiling(tier) or "-") for tier in HospitalTier]
        lines.append(
            f"| {role.key} | {role.label} | {e.code} | {e.name} | {e.list_type} | "
            f"{e.chrgitm_lv} | {e.selfpay_prop} | {' | '.join(ceilings)} | "
            f"{int(e.restricted)} |"
        )
    return lines


def _stats(entries: dict[str, CatalogEntry]) -> str:
    values = list(entries.values())
    by_type = sorted(Counter(e.list_type for e in values).items())
    by_level = sorted(Counter(e.chrgitm_lv for e in values).items())
    return "; ".join(
        [
            f"{len(values)} entries: " + ", ".join(f"{k} {k.label} {n}" for k, n in by_type),
            ", ".join(f"{k} {k.label} {n}" for k, n in by_level),
            f"{sum(bool(e.price_ceilings) for e in values)} with price ceilings",
            f"{sum(e.restricted for e in values)} restricted (lmt_used_flag 1).",
        ]
    )


def _values(entry: CatalogEntry | None) -> str:
    """An entry's class, self-pay share and tier-3 ceiling in a table cell; absent: "—"."""
    if entry is None:
        return "— (absent)"
    text = f"{entry.chrgitm_lv} {entry.chrgitm_lv.label}"
    if entry.chrgitm_lv is B:
        text += f" {entry.selfpay_prop}"
    tier3 = entry.ceiling(HospitalTier.TIER3)
    return text + ("" if tier3 is None else f", tier3 ≤ {tier3}")


def difference_table(regions: dict[str, dict[str, CatalogEntry]]) -> list[str]:
    """The codes some region does not list, with their values where listed."""
    codes = [code for entries in regions.values() for code in entries]
    partial = sorted({c for c in codes if not all(c in entries for entries in regions.values())})
    heads = " | ".join(f"{admdvs} {REGIONS[admdvs]}" for admdvs in regions)
    lines = [f"| code | name | list_type | {heads} |", "|---|---|---|" + "---|" * len(regions)]
    for code in partial:
        listed = next(entries[code] for entries in regions.values() if code in entries)
        cells = " | ".join(_values(entries.get(code)) for entries in regions.values())
        lines.append(f"| {code} | {listed.name} | {listed.list_type} | {cells} |")
    return lines


def example(regions: dict[str, dict[str, CatalogEntry]]) -> str:
    """One sentence on which rows of the table matter for a visit from 990100 to 990200."""
    home, care = regions[REGION], regions[OTHER_REGIONS[0]]
    only_care = min(code for code in care if code not in home)
    only_home = min(code for code in home if code not in care)
    return (
        f"Example: a person insured in {REGION} treated in {OTHER_REGIONS[0]} settles by the "
        f"care region's catalogue (就医地目录): {only_care} ({care[only_care].name}) is listed "
        f"there and not at home, so it is paid; {only_home} ({home[only_home].name}) is "
        f"listed at home only, so it is not."
    )


def region_role_table(regions: dict[str, dict[str, CatalogEntry]]) -> list[str]:
    """The role codes' values in every region (forced in 990100, drawn elsewhere)."""
    heads = " | ".join(f"{admdvs} {REGIONS[admdvs]}" for admdvs in regions)
    lines = [f"| role | code | {heads} |", "|---|---|" + "---|" * len(regions)]
    for role in ROLES:
        cells = " | ".join(_values(entries.get(role.code)) for entries in regions.values())
        lines.append(f"| {role.key} | {role.code} | {cells} |")
    return lines


def readme(regions: dict[str, dict[str, CatalogEntry]]) -> str:
    entries = regions[REGION]
    listed = {code for region in regions.values() for code in region}
    shared = sum(all(code in region for region in regions.values()) for code in listed)
    differing = {
        region: sum(
            _values(entries[code]) != _values(other[code]) for code in other if code in entries
        )
        for region, other in regions.items()
        if region != REGION
    }
    per_region = "\n".join(
        f"- {admdvs} {REGIONS[admdvs]}: {_stats(region)}" for admdvs, region in regions.items()
    )
    drawn = " and ".join(f"{n} of {region}'s" for region, n in differing.items())
    return README.format(
        regions=per_region,
        institutions="\n".join(institution_table()),
        differences="\n".join(difference_table(regions)),
        example=example(regions),
        shared=shared,
        drawn=drawn,
        roles="\n".join(region_role_table(regions)),
        table="\n".join(role_table(entries)),
        seed="\n".join(seed_table(entries)),
    )


def institution_table() -> list[str]:
    lines = [
        "| fixmedins_code | fixmedins_name | admdvs | hosp_lv | kind | remote_enabled |",
        "|---|---|---|---|---|---|",
    ]
    for i in institutions():
        lines.append(
            f"| {i.fixmedins_code} | {i.fixmedins_name} | {i.admdvs} | {i.hosp_lv} "
            f"{i.hosp_lv.label} | {i.kind} | {int(i.remote_enabled)} |"
        )
    return lines


def seed_table(entries: dict[str, CatalogEntry]) -> list[str]:
    lines = [
        "| code | name | chrgitm_lv | lmt_used_scope | code from | price in the replay |",
        "|---|---|---|---|---|---|",
    ]
    for seed in SEED_ENTRIES:
        e = entries[seed.code]
        lines.append(
            f"| {e.code} | {e.name} | {e.chrgitm_lv} | {e.restriction or '-'} | {seed.origin} | "
            f"{seed.price} |"
        )
    return lines


README = """# Demo catalogues of 示范市, 示范二市 and 邻省市 (regions 990100, 990200, 980100)

**DEMO VALUES, NOT REAL PRICES OR CLASSES.** The three regions are invented: no real region uses
province code 99 or 98. 示范二市 990200 is in the same invented province as 示范市 990100 (care
there is 省内异地 for a person insured in 990100); 邻省市 980100 is in another one (跨省异地).
Generated by `tools/build_demo_catalog.py`; do not edit by hand: change the tool and run it again
(`--check` tells whether these files are up to date).

## Provenance

- Codes and names are real: the national drug codes (国标代码, 23-character 西药 `X…` and
  20-character 中成药 `Z…`) with 药品通用名 of the drug rule files, and the 15-digit service-item
  codes with their names of the item rule files, of `data/two_libraries/csv/` — the 医保智能审核
  "两库" rule batches 1–8 from jdzwq/MediModel:数据字典/两库整理/*.xlsx @
  573b603d13a83f8e8d44d054aa0da80e8afd048e (provenance not verified against nhsa.gov.cn; the
  repository has no LICENSE). See `data/reference/SOURCES.md`.
- Everything else is invented, drawn from sha256 of the code: the class (≈50% 甲类, 40% 乙类,
  10% 丙类), the self-pay share of 乙类 (0.05/0.10/0.15/0.20), price ceilings on ~30% of the
  entries (tier2/tier1/primary = 90/80/70% of tier3), the fee type (drugs 09 西药 / 11 中成药,
  items by a word of the name or the code's chapter). Every drug comes from a 限定… rule file,
  so every drug is restricted (`lmt_used_flag` 1) with that rule as its text (e.g.
  `限定年龄对象：儿童`), except the forced role codes below.
- The five materials (list_type 301, `C990100…`) are invented and marked (演示耗材) in their names;
  every region lists them under the same codes.
- `institutions.csv` (18 institutions: 8 in 990100, of every tier; 5 in each other region) and
  `mapping.csv` (50 codes of H99010000001 as `HIS-nnnn`) are invented too.

## Regions

`catalog.csv` holds the rows of every region (column `admdvs`). 990100's rows are drawn as above.
990200 and 980100 list the same codes, drawn the same way but with the region in the hash
(`sha256("<region>:class:<code>")` …), so classes, self-pay shares and ceilings differ from
990100's: {drawn} codes listed by 990100 too differ in class, share or tier-3 ceiling. The
role codes keep their restriction and seed 003's entries keep their values in every region.
{shared} codes are listed by all three regions.

{regions}

Institutions (`remote_enabled` 1: 异地联网定点, settles the visits of persons insured in another
region directly; one institution per region is not enabled):

{institutions}

## Codes that differ between regions

Each other region leaves out three real codes of 990100 (a 西药, a 中成药 and a service item,
chosen by hash among 990100's 甲类 entries without ceiling or restriction that are no role,
seed, mapped or material code; the two regions leave out different codes), and lists two
invented local entries (code `L` + region + five digits: a 地方项目 service item and a 医疗机构
自制剂, list_type 104) that no other region lists. Cells: class, self-pay share of 乙类, tier-3
price ceiling; "— (absent)": the region's catalogue does not list the code.

{differences}

{example}

The role codes in every region (forced in 990100, drawn elsewhere):

{roles}

## Codes for golden tests

The tool forces the values of these eight codes in 990100 (class, self-pay share, ceilings,
restriction); every other entry keeps its drawn values.

{table}

## Seed 003's cases

`src/yibao/audit/rulebase/seed/` replays the deductions of seed 003 (a hospital's training deck on
audit deductions). The entries below were added for it (rows only: the drawn entries, the
mapping and the role codes are unchanged). Where the shared data has no national code the code
is illustrative (示例编码, marked in the name, the same codes as `docs/audit-examples/` and the
demo month). The catalogue has no price column: the price is the one the replay tests bill, the
seed's where it gives one, a demo price otherwise. No ceilings, so the seed's amounts stay whole.
The 中药注射剂 (冠心宁, 舒血宁, 疏血通, 苦碟子, 丹参多酚酸盐, 益气复脉), 经内镜奥狄氏括约肌切开取石术(ECT),
急诊监护费 and 急诊诊查费 were already drawn from the rule files with their real codes.

{seed}
"""


def render(directory: Path) -> None:
    regions = region_entries(build_entries())
    directory.mkdir(parents=True, exist_ok=True)
    every = [entry for entries in regions.values() for entry in entries.values()]
    write_catalog_csv(directory / "catalog.csv", every, kind=FileKind.CATALOG)
    write_catalog_csv(directory / "institutions.csv", institutions(), kind=FileKind.INSTITUTIONS)
    write_catalog_csv(directory / "mapping.csv", mappings(regions[REGION]), kind=FileKind.MAPPING)
    (directory / "README.md").write_text(readme(regions), encoding="utf-8")


FILES = ("catalog.csv", "institutions.csv", "mapping.csv", "README.md")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the files are out of date")
    args = parser.parse_args(argv)
    if not args.check:
        render(OUTPUT)
        regions = region_entries(build_entries())
        print("\n".join([*role_table(regions[REGION]), "", *difference_table(regions)]))
        print(f"wrote {', '.join(FILES)} to {OUTPUT.relative_to(ROOT)}")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        render(Path(scratch))
        stale = [
            name
            for name in FILES
            if not (OUTPUT / name).is_file()
            or (OUTPUT / name).read_bytes() != (Path(scratch) / name).read_bytes()
        ]
    if stale:
        print(
            f"out of date: {', '.join(stale)}; run python tools/build_demo_catalog.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
