"""The review queue on SQLite and PostgreSQL: findings stored and queued, the sample, answers, decisions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Connection, Engine, Table, func, select
from sqlalchemy.sql.elements import ColumnClause

from tests.support.review_data import H1, H1_STAYS, H2, H2_STAYS, H3, MAY, NOW, finding, fund_pay
from tests.support.review_data import seed_store as seed
from yibao.audit.findings import Finding
from yibao.audit.model import Grade, Moment
from yibao.audit.review import (
    answer_case,
    appeal_findings,
    decide_case,
    draw_inpatient_sample,
    get_case,
    list_queue,
    record_findings,
)
from yibao.audit.review_model import CaseState, ReviewConflict, draw_sample
from yibao.audit.review_records import Recorded
from yibao.audit.review_sources import settlements_view, visits_view
from yibao.audit.review_store import load_case, move
from yibao.audit.tables import case_steps, cases, findings
from yibao.kernel.errors import InvalidValue, NotFound
from yibao.settlement import tables as settlement_tables
from yibao.store.engine import make_engine
from yibao.store.migrate import upgrade

D = Decimal
LATER = NOW + timedelta(days=2)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database holding the fixture's institutions, persons, visits and settlements."""
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as connection:
        seed(connection)
    yield engine
    engine.dispose()


def count(engine: Engine, table: Table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def record(
    connection: Connection, *found: Finding, moment: Moment = Moment.DURING,
    period: str | None = None, institutions: dict[str, str] | None = None,
) -> Recorded:  # fmt: skip
    return record_findings(connection, list(found), moment=moment, reference="msg-1", now=NOW,
                           period=period, institutions=institutions)  # fmt: skip


def test_the_view_of_the_settlement_tables_matches_them() -> None:
    for view, real in ((visits_view, settlement_tables.visits),
                       (settlements_view, settlement_tables.settlements)):  # fmt: skip
        assert view.name == real.name
        for col in view.columns:
            assert isinstance(col, ColumnClause)
            assert col.name in real.c, f"{real.name}.{col.name} no longer exists"
            assert type(real.c[col.name].type) is type(col.type) or isinstance(
                real.c[col.name].type, type(col.type)
            ), col.name


def test_findings_are_stored_exactly_and_suspicious_ones_queued_per_visit(engine: Engine) -> None:
    a, b = H1_STAYS[1], H2_STAYS[0]
    with engine.begin() as connection:
        done = record_findings(connection, [
            finding(a, "R1", "1", "120.50"), finding(a, "R2", "2", "0.10"),
            finding(a, "V1", "3", "99.99", grade=Grade.VIOLATION),
            finding(b, "R1", "7", "5.00"), finding(b, "N1", "8", "1.00", grade=Grade.REMINDER),
        ], moment=Moment.AFTER, reference="batch-2026-05", now=NOW, period=MAY)  # fmt: skip
    assert len(done.finding_ids) == 5 and len(done.opened) == 2 and done.extended == ()
    with engine.connect() as connection:
        stored = connection.execute(select(findings).order_by(findings.c.finding_id)).all()
        queue = list_queue(connection)
    assert [(r.fixmedins_code, r.amount, r.period, r.moment) for r in stored[:2]] == [
        (H1, D("120.50"), MAY, "after"), (H1, D("0.10"), MAY, "after")]  # fmt: skip
    assert stored[0].detail == {"code": "X01", "n": "2"} and stored[3].fixmedins_code == H2
    assert [(c.mdtrt_id, c.amount_at_issue, c.state) for c in queue.cases] == [
        (a, D("120.60"), CaseState.OPEN), (b, D("5.00"), CaseState.OPEN)]  # fmt: skip
    with engine.connect() as connection:
        file = get_case(connection, case_id=queue.cases[0].case_id)
    assert [f.rule_id for f in file.findings] == ["R1", "R2"]  # the violation is not queued
    assert [(s.kind.value, s.actor, s.at, s.amount) for s in file.steps] == [
        ("opened", "system", NOW, D("120.60"))]  # fmt: skip


def test_found_again_is_not_queued_twice_new_findings_join_the_waiting_case(engine: Engine) -> None:
    a = H1_STAYS[2]
    with engine.begin() as connection:
        first = record(connection, finding(a, "R1", "1", "10.00"))
        again = record_findings(connection, [finding(a, "R1", "1", "10.00"),
                                             finding(a, "R2", "4", "2.50")],
                                moment=Moment.AFTER, reference="batch", now=LATER)  # fmt: skip
    assert again.opened == () and again.extended == first.opened
    with engine.connect() as connection:
        file = get_case(connection, case_id=first.opened[0])
    assert file.case.amount_at_issue == D("12.50") and len(file.findings) == 2
    assert [(s.kind.value, s.amount, s.at) for s in file.steps] == [
        ("opened", D("10.00"), NOW), ("findings_added", D("2.50"), LATER)]  # fmt: skip
    assert count(engine, findings) == 3  # every finding of every run is kept


def test_after_an_answer_a_new_finding_opens_a_new_case(engine: Engine) -> None:
    a = H1_STAYS[3]
    with engine.begin() as connection:
        [case_id] = record(connection, finding(a, "R1")).opened
        answer_case(connection, case_id=case_id, fixmedins_code=H1, actor="王医生",
                    explanation="见病程记录", now=NOW)  # fmt: skip
        later = record(connection, finding(a, "R9", "5"))
    with engine.connect() as connection:
        second = load_case(connection, later.opened[0])
    assert second.case_no == 2 and second.mdtrt_id == a and second.state is CaseState.OPEN


def test_findings_before_settlement_are_stored_but_not_queued(engine: Engine) -> None:
    with engine.begin() as connection:
        done = record(connection, finding(H1_STAYS[4]), moment=Moment.BEFORE)
    assert len(done.finding_ids) == 1 and done.opened == ()
    assert count(engine, cases) == 0


def test_an_unknown_visit_needs_its_institution_and_nothing_is_half_written(engine: Engine) -> None:
    with pytest.raises(InvalidValue) as caught, engine.begin() as connection:
        record(connection, finding(H1_STAYS[5]), finding("NOT-STORED"))
    assert caught.value.field == "findings[1].mdtrt_id" and "NOT-STORED" in caught.value.reason
    assert count(engine, findings) == 0 and count(engine, cases) == 0
    with engine.begin() as connection:
        done = record(connection, finding("NOT-STORED"), institutions={"NOT-STORED": H3})
    with engine.connect() as connection:
        assert load_case(connection, done.opened[0]).fixmedins_code == H3


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        (finding("M1006", amount="-1.00"), "findings[1].amount", "negative"),
        (finding("M1006", amount="1.005"), "findings[1].amount", "decimal places"),
        (finding("M1006", rule_id="R" * 61), "findings[1].rule_id", "longer than 60"),
        (finding("M1006", feedetl_sn=""), "findings[1].feedetl_sn", "empty"),
    ],
)
def test_a_bad_finding_is_named_and_the_run_writes_nothing(
    engine: Engine, bad: Finding, field: str, reason: str
) -> None:
    with pytest.raises(InvalidValue) as caught, engine.begin() as connection:
        record(connection, finding(H1_STAYS[6]), bad)
    assert caught.value.field == field and reason in caught.value.reason
    assert (
        count(engine, findings) == 0
        and count(engine, cases) == 0
        and count(engine, case_steps) == 0
    )


def test_answer_answer_again_then_partly_uphold_keeps_every_step(engine: Engine) -> None:
    a = H1_STAYS[7]
    with engine.begin() as connection:
        [case_id] = record(connection, finding(a, "R1", "1", "2423.00")).opened
        answered = answer_case(connection, case_id=case_id, fixmedins_code=H1, actor="王医生",
                               explanation="血钙升高，见检验", evidence=["检验报告 2026-05-03"],
                               now=NOW + timedelta(hours=1))  # fmt: skip
        again = answer_case(connection, case_id=case_id, fixmedins_code=H1, actor="李主任",
                            explanation="补充病程记录", evidence=["病程记录 p.3", "医嘱单"],
                            now=NOW + timedelta(hours=2))  # fmt: skip
        closed = decide_case(connection, case_id=case_id, actor="审核员甲", outcome="partly_uphold",
                             reason="两日用量超出", amount_upheld=D("846.10"),
                             now=NOW + timedelta(hours=3))  # fmt: skip
    assert answered.state is CaseState.ANSWERED and again.state is CaseState.ANSWERED
    assert closed.state is CaseState.CLOSED and closed.amount_upheld == D("846.10")
    assert closed.closed_at == NOW + timedelta(hours=3) and closed.outcome is not None
    with engine.connect() as connection:
        steps = get_case(connection, case_id=case_id).steps
    assert [(s.step_no, s.kind.value, s.actor, s.fixmedins_code, s.at, s.state_after.value)
            for s in steps] == [
        (1, "opened", "system", None, NOW, "open"),
        (2, "answered", "王医生", H1, NOW + timedelta(hours=1), "answered"),
        (3, "answered", "李主任", H1, NOW + timedelta(hours=2), "answered"),
        (4, "decided", "审核员甲", None, NOW + timedelta(hours=3), "closed"),
    ]  # fmt: skip
    assert steps[1].evidence == ("检验报告 2026-05-03",) and steps[2].text == "补充病程记录"
    assert steps[3].outcome is not None and steps[3].amount == D("846.10")
    assert steps[3].text == "两日用量超出"


def test_a_closed_case_refuses_decisions_and_answers(engine: Engine) -> None:
    with engine.begin() as connection:
        [case_id] = record(connection, finding(H1_STAYS[8])).opened
        decide_case(connection, case_id=case_id, actor="甲", outcome="dismiss", reason="无疑点",
                    now=NOW)  # fmt: skip
    for act in (
        lambda c: decide_case(c, case_id=case_id, actor="乙", outcome="uphold", reason="r", now=LATER),
        lambda c: answer_case(c, case_id=case_id, fixmedins_code=H1, actor="丙", explanation="x",
                              now=LATER),
    ):  # fmt: skip
        with pytest.raises(ReviewConflict) as caught, engine.begin() as connection:
            act(connection)
        assert caught.value.field == "state" and "closed" in caught.value.reason
    with engine.connect() as connection:
        file = get_case(connection, case_id=case_id)
    assert len(file.steps) == 2 and file.case.amount_upheld == D("0.00")


def test_refusals_name_the_field(engine: Engine) -> None:
    with engine.begin() as connection:
        [case_id] = record(connection, finding(H1_STAYS[9], amount="50.00")).opened
    cases_of = [
        (lambda c: answer_case(c, case_id=case_id, fixmedins_code=H2, actor="x", explanation="y",
                               now=NOW), NotFound, "case_id"),
        (lambda c: answer_case(c, case_id=case_id, fixmedins_code=H1, actor="x", explanation=" ",
                               now=NOW), InvalidValue, "explanation"),
        (lambda c: answer_case(c, case_id=case_id, fixmedins_code=H1, actor="", explanation="y",
                               now=NOW), InvalidValue, "actor"),
        (lambda c: decide_case(c, case_id=case_id, actor="甲", outcome="partly_uphold", reason="r",
                               amount_upheld=D("50.00"), now=NOW), InvalidValue, "amount_upheld"),
        (lambda c: decide_case(c, case_id=999, actor="甲", outcome="uphold", reason="r", now=NOW),
         NotFound, "case_id"),
    ]  # fmt: skip
    for act, kind, field in cases_of:
        with pytest.raises(kind) as caught, engine.begin() as connection:
            act(connection)
        assert str(caught.value.message).startswith(f"{field}: "), caught.value
    with engine.connect() as connection:
        assert get_case(connection, case_id=case_id).case.state is CaseState.OPEN


def test_a_step_on_a_case_changed_meanwhile_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        [case_id] = record(connection, finding(H1_STAYS[10])).opened
        stale = load_case(connection, case_id)
        decide_case(connection, case_id=case_id, actor="甲", outcome="uphold", reason="r", now=NOW)
        with pytest.raises(ReviewConflict, match="changed meanwhile"):
            move(connection, stale, state=CaseState.ANSWERED, now=NOW)


def test_an_institution_appeals_violations_of_one_visit(engine: Engine) -> None:
    a = H1_STAYS[11]
    with engine.begin() as connection:
        ids = record(
            connection,
            finding(a, "V1", "1", "252.00", grade=Grade.VIOLATION),
            finding(a, "V2", "2", "1658.00", grade=Grade.VIOLATION),
            finding(a, "S1", "3", grade=Grade.SUSPICIOUS),
            finding(H1_STAYS[12], "V1", "1", grade=Grade.VIOLATION),
        ).finding_ids
        case = appeal_findings(connection, finding_ids=ids[:2], fixmedins_code=H1, actor="医保办",
                               explanation="造影导丝不在打包内", evidence=["价格文件"], now=LATER)  # fmt: skip
    assert case.state is CaseState.ANSWERED and case.amount_at_issue == D("1910.00")
    with engine.connect() as connection:
        file = get_case(connection, case_id=case.case_id, fixmedins_code=H1)
    assert [s.kind.value for s in file.steps] == ["opened", "answered"]
    assert file.steps[0].fixmedins_code == H1 and [f.rule_id for f in file.findings] == ["V1", "V2"]
    refusals = [
        ([ids[0]], H1, ReviewConflict, "already reviewed in case"),
        ([ids[2]], H1, InvalidValue, "only violations are appealed"),
        ([ids[3]], H2, NotFound, f"no finding {ids[3]} of institution {H2}"),
        ([ids[1], ids[3]], H1, InvalidValue, "of 2 visits"),
        ([], H1, InvalidValue, "empty"),
    ]
    for named, code, kind, reason in refusals:
        with pytest.raises(kind) as caught, engine.begin() as connection:
            appeal_findings(connection, finding_ids=named, fixmedins_code=code, actor="x",
                            explanation="y", now=LATER)  # fmt: skip
        assert caught.value.message.startswith("finding_ids: ") and reason in caught.value.message


def test_the_sample_draws_at_least_ten_percent_of_each_institution_deterministically(
    engine: Engine,
) -> None:
    with engine.begin() as connection:
        draw = draw_inpatient_sample(connection, period=MAY, seed="2026-05-抽审", actor="科长",
                                     now=NOW)  # fmt: skip
    by_code = {i.fixmedins_code: i for i in draw.institutions}
    assert sorted(by_code) == [H1, H2]  # H3 has no inpatient stay
    assert (by_code[H1].population, len(by_code[H1].drawn)) == (25, 3)  # ceil(2.5)
    assert (by_code[H2].population, len(by_code[H2].drawn)) == (7, 1)  # never fewer than one
    for code, stays in ((H1, H1_STAYS), (H2, H2_STAYS)):
        assert by_code[code].drawn == draw_sample(stays, seed="2026-05-抽审", share=D("0.10"))
        assert len(by_code[code].drawn) * 10 >= len(stays)
    with engine.connect() as connection:
        page = list_queue(connection, reason="sample", period=MAY)
    assert page.total == 4
    assert {c.mdtrt_id: c.amount_at_issue for c in page.cases} == {
        m: fund_pay(m) for m in by_code[H1].drawn + by_code[H2].drawn
    }


def test_the_population_is_the_settled_inpatient_stays_of_the_month(engine: Engine) -> None:
    with engine.begin() as connection:
        draw = draw_inpatient_sample(connection, period=MAY, seed="s", actor="科长", now=NOW,
                                     share="1", fixmedins_code=H1)  # fmt: skip
    [h1] = draw.institutions
    assert sorted(h1.drawn) == sorted(H1_STAYS)  # no outpatient, open, June or reversed visit
    with engine.connect() as connection:
        first = get_case(connection, case_id=h1.case_ids[h1.drawn.index(H1_STAYS[0])])
    assert first.case.amount_at_issue == fund_pay(H1_STAYS[0])  # mid-stay (April) + final (May)
    assert first.steps[0].actor == "科长" and "seed s" in first.steps[0].text


def test_a_period_is_drawn_once_per_institution(engine: Engine) -> None:
    with engine.begin() as connection:
        first = draw_inpatient_sample(connection, period=MAY, seed="a", actor="x", now=NOW,
                                      fixmedins_code=H2)  # fmt: skip
        second = draw_inpatient_sample(connection, period=MAY, seed="b", actor="y", now=LATER)
    assert first.drawn == 1
    by_code = {i.fixmedins_code: i for i in second.institutions}
    assert by_code[H2].earlier_seed == "a" and by_code[H2].drawn == first.institutions[0].drawn
    assert by_code[H1].earlier_seed is None and second.drawn == 3
    with engine.connect() as connection:
        assert list_queue(connection, reason="sample").total == 4


def test_sample_input_is_checked(engine: Engine) -> None:
    for kwargs, field in (({"share": "0.05"}, "share"), ({"period": "2026-5"}, "period"),
                          ({"seed": ""}, "seed"), ({"actor": " "}, "actor")):  # fmt: skip
        args = {"period": MAY, "seed": "s", "actor": "x", **kwargs}
        with pytest.raises(InvalidValue) as caught, engine.begin() as connection:
            draw_inpatient_sample(connection, now=NOW, **args)
        assert caught.value.field == field
    assert count(engine, cases) == 0


def test_the_queue_filters_and_orders_by_amount(engine: Engine) -> None:
    with engine.begin() as connection:
        record(connection, finding(H1_STAYS[13], amount="5.00"), finding(H1_STAYS[14], amount="70.00"),
               finding(H2_STAYS[1], amount="30.00"))  # fmt: skip
        record(connection, finding(H1_STAYS[15], amount="900.00"), period="2026-04")
        draw_inpatient_sample(connection, period=MAY, seed="s", actor="x", now=NOW)
        top = list_queue(connection, reason="finding").cases[0]
        decide_case(
            connection, case_id=top.case_id, actor="甲", outcome="uphold", reason="r", now=NOW
        )
    with engine.connect() as connection:
        amounts = [c.amount_at_issue for c in list_queue(connection, reason="finding").cases]
        assert amounts == [D("70.00"), D("30.00"), D("5.00")]  # the closed 900.00 left the queue
        assert list_queue(connection, states=["closed"]).cases[0].case_id == top.case_id
        assert list_queue(connection, states=["all"], reason="finding").total == 4
        assert list_queue(connection, fixmedins_code=H2, reason="finding").total == 1
        assert list_queue(connection, period="2026-04", states=["all"]).total == 1
        page = list_queue(connection, limit=2, offset=1)
        assert len(page.cases) == 2 and page.total == 3 + 4
        for kwargs, field in (({"states": ["done"]}, "state"), ({"limit": 0}, "limit"),
                              ({"reason": "x"}, "reason"), ({"period": "May"}, "period")):  # fmt: skip
            with pytest.raises(InvalidValue) as caught:
                list_queue(connection, **kwargs)
            assert caught.value.field == field


def test_money_is_exact_through_the_store(engine: Engine) -> None:
    amounts = ["0.10", "0.20", "12345678901234.56"]
    with engine.begin() as connection:
        done = record(connection, *[finding(H1_STAYS[16], f"R{n}", str(n), a)
                                    for n, a in enumerate(amounts)])  # fmt: skip
    with engine.connect() as connection:
        case = load_case(connection, done.opened[0])
    assert case.amount_at_issue == sum(map(D, amounts)) == D("12345678901234.86")
    assert str(case.amount_at_issue) == "12345678901234.86"
    assert isinstance(case.opened_at, datetime)
