"""audit.codes: every family and grade has a code; the scenes map to their moments."""

from __future__ import annotations

from yibao.audit.codes import SevDeg, TrigScen, VolaBhvrType, behaviour_of, severity_of
from yibao.audit.families import FAMILIES
from yibao.audit.model import Grade, Moment
from yibao.audit.queries import QUERIES


def test_every_family_has_a_behaviour_class_and_a_query() -> None:
    assert set(QUERIES) == set(FAMILIES)
    classes = {behaviour_of(name) for name in FAMILIES}
    assert classes == set(VolaBhvrType)
    assert behaviour_of("bundled") is VolaBhvrType.REPEATED_CHARGE
    assert VolaBhvrType.REPEATED_CHARGE.value == "3"


def test_grades_and_scenes() -> None:
    assert [severity_of(g).value for g in Grade] == ["1", "2", "3"]
    assert severity_of(Grade.SUSPICIOUS) is SevDeg.SUSPICIOUS
    assert [t.moment for t in TrigScen] == [Moment.BEFORE] * 2 + [Moment.DURING] * 3
    assert TrigScen.DISCHARGE.label.startswith("出院")
