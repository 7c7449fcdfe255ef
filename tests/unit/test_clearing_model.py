"""The clearing model: input values, line states, netting per pair, the balance check, the simulation."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from yibao.crossregion.clearing_model import (
    Bucket,
    ClearingConflict,
    LineState,
    Pair,
    RegionFigures,
    Resolution,
    Role,
    StatementStatus,
    agree,
    bucket,
    check_balance,
    dispute,
    new_line,
    pair_of,
    resolve,
    statement_status,
    statement_totals,
)
from yibao.crossregion.clearing_sim import FLOWS, REGIONS, simulate_month
from yibao.crossregion.clearing_values import check_region, parse_period, period_end, text
from yibao.kernel.errors import InvalidValue

D = Decimal
A, B, C = "980100", "990100", "990200"


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "202610", "2026-1", "26-10", "2026/10",
                                 "２０２６-10", "", "1899-12", "2026-10-01"])  # fmt: skip
def test_a_period_is_a_month_yyyy_mm(bad: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_period(bad)
    assert caught.value.field == "period"


def test_period_values() -> None:
    assert parse_period(" 2026-10 ") == "2026-10"
    assert str(period_end("2026-12")) == "2027-01-01" and str(period_end("2026-02")) == "2026-03-01"


def test_a_pair_is_two_different_region_codes_in_order() -> None:
    assert pair_of([B, A]) == Pair(A, B) == pair_of((A, B))
    for values, field in (([B], "pair"), ([A, B, C], "pair"), ([B, B], "pair"),
                          (["99010", A], "pair[0]"), ([A, "abcdef"], "pair[1]")):  # fmt: skip
        with pytest.raises(InvalidValue) as caught:
            pair_of(values)
        assert caught.value.field == field
    with pytest.raises(InvalidValue, match="side: 990200 is not a party"):
        Pair(A, B).role_of(C, creditor=A)
    assert Pair(A, B).role_of(B, creditor=A) is Role.DEBTOR
    assert check_region(" 990100", field="x") == B


@pytest.mark.parametrize("blank", [None, "", "   ", 3])
def test_a_required_text_is_required(blank: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        text(blank, field="reason", limit=10)
    assert caught.value.field == "reason"
    with pytest.raises(InvalidValue, match="longer than 10"):
        text("x" * 11, field="reason", limit=10)


def test_both_sides_agree_then_the_line_is_final() -> None:
    one = agree(new_line(), Role.DEBTOR)
    assert (one.state, one.debtor_agreed, one.creditor_agreed) == (LineState.OPEN, True, False)
    with pytest.raises(ClearingConflict, match="already agreed"):
        agree(one, Role.DEBTOR)
    both = agree(one, Role.CREDITOR)
    assert both.state is LineState.AGREED and bucket(both.state, None) is Bucket.DUE
    with pytest.raises(ClearingConflict) as caught:
        agree(both, Role.DEBTOR)
    assert caught.value.field == "state"
    with pytest.raises(ClearingConflict) as caught:
        dispute(both, A, "late")
    assert caught.value.field == "state"


def test_a_dispute_needs_a_reason_and_holds_the_line_back() -> None:
    with pytest.raises(InvalidValue, match="reason"):
        dispute(new_line(), B, " ")
    held = dispute(agree(new_line(), Role.DEBTOR), B, "住院日期与备案不符")
    assert (held.state, held.disputed_by, held.reason) == (
        LineState.DISPUTED,
        B,
        "住院日期与备案不符",
    )
    assert bucket(held.state, held.resolution) is Bucket.HELD
    with pytest.raises(ClearingConflict, match="disputed by 990100"):
        agree(held, Role.CREDITOR)


def test_a_dispute_ends_agreed_by_its_side_or_withdrawn_by_the_creditor() -> None:
    held = dispute(new_line(), B, "重复结算")  # B is the debtor, A the creditor
    with pytest.raises(InvalidValue, match="only the creditor withdraws"):
        resolve(held, region=B, role=Role.DEBTOR, resolution="withdrawn", reason="x")
    with pytest.raises(InvalidValue, match="990100 disputed this line"):
        resolve(held, region=A, role=Role.CREDITOR, resolution="agreed", reason="x")
    with pytest.raises(InvalidValue) as caught:
        resolve(held, region=A, role=Role.CREDITOR, resolution="dropped", reason="x")
    assert caught.value.field == "resolution"
    with pytest.raises(InvalidValue) as caught:
        resolve(held, region=A, role=Role.CREDITOR, resolution="withdrawn", reason="")
    assert caught.value.field == "reason"
    gone = resolve(held, region=A, role=Role.CREDITOR, resolution="withdrawn", reason="确系重复")
    assert (gone.state, gone.resolution) == (LineState.RESOLVED, Resolution.WITHDRAWN)
    assert bucket(gone.state, gone.resolution) is Bucket.WITHDRAWN
    kept = resolve(held, region=B, role=Role.DEBTOR, resolution="agreed", reason="备案已补")
    assert bucket(kept.state, kept.resolution) is Bucket.DUE
    with pytest.raises(ClearingConflict, match="not disputed"):
        resolve(kept, region=B, role=Role.DEBTOR, resolution="agreed", reason="again")
    with pytest.raises(ClearingConflict, match="not disputed"):
        resolve(new_line(), region=B, role=Role.DEBTOR, resolution="agreed", reason="x")


def test_netting_per_pair_both_directions_and_who_pays() -> None:
    pair = Pair(A, B)
    totals = statement_totals(pair, [
        (A, D("100.10"), Bucket.DUE, 2), (A, D("-20.00"), Bucket.DUE, 1), (A, D("5.00"), Bucket.HELD, 1),
        (B, D("300.00"), Bucket.DUE, 3), (B, D("7.77"), Bucket.WITHDRAWN, 1),
    ])  # fmt: skip
    assert (totals.to_a.lines, totals.to_a.gross, totals.to_a.due, totals.to_a.held) == (
        4, D("85.10"), D("80.10"), D("5.00"))  # fmt: skip
    assert (totals.to_b.gross, totals.to_b.due, totals.to_b.withdrawn) == (
        D("307.77"),
        D("300.00"),
        D("7.77"),
    )
    assert totals.net == D("-219.90") and (totals.payer, totals.payee) == (A, B)
    assert totals.net_for(B) == D("219.90") and totals.net_for(A) == D("-219.90")
    even = statement_totals(pair, [(A, D("1.00"), Bucket.DUE, 1), (B, D("1.00"), Bucket.DUE, 1)])
    assert even.net == 0 and even.payer is None and even.payee is None
    with pytest.raises(InvalidValue, match="creditor"):
        statement_totals(pair, [(C, D("1.00"), Bucket.DUE, 1)])


def test_a_statement_is_open_disputed_or_reconciled() -> None:
    assert (
        statement_status([(LineState.AGREED, False), (LineState.OPEN, False)])
        is StatementStatus.OPEN
    )
    assert statement_status([(LineState.AGREED, False), (LineState.DISPUTED, False)]) is (
        StatementStatus.DISPUTED)  # fmt: skip
    assert statement_status([(LineState.RESOLVED, False), (LineState.DISPUTED, True)]) is (
        StatementStatus.RECONCILED)  # fmt: skip


def _figures() -> tuple[list[RegionFigures], list[object]]:
    ab = statement_totals(
        Pair(A, B), [(A, D("10.00"), Bucket.DUE, 1), (B, D("4.00"), Bucket.DUE, 1)]
    )
    regions = [
        RegionFigures(A, D("10.00"), D("4.00"), D("10.00"), D("4.00"), D("10.00"), D("4.00")),
        RegionFigures(B, D("4.00"), D("10.00"), D("4.00"), D("10.00"), D("4.00"), D("10.00")),
    ]
    return regions, [ab]


def test_the_balance_check_finds_every_kind_of_mismatch() -> None:
    regions, statements = _figures()
    ok = check_balance("2026-10", regions, statements, source_lines=2, stated_lines=2)  # type: ignore[arg-type]
    assert ok.balanced and ok.total("receivable") == ok.total("payable") == D("14.00")
    assert ok.total("net") == 0 and [r.net for r in ok.regions] == [D("6.00"), D("-6.00")]
    skewed = [replace(regions[0], receivable=D("10.01"), due_receivable=D("10.01")), regions[1]]
    bad = check_balance("2026-10", skewed, statements, source_lines=3, stated_lines=2)  # type: ignore[arg-type]
    assert not bad.balanced
    text_ = " | ".join(bad.problems)
    for expected in ("Σ receivable 14.01 ≠ Σ payable 14.00", "Σ due_receivable 14.01",
                     "the nets add up to 0.01", "980100: net 6.01 ≠ 6.00",
                     "980100: stated 10.01 receivable", "3 receivable(s) of 2026-10, 2 stated"):  # fmt: skip
        assert expected in text_, expected


def test_the_simulated_month_is_deterministic_exact_and_goes_every_way() -> None:
    month = simulate_month("2026-10")
    assert month == simulate_month("2026-10") and month != simulate_month("2026-10", seed="other")
    rows = month.receivables
    assert len(rows) == 159 and len({r.setl_id for r in rows}) == 159
    assert {(r.care_admdvs, r.insu_admdvs) for r in rows} == set(FLOWS)
    kinds = {k: sum(r.kind == k for r in rows) for k in ("final", "mid_stay", "reversal")}
    assert kinds == {"final": 129, "mid_stay": 16, "reversal": 14}  # 120 visits
    for r in rows:
        assert r.setl_time.strftime("%Y-%m") == "2026-10"
        assert r.amount.as_tuple().exponent == -2 and abs(r.acct_pay) <= abs(
            r.medfee_sumamt - r.fund_pay_sumamt
        )
        assert r.pay_loc == ("2" if REGIONS[r.care_admdvs][1] == REGIONS[r.insu_admdvs][1] else "3")
    by_id = {r.setl_id: r for r in rows}
    for r in rows:
        if r.kind == "reversal":
            assert r.reverses is not None and r.amount == -by_id[r.reverses].amount
    assert sum((r.amount for r in rows), D("0")) == D("1501024.30")
