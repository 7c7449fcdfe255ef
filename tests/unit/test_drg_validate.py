"""Bad cases come back ``invalid`` with the field named; nothing raises, whatever the input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.drg.grouper import group
from yibao.drg.model import Case, Status
from yibao.drg.rules import load_rules


def case(**changes: object) -> Case:
    values: dict[str, object] = {
        "id": "V1", "gender": "1", "age": 40, "age_days": None, "weight": None, "los": 5,
        "leaving_type": "1", "diagnoses": ("K35.800x001",), "procedures": (),
    }  # fmt: skip
    values.update(changes)
    return Case(**values)  # type: ignore[arg-type]


BAD = [
    ({"gender": "3"}, "gender: must be 1 or 2, not '3'"),
    ({"gender": ""}, "gender: must be 1 or 2, not ''"),
    ({"age": None}, "age: missing"),
    ({"age": -1}, "age: -1 is not between 0 and 150"),
    ({"age": 151}, "age: 151 is not between 0 and 150"),
    ({"age": 0}, "age_days: missing for age 0"),
    ({"age": 0, "age_days": -2}, "age_days: -2 is not between 0 and 365"),
    ({"age": 0, "age_days": 5}, "weight: birth weight missing for a newborn (≤ 28 days)"),
    ({"weight": 0}, "weight: 0 g is not between 1 and 10000"),
    ({"los": -1}, "los: -1 is negative"),
    ({"leaving_type": "7"}, "leaving_type: '7' is not 1-5 or 9"),
    ({"diagnoses": ()}, "diagnoses: no main diagnosis"),
    ({"diagnoses": ("K35.800x001", "X99.999")}, "diagnoses[1]: unknown diagnosis code 'X99.999'"),
    ({"procedures": ("47.0901", "99.9999x9")}, "procedures[1]: unknown procedure code '99.9999x9'"),
]


@pytest.mark.parametrize(("changes", "trace"), BAD, ids=[t.split(":")[0] for _, t in BAD])
def test_bad_input_is_invalid_naming_the_field(changes: dict[str, object], trace: str) -> None:
    g = group(case(**changes))
    assert (g.status, g.mdc, g.adrg, g.drg, g.trace) == (
        Status.INVALID,
        None,
        "00",
        "0000",
        (trace,),
    )


def test_an_infant_older_than_28_days_needs_no_birth_weight() -> None:
    assert group(case(age=0, age_days=40)).status is not Status.INVALID


CODES = st.sampled_from(["K35.800x001", "A17.000+G01*", "S06.500", "S27.000", "P07.300", "J96.000",
                         "R16.200", "", "X", "47.0901", "37.5100", "96.7201", "38.5901"])  # fmt: skip
MAYBE_INT = st.none() | st.integers(min_value=-10, max_value=20_000)


@settings(max_examples=300, deadline=None)
@given(
    gender=st.sampled_from(["1", "2", "0", "", "男"]),
    age=MAYBE_INT,
    age_days=MAYBE_INT,
    weight=MAYBE_INT,
    los=MAYBE_INT,
    leaving=st.none() | st.sampled_from(["1", "5", "x"]),
    diagnoses=st.lists(CODES | st.text(max_size=8), max_size=5).map(tuple),
    procedures=st.lists(CODES | st.text(max_size=8), max_size=4).map(tuple),
)
def test_group_never_raises_and_has_one_shape(
    gender: str,
    age: int | None,
    age_days: int | None,
    weight: int | None,
    los: int | None,
    leaving: str | None,
    diagnoses: tuple[str, ...],
    procedures: tuple[str, ...],
) -> None:
    g = group(Case("H", gender, age, age_days, weight, los, leaving, diagnoses, procedures))
    assert g.trace
    if g.status is Status.OK:
        assert g.mdc and len(g.adrg) == 3 and g.drg[:3] == g.adrg and g.drg[3] in "1359"
    elif g.status is Status.AMBIGUOUS:
        assert g.mdc and g.adrg == "QY" and g.drg == g.mdc[3] + "QY"
    else:
        assert (g.adrg, g.drg) == ("00", "0000")
        if g.status is Status.INVALID:
            assert g.mdc is None


def test_rules_compile_once_per_process() -> None:
    assert load_rules() is load_rules()
