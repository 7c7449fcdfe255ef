"""Clearing real settlements: cross-region visits settled (and one reversed) through the gateway leave
receivables that the month's statements list, net and balance to the fen."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.gateway.test_out_of_area import (
    CROSS,
    DRUG_B20,
    IN_PROVINCE,
    LOCAL_ITEM_980,
    ONLY_AT_HOME,
    call,
    file,
    fresh_person,
    settle,
    visit,
)
from yibao.crossregion.clearing import build_period, get_statement, period_balance
from yibao.crossregion.clearing_model import Pair
from yibao.gateway.pipeline import Gateway
from yibao.settlement.tables import region_receivables
from yibao.store.engine import write_transaction

D = Decimal
HOME, CROSS_REGION, NEIGHBOUR = "990100", "980100", "990200"


def _settled(client: TestClient, code: str, psn_no: str, lines: list[tuple[str, str, str]],
             medfee: str) -> dict[str, str]:  # fmt: skip
    mdtrt_id, _ = visit(client, code, psn_no, lines)
    answer = settle(client, code, mdtrt_id, psn_no, medfee)
    assert answer["infcode"] == 0, answer["err_msg"]
    info: dict[str, str] = answer["output"]["setlinfo"]
    return {**info, "mdtrt_id": mdtrt_id, "psn_no": psn_no}


def _owed(info: dict[str, str]) -> Decimal:
    return D(info["fund_pay_sumamt"]) + D(info["acct_pay"])


def test_settled_cross_region_visits_are_cleared_and_balance(
    gateway: Gateway, client: TestClient
) -> None:
    one, two, three = fresh_person(gateway), fresh_person(gateway), fresh_person(gateway)
    for psn_no in (one, two):
        file(gateway, psn_no, "referral")
    file(gateway, three, "long_term_residence", area=NEIGHBOUR)
    first = _settled(client, CROSS, one, [(LOCAL_ITEM_980, "100.00", "30"), (DRUG_B20, "30.00", "1")],
                     "3030.00")  # fmt: skip
    second = _settled(client, CROSS, two, [(LOCAL_ITEM_980, "100.00", "40")], "4000.00")
    third = _settled(client, IN_PROVINCE, three, [(ONLY_AT_HOME, "20.00", "1")], "20.00")
    undone = call(client, CROSS, "2208", {"data": {"setl_id": second["setl_id"],
                                                   "mdtrt_id": second["mdtrt_id"], "psn_no": two}})  # fmt: skip
    assert undone["infcode"] == 0, undone["err_msg"]

    today = date.today()
    month = f"{today:%Y-%m}"
    after = datetime(today.year + today.month // 12, today.month % 12 + 1, 1, 8)
    with write_transaction(gateway.engine) as connection:
        months = connection.execute(
            select(region_receivables.c.period).where(region_receivables.c.period <= month)
            .distinct().order_by(region_receivables.c.period)
        ).scalars().all()  # fmt: skip
        for period in months:  # earlier months first, as the clearing requires
            build_period(connection, period=period, actor="清算员", now=after)
        balance = period_balance(connection, period=month)
        cross = get_statement(connection, period=month, pair=[HOME, CROSS_REGION])
        near = get_statement(connection, period=month, pair=[HOME, NEIGHBOUR])
    assert balance.balanced, balance.problems
    assert balance.total("receivable") == balance.total("payable")
    ours = {first["setl_id"], second["setl_id"], third["setl_id"]}
    lines = {x.setl_id: x for x in cross.lines + near.lines}
    assert ours <= set(lines)
    reversal = [x for x in cross.lines if x.kind == "reversal" and x.mdtrt_id == second["mdtrt_id"]]
    assert len(reversal) == 1 and reversal[0].amount == -_owed(second) and _owed(second) > 0
    assert (
        lines[first["setl_id"]].amount == _owed(first) > 0
        and lines[first["setl_id"]].pay_loc == "3"
    )
    assert (lines[third["setl_id"]].creditor, lines[third["setl_id"]].debtor) == (NEIGHBOUR, HOME)
    assert lines[third["setl_id"]].pay_loc == "2"
    assert cross.summary.pair == Pair(CROSS_REGION, HOME)
    expected = sum((x.amount for x in cross.lines if x.creditor == CROSS_REGION), D("0"))
    assert cross.summary.totals.to_a.due == expected and cross.summary.totals.payer == HOME
