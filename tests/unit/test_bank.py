"""Bank batch debits: the ten reasons from each demo bank's codes, names, screening and re-runs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from yibao.kernel.errors import ConflictError, InvalidValue, RejectedFile
from yibao.registry.bank import (
    BankCodeTable,
    DebitBatch,
    DebitFailure,
    DebitItem,
    DebitResult,
    DebitStatus,
    NameDifference,
    StudentStatus,
    classify,
    compare_names,
    result_for,
    unify_dots,
)
from yibao.registry.bank_codes import demo_bank_tables, parse_bank_tables
from yibao.registry.bank_runs import for_run, plan_rerun, screen, split_by_bank, still_unpaid
from yibao.registry.names import name_difference, normalise_name, to_simplified

F = DebitFailure
TABLES = demo_bank_tables()

# Each demo bank's codes (demo/data/banks/banks.toml), written out so a change of the table shows.
CODES = {
    "BOC": {"E102": F.NO_CARD, "E103": F.NAME_MISMATCH, "E104": F.CARD_NOT_FOUND,
            "E105": F.CARD_CLOSED, "E115": F.CARD_CLOSED, "E106": F.CREDIT_CARD,
            "E107": F.NON_LOCAL_CARD, "E108": F.ACCOUNT_CHECK_FAILED,
            "E109": F.CARD_NOT_ACTIVATED, "E110": F.CARD_REPORTED_LOST,
            "E111": F.CARD_REPORTED_LOST},
    "ICBC": {"B2001": F.NO_CARD, "B2002": F.NAME_MISMATCH, "B2003": F.CARD_NOT_FOUND,
             "B2004": F.CARD_CLOSED, "B2014": F.CARD_CLOSED, "B2005": F.CREDIT_CARD,
             "B2006": F.NON_LOCAL_CARD, "B2007": F.ACCOUNT_CHECK_FAILED,
             "B2008": F.CARD_NOT_ACTIVATED, "B2009": F.CARD_REPORTED_LOST,
             "B2019": F.CARD_REPORTED_LOST},
    "CCB": {"C1": F.NO_CARD, "C2": F.NAME_MISMATCH, "C3": F.CARD_NOT_FOUND, "C4": F.CARD_CLOSED,
            "C5": F.CREDIT_CARD, "C6": F.NON_LOCAL_CARD, "C7": F.ACCOUNT_CHECK_FAILED,
            "C8": F.CARD_NOT_ACTIVATED, "C9": F.CARD_REPORTED_LOST},
}  # fmt: skip
PAID = {"BOC": "0000", "ICBC": "00000", "CCB": "AA"}


def item(psn: str, line: int, *, run: str = "R1", bank: str = "BOC", card: str = "6217000010001234",
         name: str = "张伟", year: int = 2026) -> DebitItem:  # fmt: skip
    return DebitItem(run, line, psn, name, f"99010020000101{line:04d}", bank, card,
                     Decimal("380.00"), year, "390")  # fmt: skip


def paid(it: DebitItem) -> DebitResult:
    return DebitResult(it.run_id, it.line_no, DebitStatus.PAID, "0000")


def failed(it: DebitItem, failure: DebitFailure) -> DebitResult:
    return DebitResult(it.run_id, it.line_no, DebitStatus.FAILED, "E", "", failure)


@pytest.mark.parametrize(
    ("bank", "code", "reason"),
    [(bank, code, reason) for bank, codes in CODES.items() for code, reason in codes.items()],
)
def test_each_banks_code_is_classified_to_its_reason(
    bank: str, code: str, reason: DebitFailure
) -> None:
    assert classify(TABLES[bank], code) is reason


@pytest.mark.parametrize("bank", sorted(CODES))
def test_each_demo_table_is_exactly_the_listed_codes(bank: str) -> None:
    table = TABLES[bank]
    assert dict(table.codes) == {PAID[bank]: None, **CODES[bank]}
    assert classify(table, f" {PAID[bank]} ") is None  # padding around a code is not part of it
    # every reason a bank can return (F02–F10) has a code at every demo bank
    assert set(table.codes.values()) == {None, *(set(DebitFailure) - {F.STATUS_NOT_ELIGIBLE})}


@pytest.mark.parametrize("bank", sorted(CODES))
def test_f01_is_decided_before_export_for_every_bank(bank: str) -> None:
    graduate = item("P1", 1, bank=bank)
    screened = screen([graduate], {"P1": StudentStatus.GRADUATED})
    assert screened.send == ()
    assert screened.refused == (
        DebitResult(
            "R1", 1, DebitStatus.FAILED, "", "未送银行：学籍状态毕业", F.STATUS_NOT_ELIGIBLE
        ),
    )
    assert F.STATUS_NOT_ELIGIBLE not in TABLES[bank].codes.values()


def test_the_ten_reasons_carry_term_action_and_retry() -> None:
    assert [reason.value for reason in DebitFailure] == [f"F{n:02d}" for n in range(1, 11)]
    assert F.NO_CARD.label == "系统没有银行卡号"
    assert F.NO_CARD.action == "登记本人银行卡号后再批扣"
    assert F.CREDIT_CARD.action == "不能用信用卡扣款，请登记借记卡"
    assert F.NON_LOCAL_CARD.action == "登记本地开户的银行卡"
    assert F.CARD_NOT_ACTIVATED.action == "持卡到银行柜台激活后，下次批扣自动再扣"
    assert "繁体字" in F.NAME_MISMATCH.action and "点" in F.NAME_MISMATCH.action
    assert [reason for reason in DebitFailure if reason.retry] == [F.CARD_NOT_ACTIVATED]


def test_an_unknown_code_is_refused_naming_code_and_bank() -> None:
    with pytest.raises(InvalidValue) as caught:
        classify(TABLES["ICBC"], "E103")  # a code of BOC, not of ICBC
    assert caught.value.field == "result_code"
    assert caught.value.reason == "unknown code 'E103': not in the table of ICBC 中国工商银行"


def test_a_bank_answering_with_a_message_only_is_read_from_its_messages() -> None:
    ccb = TABLES["CCB"]
    assert classify(ccb, "", "扣款成功") is None
    assert classify(ccb, "", "户名不符") is F.NAME_MISMATCH
    assert classify(ccb, "", "卡未激活") is F.CARD_NOT_ACTIVATED
    with pytest.raises(InvalidValue, match="no result code, and the message '扣款不成功'"):
        classify(ccb, "", "扣款不成功")  # never guessed as paid from a part of the text
    with pytest.raises(InvalidValue, match="no result code"):
        classify(TABLES["BOC"], "", "户名不符")  # BOC's table has no messages


def test_a_table_with_an_unknown_or_bank_side_f01_reason_is_refused_whole() -> None:
    document = {"banks": {"ABC": {"name": "示范银行", "codes": {
        "00": "paid", "01": "F11", "02": "F01", "0 3": "F03"}, "fee": 1}}}  # fmt: skip
    with pytest.raises(RejectedFile) as caught:
        parse_bank_tables(document, source="banks.toml")
    assert [(p.column, p.reason) for p in caught.value.problems] == [
        ("banks.ABC.codes.01", "unknown reason 'F11' (expected paid or F02–F10)"),
        ("banks.ABC.codes.02", "F01 (学籍状态) is decided before export: a bank never returns it"),
        ("banks.ABC.codes.0 3.[key]", "code '0 3' is not 1–8 printable ASCII characters without spaces"),
        ("banks.ABC.fee", "Extra inputs are not permitted"),
    ]  # fmt: skip


def test_a_table_without_a_paid_code_is_refused() -> None:
    document = {"banks": {"ABC": {"name": "示范银行", "codes": {"01": "F03"}}}}
    with pytest.raises(RejectedFile, match="no code means paid"):
        parse_bank_tables(document, source="banks.toml")


@pytest.mark.parametrize(
    ("on_file", "at_bank", "difference"),
    [
        ("张伟", "张伟", NameDifference.SAME),
        ("张伟", "張偉", NameDifference.TRADITIONAL),
        ("張偉", "张伟", NameDifference.TRADITIONAL),
        ("买买提·艾力", "买买提艾力", NameDifference.DOT),
        ("买买提·艾力", "买买提.艾力", NameDifference.DOT),
        ("买买提艾力", "买买提.艾力", NameDifference.DOT),
        ("买买提·艾力", "买买提•艾力", NameDifference.DOT),
        ("买买提·艾力", "买买提．艾力", NameDifference.DOT),
        ("买买提·艾力", "買買提艾力", NameDifference.TRADITIONAL_AND_DOT),
        ("张伟", "张卫", NameDifference.OTHER),
        ("买买提·艾力", "买买提·艾山", NameDifference.OTHER),
    ],
)
def test_name_differences_say_the_likely_cause(
    on_file: str, at_bank: str, difference: NameDifference
) -> None:
    assert name_difference(on_file, at_bank) is difference


def test_name_helpers() -> None:
    assert to_simplified("張偉 劉德華") == "张伟 刘德华"
    assert normalise_name(" 買買提．艾力 ") == "买买提·艾力"
    assert unify_dots("买买提.艾力•阿不都") == "买买提·艾力·阿不都"
    # without a converter (the pure default) a traditional name is simply another name
    assert compare_names("张伟", "張偉") is NameDifference.OTHER
    assert NameDifference.DOT.label == "少数民族姓名中间的点写法不同或缺少"


def test_a_failed_line_names_how_the_holder_name_differs() -> None:
    line = item("P1", 1, name="买买提·艾力")
    result = result_for(line, TABLES["BOC"], result_code="E103", result_msg="户名不符",
                        holder_name="买买提艾力", to_simplified=to_simplified)  # fmt: skip
    assert result == DebitResult("R1", 1, DebitStatus.FAILED, "E103", "户名不符",
                                 F.NAME_MISMATCH, NameDifference.DOT)  # fmt: skip
    checked = result_for(line, TABLES["BOC"], result_code="E108", holder_name="買買提.艾力",
                         to_simplified=to_simplified)  # fmt: skip
    assert (checked.failure, checked.name_difference) == (
        F.ACCOUNT_CHECK_FAILED, NameDifference.TRADITIONAL_AND_DOT)  # fmt: skip
    ok = result_for(line, TABLES["BOC"], result_code="0000", holder_name="买买提艾力")
    assert (ok.status, ok.failure, ok.name_difference) == (DebitStatus.PAID, None, None)


def test_screen_keeps_back_the_four_statuses_and_lines_without_a_card() -> None:
    items = [item("P1", 1), item("P2", 2), item("P3", 3), item("P4", 4), item("P5", 5),
             item("P6", 6, card=""), item("P7", 7, card=""), item("P8", 8)]  # fmt: skip
    statuses = {"P1": StudentStatus.ENROLLED, "P2": StudentStatus.GRADUATED,
                "P3": StudentStatus.NOT_ENROLLED, "P4": StudentStatus.COMPLETED,
                "P5": StudentStatus.WITHDRAWN, "P7": StudentStatus.WITHDRAWN}  # fmt: skip
    screened = screen(items, statuses)
    assert [it.psn_no for it in screened.send] == ["P1", "P8"]
    assert [(r.line_no, r.failure, r.result_msg) for r in screened.refused] == [
        (2, F.STATUS_NOT_ELIGIBLE, "未送银行：学籍状态毕业"),
        (3, F.STATUS_NOT_ELIGIBLE, "未送银行：学籍状态非在学"),
        (4, F.STATUS_NOT_ELIGIBLE, "未送银行：学籍状态结业"),
        (5, F.STATUS_NOT_ELIGIBLE, "未送银行：学籍状态退学"),
        (6, F.NO_CARD, "未送银行：系统没有银行卡号"),
        (7, F.STATUS_NOT_ELIGIBLE, "未送银行：学籍状态退学"),  # status first, as the table lists it
    ]


def test_split_by_bank_makes_one_batch_per_bank() -> None:
    items = [item("P1", 1), item("P2", 2, bank="ICBC"), item("P3", 3)]
    batches = split_by_bank(items)
    assert [(b.bank_code, [i.line_no for i in b.items], b.total) for b in batches] == [
        ("BOC", [1, 3], Decimal("760.00")), ("ICBC", [2], Decimal("380.00"))]  # fmt: skip


def test_items_and_batches_refuse_bad_values() -> None:
    with pytest.raises(InvalidValue, match="float"):
        DebitItem("R1", 1, "P1", "张伟", "C1", "BOC", "6217000010001234", 380.0, 2026, "390")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="card number"):
        item("P1", 1, card="6217 0000")
    with pytest.raises(InvalidValue, match="unknown code '999'"):
        DebitItem("R1", 1, "P1", "张伟", "C1", "BOC", "", Decimal("1"), 2026, "999")
    assert item("P1", 1).amount == Decimal("380.00")
    assert DebitItem(
        "R1", 1, "P1", "张伟", "C1", "BOC", "", Decimal("380"), 2026, "390"
    ).amount == Decimal("380.00")
    with pytest.raises(InvalidValue, match="screen"):
        DebitBatch("R1", "BOC", (item("P1", 1, card=""),))
    with pytest.raises(InvalidValue, match="appears twice"):
        DebitBatch("R1", "BOC", (item("P1", 1), item("P2", 1)))
    with pytest.raises(InvalidValue, match="a paid line has no failure reason"):
        DebitResult("R1", 1, DebitStatus.PAID, "0000", "", F.NO_CARD)


def test_a_rerun_collects_only_what_is_unpaid_and_never_a_paid_premium() -> None:
    run1 = [item("A", 1), item("B", 2), item("C", 3), item("D", 4), item("E", 5, card="")]
    screened = screen(run1, {})
    results1 = [paid(run1[0]), failed(run1[1], F.CARD_NOT_ACTIVATED),
                failed(run1[2], F.NAME_MISMATCH), failed(run1[3], F.CARD_NOT_FOUND),
                *screened.refused]  # fmt: skip
    unpaid = still_unpaid(run1, results1)
    assert [it.psn_no for it in unpaid] == ["B", "C", "D", "E"]

    run2 = for_run(unpaid, run_id="R2")
    assert [(it.run_id, it.line_no, it.psn_no) for it in run2] == [
        ("R2", 1, "B"), ("R2", 2, "C"), ("R2", 3, "D"), ("R2", 4, "E")]  # fmt: skip
    results2 = [paid(run2[0]), failed(run2[1], F.NAME_MISMATCH),
                failed(run2[2], F.CARD_NOT_FOUND), failed(run2[3], F.NO_CARD)]  # fmt: skip
    # A (paid in run 1) and B (paid in run 2) are never collected again
    again = still_unpaid([*run1, *run2], [*results1, *results2])
    assert [(it.run_id, it.psn_no) for it in again] == [("R2", "C"), ("R2", "D"), ("R2", "E")]

    # an item for A slipped into a later run is still not collected: A's premium was paid
    stray = DebitItem("R3", 1, "A", "张伟", "C", "BOC", "6217000010001234", Decimal("380.00"),
                      2026, "390")  # fmt: skip
    stray_failed = DebitResult("R3", 1, DebitStatus.FAILED, "E104", "", F.CARD_NOT_FOUND)
    assert "A" not in [it.psn_no for it in still_unpaid([*run1, stray], [*results1, stray_failed])]
    # another year is another premium
    next_year = item("A", 6, year=2027)
    assert [it.psn_no for it in still_unpaid([run1[0], next_year],
                                             [paid(run1[0]), failed(next_year, F.CARD_CLOSED)])] == ["A"]  # fmt: skip


def test_plan_rerun_retries_f09_and_holds_the_rest_until_data_changes() -> None:
    run1 = [item("A", 1), item("B", 2), item("C", 3), item("D", 4)]
    results = [paid(run1[0]), failed(run1[1], F.CARD_NOT_ACTIVATED),
               failed(run1[2], F.NAME_MISMATCH), failed(run1[3], F.CARD_NOT_FOUND)]  # fmt: skip
    plan = plan_rerun(run1, results)
    assert [it.psn_no for it in plan.send] == ["B"]
    assert [(r.line_no, r.failure) for r in plan.held] == [
        (3, F.NAME_MISMATCH),
        (4, F.CARD_NOT_FOUND),
    ]
    plan = plan_rerun(run1, results, changed={"C"})
    assert [it.psn_no for it in plan.send] == ["B", "C"]
    assert [r.failure for r in plan.held] == [F.CARD_NOT_FOUND]


def test_a_rerun_before_the_results_are_in_is_refused() -> None:
    run1 = [item("A", 1), item("B", 2)]
    with pytest.raises(ConflictError, match="no result yet for run R1 line 2"):
        still_unpaid(run1, [failed(run1[0], F.CARD_CLOSED)])
    with pytest.raises(InvalidValue, match="two results for one line"):
        still_unpaid(run1, [paid(run1[0]), paid(run1[0])])
    with pytest.raises(InvalidValue, match="not among the items"):
        still_unpaid(run1[:1], [paid(run1[1])])


def test_a_table_is_read_only() -> None:
    table = BankCodeTable("ABC", "示范银行", {"00": None})
    with pytest.raises(TypeError):
        table.codes["01"] = F.NO_CARD  # type: ignore[index]
