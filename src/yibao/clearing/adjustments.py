"""Refunds and supplementary payments (退付与补缴) between the fund and an institution or a person,
and the year-end release of the quality deposit.

Every adjustment states its reason and names what it corrects (a settlement, a deduction, a
clearing statement, a manual claim, a year's deposit), which must exist. One with an institution
lands in the clearing month it is made in: a refund (the fund pays) adds to the statement, a
supplement (the institution pays back) withholds; it lands in the month it corrects, or the first
month still open when that one is closed. One with a person is recorded with its link
and paid outside the institutions' clearing.

The deposit withheld in a year's closed runs is released (returned) to an institution after the
year ends when its rating is good; a poor rating forfeits it (recorded, nothing paid). Once per
institution and year.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, func, insert, select

from yibao.clearing.model import ClearingConflict
from yibao.clearing.periods import landing
from yibao.clearing.rows import inserted_id
from yibao.clearing.tables import adjustments, deductions, payout_runs, payout_statements
from yibao.crossregion.claim_tables import claims
from yibao.crossregion.clearing_values import parse_period, period_of, text
from yibao.kernel.errors import InvalidValue, NotFound
from yibao.kernel.money import ZERO, money
from yibao.registry.tables import persons
from yibao.settlement.tables import settlements

__all__ = ["KINDS", "add_adjustment", "release_deposit"]

KINDS = ("refund", "supplement")
_PARTIES = ("institution", "person")
_CORRECTS = ("settlement", "deduction", "payout", "claim")


def add_adjustment(
    connection: Connection, *, kind: str, party_type: str, party: str, amount: object, reason: str,
    corrects_type: str, corrects_ref: str, actor: str, now: datetime,
) -> int:  # fmt: skip
    """Record a refund or supplementary payment; returns its id."""
    if kind not in KINDS:
        raise InvalidValue("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    if party_type not in _PARTIES:
        raise InvalidValue("party_type", f"{party_type!r} is not one of {', '.join(_PARTIES)}")
    if corrects_type not in _CORRECTS:
        raise InvalidValue(
            "corrects_type", f"{corrects_type!r} is not one of {', '.join(_CORRECTS)}"
        )
    value = money(amount, field="amount")
    if value <= ZERO:
        raise InvalidValue("amount", f"{value} is not above 0 (the kind says who pays)")
    why, who = text(reason, field="reason", limit=2000), text(actor, field="actor", limit=60)
    who_pays = text(party, field="party", limit=30)
    ref = text(corrects_ref, field="corrects_ref", limit=40)
    _check_party(connection, party_type, who_pays)
    floor = _check_corrected(connection, corrects_type, ref, party_type, who_pays) or period_of(now)
    month = landing(connection, floor)
    result = connection.execute(insert(adjustments).values(
        kind=kind, party_type=party_type, party=who_pays, amount=value, reason=why, corrects_type=corrects_type,
        corrects_ref=ref, created_by=who, created_at=now, period=month,
    ))  # fmt: skip
    return inserted_id(result)


def release_deposit(
    connection: Connection,
    *,
    fixmedins_code: str,
    year: int,
    rating: str,
    actor: str,
    now: datetime,
) -> tuple[int, Decimal]:
    """Release (``good``) or forfeit (``poor``) the deposit withheld in ``year``; (id, amount)."""
    if rating not in ("good", "poor"):
        raise InvalidValue("rating", f"{rating!r} is not good or poor")
    if now.year <= year:
        raise InvalidValue("year", f"the deposit of {year} is released after the year ends")
    who = text(actor, field="actor", limit=60)
    ref = f"{fixmedins_code}:{year}"
    done = connection.execute(
        select(adjustments.c.adjustment_id).where(adjustments.c.corrects_type == "deposit",
                                                  adjustments.c.corrects_ref == ref)
    ).first()  # fmt: skip
    if done is not None:
        raise ClearingConflict(
            "year", f"the deposit of {year} of {fixmedins_code} has been settled already"
        )
    held = connection.execute(
        select(func.coalesce(func.sum(payout_statements.c.deposit), 0))
        .join(payout_runs, payout_runs.c.period == payout_statements.c.period)
        .where(payout_statements.c.fixmedins_code == fixmedins_code, payout_runs.c.state == "closed",
               payout_statements.c.period.like(f"{year:04d}-%"))
    ).scalar_one()  # fmt: skip
    if held <= ZERO:
        raise InvalidValue("year", f"no deposit of {fixmedins_code} was withheld in {year}")
    month = landing(connection, period_of(now))
    good = rating == "good"
    result = connection.execute(insert(adjustments).values(
        kind="deposit_release" if good else "deposit_forfeit", party_type="institution", party=fixmedins_code,
        amount=held, reason=f"{year} 年度考核{'合格，返还' if good else '不合格，不予返还'}质量保证金 {held} 元",
        corrects_type="deposit", corrects_ref=ref, created_by=who, created_at=now, period=month,
    ))  # fmt: skip
    return inserted_id(result), held


def _check_party(connection: Connection, party_type: str, party: str) -> None:
    if party_type == "person":
        column = persons.c.psn_no
        if connection.execute(select(column).where(column == party)).first() is None:
            raise NotFound(f"party: no insured person {party}")
    elif (
        connection.execute(
            select(settlements.c.setl_id).where(settlements.c.fixmedins_code == party).limit(1)
        ).first()
        is None
    ):
        raise NotFound(f"party: institution {party} has no settlement to adjust")


def _check_corrected(
    connection: Connection, kind: str, ref: str, party_type: str, party: str
) -> str | None:
    """What the adjustment corrects must exist and concern the party; the month it belongs to, if any."""
    if kind == "settlement":
        row = connection.execute(select(settlements).where(settlements.c.setl_id == ref)).first()
        owner = (
            None
            if row is None
            else (row.fixmedins_code if party_type == "institution" else row.psn_no)
        )
        month = None if row is None else period_of(row.setl_time)
    elif kind == "deduction":
        row = connection.execute(
            select(deductions).where(
                deductions.c.deduction_id == (int(ref) if ref.isdigit() else -1)
            )
        ).first()
        owner = None if row is None else row.fixmedins_code
        month = None if row is None else row.period
    elif kind == "claim":
        row = connection.execute(select(claims).where(claims.c.claim_no == ref)).first()
        owner = None if row is None else row.psn_no
        month = None
    else:
        period = parse_period(ref, field="corrects_ref")
        row = connection.execute(select(payout_statements).where(
            payout_statements.c.period == period, payout_statements.c.fixmedins_code == party)).first()  # fmt: skip
        owner = None if row is None else party
        month = period
    if owner is None:
        raise NotFound(f"corrects_ref: no {kind} {ref}")
    if owner != party:
        raise InvalidValue("corrects_ref", f"{kind} {ref} does not concern {party_type} {party}")
    return month
