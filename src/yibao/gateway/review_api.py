"""The review queue's JSON API (``/api/audit/…``), mounted on the gateway's FastAPI application.

======  ======================================  ==============================================
GET     ``/api/audit/cases``                    the queue (``fixmedins_code``, ``state`` (repeat),
                                                ``period``, ``reason``, ``limit``, ``offset``)
GET     ``/api/audit/cases/{case_id}``          a case with its findings and steps
POST    ``/api/audit/cases/{case_id}/answer``   the institution's answer (``actor``,
                                                ``fixmedins_code``, ``explanation``, ``evidence``)
POST    ``/api/audit/cases/{case_id}/decision`` an auditor's decision (``actor``, ``outcome``,
                                                ``reason``, ``amount_upheld`` as a string)
POST    ``/api/audit/appeals``                  the institution appeals violations of one visit
======  ======================================  ==============================================

Every route is a few lines that call one use case of :mod:`yibao.audit.review` in one transaction.
Money goes out as exact text and comes in as a string (a JSON number with a fraction is a float
and is refused, naming the field). Errors are answered by :class:`~yibao.gateway.api_errors.GuardedRoute`:
``{"error": {"code", "field", "reason", "message"}}`` with 422 (bad input), 404 (no such case,
or another institution's), 409 (the case's state refuses the step); never a traceback.

Not authenticated yet: the acting party is what the request says (``actor``, and
``fixmedins_code`` for an institution). Logins, roles and "an institution sees only its own
cases" are issue I's (ADR 0013); until then this API belongs on the agency's internal network.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from yibao.audit.review import (
    answer_case,
    appeal_findings,
    decide_case,
    get_case,
    list_queue,
)
from yibao.gateway.api_errors import GuardedRoute
from yibao.kernel.money import money
from yibao.store.engine import read_transaction, write_transaction

__all__ = ["PREFIX", "review_router"]

PREFIX = "/api/audit"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4000)


class AnswerIn(_Body):
    """An institution's answer to a case."""

    actor: str
    fixmedins_code: str
    explanation: str
    evidence: list[str] = Field(default_factory=list)


class AppealIn(AnswerIn):
    """An institution's appeal of violations (findings of one visit)."""

    finding_ids: list[int]


class DecisionIn(_Body):
    """An auditor's decision; ``amount_upheld`` in yuan as a string (partly_uphold)."""

    actor: str
    outcome: str
    reason: str
    #: any JSON value: checked by kernel.money, which names a float and refuses it
    amount_upheld: Any = None


def review_router(engine: Engine, *, clock: Callable[[], datetime] = datetime.now) -> APIRouter:
    """The review API over ``engine``; ``clock`` stamps the steps."""
    router = APIRouter(prefix=PREFIX, route_class=GuardedRoute)

    @router.get("/cases")
    def queue(
        *,
        fixmedins_code: str | None = None,
        state: Annotated[list[str] | None, Query()] = None,
        period: str | None = None,
        reason: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> JSONResponse:
        with read_transaction(engine) as connection:
            page = list_queue(connection, fixmedins_code=fixmedins_code, states=state,
                              period=period, reason=reason, limit=limit, offset=offset)  # fmt: skip
        return JSONResponse(page.as_json())

    @router.get("/cases/{case_id}")
    def case(case_id: int, fixmedins_code: str | None = None) -> JSONResponse:
        with read_transaction(engine) as connection:
            file = get_case(connection, case_id=case_id, fixmedins_code=fixmedins_code)
        return JSONResponse(file.as_json())

    @router.post("/cases/{case_id}/answer")
    def answer(case_id: int, body: AnswerIn) -> JSONResponse:
        with write_transaction(engine) as connection:
            done = answer_case(connection, case_id=case_id, fixmedins_code=body.fixmedins_code,
                               actor=body.actor, explanation=body.explanation,
                               evidence=body.evidence, now=clock())  # fmt: skip
        return JSONResponse({"case": done.as_json()})

    @router.post("/cases/{case_id}/decision")
    def decision(case_id: int, body: DecisionIn) -> JSONResponse:
        upheld = (
            None if body.amount_upheld is None else money(body.amount_upheld, field="amount_upheld")
        )
        with write_transaction(engine) as connection:
            done = decide_case(connection, case_id=case_id, actor=body.actor, outcome=body.outcome,
                               reason=body.reason, amount_upheld=upheld, now=clock())  # fmt: skip
        return JSONResponse({"case": done.as_json()})

    @router.post("/appeals", status_code=201)
    def appeal(body: AppealIn) -> JSONResponse:
        with write_transaction(engine) as connection:
            done = appeal_findings(connection, finding_ids=body.finding_ids,
                                   fixmedins_code=body.fixmedins_code, actor=body.actor,
                                   explanation=body.explanation, evidence=body.evidence, now=clock())  # fmt: skip
        return JSONResponse({"case": done.as_json()}, status_code=201)

    return router
