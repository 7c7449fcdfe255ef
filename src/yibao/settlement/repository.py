"""Settlement persistence: visits, their lines, settlements and the year's counters in the store.

Every read of a visit is scoped to the institution asking: another institution's ``mdtrt_id``
is answered exactly like a missing one. :func:`lock_person` serialises one person's settlements
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's immediate transactions serialise all writers).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache

from sqlalchemy import Connection, Insert, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from yibao.kernel.codes import PayLoc
from yibao.kernel.errors import ConflictError, NotFound
from yibao.kernel.money import ZERO
from yibao.registry.families import FamilyAccount
from yibao.registry.tables import account_ledger, accounts, persons
from yibao.settlement import codec
from yibao.settlement.engine import own_account_part
from yibao.settlement.model import (
    Accumulators,
    FeeLine,
    LineSplit,
    Settlement,
    SettlementKind,
    YearState,
)
from yibao.settlement.tables import (
    fee_lines,
    region_receivables,
    settlement_funds,
    settlements,
    visits,
    year_counters,
)

__all__ = [
    "VisitRow",
    "active_lines",
    "count_settlements",
    "find_settlement",
    "get_open_visit",
    "get_visit",
    "insert_lines",
    "latest_settlement",
    "lock_person",
    "store_settlement",
    "year_state",
]


@dataclass(frozen=True, slots=True)
class VisitRow:
    """A visit as stored."""

    mdtrt_id: str
    fixmedins_code: str
    psn_no: str
    insutype: str
    med_type: str
    begntime: datetime
    endtime: datetime | None
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    status: str


def get_visit(connection: Connection, *, caller: str, mdtrt_id: str) -> VisitRow:
    """The caller's visit; NotFound names the field whether it is missing or someone else's."""
    row = connection.execute(
        select(visits).where(visits.c.mdtrt_id == mdtrt_id, visits.c.fixmedins_code == caller)
    ).first()
    if row is None:
        raise NotFound(f"mdtrt_id: no visit {mdtrt_id} of this institution")
    return VisitRow(row.mdtrt_id, row.fixmedins_code, row.psn_no, row.insutype, row.med_type,
                    row.begntime, row.endtime, row.mdtrtarea_admvs, row.insuplc_admdvs, row.status)  # fmt: skip


def get_open_visit(connection: Connection, *, caller: str, mdtrt_id: str) -> VisitRow:
    """As :func:`get_visit`, refusing a cancelled visit."""
    row = get_visit(connection, caller=caller, mdtrt_id=mdtrt_id)
    if row.status == "cancelled":
        raise ConflictError(f"mdtrt_id: visit {mdtrt_id} is cancelled")
    return row


def lock_person(connection: Connection, psn_no: str) -> None:
    """Hold the person's row until the transaction ends, so their settlements run one at a time.

    On SQLite there is nothing to do: the transaction began ``IMMEDIATE`` and already holds the
    database's only write lock.
    """
    if connection.dialect.name == "sqlite":
        return
    connection.execute(select(persons.c.psn_no).where(persons.c.psn_no == psn_no).with_for_update())


def active_lines(connection: Connection, mdtrt_id: str) -> list[FeeLine]:
    """The visit's lines in upload order (deleted lines excluded)."""
    rows = connection.execute(
        select(fee_lines)
        .where(fee_lines.c.mdtrt_id == mdtrt_id, fee_lines.c.status == "active")
        .order_by(fee_lines.c.line_no)
    )
    return [
        FeeLine(r.feedetl_sn, r.med_list_codg, r.medins_list_codg, r.cnt, r.pric,
                r.det_item_fee_sumamt, r.fee_ocur_time, r.hosp_appr_flag, r.init_feedetl_sn)
        for r in rows
    ]  # fmt: skip


def insert_lines(
    connection: Connection,
    *,
    mdtrt_id: str,
    lines: Sequence[FeeLine],
    splits: Sequence[LineSplit],
    chrg_bchno: str,
) -> None:
    """Store uploaded lines with their split, numbered after the visit's existing lines."""
    start = connection.execute(
        select(func.count()).select_from(fee_lines).where(fee_lines.c.mdtrt_id == mdtrt_id)
    ).scalar_one()
    rows = [
        {"mdtrt_id": mdtrt_id, "feedetl_sn": line.feedetl_sn, "line_no": start + i,
         "chrg_bchno": chrg_bchno, "init_feedetl_sn": line.init_feedetl_sn,
         "med_list_codg": line.med_list_codg, "medins_list_codg": line.medins_list_codg,
         "det_item_fee_sumamt": line.det_item_fee_sumamt, "cnt": line.cnt, "pric": line.pric,
         "fee_ocur_time": line.fee_ocur_time, "hosp_appr_flag": line.hosp_appr_flag,
         "fulamt_ownpay_amt": split.fulamt_ownpay_amt, "overlmt_amt": split.overlmt_amt,
         "preselfpay_amt": split.preselfpay_amt, "inscp_scp_amt": split.inscp_scp_amt,
         "selfpay_prop": split.selfpay_prop, "chrgitm_lv": split.chrgitm_lv, "status": "active",
         "bilg_dept_codg": line.dept_codg, "bilg_dept_name": line.dept_name}
        for i, (line, split) in enumerate(zip(lines, splits, strict=True), start=1)
    ]  # fmt: skip
    if rows:
        connection.execute(insert(fee_lines), rows)


def latest_settlement(connection: Connection, mdtrt_id: str) -> Settlement | None:
    """The visit's settlement in force (not reversed), rebuilt from its document."""
    row = connection.execute(
        select(settlements.c.document)
        .where(settlements.c.mdtrt_id == mdtrt_id, settlements.c.kind != SettlementKind.REVERSAL.value,
               settlements.c.reversed_by.is_(None))
        .order_by(settlements.c.setl_time.desc(), settlements.c.setl_id.desc())
        .limit(1)
    ).first()  # fmt: skip
    return None if row is None else codec.decode(json.loads(row.document))


def find_settlement(connection: Connection, *, caller: str, setl_id: str) -> Settlement:
    """One of the caller's settlements by ``setl_id``."""
    row = connection.execute(
        select(settlements.c.document).where(
            settlements.c.setl_id == setl_id, settlements.c.fixmedins_code == caller
        )
    ).first()
    if row is None:
        raise NotFound(f"setl_id: no settlement {setl_id} of this institution")
    return codec.decode(json.loads(row.document))


def count_settlements(connection: Connection, mdtrt_id: str) -> int:
    return int(
        connection.execute(
            select(func.count()).select_from(settlements).where(settlements.c.mdtrt_id == mdtrt_id)
        ).scalar_one()
    )


def year_state(
    connection: Connection,
    *,
    psn_no: str,
    insutype: str,
    year: int,
    balance: Decimal | None = None,
) -> YearState:
    """The person's counters for the year and their account balance (0 without an account).

    ``balance``: the balance when the caller has just read it in this transaction.
    """
    rows = connection.execute(
        select(year_counters.c.counter, year_counters.c.value).where(
            year_counters.c.psn_no == psn_no, year_counters.c.insutype == insutype,
            year_counters.c.year == year,
        )
    )  # fmt: skip
    if balance is None:
        balance = connection.execute(
            select(accounts.c.balance).where(accounts.c.psn_no == psn_no)
        ).scalar_one_or_none()
    return YearState(Accumulators({r.counter: r.value for r in rows}), balance or ZERO)


def store_settlement(
    connection: Connection,
    s: Settlement,
    *,
    msgid: str,
    year: int,
    family: Sequence[FamilyAccount] = (),
    receivable: bool = True,
) -> None:
    """Write a settlement (or reversal) with its funds, counters and account movements.

    ``receivable``: a non-local settlement is owed to the care region by the insuring one
    (``region_receivables``), unless the care region advanced nothing (a manual claim, paid at home).

    ``family``: the holders (with balances) whose mutual aid ``s.amounts.acct_mulaid_pay`` draws
    on, in order; money given back to the family goes to the holders that paid for the visit.
    """
    visit = s.visit
    connection.execute(insert(settlements), [{
        "setl_id": s.setl_id, "mdtrt_id": visit.mdtrt_id, "psn_no": visit.person.psn_no,
        "fixmedins_code": visit.institution.fixmedins_code, "insutype": visit.insutype,
        "kind": s.kind.value, "setl_time": s.setl_time, "policy_region": s.policy_region,
        "policy_version": s.policy_version, "reverses": s.reverses, "reversed_by": None,
        "msgid": msgid, **s.amounts.as_dict(), "balc": s.balc,
        "pool_prop_selfpay": s.pool_prop_selfpay,
        "document": json.dumps(codec.encode(s), ensure_ascii=False),
    }])  # fmt: skip
    if s.funds:
        connection.execute(insert(settlement_funds), [
            {"setl_id": s.setl_id, "fund_pay_type": f.fund_pay_type.value,
             "inscp_scp_amt": f.inscp_scp_amt, "crt_payb_lmt_amt": f.crt_payb_lmt_amt,
             "fund_payamt": f.fund_payamt, "setl_proc_info": f.setl_proc_info[:4000]}
            for f in s.funds
        ])  # fmt: skip
    if s.reverses is not None:
        connection.execute(
            update(settlements)
            .where(settlements.c.setl_id == s.reverses)
            .values(reversed_by=s.setl_id)
        )
    _move_counters(connection, s, year)
    _move_account(connection, s)
    if receivable and s.visit.pay_loc is not PayLoc.LOCAL:
        _record_receivable(connection, s)
    if s.amounts.acct_mulaid_pay > ZERO:
        _draw_on_family(connection, s, family)
    elif s.amounts.acct_mulaid_pay < ZERO:
        _give_back_to_family(connection, s)


def _record_receivable(connection: Connection, s: Settlement) -> None:
    """异地就医: the care region advanced the funds' and the account's share for the insuring one."""
    visit, a = s.visit, s.amounts
    connection.execute(insert(region_receivables), [{
        "setl_id": s.setl_id, "mdtrt_id": visit.mdtrt_id, "psn_no": visit.person.psn_no,
        "fixmedins_code": visit.institution.fixmedins_code, "care_admdvs": visit.mdtrtarea_admvs,
        "insu_admdvs": visit.person.insuplc_admdvs, "pay_loc": visit.pay_loc.value,
        "kind": s.kind.value, "setl_time": s.setl_time, "period": f"{s.setl_time:%Y-%m}",
        "medfee_sumamt": a.medfee_sumamt, "fund_pay_sumamt": a.fund_pay_sumamt,
        "acct_pay": a.acct_pay, "amount": a.fund_pay_sumamt + a.acct_pay,
    }])  # fmt: skip


def _move_counters(connection: Connection, s: Settlement, year: int) -> None:
    """Add the settlement's change to each of the person's counters (a missing one starts at 0)."""
    key = {"psn_no": s.visit.person.psn_no, "insutype": s.visit.insutype, "year": year}
    rows = [{**key, "counter": counter, "value": change} for counter, change in s.delta.items()]
    if rows:
        connection.execute(_add_to_counters(connection.dialect.name), rows)


@cache
def _add_to_counters(dialect: str) -> Insert:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET value = value + excluded.value`` (both databases)."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(year_counters)
    return statement.on_conflict_do_update(
        index_elements=[year_counters.c.psn_no, year_counters.c.insutype, year_counters.c.year,
                        year_counters.c.counter],
        set_={"value": year_counters.c.value + statement.excluded.value},
    )  # fmt: skip


def _move_account(connection: Connection, s: Settlement) -> None:
    amount = own_account_part(s.amounts)
    if not amount:
        return
    psn_no = s.visit.person.psn_no
    connection.execute(update(accounts).where(accounts.c.psn_no == psn_no).values(balance=s.balc))
    _book(connection, s, psn_no=psn_no, amount=-amount, after=s.balc,
          source=_source(s, "settlement"))  # fmt: skip


def _draw_on_family(connection: Connection, s: Settlement, family: Sequence[FamilyAccount]) -> None:
    left = s.amounts.acct_mulaid_pay
    for holder in family:
        take = min(left, max(ZERO, holder.balance))
        if take:
            _move_holder(connection, holder.holder_psn_no, -take, s)
            left -= take
    if left:
        raise ConflictError(f"acct_mulaid_pay: the family accounts are {left} short")


def _give_back_to_family(connection: Connection, s: Settlement) -> None:
    """Return mutual aid to the holders that paid for this visit, latest first."""
    refs = (s.reverses,) if s.reverses else s.prior_setl_ids
    rows = connection.execute(
        select(account_ledger.c.psn_no, account_ledger.c.amount).where(
            account_ledger.c.ref.in_(refs), account_ledger.c.source.like("mutual_aid%"),
            account_ledger.c.counterpart == s.visit.person.psn_no,
        ).order_by(account_ledger.c.id.desc())
    )  # fmt: skip
    paid: dict[str, Decimal] = {}
    for row in rows:
        paid[row.psn_no] = paid.get(row.psn_no, ZERO) - row.amount
    left = -s.amounts.acct_mulaid_pay
    for holder, net in paid.items():
        back = min(left, max(ZERO, net))
        if back:
            _move_holder(connection, holder, back, s)
            left -= back
    if left:
        raise ConflictError(f"acct_mulaid_pay: {left} of mutual aid has no holder to return to")


def _move_holder(connection: Connection, holder: str, amount: Decimal, s: Settlement) -> None:
    balance = connection.execute(
        select(accounts.c.balance).where(accounts.c.psn_no == holder)
    ).scalar_one()
    after = balance + amount
    if after < ZERO:
        raise ConflictError(f"acct_mulaid_pay: the account of {holder} would go negative")
    connection.execute(update(accounts).where(accounts.c.psn_no == holder).values(balance=after))
    _book(connection, s, psn_no=holder, amount=amount, after=after,
          source=_source(s, "mutual_aid"), counterpart=s.visit.person.psn_no)  # fmt: skip


def _source(s: Settlement, kind: str) -> str:
    return f"{kind}_reversal" if s.kind is SettlementKind.REVERSAL else kind


def _book(
    connection: Connection,
    s: Settlement,
    *,
    psn_no: str,
    amount: Decimal,
    after: Decimal,
    source: str,
    counterpart: str | None = None,
) -> None:
    connection.execute(insert(account_ledger), [{
        "psn_no": psn_no, "amount": amount, "balance_after": after, "source": source,
        "ref": s.setl_id, "booked_at": s.setl_time, "counterpart": counterpart,
    }])  # fmt: skip
