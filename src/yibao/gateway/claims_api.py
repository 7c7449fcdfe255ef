"""Manual reimbursement (手工报销) as a JSON API (``/api/claims/…``), ADR 0015.

======  ================================================  ==========================================
POST    ``/api/claims/failures``                          the institution issues a failure record
                                                          (``issued_by``, ``record``: its fields)
GET     ``/api/claims/failures/{failure_no}``             a failure record
POST    ``/api/claims``                                   file a claim (``filed_by``, ``operator``,
                                                          ``claim``: its fields)
GET     ``/api/claims``                                   claims (``state`` (repeat), ``psn_no``,
                                                          ``deadline`` overdue/due_soon, ``on``, …)
GET     ``/api/claims/{claim_no}``                        a claim with lines, documents, steps
PUT     ``/api/claims/{claim_no}/documents``              upload: the file is the body;
                                                          ``doc_type``, ``filename``, ``actor`` in
                                                          the query; Content-Type is checked
GET     ``/api/claims/{claim_no}/documents/{doc_no}``     a document's file
POST    ``/api/claims/{claim_no}/take``                   a clerk takes it (``clerk``)
POST    ``/api/claims/{claim_no}/more``                   ask for more (``clerk``, ``what``)
POST    ``/api/claims/{claim_no}/resubmission``           the person hands it back (``actor``, ``note``)
POST    ``/api/claims/{claim_no}/liability``              the papers clear it (``clerk``, ``finding``)
POST    ``/api/claims/{claim_no}/decision``               ``clerk``, ``outcome``, ``reason``,
                                                          ``refusal_code``
POST    ``/api/claims/{claim_no}/settlement``             settle (``clerk``)
POST    ``/api/claims/{claim_no}/payment``                ``actor``, ``paid_on``, ``bank_ref``,
                                                          ``amount`` (text, checked)
======  ================================================  ==========================================

Every route calls one use case in one transaction. Money goes out as exact text and comes in as
text (a JSON number with a fraction is refused, naming the field). Errors are answered by
:class:`~yibao.gateway.api_errors.GuardedRoute`: 422 bad input (the field named: a document of a
type not allowed or over the size limit is ``content``), 404 nothing there, 409 the claim's state
refuses the step. Not authenticated yet (issue I): this API belongs on the agency's network.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from yibao.crossregion import claims as service
from yibao.crossregion.claims_documents import add_document, read_document
from yibao.crossregion.claims_failures import get_failure, issue_failure
from yibao.crossregion.claims_model import MAX_DOCUMENT_BYTES, check_document
from yibao.crossregion.claims_records import record_json
from yibao.crossregion.claims_settle import pay_claim, settle_claim
from yibao.gateway.api_errors import GuardedRoute
from yibao.kernel.dates import parse_date
from yibao.kernel.money import money
from yibao.settlement.output import render_settlement
from yibao.settlement.visits import Reference
from yibao.store.engine import read_transaction, write_transaction

__all__ = ["PREFIX", "claims_router"]

PREFIX = "/api/claims"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4000)


class FailureIn(_Body):
    issued_by: str
    #: the record's fields, checked by the service (errors name them)
    record: dict[str, Any]


class ClaimIn(_Body):
    filed_by: str = "person"
    operator: str
    claim: dict[str, Any]


class ClerkIn(_Body):
    clerk: str


class MoreIn(ClerkIn):
    what: str


class LiabilityIn(ClerkIn):
    finding: str


class DecisionIn(ClerkIn):
    outcome: str
    reason: str | None = None
    refusal_code: str | None = None


class ResubmitIn(_Body):
    actor: str
    note: str = ""


class PaymentIn(_Body):
    actor: str
    paid_on: str
    bank_ref: str
    #: any JSON value: checked by kernel.money, which names a float and refuses it
    amount: Any = None


def claims_router(
    engine: Engine, *, var_dir: Path, reference: Callable[[], Reference],
    clock: Callable[[], datetime] = datetime.now,
) -> APIRouter:  # fmt: skip
    """The claims API over ``engine``; documents under ``var_dir``; ``reference`` gives the
    policies, catalogues and institutions settlement uses (the gateway's)."""
    router = APIRouter(prefix=PREFIX, route_class=GuardedRoute)
    _filing_routes(router, engine, clock)
    _document_routes(router, engine, var_dir, clock)
    _review_routes(router, engine, clock)

    @router.post("/{claim_no}/settlement")
    def settlement(claim_no: str, body: ClerkIn) -> JSONResponse:
        with write_transaction(engine) as connection:
            claim, settled = settle_claim(connection, reference(), claim_no=claim_no, clerk=body.clerk,
                                          now=clock())  # fmt: skip
        return JSONResponse({"claim": claim.as_json(), "settlement": render_settlement(settled)})

    @router.post("/{claim_no}/payment")
    def payment(claim_no: str, body: PaymentIn) -> JSONResponse:
        paid_on: date = parse_date(body.paid_on, field="paid_on")
        amount = None if body.amount is None else money(body.amount, field="amount")
        with write_transaction(engine) as connection:
            done = pay_claim(connection, claim_no=claim_no, paid_on=paid_on, bank_ref=body.bank_ref,
                             actor=body.actor, now=clock(), amount=amount)  # fmt: skip
        return JSONResponse({"claim": done.as_json()})

    return router


def _filing_routes(router: APIRouter, engine: Engine, clock: Callable[[], datetime]) -> None:
    """Failure records, filing, the list and one claim."""

    @router.post("/failures", status_code=201)
    def issue(body: FailureIn) -> JSONResponse:
        with write_transaction(engine) as connection:
            found = issue_failure(
                connection, data=body.record, issued_by=body.issued_by, now=clock()
            )
        return JSONResponse({"failure": record_json(found)}, status_code=201)

    @router.get("/failures/{failure_no}")
    def failure(failure_no: str) -> JSONResponse:
        with read_transaction(engine) as connection:
            return JSONResponse({"failure": record_json(get_failure(connection, failure_no))})

    @router.post("", status_code=201)
    def file(body: ClaimIn) -> JSONResponse:
        with write_transaction(engine) as connection:
            done = service.file_claim(connection, data=body.claim, filed_by=body.filed_by,
                                      operator=body.operator, now=clock())  # fmt: skip
        return JSONResponse(done.as_json(), status_code=201)

    @router.get("")
    def listing(
        *,
        state: Annotated[list[str] | None, Query()] = None, psn_no: str | None = None,
        deadline: str | None = None, on: str | None = None, limit: int = 100, offset: int = 0,
    ) -> JSONResponse:  # fmt: skip
        today = clock().date() if on is None else parse_date(on, field="on")
        with read_transaction(engine) as connection:
            found = service.list_claims(connection, today=today, states=state or (), psn_no=psn_no,
                                        deadline=deadline, limit=limit, offset=offset)  # fmt: skip
        return JSONResponse({"on": today.isoformat(), "claims": [x.as_json() for x in found]})

    @router.get("/{claim_no}")
    def show(claim_no: str) -> JSONResponse:
        with read_transaction(engine) as connection:
            return JSONResponse(
                service.get_claim(connection, claim_no, today=clock().date()).as_json()
            )


def _document_routes(
    router: APIRouter, engine: Engine, var_dir: Path, clock: Callable[[], datetime]
) -> None:
    """Uploading a document (the body is the file) and reading one back."""

    @router.put("/{claim_no}/documents", status_code=201)
    async def upload(
        request: Request, claim_no: str, doc_type: str, actor: str, filename: str = ""
    ) -> JSONResponse:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit():
            check_document(doc_type, int(declared))  # refuse an announced oversize body unread
        content = await _body(request)

        def store() -> dict[str, Any]:
            with write_transaction(engine) as connection:
                document = add_document(connection, root=var_dir, claim_no=claim_no, doc_type=doc_type,
                                        content=content, filename=filename, actor=actor, now=clock(),
                                        declared=request.headers.get("content-type"))  # fmt: skip
            return document.as_json()

        return JSONResponse({"document": await run_in_threadpool(store)}, status_code=201)

    @router.get("/{claim_no}/documents/{doc_no}")
    def document(claim_no: str, doc_no: int) -> Response:
        with read_transaction(engine) as connection:
            found, content = read_document(
                connection, root=var_dir, claim_no=claim_no, doc_no=doc_no
            )
        return Response(content, media_type=found.media_type)


def _review_routes(router: APIRouter, engine: Engine, clock: Callable[[], datetime]) -> None:
    """The clerk's and the person's steps: take, ask for more, resubmit, liability, decision."""

    @router.post("/{claim_no}/take")
    def take(claim_no: str, body: ClerkIn) -> JSONResponse:
        with write_transaction(engine) as connection:
            done = service.take(connection, claim_no=claim_no, clerk=body.clerk, now=clock())
        return JSONResponse({"claim": done.as_json()})

    @router.post("/{claim_no}/more")
    def more(claim_no: str, body: MoreIn) -> JSONResponse:
        with write_transaction(engine) as connection:
            done = service.request_more(
                connection, claim_no=claim_no, clerk=body.clerk, what=body.what, now=clock()
            )
        return JSONResponse({"claim": done.as_json()})

    @router.post("/{claim_no}/resubmission")
    def resubmission(claim_no: str, body: ResubmitIn) -> JSONResponse:
        with write_transaction(engine) as connection:
            done = service.resubmit(
                connection, claim_no=claim_no, actor=body.actor, note=body.note, now=clock()
            )
        return JSONResponse({"claim": done.as_json()})

    @router.post("/{claim_no}/liability")
    def liability(claim_no: str, body: LiabilityIn) -> JSONResponse:
        with write_transaction(engine) as connection:
            done = service.clear_liability(connection, claim_no=claim_no, clerk=body.clerk,
                                           finding=body.finding, now=clock())  # fmt: skip
        return JSONResponse({"claim": done.as_json()})

    @router.post("/{claim_no}/decision")
    def decision(claim_no: str, body: DecisionIn) -> JSONResponse:
        with write_transaction(engine) as connection:
            done = service.decide(connection, claim_no=claim_no, clerk=body.clerk, outcome=body.outcome,
                                  reason=body.reason, refusal_code=body.refusal_code, now=clock())  # fmt: skip
        return JSONResponse({"claim": done.as_json()})


async def _body(request: Request) -> bytes:
    """The request body, refused (``content``) once it grows past the size limit: never read whole."""
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_DOCUMENT_BYTES:
            check_document("other", len(received))  # raises: over the limit
    return bytes(received)
