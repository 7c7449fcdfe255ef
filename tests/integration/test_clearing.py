"""Inter-region clearing on SQLite and PostgreSQL: a simulated month balances to the fen, lines are
reconciled, disputes carry over and are resolved, a month is built once, bad input stores nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from yibao.catalog.tables import regions
from yibao.crossregion.clearing import (
    agree_line,
    build_period,
    dispute_line,
    get_line_history,
    get_statement,
    list_statements,
    period_balance,
    resolve_line,
)
from yibao.crossregion.clearing_model import (
    Bucket,
    ClearingConflict,
    LineState,
    Pair,
    Resolution,
    StatementStatus,
)
from yibao.crossregion.clearing_records import StatementLine
from yibao.crossregion.clearing_sim import SimulatedMonth, simulate_month, store_month
from yibao.crossregion.clearing_tables import (
    clearing_lines,
    clearing_periods,
    clearing_statements,
    clearing_steps,
)
from yibao.kernel.errors import InvalidValue, NotFound
from yibao.settlement.tables import region_receivables
from yibao.store.engine import make_engine
from yibao.store.migrate import upgrade

D = Decimal
OCT, NOV = "2026-10", "2026-11"
AFTER_OCT, AFTER_NOV = datetime(2026, 11, 2, 9), datetime(2026, 12, 2, 9)
A, B, C = "980100", "990100", "990200"  # 980100 is in another province


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database holding October's simulated cross-region traffic."""
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as connection:
        store_month(connection, simulate_month(OCT))
    yield engine
    engine.dispose()


def build(engine: Engine, period: str = OCT, now: datetime = AFTER_OCT, **kw: Any) -> Any:
    with engine.begin() as connection:
        return build_period(connection, period=period, actor="清算员甲", now=now, **kw)


def act(engine: Engine, use_case: Callable[..., StatementLine], **kw: Any) -> StatementLine:
    kw.setdefault("period", OCT)
    kw.setdefault("actor", f"{kw.get('side')}对账员")
    with engine.begin() as connection:
        return use_case(connection, now=datetime(2026, 11, 5, 10), **kw)


def lines_of(engine: Engine, pair: Pair, period: str = OCT) -> tuple[StatementLine, ...]:
    with engine.connect() as connection:
        return get_statement(connection, period=period, pair=[pair.a, pair.b]).lines


def flows(month: SimulatedMonth) -> dict[tuple[str, str], Decimal]:
    """(creditor, debtor) → Σ amount, straight from the simulated rows."""
    owed: dict[tuple[str, str], Decimal] = defaultdict(lambda: D("0.00"))
    for r in month.receivables:
        owed[(r.care_admdvs, r.insu_admdvs)] += r.amount
    return owed


def test_a_simulated_month_balances_to_the_fen_and_nets_per_pair(engine: Engine) -> None:
    owed = flows(simulate_month(OCT))
    built = build(engine)
    assert (built.new_lines, built.carried_lines, built.rebuilt) == (159, 0, False)
    assert [str(s.pair) for s in built.statements] == [f"{A}–{B}", f"{A}–{C}", f"{B}–{C}"]
    with engine.connect() as connection:
        balance = period_balance(connection, period=OCT)
    assert balance.balanced, balance.problems
    assert (balance.source_lines, balance.stated_lines) == (159, 159)
    regions_ = {A, B, C}
    for r in balance.regions:
        others = regions_ - {r.region}
        # Σ receivables of every region = Σ payables of the others to it, to the fen
        assert r.receivable == sum((owed[(r.region, o)] for o in others), D("0"))
        assert r.payable == sum((owed[(o, r.region)] for o in others), D("0"))
        assert r.net == r.receivable - r.payable
    total = sum(owed.values(), D("0"))
    assert balance.total("receivable") == balance.total("payable") == total == D("1501024.30")
    assert balance.total("net") == D("0.00")
    assert {r.region: r.net for r in balance.regions} == {
        A: D("205557.44"), B: D("97179.37"), C: D("-302736.81")}  # fmt: skip
    for s in balance.statements:
        a, b = s.pair.a, s.pair.b
        assert (s.to_a.gross, s.to_b.gross) == (owed[(a, b)], owed[(b, a)])
        assert s.net == owed[(a, b)] - owed[(b, a)]
        assert s.payer == (b if s.net > 0 else a)
    nets = {str(s.pair): (s.payer, abs(s.net)) for s in balance.statements}
    assert nets == {f"{A}–{B}": (B, D("77494.19")), f"{A}–{C}": (C, D("128063.25")),
                    f"{B}–{C}": (C, D("174673.56"))}  # fmt: skip
    lines = lines_of(engine, Pair(A, B))
    assert {line.kind for line in lines} == {"final", "mid_stay", "reversal"}
    assert sum((x.amount for x in lines if x.creditor == A), D("0")) == owed[(A, B)]
    assert all(x.status.state is LineState.OPEN and x.pay_loc == "3" for x in lines)


def test_both_regions_agree_line_by_line_until_the_statement_is_reconciled(engine: Engine) -> None:
    build(engine)
    pair = Pair(A, C)
    lines = lines_of(engine, pair)
    first = act(engine, agree_line, pair=[C, A], setl_id=lines[0].setl_id, side=C, note="核对无误")
    assert (first.status.state, first.status.debtor_agreed, first.status.creditor_agreed) == (
        LineState.OPEN, lines[0].debtor == C, lines[0].creditor == C)  # fmt: skip
    with pytest.raises(ClearingConflict, match="already agreed"):
        act(engine, agree_line, pair=[A, C], setl_id=lines[0].setl_id, side=C)
    for line in lines:
        for side in (A, C):
            if not (line is lines[0] and side == C):
                act(engine, agree_line, pair=[A, C], setl_id=line.setl_id, side=side)
    with engine.connect() as connection:
        [summary] = [s for s in list_statements(connection, period=OCT) if s.pair == pair]
        history = get_line_history(connection, setl_id=lines[0].setl_id)
    assert summary.status is StatementStatus.RECONCILED
    assert summary.totals.to_a.due == summary.totals.to_a.gross and summary.totals.to_a.held == 0
    assert [(s.step_no, s.region, s.actor, s.reason) for s in history.steps] == [
        (1, C, f"{C}对账员", "核对无误"), (2, A, f"{A}对账员", None)]  # fmt: skip
    assert history.lines[0].status.state is LineState.AGREED
    with pytest.raises(ClearingConflict, match="agreed: it takes no further step"):
        act(engine, dispute_line, pair=[A, C], setl_id=lines[0].setl_id, side=A, reason="迟了")


def test_disputes_carry_over_open_with_their_reason_and_are_resolved_later(engine: Engine) -> None:
    build(engine)
    pair = Pair(A, B)
    oct_lines = lines_of(engine, pair)
    x = next(line for line in oct_lines if line.creditor == A and line.kind == "final")
    y = next(line for line in oct_lines if line.creditor == B and line.kind == "final")
    held = act(engine, dispute_line, pair=[A, B], setl_id=x.setl_id, side=B, reason="无备案记录")
    assert (held.status.state, held.status.disputed_by, held.counts_as) == (
        LineState.DISPUTED, B, Bucket.HELD)  # fmt: skip
    act(engine, dispute_line, pair=[A, B], setl_id=y.setl_id, side=A, reason="费用明细与结算单不符")
    with engine.connect() as connection:
        oct_balance = period_balance(connection, period=OCT)
    assert oct_balance.balanced, oct_balance.problems
    [ab] = [s for s in oct_balance.statements if s.pair == pair]
    assert (ab.to_a.held, ab.to_b.held) == (x.amount, y.amount)
    assert ab.to_a.due == ab.to_a.gross - x.amount and ab.net == D("77494.19") - x.amount + y.amount

    with engine.begin() as connection:
        store_month(connection, simulate_month(NOV))
    nov = build(engine, NOV, AFTER_NOV)
    assert nov.carried_lines == 2
    nov = build(engine, NOV, AFTER_NOV, rebuild=True)  # nothing reconciled on November yet
    assert (nov.carried_lines, nov.rebuilt) == (2, True)
    carried = {line.setl_id: line for line in lines_of(engine, pair, NOV) if line.carried_from}
    assert set(carried) == {x.setl_id, y.setl_id}
    assert (carried[x.setl_id].status.reason, carried[x.setl_id].status.disputed_by) == (
        "无备案记录",
        B,
    )
    assert (
        carried[x.setl_id].origin_period == OCT
        and carried[x.setl_id].status.state is LineState.DISPUTED
    )

    on_nov: dict[str, Any] = {"period": NOV, "pair": [B, A]}
    with pytest.raises(ClearingConflict, match="carried to 2026-11"):
        act(
            engine,
            resolve_line,
            pair=[A, B],
            setl_id=x.setl_id,
            side=A,
            resolution="withdrawn",
            reason="r",
        )
    with pytest.raises(ClearingConflict, match="disputed by 990100"):
        act(engine, agree_line, **on_nov, setl_id=x.setl_id, side=A)
    with pytest.raises(InvalidValue, match="only the creditor withdraws"):
        act(
            engine,
            resolve_line,
            **on_nov,
            setl_id=x.setl_id,
            side=B,
            resolution="withdrawn",
            reason="r",
        )
    with pytest.raises(InvalidValue, match="980100 disputed this line"):
        act(
            engine,
            resolve_line,
            **on_nov,
            setl_id=y.setl_id,
            side=B,
            resolution="agreed",
            reason="r",
        )
    gone = act(engine, resolve_line, **on_nov, setl_id=x.setl_id, side=A, resolution="withdrawn",
               reason="核实为本地参保人员，撤回")  # fmt: skip
    kept = act(engine, resolve_line, **on_nov, setl_id=y.setl_id, side=A, resolution="agreed",
               reason="补充明细后无误")  # fmt: skip
    assert (gone.status.resolution, gone.counts_as) == (Resolution.WITHDRAWN, Bucket.WITHDRAWN)
    assert (kept.status.resolution, kept.counts_as) == (Resolution.AGREED, Bucket.DUE)

    owed = flows(simulate_month(NOV))
    with engine.connect() as connection:
        nov_balance = period_balance(connection, period=NOV)
        history = get_line_history(connection, setl_id=x.setl_id)
        oct_again = period_balance(connection, period=OCT)
        still = connection.execute(select(region_receivables.c.amount)
                                   .where(region_receivables.c.setl_id == x.setl_id)).scalar_one()  # fmt: skip
    assert nov_balance.balanced and oct_again == oct_balance, nov_balance.problems
    [ab_nov] = [s for s in nov_balance.statements if s.pair == pair]
    assert ab_nov.to_a.withdrawn == x.amount and ab_nov.to_a.due == owed[(A, B)]
    assert ab_nov.to_b.due == owed[(B, A)] + y.amount
    assert ab_nov.net == owed[(A, B)] - owed[(B, A)] - y.amount
    assert still == x.amount  # withdrawn from the clearing, the settlement's row is kept
    assert [(line.period, line.carried_to, line.status.state) for line in history.lines] == [
        (OCT, NOV, LineState.DISPUTED), (NOV, None, LineState.RESOLVED)]  # fmt: skip
    assert [(s.period, s.kind.value, s.region, s.role.value, s.reason) for s in history.steps] == [
        (OCT, "disputed", B, "debtor", "无备案记录"),
        (NOV, "resolved", A, "creditor", "核实为本地参保人员，撤回")]  # fmt: skip
    assert all(s.actor and s.at == datetime(2026, 11, 5, 10) for s in history.steps)


def test_a_dispute_left_open_carries_into_a_month_without_traffic(engine: Engine) -> None:
    build(engine)
    line = lines_of(engine, Pair(B, C))[0]
    act(engine, dispute_line, pair=[B, C], setl_id=line.setl_id, side=line.debtor, reason="待核实")
    nov = build(engine, NOV, AFTER_NOV)  # November has no receivables at all
    assert (nov.new_lines, nov.carried_lines, [str(s.pair) for s in nov.statements]) == (
        0, 1, [f"{B}–{C}"])  # fmt: skip
    [summary] = nov.statements
    side = summary.totals.to_a if line.creditor == B else summary.totals.to_b
    assert (side.lines, side.held, side.due, summary.totals.net) == (1, line.amount, 0, 0)
    assert summary.status is StatementStatus.DISPUTED
    with engine.connect() as connection:
        balance = period_balance(connection, period=NOV)
        oct_statements = list_statements(connection, period=OCT)
    assert balance.balanced and (balance.source_lines, balance.stated_lines) == (0, 0)
    assert balance.total("receivable") == 0 and balance.total("due_receivable") == 0
    [bc] = [s for s in oct_statements if s.pair == Pair(B, C)]
    assert bc.status is StatementStatus.OPEN  # its other lines are still open
    act(engine, resolve_line, period=NOV, pair=[B, C], setl_id=line.setl_id, side=line.debtor,
        resolution="agreed", reason="已核实")  # fmt: skip
    with engine.connect() as connection:
        [after] = list_statements(connection, period=NOV)
        balance = period_balance(connection, period=NOV)
    assert after.status is StatementStatus.RECONCILED and balance.balanced
    assert abs(after.totals.net) == line.amount and after.totals.payer == line.debtor


def test_a_month_is_built_once_in_order_and_rebuilt_only_while_untouched(engine: Engine) -> None:
    with pytest.raises(
        InvalidValue, match="period: 2026-10 is not over: it can be built from 2026-11-01"
    ):
        build(engine, now=datetime(2026, 10, 31, 23, 59))
    with engine.begin() as connection:
        store_month(connection, simulate_month(NOV))
    with pytest.raises(ClearingConflict, match="period: 2026-10 has receivables and is not built"):
        build(engine, NOV, AFTER_NOV)
    build(engine)
    with pytest.raises(ClearingConflict, match="period: 2026-10 is already built"):
        build(engine)
    late = next(
        r for r in simulate_month(OCT).receivables if (r.care_admdvs, r.insu_admdvs) == (A, B)
    )
    late = replace(
        late, setl_id="LATE-1", mdtrt_id="LATE-V1", setl_time=datetime(2026, 10, 31, 23, 59)
    )
    with engine.begin() as connection:
        store_month(connection, SimulatedMonth(OCT, (late,)))
        stale = period_balance(connection, period=OCT)
    assert not stale.balanced and "160 receivable(s) of 2026-10, 159 stated" in stale.problems
    again = build(engine, rebuild=True)
    assert (again.new_lines, again.rebuilt) == (160, True)
    with engine.connect() as connection:
        assert period_balance(connection, period=OCT).balanced
        assert connection.execute(select(clearing_periods.c.rebuilds)).scalar_one() == 1
    act(engine, agree_line, pair=[A, B], setl_id="LATE-1", side=A)
    with pytest.raises(
        ClearingConflict, match="cannot be rebuilt: line LATE-1 is already agreed by 980100"
    ):
        build(engine, rebuild=True)
    build(engine, NOV, AFTER_NOV)
    with pytest.raises(
        ClearingConflict, match="2026-11 is already built: months are built in order"
    ):
        build(engine, rebuild=True)


def _snapshot(engine: Engine) -> list[list[Any]]:
    with engine.connect() as connection:
        return [sorted(tuple(r) for r in connection.execute(select(t)))
                for t in (clearing_periods, clearing_statements, clearing_lines, clearing_steps)]  # fmt: skip


def test_bad_input_names_the_field_and_stores_nothing(engine: Engine) -> None:
    build(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(regions), [{"admdvs": "970100", "name": "无往来市", "province": "97"}]
        )
    ab_line = lines_of(engine, Pair(A, B))[0].setl_id
    bc_line = lines_of(engine, Pair(B, C))[0].setl_id
    before = _snapshot(engine)
    base = {"period": OCT, "pair": [A, B], "setl_id": ab_line, "side": A, "actor": "x"}
    cases: list[tuple[Callable[..., Any], dict[str, Any], type[Exception], str]] = [
        (agree_line, {"period": "2026-13"}, InvalidValue, "period: '2026-13' is not a month YYYY-MM"),
        (agree_line, {"period": "2026/10"}, InvalidValue, "period: '2026/10'"),
        (agree_line, {"pair": [B, "123456"], "side": B}, InvalidValue, "pair: unknown region 123456"),
        (agree_line, {"pair": [B, "97010"]}, InvalidValue, "pair[1]: '97010' is not a region code"),
        (agree_line, {"pair": [B]}, InvalidValue, "pair: 1 region(s)"),
        (agree_line, {"pair": [B, B]}, InvalidValue, "pair: 990100 twice"),
        (agree_line, {"pair": [B, "970100"], "side": B}, NotFound, "pair: no statement between 970100 and 990100"),
        (agree_line, {"period": "2026-09"}, ClearingConflict, "period: 2026-09 is not built yet"),
        (agree_line, {"side": C}, InvalidValue, "side: 990200 is not a party of the statement 980100–990100"),
        (agree_line, {"side": "north"}, InvalidValue, "side: 'north' is not a region code"),
        (agree_line, {"actor": "  "}, InvalidValue, "actor: empty"),
        (agree_line, {"setl_id": bc_line}, InvalidValue,
         f"setl_id: {bc_line} is on the statement 990100–990200 of 2026-10, not on 980100–990100"),
        (agree_line, {"setl_id": "NO-SUCH"}, NotFound, "setl_id: no line NO-SUCH on any statement"),
        (dispute_line, {"reason": None}, InvalidValue, "reason: missing"),
        (dispute_line, {"reason": "   "}, InvalidValue, "reason: empty"),
        (resolve_line, {"resolution": "maybe", "reason": "r"}, InvalidValue, "resolution: 'maybe' is not one of"),
        (resolve_line, {"resolution": "agreed", "reason": None}, InvalidValue, "reason: missing"),
        (resolve_line, {"resolution": "agreed", "reason": "r"}, ClearingConflict, "state: the line is open"),
    ]  # fmt: skip
    for use_case, change, error, message in cases:
        kw = {**base, **change}
        if use_case is dispute_line:
            kw.setdefault("reason", "r")
        with pytest.raises(error) as caught, engine.begin() as connection:
            use_case(connection, now=AFTER_OCT + timedelta(days=3), **kw)
        assert message in str(caught.value), (change, str(caught.value))
    for period, actor, message in (
        ("2026-1", "x", "period: '2026-1'"),
        (NOV, "", "actor: empty"),
    ):
        with pytest.raises(InvalidValue, match=message), engine.begin() as connection:
            build_period(connection, period=period, actor=actor, now=AFTER_NOV)
    with pytest.raises(InvalidValue, match="period"), engine.connect() as connection:
        list_statements(connection, period="10-2026")
    assert _snapshot(engine) == before
