"""Properties of every settlement (settlement.md §6), over random policies, catalogues and visits.

Policies are generated as policy documents and go through the real validator, so every
generated policy is one a region could write. The FloatOperation trap is on (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.builders import HOSPITALS, entry, person
from yibao.catalog.model import CatalogEntry
from yibao.kernel.codes import PsnIdetType
from yibao.kernel.money import ZERO, fen
from yibao.kernel.tiers import HospitalTier
from yibao.policy.formats import parse_policy
from yibao.policy.model import Policy
from yibao.settlement import codec
from yibao.settlement.engine import reverse, settle
from yibao.settlement.model import Accumulators, FeeLine, Settlement, Visit, YearState

D = Decimal
WHEN = datetime(2026, 5, 1, 10, 0)
TIERS = [t.value for t in HospitalTier]

money = st.integers(min_value=0, max_value=30_000_00).map(lambda c: D(c) / 100)
ratio = st.integers(min_value=0, max_value=100).map(lambda p: D(p) / 100)
cap = st.integers(min_value=0, max_value=300_000).map(D)


@st.composite
def segments(draw: st.DrawFn, start: int = 0) -> list[dict[str, object]]:
    bounds = sorted(draw(st.sets(st.integers(start + 1, 200_000), max_size=3)))
    out: list[dict[str, object]] = [{"from": D(start)}] if start else [{}]
    for i, upper in enumerate(bounds):
        out[i]["upto"] = D(upper)
        out.append({})
    for seg in out:
        seg["ratio"] = draw(ratio)
    return out


@st.composite
def care(draw: st.DrawFn, med_types: list[str], per_admission: bool) -> dict[str, object]:
    tiers = {
        t: [draw(money) for _ in range(draw(st.integers(1, 3)) if per_admission else 1)]
        for t in TIERS
    }
    return {
        "med_types": med_types,
        "counts_admission": per_admission,
        "retiree_bonus": draw(ratio),
        "annual_cap": draw(st.none() | cap),
        "deductible": {"kind": "per_admission" if per_admission else "annual", **tiers},
        "ratios": {t: draw(segments()) for t in TIERS},
    }


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    kinds = ["inpatient", "outpatient"]
    plan: dict[str, object] = {
        "name": "随机",
        "pool_fund": "310100",
        "annual_cap": draw(cap),
        "care": {"inpatient": draw(care(["21"], True)), "outpatient": draw(care(["11"], False))},
        "civil_servant": {
            "deductible_ratio": draw(ratio),
            "copay_ratio": draw(ratio),
            "annual_cap": draw(st.none() | cap),
            "applies_to": kinds,
        },
        "layers": [
            {
                "fund": "330100",
                "basis": draw(st.sampled_from(["above_pool_cap", "personal_policy_share"])),
                "applies_to": kinds,
                "annual_cap": draw(st.none() | cap),
                "segments": draw(segments(draw(st.integers(0, 20_000)))),
            }
        ],
        "medical_aid": {
            "applies_to": kinds,
            "identities": {
                "01": {"ratio": draw(ratio), "annual_cap": draw(st.none() | cap)},
                "02": {"ratio": draw(ratio)},
            },
        },
        "account": {"allowed_care": kinds},
    }
    raw = {
        "policy": {
            "region": "990100",
            "region_name": "随机",
            "version": "p",
            "effective_from": date(2026, 1, 1),
            "document": "generated",
            "retiree_psn_types": ["1201"],
        },
        "plans": {"310": plan},
    }
    return parse_policy(raw, source="generated.toml")


@st.composite
def catalogs(draw: st.DrawFn) -> dict[str, CatalogEntry]:
    out = {}
    for i in range(draw(st.integers(1, 6))):
        lv = draw(st.sampled_from(["01", "02", "03", "04"]))
        prop = "0" if lv == "01" else str(draw(ratio))
        ceilings = {t: str(draw(money)) for t in HospitalTier if draw(st.booleans())}
        out[f"E{i}"] = entry(f"E{i}", lv, prop, ceilings=ceilings, restricted=draw(st.booleans()))
    return out


@st.composite
def fee_lines(draw: st.DrawFn, codes: list[str]) -> tuple[FeeLine, ...]:
    lines: list[FeeLine] = []
    for i in range(draw(st.integers(1, 12))):
        price = D(draw(st.integers(0, 2_000_00))) / 100
        count = D(draw(st.integers(1, 50_000))) / 1000
        code = draw(st.sampled_from([*codes, "UNLISTED"]))
        lines.append(
            FeeLine(
                str(i),
                code,
                code,
                count,
                price,
                fen(price * count),
                WHEN,
                hosp_appr_flag=draw(st.sampled_from(["0", "1"])),
            )
        )
        if draw(st.integers(0, 9)) == 0:  # a refund of part or all of the line
            back = D(draw(st.integers(1, int(count * 1000)))) / 1000
            lines.append(
                FeeLine(
                    f"{i}r",
                    code,
                    code,
                    -back,
                    price,
                    fen(price * -back),
                    WHEN,
                    init_feedetl_sn=str(i),
                )
            )
    return tuple(lines)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Visit, Policy, dict[str, CatalogEntry], YearState]:
    policy = draw(policies())
    catalog = draw(catalogs())
    who = person(
        "310",
        draw(st.sampled_from(["1101", "1201"])),
        civil_servant=draw(st.booleans()),
        identities=tuple(draw(st.sets(st.sampled_from(list(PsnIdetType)), max_size=2))),
    )
    med_type = draw(st.sampled_from(["21", "11"]))
    v = Visit(
        "M1",
        who,
        HOSPITALS[draw(st.sampled_from(list(HospitalTier)))],
        "310",
        med_type,
        WHEN,
        WHEN,
        "990100",
        draw(fee_lines(sorted(catalog))),
        acct_used_flag=draw(st.booleans()),
    )
    keys = [
        "admissions",
        "inscp",
        "deductible:outpatient",
        "fund:310100",
        "pool:outpatient",
        "pool:inpatient",
        "fund:320100",
        "fund:330100",
        "layer:330100",
        "fund:610100",
    ]
    counters = {
        k: D(draw(st.integers(0, 3))) if k == "admissions" else draw(money)
        for k in keys
        if draw(st.booleans())
    }
    return v, policy, catalog, YearState(Accumulators(counters), draw(money))


def _settle(case: tuple[Visit, Policy, dict[str, CatalogEntry], YearState]) -> Settlement:
    v, policy, catalog, state = case
    return settle(v, policy=policy, catalog=catalog, state=state, setl_id="S", setl_time=WHEN)


# YIBAO_EXAMPLES raises the number of examples for a deeper run (the suite uses 300).
COMMON = settings(
    max_examples=int(os.environ.get("YIBAO_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@COMMON
@given(cases())
def test_the_identities_hold_to_the_fen(
    case: tuple[Visit, Policy, dict[str, CatalogEntry], YearState],
) -> None:
    s = _settle(case)
    a = s.amounts
    assert a.medfee_sumamt == sum(line.det_item_fee_sumamt for line in case[0].lines)
    assert (
        a.medfee_sumamt
        == a.fulamt_ownpay_amt + a.overlmt_selfpay + a.preselfpay_amt + a.inscp_scp_amt
    )
    assert a.fund_pay_sumamt == sum(row.fund_payamt for row in s.funds)
    assert a.fund_pay_sumamt == (
        a.hifp_pay
        + a.cvlserv_pay
        + a.hifes_pay
        + a.hifmi_pay
        + a.hifob_pay
        + a.hifdm_pay
        + a.maf_pay
        + a.oth_pay
    )
    assert a.psn_part_amt == a.medfee_sumamt - a.fund_pay_sumamt - a.hosp_part_amt
    assert a.psn_part_amt == a.acct_pay + a.psn_cash_pay
    for line in s.lines:
        assert line.det_item_fee_sumamt == (
            line.fulamt_ownpay_amt + line.overlmt_amt + line.preselfpay_amt + line.inscp_scp_amt
        )
    for value in a.as_dict().values():
        assert value == fen(value), "every amount is whole fen"


@COMMON
@given(cases())
def test_nothing_is_negative_and_the_person_never_pays_more_than_owed(
    case: tuple[Visit, Policy, dict[str, CatalogEntry], YearState],
) -> None:
    s = _settle(case)
    state = case[3]
    for name, value in s.amounts.as_dict().items():
        assert value >= ZERO, name
    assert s.amounts.fund_pay_sumamt <= s.amounts.inscp_scp_amt
    assert s.amounts.acct_pay <= min(state.balance, s.amounts.psn_part_amt)
    assert s.balc == state.balance - s.amounts.acct_pay >= ZERO


@COMMON
@given(cases())
def test_funds_stay_within_their_annual_limits(
    case: tuple[Visit, Policy, dict[str, CatalogEntry], YearState],
) -> None:
    s = _settle(case)
    for row in s.funds:
        if row.crt_payb_lmt_amt is not None:
            assert row.fund_payamt <= row.crt_payb_lmt_amt, row.fund_pay_type


@COMMON
@given(cases())
def test_settle_then_reverse_restores_every_counter_and_the_balance(
    case: tuple[Visit, Policy, dict[str, CatalogEntry], YearState],
) -> None:
    s = _settle(case)
    state = case[3]
    after = state.accumulators.plus(s.delta)
    r = reverse(s, setl_id="R", setl_time=WHEN, balance=s.balc)
    assert after.plus(r.delta) == state.accumulators
    assert r.balc == state.balance
    assert all(getattr(r.amounts, k) == -v for k, v in s.amounts.as_dict().items())


@COMMON
@given(cases(), st.integers(min_value=1, max_value=11))
def test_mid_stay_settlements_add_up_to_the_whole_stay(
    case: tuple[Visit, Policy, dict[str, CatalogEntry], YearState],
    cut: int,
) -> None:
    v, policy, catalog, state = case
    if v.med_type != "21":
        return
    whole = _settle(case)
    head = Visit(
        **{
            **{f: getattr(v, f) for f in v.__dataclass_fields__},
            "lines": v.lines[:cut],
            "mid_setl_flag": True,
            "endtime": None,
        }
    )
    mid = settle(head, policy=policy, catalog=catalog, state=state, setl_id="S1", setl_time=WHEN)
    later = YearState(state.accumulators.plus(mid.delta), mid.balc)
    final = settle(
        v, policy=policy, catalog=catalog, state=later, setl_id="S2", setl_time=WHEN, prior=mid
    )
    for name, value in whole.amounts.as_dict().items():
        assert getattr(mid.amounts, name) + getattr(final.amounts, name) == value, name
    assert mid.delta.plus(final.delta) == whole.delta
    assert final.balc == state.balance - whole.amounts.acct_pay


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_a_settlement_survives_its_json_document_exactly(
    case: tuple[Visit, Policy, dict[str, CatalogEntry], YearState],
) -> None:
    s = _settle(case)
    for record in (s, reverse(s, setl_id="R", setl_time=WHEN, balance=s.balc)):
        assert codec.decode(json.loads(json.dumps(codec.encode(record)))) == record
