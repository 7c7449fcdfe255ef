"""The CHS-DRG 1.1 grouper on real cases from the rule files: MDCs, ADRGs, DRG suffixes, QY, newborns.

Every code below is taken from ``data/chs_drg_1.1`` (the MDC 主诊表s, the ADRG lists, 5_MCC /
6_CC and their 表 7-n exclusion tables); the rules behind each expectation are in
``docs/drg-grouping.md``.
"""

from __future__ import annotations

import pytest

from yibao.drg.grouper import GROUPER, group
from yibao.drg.model import Case, Grouping, Status


def case(
    *diagnoses: str,
    procedures: tuple[str, ...] = (),
    gender: str = "1",
    age: int = 40,
    age_days: int | None = None,
    weight: int | None = None,
) -> Case:
    return Case("T1", gender, age, age_days, weight, 5, "1", diagnoses, procedures)


def grouped(c: Case) -> tuple[str, str | None, str, str]:
    g = group(c)
    return g.status.value, g.mdc, g.adrg, g.drg


# one medical case per MDC, by its main diagnosis (the first code of the MDC's first medical ADRG)
PER_MDC = [
    ("MDCB", "G91.000x002", "1", "BR15"),
    ("MDCC", "C43.100x001", "1", "CR19"),
    ("MDCD", "C00.000", "1", "DR19"),
    ("MDCE", "C33.x00", "1", "ER15"),
    ("MDCF", "I21.000x005", "1", "FR19"),
    ("MDCG", "C15.000", "1", "GR15"),
    ("MDCH", "C22.000", "1", "HR19"),
    ("MDCI", "M84.000x052", "1", "IR19"),
    ("MDCJ", "C43.501", "1", "JR19"),
    ("MDCK", "C48.000x002", "1", "KR19"),
    ("MDCL", "I12.000x001", "1", "LR15"),
    ("MDCM", "C60.000", "1", "MR15"),
    ("MDCN", "C45.100", "2", "NR15"),
    ("MDCO", "Z37.000", "2", "OR19"),
    ("MDCQ", "C26.100", "1", "QR15"),
    ("MDCR", "C91.000", "1", "RR15"),
    ("MDCS", "A01.003", "1", "SR15"),
    ("MDCT", "F20.000", "1", "TR19"),
    ("MDCU", "F10.000", "1", "UR15"),
    ("MDCV", "S00.102", "1", "VR19"),
    ("MDCW", "T21.300", "1", "WR19"),
    ("MDCX", "R41.000", "1", "XR15"),
    ("MDCY", "B20.000x001", "1", "YR15"),
]


@pytest.mark.parametrize(("mdc", "main", "gender", "drg"), PER_MDC, ids=[p[0] for p in PER_MDC])
def test_each_mdc_takes_a_case_by_its_main_diagnosis(
    mdc: str, main: str, gender: str, drg: str
) -> None:
    g = group(case(main, gender=gender))
    assert (g.status, g.mdc, g.adrg, g.drg) == (Status.OK, mdc, drg[:3], drg)
    assert g.trace[0] == f"MDC: {mdc} by main diagnosis {main} in the {mdc} 主诊表" + (
        ", male" if mdc == "MDCM" else ", female" if mdc == "MDCN" else ""
    )


def test_the_grouper_names_itself_for_stored_groupings() -> None:
    assert GROUPER == "yibao CHS-DRG 1.1"
    assert len(GROUPER) <= 30


def test_a_dagger_asterisk_main_diagnosis_is_one_code() -> None:
    g = group(case("A17.000+G01*"))
    assert (g.status, g.mdc) == (Status.OK, "MDCB")
    assert "A17.000+G01*" in g.trace[0]


def test_an_appendectomy_is_surgical_and_the_trace_names_each_list() -> None:
    g = group(case("K35.800x001", procedures=("47.0901",)))
    assert grouped(case("K35.800x001", procedures=("47.0901",))) == ("ok", "MDCG", "GD2", "GD25")
    assert g.trace == (
        "MDC: MDCG by main diagnosis K35.800x001 in the MDCG 主诊表",
        "ADRG: GD2 阑尾切除术 by main procedure 47.0901 in its 主要手术表",
        "DRG: GD25 by no MCC or CC among the other diagnoses",
    )


def test_pre_mdc_heart_transplant_and_long_ventilation() -> None:
    assert grouped(case("I42.000", procedures=("37.5100",))) == ("ok", "MDCA", "AA1", "AA19")
    assert grouped(case("J18.900", procedures=("96.7201",))) == ("ok", "MDCA", "AH1", "AH15")
    g = group(case("J18.900", "A01.100", procedures=("96.7201",)))
    assert g.drg == "AH11"  # AH1 has …1 and …5 only: an MCC or a CC both take …1


def test_two_lists_needed_together_kidney_and_pancreas() -> None:
    both = group(case("N18.500", procedures=("52.8000", "55.6100")))
    assert (both.adrg, both.drg) == ("AC1", "AC19")
    assert "同时包含 list 1" in both.trace[1] and "同时包含 list 2" in both.trace[1]
    only_one = group(case("N18.500", procedures=("52.8000",)))
    assert (only_one.adrg, only_one.drg) == ("AD1", "AD19")


def test_an_mcc_cancelled_by_its_exclusion_table_vs_counted() -> None:
    cancelled = group(case("R19.501", "R16.200"))
    assert cancelled.drg == "GS15"
    assert cancelled.trace[-2] == (
        "MCC: R16.200 does not count: main diagnosis R19.501 is in its exclusion table 表 7-184 (7_CCE)"
    )
    assert group(case("R19.501", "A01.100")).drg == "GS11"
    assert group(case("R19.501", "A00.100")).drg == "GS13"


def test_suffix_when_the_adrg_lacks_a_group() -> None:
    # GZ1 has …3 and …5 only: an MCC takes …3
    g = group(case("A74.801+K67.0*", "A01.100"))
    assert g.drg == "GZ13"
    assert "GZ1 has no MCC group" in g.trace[-1]
    # GR1 has …1 and …5 only: a CC takes …1
    assert group(case("C15.000", "A00.100")).drg == "GR11"
    assert group(case("C15.000")).drg == "GR15"


def test_ambiguous_when_no_surgical_adrg_takes_the_operation() -> None:
    g = group(case("K35.800x001", procedures=("38.5901",)))
    assert (g.status, g.mdc, g.adrg, g.drg) == (Status.AMBIGUOUS, "MDCG", "QY", "GQY")
    assert "38.5901" in g.trace[-1] and "8_OR_PROCEDURES" in g.trace[-1]
    off = group(case("K35.800x001", procedures=("38.5901",)), qy=False)
    assert (off.status, off.adrg) == (Status.OK, "GZ1")


@pytest.mark.parametrize(
    ("weight", "adrg"), [(1200, "PS1"), (1500, "PS2"), (2200, "PS3"), (3300, "PS4")]
)
def test_newborn_birth_weight_bands(weight: int, adrg: str) -> None:
    g = group(case("P07.300", age=0, age_days=3, weight=weight))
    assert (g.status, g.mdc, g.adrg) == (Status.OK, "MDCP", adrg)


def test_infant_after_28_days_and_mdcp_only_at_age_zero() -> None:
    infant = group(case("P59.901", age=0, age_days=40))
    assert (infant.mdc, infant.adrg) == ("MDCP", "PV1")
    newborn = group(case("P59.901", age=0, age_days=10, weight=3000))
    assert (newborn.mdc, newborn.adrg) == ("MDCP", "PU1")
    adult = group(case("P59.901", age=30))
    assert adult.mdc != "MDCP"


def test_multiple_trauma_needs_two_body_regions() -> None:
    two = group(case("S06.500", "S27.000"))
    assert (two.status, two.mdc, two.adrg) == (Status.OK, "MDCZ", "ZZ1")
    assert "2 body regions" in two.trace[0]
    one = group(case("S06.500"))
    assert one.mdc != "MDCZ"


def test_sex_specific_mdcs() -> None:
    assert group(case("C60.000", gender="2")).mdc != "MDCM"
    assert group(case("C45.100", gender="1")).mdc != "MDCN"


def test_ungroupable_when_no_mdc_takes_the_main_diagnosis() -> None:
    g = group(case("Z99.100"))
    assert (g.status, g.mdc, g.adrg, g.drg) == (Status.UNGROUPABLE, None, "00", "0000")
    assert g.trace[-1] == "MDC: main diagnosis Z99.100 is in no MDC's 主诊表"


def test_results_have_one_shape() -> None:
    g = group(case("K35.800x001"))
    assert isinstance(g, Grouping) and g.drg.startswith(g.adrg)
