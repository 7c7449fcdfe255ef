"""Personal accounts (个人账户): monthly crediting by the policy's rule, the year-end carry-over,
and a person's ledger.

Every movement is a row of ``account_ledger`` with its source — ``credit`` (monthly 划入),
``settlement`` / ``settlement_reversal``, ``mutual_aid`` / ``mutual_aid_reversal`` (家庭共济),
``carry_over`` (year end), ``transfer_in`` / ``transfer_out`` (转移接续 with another pooling
region, named in ``counterpart``) — and the balance after it; the ``accounts`` row holds the balance, which
never goes negative. Crediting a month twice credits nothing the second time: each credit's
reference is ``credit:YYYY-MM``.

The credit of a month (policy ``plans.310.account.monthly_credit``): an employee in work
(psn_type 11xx) gets ``in_service_ratio`` × the enrolment's contribution base, rounded to the fen;
a retiree (12xx, 13xx) gets ``retired_monthly``. An employee in work without a contribution base is
not credited and is listed in the summary's ``missing_base`` — never skipped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update

from yibao.kernel.errors import ConflictError, InvalidValue, NotFound
from yibao.kernel.money import ZERO, apply_ratio, money
from yibao.registry.tables import account_ledger, accounts, enrolments

__all__ = [
    "CreditRun", "LedgerEntry", "account_ledger_of", "carry_over", "credit_month", "transfer_account",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class CreditRun:
    """What a monthly credit did."""

    month: str
    credited: int
    total: Decimal
    already: int
    missing_base: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One movement of a personal account."""

    booked_at: datetime
    source: str
    amount: Decimal
    balance_after: Decimal
    ref: str
    counterpart: str | None


def credit_month(
    connection: Connection,
    *,
    region: str,
    month: date,
    in_service_ratio: Decimal,
    retired_monthly: Decimal,
    now: datetime,
) -> CreditRun:
    """Credit every employee account of ``region`` for ``month`` (any day of it) by the policy's
    rule in force that month (the caller reads it: the registry does not depend on policies)."""
    if not ZERO <= in_service_ratio <= 1 or retired_monthly < ZERO:
        raise InvalidValue("monthly_credit", "the ratio must be in [0, 1] and the amount ≥ 0")
    first = month.replace(day=1)
    label = f"{first:%Y-%m}"
    ref = f"credit:{label}"
    done = set(connection.execute(
        select(account_ledger.c.psn_no).where(account_ledger.c.ref == ref)
    ).scalars())  # fmt: skip
    rows = connection.execute(
        select(enrolments.c.psn_no, enrolments.c.psn_type, enrolments.c.contribution_base,
               accounts.c.balance)
        .join(accounts, accounts.c.psn_no == enrolments.c.psn_no)
        .where(enrolments.c.insutype == "310", enrolments.c.insuplc_admdvs == region,
               enrolments.c.status == "1", enrolments.c.begndate <= first,
               or_(enrolments.c.enddate.is_(None), enrolments.c.enddate >= first))
        .order_by(enrolments.c.psn_no)
    ).all()  # fmt: skip
    moves: list[tuple[str, Decimal, Decimal]] = []
    missing: list[str] = []
    for row in rows:
        if row.psn_no in done:
            continue
        if row.psn_type.startswith("11"):
            if row.contribution_base is None:
                missing.append(row.psn_no)
                continue
            amount = apply_ratio(row.contribution_base, in_service_ratio)
        else:
            amount = retired_monthly
        moves.append((row.psn_no, amount, row.balance + amount))
    if moves:
        connection.execute(
            update(accounts).where(accounts.c.psn_no == bindparam("p")).values(balance=bindparam("after")),
            [{"p": p, "after": after} for p, _, after in moves],
        )  # fmt: skip
        connection.execute(insert(account_ledger), [
            {"psn_no": p, "amount": amount, "balance_after": after, "source": "credit",
             "ref": ref, "booked_at": now, "counterpart": None}
            for p, amount, after in moves
        ])  # fmt: skip
    total = sum((amount for _, amount, _ in moves), ZERO)
    return CreditRun(label, len(moves), total, len(done), tuple(missing))


def carry_over(connection: Connection, *, year: int, now: datetime) -> tuple[int, Decimal]:
    """结转: record every account's closing balance of ``year`` (once); returns count and total."""
    ref = f"carry:{year}"
    rows = connection.execute(
        select(accounts.c.psn_no, accounts.c.balance).where(
            ~select(account_ledger.c.id)
            .where(and_(account_ledger.c.psn_no == accounts.c.psn_no, account_ledger.c.ref == ref))
            .exists()
        )
    ).all()
    if rows:
        connection.execute(insert(account_ledger), [
            {"psn_no": r.psn_no, "amount": ZERO, "balance_after": r.balance, "source": "carry_over",
             "ref": ref, "booked_at": now, "counterpart": None}
            for r in rows
        ])  # fmt: skip
    return len(rows), sum((r.balance for r in rows), ZERO)


def transfer_account(
    connection: Connection, *, psn_no: str, direction: str, amount: Decimal, region: str, ref: str,
    now: datetime,
) -> LedgerEntry:  # fmt: skip
    """转移接续: move ``amount`` into (``in``) or out of (``out``) the account, from or to the
    personal account the person had or will have in pooling region ``region``."""
    if direction not in ("in", "out"):
        raise InvalidValue("direction", f"{direction!r} is not in or out")
    value = money(amount, field="amount")
    if value <= ZERO:
        raise InvalidValue("amount", f"{value} must be more than 0")
    if not (len(region) == 6 and region.isascii() and region.isdigit()):
        raise InvalidValue("region", f"{region!r} is not a six-digit region code")
    if not ref.strip():
        raise InvalidValue("ref", "give the transfer's document number (转移接续凭证)")
    balance = connection.execute(
        select(accounts.c.balance).where(accounts.c.psn_no == psn_no).with_for_update()
    ).scalar_one_or_none()
    if balance is None:
        raise NotFound(f"psn_no: {psn_no} has no personal account")
    moved = value if direction == "in" else -value
    if balance + moved < ZERO:
        raise ConflictError(f"amount: {value} is more than the balance {balance} of {psn_no}")
    after = balance + moved
    connection.execute(update(accounts).where(accounts.c.psn_no == psn_no).values(balance=after))
    entry = LedgerEntry(now, f"transfer_{direction}", moved, after, ref.strip(), region)
    connection.execute(insert(account_ledger), [{
        "psn_no": psn_no, "amount": moved, "balance_after": after, "source": entry.source,
        "ref": entry.ref, "booked_at": now, "counterpart": region,
    }])  # fmt: skip
    return entry


def account_ledger_of(connection: Connection, *, psn_no: str) -> tuple[Decimal, list[LedgerEntry]]:
    """A person's balance and every movement of their account, oldest first."""
    balance = connection.execute(
        select(accounts.c.balance).where(accounts.c.psn_no == psn_no)
    ).scalar_one_or_none()
    if balance is None:
        raise NotFound(f"psn_no: {psn_no} has no personal account")
    rows = connection.execute(
        select(account_ledger)
        .where(account_ledger.c.psn_no == psn_no)
        .order_by(account_ledger.c.id)
    )
    return balance, [
        LedgerEntry(r.booked_at, r.source, r.amount, r.balance_after, r.ref, r.counterpart)
        for r in rows
    ]
