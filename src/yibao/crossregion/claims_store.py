"""Claims on the store: numbers, rows to records and back, and the one way a claim moves.

:func:`move` is how every step is kept: the claim's row changes only where it still holds the
state that was read (so of two clerks deciding at once, one wins and the other is told the claim
changed meanwhile; on PostgreSQL :func:`load_claim` with ``lock`` also holds the row), and the
step is appended with who, when and why.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, func, insert, select, update

from yibao.crossregion.claim_tables import (
    claim_documents,
    claim_lines,
    claim_steps,
    claims,
    settlement_failures,
)
from yibao.crossregion.claims_input import FailureRecord
from yibao.crossregion.claims_model import (
    ClaimConflict,
    ClaimState,
    DocType,
    InjuryCause,
    StepKind,
    next_state,
)
from yibao.crossregion.claims_records import Claim, ClaimDocument, ClaimLine, ClaimStep, plain
from yibao.kernel.errors import NotFound

__all__ = [
    "add_step",
    "claim_of",
    "claim_row",
    "insert_claim",
    "insert_failure",
    "load_claim",
    "load_documents",
    "load_failure",
    "load_lines",
    "load_steps",
    "move",
    "new_number",
    "plain_row",
]


def new_number(connection: Connection, prefix: str, now: datetime, column: Column[Any]) -> str:
    """``prefix`` + ``yyyyMMddHHmmss`` + six random digits, not used so far (24 characters)."""
    while True:
        candidate = f"{prefix}{now:%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"
        if connection.execute(select(column).where(column == candidate)).first() is None:
            return candidate


def insert_failure(connection: Connection, record: FailureRecord) -> None:
    connection.execute(insert(settlement_failures), [plain_row(record)])


def load_failure(
    connection: Connection, failure_no: str, *, field: str = "failure_no"
) -> FailureRecord:
    row = connection.execute(
        select(settlement_failures).where(settlement_failures.c.failure_no == failure_no)
    ).first()
    if row is None:
        raise NotFound(f"{field}: no settlement-failure record {failure_no}")
    return FailureRecord(**row._mapping)


def claim_row(claim: Claim) -> dict[str, Any]:
    """The claim as its table's row."""
    row = plain_row(claim)
    row.update(state=claim.state.value, injury_cause=claim.injury_cause.value,
               diagnoses=[dict(d) for d in claim.diagnoses])  # fmt: skip
    return row


def plain_row(record: object) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}  # type: ignore[attr-defined]


def load_claim(connection: Connection, claim_no: str, *, lock: bool = False) -> Claim:
    """The claim; ``lock`` holds its row until the transaction ends (PostgreSQL)."""
    query = select(claims).where(claims.c.claim_no == claim_no)
    if lock and connection.dialect.name != "sqlite":
        query = query.with_for_update()
    row = connection.execute(query).first()
    if row is None:
        raise NotFound(f"claim_no: no claim {claim_no}")
    return claim_of(row._mapping)


def claim_of(m: Mapping[Any, Any]) -> Claim:
    return Claim(**{**m, "state": ClaimState(m["state"]), "injury_cause": InjuryCause(m["injury_cause"]),
                    "diagnoses": tuple(m["diagnoses"])})  # fmt: skip


def load_lines(connection: Connection, claim_no: str) -> tuple[ClaimLine, ...]:
    rows = connection.execute(
        select(claim_lines)
        .where(claim_lines.c.claim_no == claim_no)
        .order_by(claim_lines.c.line_no)
    )
    return tuple(
        ClaimLine(r.line_no, r.code, r.name, r.cnt, r.pric, r.amount, r.fee_date, r.hosp_appr_flag)
        for r in rows
    )


def load_documents(connection: Connection, claim_no: str) -> tuple[ClaimDocument, ...]:
    rows = connection.execute(
        select(claim_documents)
        .where(claim_documents.c.claim_no == claim_no)
        .order_by(claim_documents.c.doc_no)
    )
    return tuple(ClaimDocument(**{**r._mapping, "doc_type": DocType(r.doc_type)}) for r in rows)


def load_steps(connection: Connection, claim_no: str) -> tuple[ClaimStep, ...]:
    rows = connection.execute(
        select(claim_steps)
        .where(claim_steps.c.claim_no == claim_no)
        .order_by(claim_steps.c.step_no)
    )
    return tuple(
        ClaimStep(r.step_no, StepKind(r.kind), r.actor, r.at, ClaimState(r.state_after), r.text,
                  dict(r.detail))
        for r in rows
    )  # fmt: skip


def add_step(
    connection: Connection, claim_no: str, kind: StepKind, *, actor: str, at: datetime,
    state_after: ClaimState, text: str, detail: Mapping[str, Any] | None = None,
) -> None:  # fmt: skip
    """Append a step after the claim's last."""
    last = connection.execute(
        select(func.max(claim_steps.c.step_no)).where(claim_steps.c.claim_no == claim_no)
    ).scalar_one()
    connection.execute(insert(claim_steps), [{
        "claim_no": claim_no, "step_no": (last or 0) + 1, "kind": kind.value, "actor": actor,
        "at": at, "state_after": state_after.value, "text": text, "detail": plain(detail or {}),
    }])  # fmt: skip


def move(
    connection: Connection, claim: Claim, kind: StepKind, *, actor: str, at: datetime, text: str,
    detail: Mapping[str, Any] | None = None, changes: Mapping[str, Any] | None = None,
) -> Claim:  # fmt: skip
    """Take a step: the state it leads to, the row's ``changes``, the step kept; the claim after it."""
    after = next_state(claim.state, kind)
    values = {**(changes or {}), "state": after.value, "updated_at": at}
    done = connection.execute(
        update(claims)
        .where(claims.c.claim_no == claim.claim_no, claims.c.state == claim.state.value)
        .values(**values)
    )
    if done.rowcount != 1:
        raise ClaimConflict("state", f"claim {claim.claim_no} changed meanwhile; read it again")
    add_step(connection, claim.claim_no, kind, actor=actor, at=at, state_after=after, text=text,
             detail=detail)  # fmt: skip
    return replace(claim, **{**(changes or {}), "state": after, "updated_at": at})


def insert_claim(connection: Connection, claim: Claim, lines: Sequence[ClaimLine]) -> None:
    connection.execute(insert(claims), [claim_row(claim)])
    connection.execute(insert(claim_lines), [
        {"claim_no": claim.claim_no, **plain_row(line)} for line in lines
    ])  # fmt: skip
