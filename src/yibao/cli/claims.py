"""``yibao claims``: manual reimbursement (手工报销) of out-of-area care from a terminal (ADR 0015).

The institution issues a settlement-failure record (``issue-failure``); the person, or the agency's
window for them, files a claim (``file``, a JSON document) and uploads documents (``upload``); a
clerk takes it (``take``), asks for more (``ask``; the person ``resubmit``s), records what the
liability papers show (``clear-liability``), decides (``decide``), settles (``settle``) and
records the payment (``pay``). ``list`` (``--overdue``, ``--due-soon``) and ``show`` read.

Each command is one transaction of :mod:`yibao.crossregion.claims` and its siblings; errors name
the field and the reason. Documents are kept under ``YIBAO_VAR_DIR``/claims.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from yibao.bootstrap import bootstrap
from yibao.cli.errors import reporting
from yibao.cli.output import Json, console, emit
from yibao.crossregion.claims import (
    clear_liability,
    decide,
    file_claim,
    get_claim,
    list_claims,
    request_more,
    resubmit,
    take,
)
from yibao.crossregion.claims_documents import add_document, read_document
from yibao.crossregion.claims_failures import get_failure, issue_failure
from yibao.crossregion.claims_model import check_document
from yibao.crossregion.claims_records import Claim, ClaimFile, record_json
from yibao.crossregion.claims_settle import pay_claim, settle_claim
from yibao.kernel.dates import parse_date
from yibao.kernel.errors import InvalidValue, unusable_document
from yibao.kernel.money import money
from yibao.settlement.output import render_settlement
from yibao.settlement.visits import load_reference
from yibao.store.engine import read_transaction, write_transaction

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="手工报销: manual reimbursement of out-of-area care.")

ClaimNo = Annotated[str, typer.Argument(help="The claim's number (SGBX…).")]
Clerk = Annotated[
    str, typer.Option(help="The agency's clerk (name or staff id; not yet authenticated).")
]
Actor = Annotated[str, typer.Option(help="Who acts: the person, or the clerk at the window.")]


def _document(path: Path) -> Any:
    """A JSON document read whole; an unreadable one is refused naming the file."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidValue(str(path), f"cannot be read: {exc.strerror}") from None
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, json.JSONDecodeError):
            raise InvalidValue(str(path), f"not JSON: {exc.msg} (line {exc.lineno})") from None
        raise unusable_document(str(path), "JSON", exc) from None


def _claim_line(claim: Claim) -> str:
    due = f", due {claim.due_on}" if claim.due_on else ""
    paid = f", payable {claim.payable}" if claim.payable is not None else ""
    who = f"{claim.psn_no} {claim.psn_name}"
    return f"claim {claim.claim_no} ({who}): {claim.state.value} {claim.state.label}{due}{paid}"


def _show(as_json: bool, claim: Claim) -> None:
    emit(as_json, claim.as_json(), _claim_line(claim))


@app.command("issue-failure")
def issue_failure_command(
    record: Annotated[Path, typer.Argument(help="The record as JSON (fixmedins_code, psn_no, psn_name, "
                                           "insuplc_admdvs, med_type, begndate, enddate, medfee_sumamt, "
                                           "reason, detail).")],
    by: Annotated[str, typer.Option("--by", help="Who at the institution issues it.")],
    as_json: Json = False,
) -> None:  # fmt: skip
    """The institution issues a settlement-failure record (结算失败记录) for a visit it could not settle."""
    with reporting():
        data = _document(record)
        with write_transaction(bootstrap().engine) as connection:
            found = issue_failure(connection, data=data, issued_by=by, now=datetime.now())
        emit(as_json, record_json(found), f"failure record {found.failure_no}: {found.psn_no} at "
             f"{found.fixmedins_code}, {found.medfee_sumamt} 元, {found.reason}")  # fmt: skip


@app.command("failure")
def failure_command(
    failure_no: Annotated[str, typer.Argument(help="JSSB…")], as_json: Json = False
) -> None:
    """One settlement-failure record."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            found = get_failure(connection, failure_no)
        emit(
            as_json,
            record_json(found),
            json.dumps(record_json(found), ensure_ascii=False, indent=1),
        )


@app.command("file")
def file_command(
    claim: Annotated[Path, typer.Argument(help="The claim as JSON (docs/adr/0015 shows one).")],
    operator: Annotated[str, typer.Option(help="The window's clerk, or the portal account.")],
    by: Annotated[str, typer.Option("--by", help="person (portal) or agency (the window, for the person).")] = "agency",
    as_json: Json = False,
) -> None:  # fmt: skip
    """File a claim (手工报销申请) in the person's insuring region."""
    with reporting():
        data = _document(claim)
        with write_transaction(bootstrap().engine) as connection:
            file = file_claim(
                connection, data=data, filed_by=by, operator=operator, now=datetime.now()
            )
        _print_file(file, as_json)


@app.command("upload")
def upload_command(
    claim_no: ClaimNo,
    path: Annotated[Path, typer.Argument(help="The file: PDF, JPEG or PNG, at most 10 MiB.")],
    doc_type: Annotated[str, typer.Option("--type", help="invoice, fee_list, discharge_summary, filing_proof, "
                                          "liability_papers, failure_record or other.")],
    actor: Actor, as_json: Json = False,
) -> None:  # fmt: skip
    """Upload a document of a claim (checked by its content; nothing is kept if it is refused)."""
    with reporting():
        services = bootstrap()
        try:
            size = path.stat().st_size
            check_document(doc_type, size)  # refuse a huge file before reading it
            content = path.read_bytes()
        except OSError as exc:
            raise InvalidValue(str(path), f"cannot be read: {exc.strerror}") from None
        with write_transaction(services.engine) as connection:
            document = add_document(connection, root=services.settings.var_dir, claim_no=claim_no,
                                    doc_type=doc_type, content=content, filename=path.name, actor=actor,
                                    now=datetime.now())  # fmt: skip
        emit(as_json, document.as_json(), f"document {document.doc_no} of {claim_no}: {document.doc_type.value} "
             f"({document.media_type}, {document.size_bytes} bytes, sha256 {document.sha256})")  # fmt: skip


@app.command("document")
def document_command(
    claim_no: ClaimNo, doc_no: Annotated[int, typer.Argument(help="The document's number.")],
    out: Annotated[Path, typer.Option(help="Where to write the file.")],
) -> None:  # fmt: skip
    """Write a document's file (checked against its checksum) to ``--out``."""
    with reporting():
        services = bootstrap()
        with read_transaction(services.engine) as connection:
            document, content = read_document(connection, root=services.settings.var_dir, claim_no=claim_no,
                                              doc_no=doc_no)  # fmt: skip
        out.write_bytes(content)
        console.print(
            f"{out}: {document.doc_type.value}, {document.size_bytes} bytes", markup=False
        )


@app.command("take")
def take_command(claim_no: ClaimNo, clerk: Clerk, as_json: Json = False) -> None:
    """A clerk takes a claim to review it."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            done = take(connection, claim_no=claim_no, clerk=clerk, now=datetime.now())
        _show(as_json, done)


@app.command("ask")
def ask_command(
    claim_no: ClaimNo, clerk: Clerk,
    what: Annotated[str, typer.Option(help="What the person must add (stated to them).")], as_json: Json = False,
) -> None:  # fmt: skip
    """Send a claim back to the person for more documents (the deadline stops)."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            done = request_more(
                connection, claim_no=claim_no, clerk=clerk, what=what, now=datetime.now()
            )
        _show(as_json, done)


@app.command("resubmit")
def resubmit_command(
    claim_no: ClaimNo, actor: Actor, note: str = "", as_json: Json = False
) -> None:
    """The person hands the claim back after adding what was asked for."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            done = resubmit(
                connection, claim_no=claim_no, actor=actor, note=note, now=datetime.now()
            )
        _show(as_json, done)


@app.command("clear-liability")
def clear_liability_command(
    claim_no: ClaimNo, clerk: Clerk,
    finding: Annotated[str, typer.Option(help="What the liability papers show (no third party is liable).")],
    as_json: Json = False,
) -> None:  # fmt: skip
    """Record that the liability papers on file show no third party is liable."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            done = clear_liability(
                connection, claim_no=claim_no, clerk=clerk, finding=finding, now=datetime.now()
            )
        _show(as_json, done)


@app.command("decide")
def decide_command(
    claim_no: ClaimNo, clerk: Clerk,
    outcome: Annotated[str, typer.Option(help="approve or refuse.")],
    reason: Annotated[str | None, typer.Option(help="Why (required for a refusal).")] = None,
    code: Annotated[str | None, typer.Option(help="A refusal's code: third_party_liability, "
                                             "documents_missing, not_covered, other.")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """Approve or refuse a claim (a third party not cleared refuses it for third-party liability)."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            done = decide(connection, claim_no=claim_no, clerk=clerk, outcome=outcome, reason=reason,
                          refusal_code=code, now=datetime.now())  # fmt: skip
        if as_json or done.decision_reason is None:
            _show(as_json, done)
        else:
            console.print(f"{_claim_line(done)}: {done.decision_reason}", markup=False)


@app.command("settle")
def settle_command(claim_no: ClaimNo, clerk: Clerk, as_json: Json = False) -> None:
    """Settle an approved claim with the settlement engine (the person's yearly counters move)."""
    with reporting():
        with write_transaction(bootstrap().engine) as connection:
            claim, settlement = settle_claim(connection, load_reference(connection), claim_no=claim_no,
                                             clerk=clerk, now=datetime.now())  # fmt: skip
        a = settlement.amounts
        emit(as_json, {"claim": claim.as_json(), "settlement": render_settlement(settlement)},
             f"{_claim_line(claim)}; {settlement.setl_id}: 总额 {a.medfee_sumamt}, 基金 {a.fund_pay_sumamt}, "
             f"个人 {a.psn_part_amt}, catalogue {claim.catalog_admdvs}, filing {claim.filing_type}")  # fmt: skip


@app.command("pay")
def pay_command(
    claim_no: ClaimNo, actor: Actor,
    on: Annotated[str, typer.Option("--on", help="The day of the transfer, YYYY-MM-DD.")],
    bank_ref: Annotated[str, typer.Option(help="The bank's reference of the transfer.")],
    amount: Annotated[str | None, typer.Option(help="The amount, checked against what is payable.")] = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """Record the transfer of the funds' share to the person."""
    with reporting():
        paid_on = parse_date(on, field="--on")
        value = None if amount is None else money(amount, field="--amount")
        with write_transaction(bootstrap().engine) as connection:
            done = pay_claim(connection, claim_no=claim_no, paid_on=paid_on, bank_ref=bank_ref, actor=actor,
                             now=datetime.now(), amount=value)  # fmt: skip
        _show(as_json, done)


@app.command("list")
def list_command(
    state: Annotated[list[str] | None, typer.Option(help="Only claims in this state (repeatable).")] = None,
    psn: Annotated[str | None, typer.Option("--psn", help="Only this person's claims.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only claims past their deadline.")] = False,
    due_soon: Annotated[bool, typer.Option("--due-soon", help="Only claims due within 5 days.")] = False,
    on: Annotated[str | None, typer.Option("--on", help="The day to judge deadlines on (default today).")] = None,
    limit: int = 100, offset: int = 0, as_json: Json = False,
) -> None:  # fmt: skip
    """Claims, the nearest deadline first."""
    with reporting():
        if overdue and due_soon:
            raise InvalidValue("--overdue", "give --overdue or --due-soon, not both")
        today = date.today() if on is None else parse_date(on, field="--on")
        deadline = "overdue" if overdue else "due_soon" if due_soon else None
        with read_transaction(bootstrap().engine) as connection:
            found = list_claims(connection, today=today, states=state or (), psn_no=psn, deadline=deadline,
                                limit=limit, offset=offset)  # fmt: skip
        if as_json:
            emit(True, {"on": today.isoformat(), "claims": [x.as_json() for x in found]}, "")
            return
        table = Table(title=f"手工报销 on {today}: {len(found)} claim(s)")
        for name in (
            "claim",
            "person",
            "institution",
            "state",
            "filed",
            "due",
            "deadline",
            "claimed",
            "payable",
        ):
            table.add_column(name, justify="right" if name in {"claimed", "payable"} else "left")
        for x in found:
            c = x.claim
            table.add_row(*(Text(v) for v in (
                c.claim_no, f"{c.psn_no} {c.psn_name}", c.fixmedins_code, c.state.label, c.filed_at.date().isoformat(),
                c.due_on.isoformat() if c.due_on else "", x.deadline, str(c.medfee_sumamt),
                "" if c.payable is None else str(c.payable))))  # fmt: skip
        console.print(table)


@app.command("show")
def show_command(claim_no: ClaimNo, as_json: Json = False) -> None:
    """A claim with its lines, documents, steps and what it still needs."""
    with reporting():
        with read_transaction(bootstrap().engine) as connection:
            file = get_claim(connection, claim_no, today=date.today())
        _print_file(file, as_json)


def _print_file(file: ClaimFile, as_json: bool) -> None:
    if as_json:
        emit(True, file.as_json(), "")
        return
    missing = ", ".join(d.value for d in file.missing) or "none"
    console.print(
        f"{_claim_line(file.claim)}; deadline {file.deadline}; missing documents: {missing}",
        markup=False,
    )
    steps = Table(title="steps")
    for name in ("#", "what", "who", "when", "state", "text"):
        steps.add_column(name)
    for s in file.steps:
        when = s.at.isoformat(sep=" ", timespec="seconds")
        cells = (str(s.step_no), s.kind.value, s.actor, when, s.state_after.value, s.text)
        steps.add_row(*(Text(v) for v in cells))
    console.print(steps)
