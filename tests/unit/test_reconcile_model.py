"""Reconciliation as pure values (ADR 0018): totals per clr_type and side, the differences named,
the detail file read and refused whole, every kind of line-by-line result, the result columns."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from yibao.clearing.reconcile_detail import DETAIL_COLUMNS, detail_figures, parse_detail
from yibao.clearing.reconcile_model import (
    APPLICATION_FIGURES,
    RESULT_COLUMNS,
    STATEMENT_FIGURES,
    Group,
    LineKind,
    Period,
    SettlementLine,
    StmtResult,
    Totals,
    compare_lines,
    count_kinds,
    describe_counts,
    differences,
    figures,
    month_of,
    result_row,
    result_text,
    select_totals,
    statement,
)
from yibao.kernel.errors import InvalidValue
from yibao.settlement.model import clr_type_of

D = Decimal
FIELD = "input.data.file_qury_no"


def totals(n: int, medfee: str, fund: str, acct: str, *, reversal: bool = False) -> Totals:
    sign = D(-1) if reversal else D(1)
    counts = (0, n) if reversal else (n, 0)
    return Totals(
        *counts, sign * D(medfee), sign * D(fund), sign * D(acct), sign * D(medfee), D("0.00")
    )


GROUPS = [
    Group("310", "11", False, totals(3, "300.00", "200.00", "50.00")),
    Group("310", "11", True, totals(1, "100.00", "60.00", "10.00", reversal=True)),
    Group("310", "14", False, totals(1, "40.00", "30.00", "0.00")),
    Group("310", "21", False, totals(2, "9000.00", "7000.00", "0.00")),
    Group("390", "11", False, totals(5, "500.00", "250.00", "0.00")),
]


def test_clr_type_follows_the_visits_med_type() -> None:
    assert [clr_type_of(m) for m in ("11", "14", "21", "22", "28", "41", "51", "52")] == [
        "11", "11", "21", "21", "21", "11", "11", "11"]  # fmt: skip


def test_totals_are_selected_by_insutype_clr_type_and_side() -> None:
    both = select_totals(GROUPS, clr_type="11", insutype="310")
    assert (both.settlements, both.reversals, both.records, both.net_count) == (4, 1, 5, 3)
    assert (both.medfee_sumamt, both.fund_pay_sumamt, both.acct_pay) == (
        D("240.00"),
        D("170.00"),
        D("40.00"),
    )
    settled = select_totals(GROUPS, clr_type="11", insutype="310", refd_setl_flag="0")
    assert (settled.records, settled.medfee_sumamt) == (4, D("340.00"))
    reversed_ = select_totals(GROUPS, clr_type="11", insutype="310", refd_setl_flag="1")
    assert (reversed_.records, reversed_.medfee_sumamt, reversed_.acct_pay) == (
        1,
        D("-100.00"),
        D("-10.00"),
    )
    assert select_totals(GROUPS, clr_type="21", insutype="310").fund_pay_sumamt == D("7000.00")
    assert select_totals(GROUPS, clr_type="41", insutype="310") == Totals()
    assert select_totals(GROUPS).records == 12


def test_a_statement_balances_or_names_every_difference() -> None:
    ours = figures(select_totals(GROUPS, clr_type="11", insutype="310"), STATEMENT_FIGURES)
    assert ours == {"fixmedins_setl_cnt": D(5), "medfee_sumamt": D("240.00"), "fund_pay_sumamt": D("170.00"),
                    "acct_pay": D("40.00")}  # fmt: skip
    outcome, text = statement(dict(ours), ours)
    assert outcome is StmtResult.BALANCED and outcome.label == "平"
    assert (
        text
        == "平: fixmedins_setl_cnt 5, medfee_sumamt 240.00, fund_pay_sumamt 170.00, acct_pay 40.00"
    )
    theirs = {**ours, "fund_pay_sumamt": D("204.50"), "fixmedins_setl_cnt": D(4)}
    outcome, text = statement(theirs, ours)
    assert outcome is StmtResult.UNBALANCED and outcome.value == "1"
    assert text == ("不平: fixmedins_setl_cnt: 机构 4, 经办 5, 差 -1; "
                    "fund_pay_sumamt: 机构 204.50, 经办 170.00, 差 34.50")  # fmt: skip


def test_an_application_is_compared_net_of_reversals() -> None:
    ours = figures(select_totals(GROUPS, clr_type="11", insutype="310"), APPLICATION_FIGURES)
    assert (
        ours["psntime"] == D(3)
        and ours["med_sumfee"] == D("240.00")
        and ours["fund_appy_sum"] == D("170.00")
    )
    found = differences({**ours, "cash_payamt": D("1.00")}, ours)
    assert [str(d) for d in found] == ["cash_payamt: 机构 1.00, 经办 0.00, 差 1.00"]


def test_periods_and_months() -> None:
    assert month_of("202610", field="setlym") == Period(date(2026, 10, 1), date(2026, 10, 31))
    assert month_of("202612", field="setlym").end == date(2026, 12, 31)
    assert month_of("202802", field="setlym").end == date(2028, 2, 29)
    for bad in ("202613", "2026-1", "20261", "abcdef", "202600"):
        with pytest.raises(InvalidValue) as caught:
            month_of(bad, field="input.data.setlym")
        assert str(caught.value).startswith("[YB1001] input.data.setlym: ")
    with pytest.raises(
        InvalidValue, match=r"input\.data\.stmt_enddate: 2026-10-01 is before the beginning"
    ):
        Period.checked(date(2026, 10, 2), date(2026, 10, 1), field="input.data.stmt_enddate")


def row(
    setl_id: str, medfee: str = "100.00", fund: str = "60.00", acct: str = "10.00", flag: str = "0"
) -> str:
    return "\t".join((setl_id, f"M{setl_id}", "P1", medfee, fund, acct, flag))


def test_a_detail_file_is_read_with_crlf_blank_lines_and_negative_reversals() -> None:
    text = (
        row("S1")
        + "\r\n\r\n"
        + row("R1", "-100.00", "-60.00", "-10.00", "1")
        + "\r\n"
        + row("S2", "5")
        + "\n"
    )
    lines = parse_detail(text, field=FIELD, name="F1")
    assert [(x.setl_id, x.line_no, x.refd_setl_flag) for x in lines] == [("S1", 1, "0"), ("R1", 3, "1"),
                                                                           ("S2", 4, "0")]  # fmt: skip
    assert lines[2].medfee_sumamt == D("5.00")
    assert detail_figures(lines) == {"fixmedins_setl_cnt": D(3), "medfee_sumamt": D("5.00"),
                                     "fund_pay_sumamt": D("60.00")}  # fmt: skip
    assert len(DETAIL_COLUMNS) == 7 and parse_detail("\n\n", field=FIELD, name="F1") == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            row("S1") + "\n" + "S2\tM\tP\t1.00\t1.00\t0",
            "line 2: 6 columns, expected 7 (setl_id, mdtrt_id",
        ),
        (row("S1") + "\n" + row("S2") + "\textra", "line 2: 8 columns, expected 7"),
        (
            row("S1") + "\n" + row("S2") + "\n" + row("S1"),
            "line 3, setl_id: S1 is listed twice (first on line 1)",
        ),
        (row("S1", "12.345"), "line 1, medfee_sumamt: 12.345 has more than 2 decimal places"),
        (row("S1", fund="六十"), "line 1, fund_pay_sumamt: '六十' is not a number"),
        (row("S1", acct="1e3"), "line 1, acct_pay: '1e3' is not a number"),
        (row("S1", flag="2"), "line 1, refd_setl_flag: '2' is not 0 or 1"),
        ("\tM1\tP1\t1.00\t1.00\t0.00\t0", "line 1, setl_id: empty"),
        (row("S" * 41), "line 1, setl_id: longer than 40 characters"),
    ],
)
def test_a_bad_detail_file_is_refused_naming_line_and_column(text: str, problem: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_detail(text, field=FIELD, name="F9")
    assert caught.value.field == FIELD
    assert caught.value.reason.startswith("file F9 refused, nothing was stored: ")
    assert problem in caught.value.reason


def test_every_problem_is_listed_up_to_twenty() -> None:
    text = "\n".join(row(f"S{n}", "x") for n in range(25))
    with pytest.raises(InvalidValue) as caught:
        parse_detail(text, field=FIELD, name="F9")
    assert caught.value.reason.count("medfee_sumamt: 'x' is not a number") == 20
    assert caught.value.reason.endswith("(+5 more)")


def ours(setl_id: str, medfee: str = "100.00", fund: str = "60.00", acct: str = "10.00",
         flag: str = "0") -> SettlementLine:  # fmt: skip
    return SettlementLine(
        setl_id, f"M{setl_id}", "P1", D(medfee), D(fund), D(acct), flag, msgid=f"MSG{setl_id}"
    )


def test_every_kind_of_result_is_found_and_named() -> None:
    theirs = parse_detail("\n".join([
        row("A"), row("C", medfee="101.00"), row("E", fund="61.00"), row("F", acct="9.00"),
        row("R", "100.00", "60.00", "10.00", "0"), row("X"), row("Y"),
    ]), field=FIELD, name="F1")  # fmt: skip
    held = [
        ours("A"),
        ours("B"),
        ours("C"),
        ours("E"),
        ours("F"),
        ours("R", "-100.00", "-60.00", "-10.00", "1"),
    ]
    results = compare_lines(theirs, held, {"Y": "经办结算日期 2026-06-30, 不在对账期间"})
    got = {r.line.setl_id: r for r in results}
    assert [r.line.setl_id for r in results] == ["A", "C", "E", "F", "R", "X", "Y", "B"]
    assert got["A"].kind is LineKind.MATCH and got["A"].memo == "match"
    assert got["B"].kind is LineKind.ONLY_OURS and got["B"].memo.startswith("only_ours: ")
    assert got["C"].memo == "amounts_differ: medfee_sumamt: 机构 101.00, 经办 100.00, 差 1.00"
    assert got["E"].memo == "amounts_differ: fund_pay_sumamt: 机构 61.00, 经办 60.00, 差 1.00"
    assert got["F"].memo == "amounts_differ: acct_pay: 机构 9.00, 经办 10.00, 差 -1.00"
    assert [d.field for d in got["R"].differences] == ["refd_setl_flag", "medfee_sumamt", "fund_pay_sumamt",
                                                       "acct_pay"]  # fmt: skip
    assert (
        "refd_setl_flag: 机构 0, 经办 1; medfee_sumamt: 机构 100.00, 经办 -100.00, 差 200.00"
        in got["R"].memo
    )
    assert (
        got["X"].kind is LineKind.ONLY_THEIRS
        and got["X"].memo == "only_theirs: 机构文件第 6 行, 经办无此结算"
    )
    assert got["Y"].memo.endswith("(经办结算日期 2026-06-30, 不在对账期间)")
    counts = count_kinds(results)
    assert counts == {
        LineKind.MATCH: 1,
        LineKind.AMOUNTS_DIFFER: 4,
        LineKind.ONLY_OURS: 1,
        LineKind.ONLY_THEIRS: 2,
    }
    assert describe_counts(counts) == (StmtResult.UNBALANCED,
                                       "不平: match 1, amounts_differ 4, only_ours 1, only_theirs 2")  # fmt: skip
    assert describe_counts(count_kinds(results[:1]))[0] is StmtResult.BALANCED


def test_a_result_row_has_newtouchs_columns_and_our_amounts() -> None:
    theirs = parse_detail(
        row("C", medfee="101.00") + "\n" + row("X", "7.00"), field=FIELD, name="F1"
    )
    results = compare_lines(theirs, [ours("C"), ours("R", "-1.00", "0.00", "0.00", "1")])
    assert [result_row(r)["stmt_rslt"] for r in results] == ["1", "3", "2"]
    first = result_row(results[0])
    assert tuple(first) == RESULT_COLUMNS
    assert (first["msgid"], first["medfee_sumamt"], first["refd_setl_flag"]) == (
        "MSGC",
        "100.00",
        "0",
    )
    assert (
        result_row(results[1])["medfee_sumamt"] == "7.00" and result_row(results[1])["msgid"] == ""
    )
    assert result_row(results[2])["refd_setl_flag"] == "1"
    text = result_text(results)
    assert text.endswith("\n") and [len(x.split("\t")) for x in text.splitlines()] == [10, 10, 10]
    assert [code.code for code in LineKind] == ["0", "1", "2", "3"]
