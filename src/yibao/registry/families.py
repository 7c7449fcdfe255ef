"""Family mutual aid (家庭共济): who may pay whose settlements from their personal account.

An account holder consents, with a reference to the signed form, that the settlements of a family
member may be paid from the holder's account once the member's own balance is used up. The
consent can be revoked; nothing is deleted, so what was allowed on a past day stays visible.
Settlement asks :func:`mutual_aid_sources` for the holders and balances that count on a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import Connection, insert, select, update

from yibao.kernel.errors import ConflictError, InvalidValue, NotFound
from yibao.registry.tables import accounts, family_links, persons

__all__ = ["RELATIONS", "FamilyAccount", "link_family", "mutual_aid_sources", "revoke_family_link"]

#: relation of the member to the holder (project-defined codes; docs/registry.md)
RELATIONS = {
    "01": "配偶",
    "02": "子女",
    "03": "父母",
    "04": "配偶父母",
    "05": "祖孙",
    "99": "其他近亲属",
}


@dataclass(frozen=True, slots=True)
class FamilyAccount:
    """A holder whose account may pay for the member, and the holder's balance now."""

    holder_psn_no: str
    balance: Decimal


def link_family(
    connection: Connection,
    *,
    holder_psn_no: str,
    member_psn_no: str,
    relation: str,
    consent_ref: str,
    now: datetime,
) -> int:
    """Record the holder's consent; returns the link's id."""
    if holder_psn_no == member_psn_no:
        raise InvalidValue("member_psn_no", "a person cannot be their own family member")
    if relation not in RELATIONS:
        raise InvalidValue("relation", f"unknown relation {relation!r} ({', '.join(RELATIONS)})")
    if not consent_ref.strip():
        raise InvalidValue("consent_ref", "give the reference of the signed consent form")
    for field, psn_no in (("holder_psn_no", holder_psn_no), ("member_psn_no", member_psn_no)):
        found = connection.execute(select(persons.c.psn_no).where(persons.c.psn_no == psn_no))
        if found.first() is None:
            raise NotFound(f"{field}: no insured person {psn_no}")
    has_account = connection.execute(
        select(accounts.c.psn_no).where(accounts.c.psn_no == holder_psn_no)
    ).first()
    if has_account is None:
        raise ConflictError(f"holder_psn_no: {holder_psn_no} has no personal account")
    if _active_link(connection, holder_psn_no, member_psn_no) is not None:
        raise ConflictError(f"member_psn_no: {member_psn_no} is already linked to {holder_psn_no}")
    result = connection.execute(
        insert(family_links).values(
            holder_psn_no=holder_psn_no, member_psn_no=member_psn_no, relation=relation,
            consent_at=now, consent_ref=consent_ref.strip(), revoked_at=None,
        )
    )  # fmt: skip
    key = result.inserted_primary_key
    return int(key[0]) if key else 0


def revoke_family_link(
    connection: Connection, *, holder_psn_no: str, member_psn_no: str, now: datetime
) -> None:
    """The holder withdraws consent from now on."""
    link = _active_link(connection, holder_psn_no, member_psn_no)
    if link is None:
        raise NotFound(f"member_psn_no: no consent of {holder_psn_no} for {member_psn_no}")
    connection.execute(update(family_links).where(family_links.c.id == link).values(revoked_at=now))


def mutual_aid_sources(
    connection: Connection, *, member_psn_no: str, day: date
) -> tuple[FamilyAccount, ...]:
    """Holders whose consent counts on ``day`` (oldest consent first) with their balances.

    On PostgreSQL the holders' account rows are locked until the transaction ends, so two
    family members settling at once cannot both spend the same balance.
    """
    moment = datetime.combine(day, time.max)
    query = (
        select(family_links.c.holder_psn_no, accounts.c.balance)
        .join(accounts, accounts.c.psn_no == family_links.c.holder_psn_no)
        .where(
            family_links.c.member_psn_no == member_psn_no,
            family_links.c.consent_at <= moment,
            (family_links.c.revoked_at.is_(None)) | (family_links.c.revoked_at > moment),
        )
        .order_by(family_links.c.consent_at, family_links.c.id)
    )
    if connection.dialect.name != "sqlite":
        query = query.with_for_update(of=accounts)
    return tuple(FamilyAccount(r.holder_psn_no, r.balance) for r in connection.execute(query))


def _active_link(connection: Connection, holder: str, member: str) -> int | None:
    row = connection.execute(
        select(family_links.c.id).where(
            family_links.c.holder_psn_no == holder,
            family_links.c.member_psn_no == member,
            family_links.c.revoked_at.is_(None),
        )
    ).first()
    return None if row is None else int(row.id)
