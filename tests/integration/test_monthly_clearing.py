"""The monthly payment to institutions on SQLite and PostgreSQL: a replayed month of traffic,
its violations deducted, the agreement's consequences decided, appeals, the clearing run and its
identity to the fen, a closed month and a later correction, refunds and the deposit release."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tests.support.databases import migrated_engine
from tests.support.month_replay import Replayed, plant_violations, replay_month
from yibao.catalog.service import demo_store
from yibao.clearing.adjustments import add_adjustment, release_deposit
from yibao.clearing.agreement import shipped_agreement
from yibao.clearing.appeals import decide_appeal, file_appeal
from yibao.clearing.consequences import decide_consequence
from yibao.clearing.deductions import build_deductions
from yibao.clearing.model import ClearingConflict
from yibao.clearing.runs import build_run, close_run
from yibao.clearing.tables import (
    adjustments,
    appeals,
    consequences,
    deductions,
    payout_lines,
    payout_runs,
)
from yibao.demo.load import load_demo
from yibao.kernel.errors import InvalidValue, YibaoError
from yibao.settlement.visits import load_reference
from yibao.store.engine import write_transaction

D = Decimal
AGREEMENT = shipped_agreement()
MARCH = "2026-03"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def month(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, Replayed]]:
    """The demo regions and a replayed March of 40 outpatient visits at three hospitals."""
    with migrated_engine(request, tmp_path_factory, "payout") as engine:
        yield from _prepared(engine)


def _prepared(engine: Engine) -> Iterator[tuple[Engine, Replayed]]:
    with engine.begin() as connection:
        load_demo(connection, catalog=demo_store().load(), persons_count=200)
    with engine.connect() as connection:
        ref = load_reference(connection)
    yield engine, replay_month(engine, ref, period=MARCH, visits=40)


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def refused(call: Any) -> str:
    try:
        call()
    except YibaoError as exc:
        return str(getattr(exc, "field", exc.message.partition(":")[0]))
    raise AssertionError("not refused")


def fund_payments(replayed: Replayed) -> dict[str, Decimal]:
    """Σ funds + account of the month's settlements by institution, from the engine's results."""
    out: dict[str, Decimal] = {}
    for s in replayed.settlements:
        code = s.visit.institution.fixmedins_code
        out[code] = out.get(code, D(0)) + s.amounts.fund_pay_sumamt + s.amounts.acct_pay
    return out


def test_a_replayed_month_clears_to_the_fen_and_a_later_correction_lands_in_the_next_month(
    month: tuple[Engine, Replayed],
) -> None:
    engine, replayed = month
    first = replayed.institutions[0]
    # five visits of the first hospital with a violation billed by the same department: the
    # agreement then allows a penalty, refusing the department's month and a suspension
    dept = "A01"
    visits = [
        (m, ls)
        for m, ls in replayed.lines.items()
        if m.startswith(first[-12:]) and ls[0].dept_codg == dept
    ][:5]
    assert len(visits) == 5
    picks = [(m, ls[0].feedetl_sn, "duplicate_pair", None) for m, ls in visits]
    second = next(
        m for m, _ in replayed.lines.items() if m.startswith(replayed.institutions[1][-12:])
    )
    picks.append((second, "1", "price_ceiling", D("3.50")))
    with write_transaction(engine) as connection:
        planted = plant_violations(
            connection, replayed, picks, now=datetime(2026, 4, 2, 9), period=MARCH
        )
    assert len(planted) == 6

    with write_transaction(engine) as connection:
        run = build_deductions(
            connection,
            period=MARCH,
            actor="审核科",
            now=datetime(2026, 4, 3, 9),
            agreement=AGREEMENT,
        )
    assert run.by_institution[first][0] == 5 and run.by_institution[replayed.institutions[1]] == (
        1,
        D("3.50"),
    )
    kinds = {(p.fixmedins_code, p.kind.value) for p in run.proposals}
    assert {(first, "penalty"), (first, "dept_refusal"), (first, "suspension")} <= kinds
    with write_transaction(engine) as connection:  # a second run takes only what is new
        again = build_deductions(connection, period=MARCH, actor="审核科", now=datetime(2026, 4, 3, 10),
                                 agreement=AGREEMENT)  # fmt: skip
    assert again.by_institution == {} and again.proposals == ()

    # the month is still open for reconciliation: no 3203, within ten days of its end
    before = count(engine, payout_runs)
    with pytest.raises(ClearingConflict) as early, write_transaction(engine) as connection:
        build_run(
            connection, period=MARCH, actor="结算科", now=datetime(2026, 4, 5), agreement=AGREEMENT
        )
    assert early.value.field == "period" and "open for reconciliation" in early.value.reason
    assert count(engine, payout_runs) == before

    with engine.connect() as connection:
        c = consequences.c
        query = select(consequences).where(c.fixmedins_code == first, c.run_no == run.run_no)
        proposed = {r.kind: r for r in connection.execute(query)}
    penalty = proposed["penalty"]
    assert (
        refused(lambda: _decide(engine, penalty.consequence_id, accept=True, multiplier="6"))
        == "multiplier"
    )
    decided = _decide(engine, penalty.consequence_id, accept=True, multiplier="3")
    assert decided.amount == penalty.base_amount * 3
    refusal = _decide(engine, proposed["dept_refusal"].consequence_id, accept=True)
    # every line of an A01 visit is billed by A01: the department's month is the funds' payments of
    # those visits (reversals netted) less the five deductions already withheld for it
    ours = [x for x in replayed.settlements if x.visit.institution.fixmedins_code == first]
    a01 = sum(
        (
            x.amounts.fund_pay_sumamt
            for x in ours
            if replayed.lines[x.visit.mdtrt_id][0].dept_codg == dept
        ),
        D(0),
    )
    assert refusal.amount == max(D(0), a01 - proposed["dept_refusal"].base_amount) > 0
    assert _decide(engine, proposed["suspension"].consequence_id, accept=False).state == "rejected"
    assert refused(lambda: _decide(engine, penalty.consequence_id, accept=False)) == "state"

    # an appeal in time, won; one after its deadline refused and nothing stored
    with engine.connect() as connection:
        d = deductions.c
        query = select(deductions).where(d.fixmedins_code == first, d.kind == "deduction")
        mine = connection.execute(query.order_by(d.deduction_id)).all()
    with write_transaction(engine) as connection:
        appeal = file_appeal(connection, deduction_id=mine[0].deduction_id, fixmedins_code=first, reason="有化验单佐证",
                             evidence=["化验单 2026-03-02"], actor="医保办", now=datetime(2026, 4, 6))  # fmt: skip
        won = decide_appeal(connection, appeal_id=appeal.appeal_id, won=True, reason="化验指标支持", actor="审核科",
                            now=datetime(2026, 4, 8))  # fmt: skip
    assert won.state == "won" and won.refund_amount == mine[0].amount and len(won.steps) == 2
    late = mine[1].appeal_due.toordinal() + 1
    appeals_before = count(engine, appeals)
    with pytest.raises(InvalidValue) as too_late, write_transaction(engine) as connection:
        file_appeal(connection, deduction_id=mine[1].deduction_id, fixmedins_code=first, reason="迟交",
                    evidence=["病程记录"], actor="医保办", now=datetime.fromordinal(late))  # fmt: skip
    assert too_late.value.field == "appeal_due" and count(engine, appeals) == appeals_before

    with write_transaction(engine) as connection:
        summary = close_run(
            connection, period=MARCH, actor="结算科", now=datetime(2026, 4, 12), agreement=AGREEMENT
        )
    paid = fund_payments(replayed)
    assert {c: t.fund_payments for c, t in summary.statements.items() if t.fund_payments} == {
        c: v for c, v in paid.items() if v
    }
    with engine.connect() as connection:
        withheld = connection.execute(
            select(func.sum(deductions.c.amount)).where(deductions.c.period == MARCH)
        ).scalar_one()
    assert summary.sum("deductions") + summary.sum("penalties") == withheld
    # Σ statements + Σ deductions + Σ deposits − Σ additions = Σ fund payments, to the fen
    assert (summary.sum("net") + summary.sum("deductions") + summary.sum("penalties") + summary.sum("deposit")
            - summary.sum("appeal_refunds") == sum(paid.values(), D(0)))  # fmt: skip
    statement = summary.statements[first]
    assert statement.appeal_refunds == mine[0].amount
    assert statement.deposit == ((statement.fund_payments - statement.deductions - statement.penalties)
                                 * AGREEMENT.deposit_rate).quantize(D("0.01"))  # fmt: skip
    with engine.connect() as connection:
        frozen = connection.execute(
            select(payout_lines).where(payout_lines.c.period == MARCH)
        ).all()
        lines_first = [r for r in frozen if r.fixmedins_code == first]
    assert sum((r.amount for r in lines_first), D(0)) == statement.net

    # March is closed: rebuilding is refused; a refund for a March settlement lands in April
    assert refused(lambda: _run(engine, MARCH, datetime(2026, 4, 13))) == "period"
    setl = next(s for s in replayed.settlements if s.visit.institution.fixmedins_code == first)
    with write_transaction(engine) as connection:
        add_adjustment(connection, kind="refund", party_type="institution", party=first, amount="12.30",
                       reason="3月结算少付床位费", corrects_type="settlement", corrects_ref=setl.setl_id,
                       actor="结算科", now=datetime(2026, 4, 20))  # fmt: skip
    with engine.connect() as connection:
        assert connection.execute(select(adjustments.c.period)).scalar_one() == "2026-04"
        after = connection.execute(select(payout_lines).where(payout_lines.c.period == MARCH)).all()
    assert after == frozen
    with write_transaction(engine) as connection:
        april = build_run(
            connection,
            period="2026-04",
            actor="结算科",
            now=datetime(2026, 5, 20),
            agreement=AGREEMENT,
        )
    assert april.statements[first].refunds == D("12.30")
    assert april.statements[first].net == D("12.30") - april.statements[first].deposit


def _decide(
    engine: Engine, consequence_id: int, *, accept: bool, multiplier: str | None = None
) -> Any:
    with write_transaction(engine) as connection:
        return decide_consequence(connection, consequence_id=consequence_id, accept=accept, reason="经集体研究",
                                  actor="稽核科", now=datetime(2026, 4, 4), agreement=AGREEMENT,
                                  multiplier=multiplier)  # fmt: skip


def _run(engine: Engine, period: str, now: datetime) -> Any:
    with write_transaction(engine) as connection:
        return build_run(connection, period=period, actor="结算科", now=now, agreement=AGREEMENT)


def test_bad_input_names_the_field_and_changes_nothing(month: tuple[Engine, Replayed]) -> None:
    engine, replayed = month
    first = replayed.institutions[0]
    setl = replayed.settlements[0].setl_id
    rows = count(engine, adjustments)
    cases = [
        (dict(kind="gift"), "kind"), (dict(amount="-1"), "amount"), (dict(amount="1.234"), "amount"),
        (dict(corrects_ref="NOPE"), "corrects_ref"), (dict(party="H00000000000"), "party"),
        (dict(party_type="person"), "party"), (dict(reason="  "), "reason"),
    ]  # fmt: skip
    for change, field in cases:
        args: dict[str, Any] = dict(kind="refund", party_type="institution", party=first, amount="1.00",
                                    reason="x", corrects_type="settlement", corrects_ref=setl)  # fmt: skip
        args.update(change)
        assert refused(lambda a=args: _adjust(engine, a)) == field, change
    assert count(engine, adjustments) == rows
    assert refused(lambda: _run(engine, "2026-11", datetime(2026, 11, 20))) == "period"  # not over
    assert refused(lambda: _run(engine, "2026-13", datetime(2026, 11, 20))) == "period"
    with pytest.raises(InvalidValue) as early, write_transaction(engine) as connection:
        release_deposit(
            connection,
            fixmedins_code=first,
            year=2026,
            rating="good",
            actor="x",
            now=datetime(2026, 12, 1),
        )
    assert early.value.field == "year"


def _adjust(engine: Engine, args: dict[str, Any]) -> None:
    with write_transaction(engine) as connection:
        add_adjustment(connection, actor="结算科", now=datetime(2026, 4, 20), **args)
