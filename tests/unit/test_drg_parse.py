"""The rule files compile into the lookup tables the grouper reads; the tricky layouts read right."""

from __future__ import annotations

from yibao.drg.parse import parse_detail, parse_exclusions, parse_with_tables
from yibao.drg.rules import load_rules

DETAIL = """MDCA 先期分组疾病及相关操作
AC1 胰/肾联合移植
同时包含以下手术：
52.8000 胰腺移植
和
55.6100 肾自体移植术
MDCJ 皮肤、皮下组织及乳腺疾病及~~功能障碍
MDCJ 主诊表
包含以下主要诊断：
C50.000 乳头和乳晕恶性肿瘤
A17.000+G01* 结核性脑膜炎
JA1 乳房恶性肿瘤根治性切除伴乳房重建~~术
包含以下主要诊断+手术表 1+手术表 2
或包含以下主要诊断+手术表 1+手术表 3
主要诊断：
C50.000 乳头和乳晕恶性肿瘤
手术表 1：
85.4300 单侧扩大的单纯乳房切除术
手术表 2：
85.5300x001 单侧乳房假体置入术
手术表 3：
85.7000 全乳房重建
JJ1 皮肤、皮下组织的其他手术
全部手术
JR1 乳房恶性肿瘤
包含以下主要诊断：
C50.000 乳头和乳晕恶性肿瘤
""".splitlines()


def test_sections_in_document_order() -> None:
    detail = parse_detail(DETAIL)
    assert detail.mdc_main == {"MDCJ": frozenset({"C50.000", "A17.000+G01*"})}
    ac1 = detail.adrgs["MDCA"][0]
    assert ac1.all_px == (frozenset({"52.8000"}), frozenset({"55.6100"}))
    ja1, jj1, jr1 = detail.adrgs["MDCJ"]
    assert ja1.name == "乳房恶性肿瘤根治性切除伴乳房重建术"  # the ~~ wrap is joined
    assert ja1.main_dx == frozenset({"C50.000"})
    assert [len(c) for c in ja1.px_tables] == [2, 2]
    assert jj1.or_main and jj1.main_dx is None
    assert jr1.main_dx == frozenset({"C50.000"}) and not jr1.surgical


def test_mcc_tables_survive_wrapped_names_and_page_breaks() -> None:
    lines = [
        "疾病编码 疾病名称 排除内容",
        "A01.100 副伤寒甲 表 7-1",
        "B21.300 人类免疫缺陷病毒[HIV]病造成的淋巴造血和有关组织的其他恶性肿",
        "瘤",
        "表 7-13",
        "1103",
        "Z99.100 依赖呼吸机 无",
    ]
    assert parse_with_tables(lines) == {"A01.100": "表 7-1", "B21.300": "表 7-13", "Z99.100": None}


def test_exclusion_tables() -> None:
    lines = [
        "表 7-1",
        "包含以下主要诊断：",
        "A00.900 霍乱",
        "表 7-2",
        "包含以下主要诊断：",
        "A01.000 伤寒",
    ]
    assert parse_exclusions(lines) == {
        "A00.900": frozenset({"表 7-1"}),
        "A01.000": frozenset({"表 7-2"}),
    }


def test_the_shipped_files_compile_completely() -> None:
    rules = load_rules()
    assert (
        len(rules.mdc_names) == 26 and len(rules.adrg_names) == 376 and len(rules.drg_names) == 628
    )
    assert sum(len(v) for v in rules.adrgs.values()) == 376
    assert len(rules.mdc_main) == 25  # every MDC but MDCA has a 主诊表
    assert len(set(rules.mdcz_region.values())) == 9
    # 33,304 and 13,686 data rows (the last line has no newline; SOURCES counts one fewer), plus
    # K43.900, K43.900x001, K43.902 (MDCG) and P78.300x004 (MDCP): in a 主诊表, not in the dictionary
    assert len(rules.diagnoses) == 33_304 + 4 and len(rules.procedures) == 13_686
    assert rules.mcc["B21.300"] == "表 7-13" and rules.mcc["Z99.100"] is None
    yc1 = next(a for a in rules.adrgs["MDCY"] if a.code == "YC1")
    assert yc1.any_dx and yc1.or_main  # 手术室手术 with a diagnosis list only
