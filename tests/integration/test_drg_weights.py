"""DRG weights from the store's history and one case's payment, on SQLite and PostgreSQL.

Twenty-nine inpatient stays of the demo region are settled through ``settlement.visits`` (one of
them with a mid-stay settlement, one reversed and settled again) in 2025 and 2026, and their lists
uploaded through ``casepay.lists.upload_list``: four DRGs (GD25 appendectomy, GZ15 appendicitis
without an operation, BR25 cerebral infarction, ES35 pneumonia), a high-cost and a low-cost
outlier, one list voided and one case that does not group. The weights built from the store must
equal the pure computation over the costs the settlement engine returned; a case is paid as the
pure model pays it; bad input changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tests.support.databases import migrated_engine
from tests.support.drg_history import demo_employees
from yibao.casepay.lists import change_state, upload_list
from yibao.casepay.payment_model import CaseCharge, PayKind, PayParams, pay_case
from yibao.casepay.weight_tables import drg_weight_sets, drg_weights
from yibao.casepay.weights import build_weights, get_version, pay_settlement
from yibao.casepay.weights_model import CaseCost, compute_weights
from yibao.kernel.errors import YibaoError
from yibao.settlement.model import FeeLine, Settlement
from yibao.settlement.visits import (
    Reference,
    SettleRequest,
    discharge,
    register_visit,
    reverse_settlement,
    settle_visit,
    upload_lines,
)
from yibao.store.engine import write_transaction

D = Decimal
HOSPITAL = "H99010000001"
BED = "001109000010000"  # 甲类 bed, 50.00 a day
NOW = datetime(2026, 11, 20, 9)
BUDGET = D("1000000.00")
#: (main diagnosis, procedure, bed days of each stay); the first DRG's last stay is a high-cost
#: outlier, the third's last a low-cost one
PLAN = (
    ("K35.800x001", "47.0901", (40, 42, 44, 46, 48, 50, 52, 54, 56, 200)),  # GD25
    ("K35.800x001", None, (20, 22, 24, 26, 28, 30)),  # GZ15
    ("I63.900", None, (60, 62, 64, 66, 68, 70, 72, 5)),  # BR25
    ("J18.900", None, (30, 35, 40)),  # ES35
    ("I63.900x001", None, (33,)),  # an unknown code: invalid, not in the history
    ("J18.900", None, (90,)),  # its list is voided: not in the history
)


@dataclass(frozen=True, slots=True)
class Stay:
    """A settled stay: its final settlement, main diagnosis, cost and patient share."""

    setl_id: str
    main: str
    cost: Decimal
    patient: Decimal


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, list[Stay]]]:
    with migrated_engine(request, tmp_path_factory, "drgweights") as engine:
        ref, people = demo_employees(engine)
        stays = []
        n = 0
        for main, oprn, days in PLAN:
            for bed_days in days:
                stays.append(_stay(engine, ref, people[n], n, main, oprn, bed_days))
                n += 1
        with write_transaction(engine) as connection:
            change_state(connection, caller=HOSPITAL, setl_id=stays[-1].setl_id, psn_no=None,
                         stas_type="0", now=NOW)  # fmt: skip
        yield engine, stays


def _stay(
    engine: Engine, ref: Reference, psn_no: str, n: int, main: str, oprn: str | None, days: int
) -> Stay:
    """Admit, charge, discharge and settle a stay (stay 1 mid-stay first, stay 2 reversed and
    settled again), then upload its list; cost and patient share as the engine returned them."""
    year = 2025 + n % 2
    begin = datetime(year, 1 + n % 10, 3, 8)
    end, done = begin + timedelta(days=4), begin + timedelta(days=4, hours=2)
    kept: list[Settlement] = []
    with write_transaction(engine) as c:
        mdtrt_id = register_visit(c, caller=HOSPITAL, psn_no=psn_no, insutype="310", med_type="21",
                                  begntime=begin, mdtrtarea_admvs="990100", msgid=f"A{n:05d}")  # fmt: skip
        half = days // 2 if n == 1 else days
        _lines(c, ref, mdtrt_id, "1", half, begin)
        if n == 1:
            kept.append(
                _settle(c, ref, mdtrt_id, psn_no, n, mid=True, now=begin + timedelta(days=2))
            )
            _lines(c, ref, mdtrt_id, "2", days - half, begin + timedelta(days=2))
        discharge(c, caller=HOSPITAL, mdtrt_id=mdtrt_id, endtime=end)
        final = _settle(c, ref, mdtrt_id, psn_no, n, mid=False, now=done)
    if n == 2:
        with write_transaction(engine) as c:
            reverse_settlement(c, caller=HOSPITAL, mdtrt_id=mdtrt_id, setl_id=final.setl_id,
                               psn_no=psn_no, msgid=f"R{n:05d}", now=done + timedelta(hours=1))  # fmt: skip
            final = _settle(
                c, ref, mdtrt_id, psn_no, n + 1000, mid=False, now=done + timedelta(hours=2)
            )
    kept.append(final)
    with write_transaction(engine) as c:
        upload_list(c, caller=HOSPITAL, nodes=_nodes(mdtrt_id, final.setl_id, main, oprn, begin, end),
                    now=done + timedelta(hours=3))  # fmt: skip
    return Stay(
        final.setl_id,
        main,
        sum((s.amounts.medfee_sumamt for s in kept), D(0)),
        sum((s.amounts.psn_part_amt for s in kept), D(0)),
    )


def _lines(c: Any, ref: Reference, mdtrt_id: str, sn: str, days: int, when: datetime) -> None:
    line = FeeLine(sn, BED, f"HIS-{sn}", D(days), D("50.00"), D(days) * D("50.00"), when, "1")
    upload_lines(c, ref, caller=HOSPITAL, mdtrt_id=mdtrt_id, lines=(line,), chrg_bchno=f"B{sn}",
                 where="2301.feedetail")  # fmt: skip


def _settle(
    c: Any, ref: Reference, mdtrt_id: str, psn_no: str, n: int, *, mid: bool, now: datetime
) -> Settlement:
    request = SettleRequest(mdtrt_id, psn_no, "310", False, mid, None, "02", "2304")
    return settle_visit(c, ref, caller=HOSPITAL, request=request, commit=True,
                        msgid=f"S{n:05d}{int(mid)}", now=now)  # fmt: skip


def _nodes(
    mdtrt_id: str, setl_id: str, main: str, oprn: str | None, begin: datetime, end: datetime
) -> dict[str, Any]:
    nodes: dict[str, Any] = {
        "setlinfo": {"mdtrt_id": mdtrt_id, "setl_id": setl_id, "fixmedins_code": HOSPITAL, "gend": "1",
                     "age": "46", "adm_time": f"{begin:%Y-%m-%d %H:%M:%S}",
                     "dscg_time": f"{end:%Y-%m-%d %H:%M:%S}", "act_ipt_days": "4", "dscg_way": "1"},
        "diseinfo": [{"diag_type": "1", "diag_code": main, "diag_name": "主诊断", "maindiag_flag": "1"}],
    }  # fmt: skip
    if oprn:
        nodes["oprninfo"] = [
            {"oprn_oprt_type": "1", "oprn_oprt_code": oprn, "oprn_oprt_name": "阑尾切除术"}
        ]
    return nodes


DRGS = ["GD25"] * 10 + ["GZ15"] * 6 + ["BR25"] * 8 + ["ES35"] * 3


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _refused(engine: Engine, call: Any) -> str:
    try:
        with write_transaction(engine) as connection:
            call(connection)
    except YibaoError as exc:
        return str(getattr(exc, "field", exc.message.partition(":")[0]))
    raise AssertionError("not refused")


def test_weights_from_the_store_equal_the_pure_computation_and_a_case_is_paid(
    history: tuple[Engine, list[Stay]],
) -> None:
    engine, stays = history
    in_history = stays[:-2]  # neither the invalid case nor the voided list
    expected = compute_weights(
        [CaseCost(d, s.cost) for d, s in zip(DRGS, in_history, strict=True)], budget=BUDGET
    )
    with write_transaction(engine) as connection:
        version = build_weights(
            connection, years="2026,2025", budget=BUDGET, actor="医保科", now=NOW
        )
    assert version.years == (2025, 2026)
    with engine.connect() as connection:
        stored = {r.drg: (r.cases, r.kept, r.mean_cost, r.rw) for r in connection.execute(
            select(drg_weights).where(drg_weights.c.version_no == version.version_no))}  # fmt: skip
        head = connection.execute(
            select(drg_weight_sets).where(drg_weight_sets.c.version_no == version.version_no)
        ).one()
    assert stored == {g.drg: (g.cases, g.kept, g.mean_cost, g.rw) for g in expected.groups}
    assert stored["GD25"][:2] == (10, 9) and stored["BR25"][:2] == (8, 7)  # the outliers trimmed
    assert stored["ES35"][:2] == (3, 3)  # below five cases: all kept
    assert (head.base_rate, head.cases, head.kept) == (expected.base_rate, 27, 25)
    assert head.params["pay"]["high_ratio"] == "3" and head.built_by == "医保科"

    high = in_history[9]  # the GD25 stay of 200 bed days
    with engine.connect() as connection:
        paid = pay_settlement(connection, setl_id=high.setl_id, version_no=version.version_no)
    gd25 = expected.by_drg()["GD25"]
    assert paid == pay_case(CaseCharge(high.setl_id, high.cost, high.patient), drg="GD25",
                            weight=(gd25.rw, gd25.mean_cost), base_rate=expected.base_rate,
                            params=PayParams())  # fmt: skip
    assert paid.kind is PayKind.HIGH and paid.fund_share + paid.patient_share == paid.case_payment
    number = version.version_no
    with engine.connect() as connection:
        low = pay_settlement(connection, setl_id=in_history[23].setl_id, version_no=number)
        voided = pay_settlement(connection, setl_id=stays[-1].setl_id, version_no=number)
        mid = pay_settlement(connection, setl_id=in_history[1].setl_id, version_no=number)
    assert low.kind is PayKind.LOW and low.case_payment == in_history[23].cost
    assert voided.kind is PayKind.BY_ITEM and "voided" in voided.trace[0]
    assert mid.cost == in_history[1].cost == D(42) * D("50.00")  # mid-stay + final

    with write_transaction(engine) as connection:
        second = build_weights(connection, years=[2026], budget=BUDGET, actor="医保科", now=NOW)
    with engine.connect() as connection:
        again = get_version(connection, version_no=version.version_no)
    assert second.version_no == version.version_no + 1 and second.weights.cases < 27
    assert again.weights.groups == tuple(
        g.__class__(g.drg, g.cases, g.kept, g.mean_cost, g.rw) for g in expected.groups
    )


def test_bad_input_changes_nothing(history: tuple[Engine, list[Stay]]) -> None:
    engine, stays = history
    with write_transaction(engine) as connection:  # a version to pay under, whatever ran before
        number = build_weights(
            connection, years="2025", budget=BUDGET, actor="x", now=NOW
        ).version_no
    before = (_count(engine, drg_weight_sets), _count(engine, drg_weights))

    def build(years: object, budget: str) -> Any:
        return lambda c: build_weights(c, years=years, budget=D(budget), actor="x", now=NOW)

    assert _refused(engine, build("2019", "100.00")) == "years"  # no history
    assert _refused(engine, build("2026", "0.00")) == "budget"
    assert _refused(engine, build("2026", "-1.00")) == "budget"
    assert _refused(engine, build("20x6", "100.00")) == "years"
    assert _refused(engine, build("", "100.00")) == "years"
    assert _refused(engine, lambda c: build_weights(c, years="2026", budget=BUDGET, actor=" ",
                                                    now=NOW)) == "actor"  # fmt: skip
    unknown_version = _refused(
        engine, lambda c: pay_settlement(c, setl_id=stays[0].setl_id, version_no=99)
    )
    unknown_settlement = _refused(
        engine, lambda c: pay_settlement(c, setl_id="NO-SUCH", version_no=number)
    )
    assert (unknown_version, unknown_settlement) == ("version", "setl_id")
    assert (_count(engine, drg_weight_sets), _count(engine, drg_weights)) == before
