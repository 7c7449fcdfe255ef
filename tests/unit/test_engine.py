"""settlement.engine: each fund step on the demo policy (990100, 2026), worked by hand.

职工 310, 三级: 起付线 800/400/0 by admission; 85% up to 50,000 then 90%; 退休 +3 points;
统筹 annual cap 200,000; 公务员补助 50% of the deductible + 60% of the co-payment;
大额补助 90% above the cap. 居民 390, 三级: 起付线 1,200; 60%; 大病 above 10,000 in the year:
60% to 30,000, 70% to 100,000, 80% above; 医疗救助 特困 100%, 低保 70%.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from decimal import Decimal

import pytest

from tests.support.builders import CATALOG, demo_policy, line, person, visit
from yibao.kernel.codes import FundPayType, PsnIdetType
from yibao.kernel.errors import SettlementRefused
from yibao.policy.formats import parse_policy
from yibao.policy.service import demo_policy_dir
from yibao.settlement.engine import reverse, settle
from yibao.settlement.model import Accumulators, Settlement, Visit, YearState

D = Decimal
WHEN = datetime(2026, 3, 10, 12, 0)
POLICY = demo_policy()
DEMO_FILE = demo_policy_dir() / "990100" / "2026.toml"


def run(
    v: Visit,
    counters: dict[str, str] | None = None,
    balance: str = "0",
    prior: Settlement | None = None,
) -> Settlement:
    state = YearState(Accumulators({k: D(x) for k, x in (counters or {}).items()}), D(balance))
    return settle(
        v, policy=POLICY, catalog=CATALOG, state=state, setl_id="S1", setl_time=WHEN, prior=prior
    )


def fund(s: Settlement, code: FundPayType) -> Decimal:
    return next((row.fund_payamt for row in s.funds if row.fund_pay_type == code), D(0))


def test_deductible_then_ratio_segments() -> None:
    # 60,800 in range − 800 = 60,000: 50,000 × 85% + 10,000 × 90% = 51,500
    s = run(visit((line("1", "A", "60800"),)))
    assert s.amounts.act_pay_dedc == D("800.00")
    assert s.amounts.hifp_pay == D("51500.00")
    assert s.amounts.psn_part_amt == D("9300.00")
    assert s.delta["admissions"] == 1
    clauses = [t.clause for t in s.trace if t.step == "pool" and t.clause]
    assert any(c.endswith("plans.310.care.inpatient.ratios.tier3[1]") for c in clauses)


@pytest.mark.parametrize(
    ("admissions", "deductible"), [("1", "400.00"), ("2", "0.00"), ("5", "0.00")]
)
def test_later_admissions_pay_a_lower_deductible(admissions: str, deductible: str) -> None:
    s = run(visit((line("1", "A", "5000"),)), {"admissions": admissions})
    assert s.amounts.act_pay_dedc == D(deductible)


def test_retiree_bonus_raises_the_ratio() -> None:
    s = run(visit((line("1", "A", "10800"),), who=person(psn_type="1201")))
    assert s.amounts.hifp_pay == D("8800.00")  # 10,000 × 88%
    assert s.pool_prop_selfpay == D("0.8800")


def test_the_annual_cap_binds_and_the_large_expense_layer_pays_above_it() -> None:
    # 10,000 left of the cap: 10,000 / 85% = 11,764.71 of the 20,000 base is covered;
    # 8,235.29 lies above the cap and 大额补助 pays 90% of it = 7,411.76
    s = run(visit((line("1", "A", "20800"),)), {"fund:310100": "190000"})
    assert s.amounts.hifp_pay == D("10000.00")
    assert fund(s, FundPayType.LARGE_EXPENSE) == D("7411.76")
    assert s.amounts.hifob_pay == D("7411.76")
    pool_row = s.funds[0]
    assert pool_row.crt_payb_lmt_amt == D("10000.00")


def test_civil_servant_subsidy_pays_on_deductible_and_copay() -> None:
    # base 10,000 × 85% = 8,500; co-pay 1,500; subsidy 800 × 50% + 1,500 × 60% = 1,300
    s = run(visit((line("1", "A", "10800"),), who=person(civil_servant=True)))
    assert s.amounts.cvlserv_pay == D("1300.00")
    assert s.amounts.psn_part_amt == D("1000.00")


def test_resident_serious_illness_layer_pays_above_the_threshold() -> None:
    # 51,200 − 1,200 = 50,000 × 60% = 30,000; left 21,200; 大病 on 10,000–21,200 × 60% = 6,720
    s = run(visit((line("1", "A", "51200"),), who=person("390", "1501")))
    assert s.amounts.hifp_pay == D("30000.00")
    assert s.amounts.hifmi_pay == D("6720.00")
    assert s.amounts.psn_part_amt == D("14480.00")


def test_serious_illness_continues_from_the_years_accumulated_base() -> None:
    # 25,000 already counted: this visit's 21,200 spans 25,000–30,000 × 60% + 30,000–46,200 × 70%
    s = run(visit((line("1", "A", "51200"),), who=person("390", "1501")), {"layer:390200": "25000"})
    assert s.amounts.hifmi_pay == D("14340.00")  # 3,000 + 11,340


@pytest.mark.parametrize(
    ("identity", "aid"),
    [(PsnIdetType.EXTREME_POVERTY, "14480.00"), (PsnIdetType.MINIMUM_LIVING_ALLOWANCE, "10136.00")],
)
def test_medical_aid_pays_last_on_what_is_left(identity: PsnIdetType, aid: str) -> None:
    s = run(visit((line("1", "A", "51200"),), who=person("390", "1501", identities=(identity,))))
    assert s.amounts.maf_pay == D(aid)
    assert s.amounts.psn_part_amt == D("14480.00") - D(aid)


def test_outpatient_deductible_is_annual() -> None:
    # 310 outpatient, tier 3: 1,000 a year, 600 already paid → 400 now; (900 − 400) × 50% = 250
    s = run(visit((line("1", "A", "900"),), med_type="11"), {"deductible:outpatient": "600"})
    assert s.amounts.act_pay_dedc == D("400.00")
    assert s.amounts.hifp_pay == D("250.00")
    assert s.delta["admissions"] == 0


def test_account_pays_what_it_holds_and_cash_the_rest() -> None:
    s = run(visit((line("1", "A", "1000"), line("2", "C", "300")), account=True), balance="150")
    assert s.amounts.psn_part_amt == D("1130.00")  # 800 deductible + 30 co-pay + 300 丙类
    assert s.amounts.acct_pay == D("150.00")
    assert s.amounts.psn_cash_pay == D("980.00")
    assert s.balc == D("0.00")


def test_a_med_type_the_policy_does_not_cover_is_refused_with_the_field() -> None:
    with pytest.raises(SettlementRefused, match="med_type: 41"):
        run(visit((line("1", "A", "10"),), med_type="41"))


def test_mid_stay_then_final_equals_one_settlement_of_the_whole_stay() -> None:
    first = (line("1", "A", "30000"), line("2", "B10", "5000"))
    rest = (line("3", "A", "40000"), line("4", "C", "900"))
    whole = run(visit(first + rest))
    mid = run(visit(first, mid_stay=True), balance="0")
    counters = {k: str(v) for k, v in mid.delta.items()}
    final = run(visit(first + rest), counters, prior=mid)
    assert mid.kind == "mid_stay"
    assert final.prior_setl_ids == ("S1",)
    for name, value in whole.amounts.as_dict().items():
        assert getattr(mid.amounts, name) + getattr(final.amounts, name) == value, name
    assert mid.delta.plus(final.delta) == whole.delta
    assert final.delta["admissions"] == 0  # the stay was counted once, at the mid-stay settlement


def test_reversal_mirrors_and_restores_every_counter() -> None:
    before = {"admissions": "1", "fund:310100": "1000", "inscp": "5000"}
    s = run(
        visit((line("1", "A", "20000"), line("2", "B20", "999.99")), account=True),
        before,
        balance="700",
    )
    r = reverse(s, setl_id="R1", setl_time=WHEN, balance=s.balc)
    assert r.kind == "reversal" and r.reverses == "S1"
    assert r.amounts == s.amounts.negated()
    assert r.balc == D("700")
    start = Accumulators({k: D(v) for k, v in before.items()})
    assert start.plus(s.delta).plus(r.delta) == start


def test_a_care_type_cap_leaves_the_excess_with_the_person_not_the_large_expense_layer() -> None:
    raw = tomllib.loads(DEMO_FILE.read_text(encoding="utf-8"), parse_float=D)
    raw["plans"]["310"]["care"]["chronic"]["annual_cap"] = D(10000)
    policy = parse_policy(raw, source="capped.toml")
    v = visit((line("1", "A", "30000"),), med_type="14")
    state = YearState(Accumulators(), D(0))
    s = settle(v, policy=policy, catalog=CATALOG, state=state, setl_id="S1", setl_time=WHEN)
    assert s.amounts.hifp_pay == D("10000.00")
    assert s.amounts.hifob_pay == D("0.00")
    assert any(t.clause and t.clause.endswith("plans.310.care.chronic.annual_cap") for t in s.trace)


def test_a_zero_aid_cap_is_a_cap_not_unlimited() -> None:
    raw = tomllib.loads(DEMO_FILE.read_text(encoding="utf-8"), parse_float=D)
    identities = raw["plans"]["390"]["medical_aid"]["identities"]
    identities["01"] = {"ratio": D("0.70"), "annual_cap": D(0)}
    identities["03"] = {"ratio": D("0.70"), "annual_cap": D(5000)}
    policy = parse_policy(raw, source="aid.toml")
    who = person(
        "390",
        "1501",
        identities=(PsnIdetType.MINIMUM_LIVING_ALLOWANCE, PsnIdetType.POVERTY_MONITORED),
    )
    v = visit((line("1", "A", "5200"),), who=who)
    s = settle(
        v,
        policy=policy,
        catalog=CATALOG,
        state=YearState(Accumulators()),
        setl_id="S1",
        setl_time=WHEN,
    )
    # pool (5,200 − 1,200) × 60% = 2,400; left 2,800; the identity with the 5,000 cap pays 70%
    assert s.amounts.maf_pay == D("1960.00")
