"""audit.model: when a rule applies (dates, regions, levels, moments) and how the rule base selects."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import MappingProxyType

import pytest

from yibao.audit.model import (
    Action,
    Evidence,
    Grade,
    KnowledgeTable,
    Moment,
    Rule,
    RuleBase,
    Scope,
    region_covers,
    template_fields,
)
from yibao.kernel.errors import InvalidValue

TABLE = KnowledgeTable(
    "t_sex",
    ("code", "name", "gend", "source"),
    (("XL02BBA326A001010102180", "阿帕他胺片", "1", "s"),),
)


def make_rule(**changes: object) -> Rule:
    rule = Rule(
        rule_id="T-SEX",
        name="限定性别用药",
        family="sex",
        grade=Grade.VIOLATION,
        action=Action.SELF_PAY,
        moments=frozenset({Moment.DURING, Moment.AFTER}),
        begin=date(2026, 1, 1),
        end=date(2026, 12, 31),
        params=MappingProxyType({}),
        table=TABLE,
        evidence=Evidence("两库", "第一批", "sheet2 行 2"),
        vola_cont="{name}（{code}）限{gend_label}性使用",
        off_regions=frozenset({"440000", "990200", "330106"}),
        off_levels=frozenset({"11"}),
    )
    return replace(rule, **changes)  # type: ignore[arg-type]


def applies(rule: Rule, day: date, admdvs: str = "990100", hosp_lv: str = "02") -> bool:
    return rule.applies(day, admdvs, hosp_lv, Moment.DURING)


def test_a_rule_applies_from_its_begin_date_to_its_end_date_inclusive() -> None:
    rule = make_rule()
    assert not applies(rule, date(2025, 12, 31))
    assert applies(rule, date(2026, 1, 1))
    assert applies(rule, date(2026, 12, 31))
    assert not applies(rule, date(2027, 1, 1))


def test_a_rule_without_an_end_date_stays_in_force() -> None:
    rule = make_rule(end=None)
    assert applies(rule, date(2099, 6, 30))
    assert not applies(rule, date(2025, 12, 31))


def test_a_region_switches_a_rule_off_for_itself_and_the_regions_below_it() -> None:
    rule = make_rule()
    assert not applies(rule, date(2026, 5, 1), admdvs="990200")  # the city itself
    assert not applies(rule, date(2026, 5, 1), admdvs="990201")  # a district of the city
    assert not applies(rule, date(2026, 5, 1), admdvs="440106")  # under the province 440000
    assert not applies(rule, date(2026, 5, 1), admdvs="330106")  # a district named exactly
    assert applies(rule, date(2026, 5, 1), admdvs="330105")  # its neighbour is not covered
    assert applies(rule, date(2026, 5, 1), admdvs="990100")


def test_region_codes_cover_by_province_city_or_exact_code() -> None:
    assert region_covers("440000", "441900") and not region_covers("440000", "450100")
    assert region_covers("990100", "990102") and not region_covers("990100", "990202")
    assert region_covers("990102", "990102") and not region_covers("990102", "990103")


def test_an_institution_level_switches_a_rule_off() -> None:
    rule = make_rule()
    assert not applies(rule, date(2026, 5, 1), hosp_lv="11")  # 无等级
    assert applies(rule, date(2026, 5, 1), hosp_lv="05")  # 二级甲等


def test_a_rule_runs_only_at_its_moments() -> None:
    rule = make_rule()
    day = date(2026, 5, 1)
    assert not rule.applies(day, "990100", "02", Moment.BEFORE)
    assert rule.applies(day, "990100", "02", Moment.DURING)
    assert rule.applies(day, "990100", "02", Moment.AFTER)


def test_a_rule_refuses_an_end_before_its_begin_and_no_moment() -> None:
    with pytest.raises(InvalidValue, match=r"rule T-SEX\.end: 2025-12-31 is before begin"):
        make_rule(end=date(2025, 12, 31))
    with pytest.raises(InvalidValue, match="one moment at least"):
        make_rule(moments=frozenset())


def test_vola_cont_placeholders_are_plain_names() -> None:
    assert template_fields("{name}（{code}）限{gend_label}性使用") == {"name", "code", "gend_label"}
    assert make_rule().placeholders == {"name", "code", "gend_label"}
    with pytest.raises(InvalidValue, match="malformed template"):
        template_fields("{name")
    with pytest.raises(InvalidValue, match="plain"):
        template_fields("{amount:.2f}")


def test_the_rule_base_selects_the_active_rules_and_refuses_a_duplicate_id() -> None:
    later = make_rule(rule_id="T-LATER", begin=date(2026, 7, 1), end=None)
    before_only = make_rule(rule_id="T-BEFORE", moments=frozenset({Moment.BEFORE}))
    base = RuleBase([later, make_rule(), before_only])
    assert [r.rule_id for r in base] == ["T-BEFORE", "T-LATER", "T-SEX"]
    june = base.active(date(2026, 6, 30), "990100", "02", Moment.DURING)
    assert [r.rule_id for r in june] == ["T-SEX"]
    july = base.active(date(2026, 7, 1), "990100", "02", Moment.DURING)
    assert [r.rule_id for r in july] == ["T-LATER", "T-SEX"]
    assert base.active(date(2026, 7, 1), "990200", "02", Moment.DURING) == ()
    assert [r.rule_id for r in base.of_family("sex")] == ["T-BEFORE", "T-LATER", "T-SEX"]
    assert "T-SEX" in base and base["T-SEX"].name == "限定性别用药"
    with pytest.raises(InvalidValue, match="no rule 'T-NONE'"):
        base["T-NONE"]
    with pytest.raises(InvalidValue, match="defined twice"):
        RuleBase([make_rule(), make_rule()])


def test_a_knowledge_table_keeps_its_rows_whole() -> None:
    assert TABLE.values("gend") == ("1",)
    assert next(TABLE.records())["name"] == "阿帕他胺片"
    with pytest.raises(InvalidValue, match="no column 'sex'"):
        TABLE.index("sex")
    with pytest.raises(InvalidValue, match="row 1 has 2 cells for 3 columns"):
        KnowledgeTable("t", ("a", "b", "c"), (("1", "2"),))


def test_codes_carry_their_chinese_labels() -> None:
    assert [g.label for g in Grade] == ["违规", "可疑", "提醒"]
    assert [a.label for a in Action] == ["转自费", "挂起待审", "提示"]
    assert [m.label for m in Moment] == ["事前", "事中", "事后"]
    assert Scope.PERSON_HISTORY.label == "参保人历史"
    assert str(Evidence("两库", "第一批", "行 2")) == "两库，第一批，行 2"
