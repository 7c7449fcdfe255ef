"""Collection runs (批扣批次) on the store: who is debited, the result file, the premium ledger.

:func:`start_run` picks every premium of a year still in arrears (``registry.premiums``) whose
payer banks with the run's bank, keeps back the lines never sent (F01: no active enrolment of the
insurance type; F02: no card on file) as failed lines with their reason, and records the rest as
pending lines exactly as they go into the debit file (name, certificate, card, amount).
:func:`import_results` reads the bank's result file against those lines (``registry.bank_files``:
all or nothing), marks each line paid or failed with the reason of seed 003, and books every
paid line as a ``payment`` in the premium ledger (ref ``<run>/<line>``). A re-run collects only
what is still in arrears, so a paid premium is never debited twice; a run whose result has not
been imported blocks the next one of the same year, since the bank may already have taken the
money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from yibao.kernel.errors import ConflictError, InvalidValue, NotFound
from yibao.kernel.money import ZERO
from yibao.registry.bank import (
    BankCodeTable,
    DebitBatch,
    DebitFailure,
    DebitItem,
    DebitResult,
    DebitStatus,
)
from yibao.registry.bank_files import read_result_file
from yibao.registry.premiums import KINDS, record
from yibao.registry.service import ACTIVE
from yibao.registry.tables import (
    bank_cards,
    collection_items,
    collection_runs,
    enrolments,
    persons,
    premium_ledger,
)

__all__ = ["RunPlan", "import_results", "register_card", "start_run"]


@dataclass(frozen=True, slots=True)
class RunPlan:
    """A started run: the batch for the debit file and the lines kept back with their reason."""

    batch: DebitBatch
    kept_back: tuple[DebitResult, ...]


def register_card(
    connection: Connection,
    *,
    psn_no: str,
    bank_code: str,
    card_no: str,
    holder_name: str,
    now: datetime,
) -> None:
    """Put a debit card on file for a payer (replacing the one before; the next run uses it)."""
    if not (card_no.isascii() and card_no.isdigit() and 8 <= len(card_no) <= 32):
        raise InvalidValue("card_no", f"{card_no!r} is not a card number (8–32 digits)")
    if not holder_name.strip():
        raise InvalidValue("holder_name", "the account holder's name is empty")
    if (
        connection.execute(select(persons.c.psn_no).where(persons.c.psn_no == psn_no)).first()
        is None
    ):
        raise NotFound(f"psn_no: no insured person {psn_no}")
    connection.execute(bank_cards.delete().where(bank_cards.c.psn_no == psn_no))
    connection.execute(insert(bank_cards), [{"psn_no": psn_no, "bank_code": bank_code,
        "card_no": card_no, "holder_name": holder_name.strip(), "registered_at": now}])  # fmt: skip


def start_run(
    connection: Connection, *, run_id: str, bank_code: str, insutype: str, year: int, now: datetime
) -> RunPlan:
    """Record a run of ``bank_code`` for every premium of ``year`` still in arrears."""
    pending = connection.execute(
        select(collection_items.c.run_id).join(collection_runs)
        .where(collection_items.c.status == "pending", collection_runs.c.year == year,
               collection_runs.c.insutype == insutype).limit(1)
    ).scalar_one_or_none()  # fmt: skip
    if pending is not None:
        raise ConflictError(
            f"run_id: the result of run {pending} is not imported yet; import it before a re-run "
            "(the bank may have taken the premium)"
        )
    sent: list[DebitItem] = []
    kept: list[DebitResult] = []
    rows = []
    number = 0
    for psn_no, owed in _arrears(connection, insutype, year):
        person, card, active = _payer(connection, psn_no, insutype, year)
        if card is not None and card.bank_code != bank_code:
            continue  # collected in the run of the payer's own bank
        number += 1  # the run's lines are numbered without gaps
        item = DebitItem(run_id, number, psn_no, person.psn_name, person.certno, bank_code,
                         card.card_no if card else "", owed, year, insutype)  # fmt: skip
        failure = None if active else DebitFailure.STATUS_NOT_ELIGIBLE
        failure = failure or (None if card else DebitFailure.NO_CARD)
        if failure is None:
            sent.append(item)
        else:
            kept.append(DebitResult(run_id, number, DebitStatus.FAILED, "", failure.label, failure))
        rows.append({"run_id": run_id, "line_no": number, "psn_no": psn_no,
                     "psn_name": person.psn_name, "certno": person.certno, "card_no": item.card_no,
                     "amount": owed, "status": "pending" if failure is None else "failed",
                     "failure": None if failure is None else failure.value,
                     "bank_result": None, "bank_message": None if failure is None else failure.label})  # fmt: skip
    connection.execute(insert(collection_runs), [{"run_id": run_id, "bank_code": bank_code,
        "insutype": insutype, "year": year, "created_at": now, "status": "exported"}])  # fmt: skip
    if rows:
        connection.execute(insert(collection_items), rows)
    return RunPlan(DebitBatch(run_id, bank_code, tuple(sent)), tuple(kept))


def import_results(
    connection: Connection,
    *,
    run_id: str,
    path: Path,
    tables: dict[str, BankCodeTable],
    now: datetime,
) -> tuple[DebitResult, ...]:
    """Apply the bank's result file of ``run_id``; paid lines become premium payments."""
    run = connection.execute(
        select(collection_runs).where(collection_runs.c.run_id == run_id)
    ).first()
    if run is None:
        raise NotFound(f"run_id: no collection run {run_id}")
    if run.status != "exported":
        raise ConflictError(f"run_id: the result of run {run_id} was already imported")
    rows = connection.execute(
        select(collection_items)
        .where(collection_items.c.run_id == run_id, collection_items.c.status == "pending")
        .order_by(collection_items.c.line_no)
    )
    items = tuple(
        DebitItem(run_id, r.line_no, r.psn_no, r.psn_name, r.certno, run.bank_code, r.card_no,
                  r.amount, run.year, run.insutype)
        for r in rows
    )  # fmt: skip
    table = tables.get(run.bank_code)
    if table is None:
        raise NotFound(f"bank_code: no result code table for bank {run.bank_code}")
    results = read_result_file(path, batch=DebitBatch(run_id, run.bank_code, items), table=table)
    by_line = {item.line_no: item for item in items}
    for result in results:
        item = by_line[result.line_no]
        connection.execute(
            update(collection_items)
            .where(collection_items.c.run_id == run_id, collection_items.c.line_no == result.line_no)
            .values(status=result.status.value,
                    failure=None if result.failure is None else result.failure.value,
                    bank_result=result.result_code or None, bank_message=result.result_msg or None)
        )  # fmt: skip
        if result.status is DebitStatus.PAID:
            record(connection, psn_no=item.psn_no, insutype=item.insutype, year=item.year,
                   kind="payment", amount=item.amount, ref=f"{run_id}/{item.line_no}", now=now)  # fmt: skip
    connection.execute(
        update(collection_runs).where(collection_runs.c.run_id == run_id).values(status="settled")
    )
    return results


def _arrears(connection: Connection, insutype: str, year: int) -> list[tuple[str, Decimal]]:
    rows = connection.execute(
        select(premium_ledger.c.psn_no, premium_ledger.c.kind,
               func.sum(premium_ledger.c.amount).label("total"))
        .where(premium_ledger.c.insutype == insutype, premium_ledger.c.year == year)
        .group_by(premium_ledger.c.psn_no, premium_ledger.c.kind)
        .order_by(premium_ledger.c.psn_no)
    ).all()  # fmt: skip
    owed: dict[str, Decimal] = {}
    for r in rows:
        owed[r.psn_no] = owed.get(r.psn_no, ZERO) + KINDS[r.kind] * r.total
    return [(psn_no, amount) for psn_no, amount in owed.items() if amount > ZERO]


def _payer(connection: Connection, psn_no: str, insutype: str, year: int) -> tuple[Any, Any, bool]:
    """The payer's name and certificate, their card on file, and whether they are enrolled."""
    person = connection.execute(
        select(persons.c.psn_name, persons.c.certno).where(persons.c.psn_no == psn_no)
    ).one()
    card = connection.execute(select(bank_cards).where(bank_cards.c.psn_no == psn_no)).first()
    active = connection.execute(
        select(enrolments.c.id).where(
            enrolments.c.psn_no == psn_no, enrolments.c.insutype == insutype,
            enrolments.c.status == ACTIVE, enrolments.c.begndate <= date(year, 12, 31),
            (enrolments.c.enddate.is_(None)) | (enrolments.c.enddate >= date(year, 1, 1)),
        ).limit(1)
    ).first() is not None  # fmt: skip
    return person, card, active
