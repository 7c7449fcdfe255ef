"""异地就医备案 as a JSON API (``/api/remote-filings/…``) for the person's portal and the agency.

======  ==============================================  ========================================
GET     ``/api/remote-filings?psn_no=…``                a person's filings, withdrawn ones too
POST    ``/api/remote-filings``                         file (``psn_no``, ``mdtrtarea_admdvs``,
                                                        ``filing_type``, ``begndate``, ``enddate``,
                                                        ``filed_by``, ``operator``, ``memo``)
POST    ``/api/remote-filings/{filing_id}/renewal``     renew (``psn_no``, ``enddate``, ``filed_by``,
                                                        ``operator``)
POST    ``/api/remote-filings/{filing_id}/withdrawal``  withdraw (``psn_no``, ``memo``)
======  ==============================================  ========================================

Every route is one transaction of :mod:`yibao.registry.remote_filings`; errors are answered as
the review API's are (:class:`~yibao.gateway.api_errors.GuardedRoute`). Not authenticated yet:
the person's portal login is issue I's; until then this API belongs on the agency's network.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

from yibao.catalog.repository import region_codes
from yibao.gateway.api_errors import GuardedRoute
from yibao.registry.remote_filings import (
    file_remote,
    remote_filings_of,
    renew_remote,
    withdraw_remote,
)
from yibao.store.engine import read_transaction, write_transaction

__all__ = ["PREFIX", "remote_router"]

PREFIX = "/api/remote-filings"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=500)


class FilingIn(_Body):
    """A new filing."""

    psn_no: str
    mdtrtarea_admdvs: str
    filing_type: str
    begndate: date
    enddate: date | None = None
    filed_by: str = "person"
    operator: str
    memo: str = ""


class RenewalIn(_Body):
    """A renewal until ``enddate``."""

    psn_no: str
    enddate: date
    filed_by: str = "person"
    operator: str


class WithdrawalIn(_Body):
    """A withdrawal with its reason."""

    psn_no: str
    memo: str


def _answer(payload: object, status: int = 200) -> JSONResponse:
    return JSONResponse(jsonable_encoder(payload), status_code=status)


def remote_router(engine: Engine, *, clock: Callable[[], datetime] = datetime.now) -> APIRouter:
    """The filings API over ``engine``; ``clock`` stamps filings and withdrawals."""
    router = APIRouter(prefix=PREFIX, route_class=GuardedRoute)

    @router.get("")
    def filings(psn_no: str) -> JSONResponse:
        with read_transaction(engine) as connection:
            found = remote_filings_of(connection, psn_no)
        return _answer({"filings": [f.as_json() for f in found]})

    @router.post("", status_code=201)
    def file(body: FilingIn) -> JSONResponse:
        with write_transaction(engine) as connection:
            filing = file_remote(connection, psn_no=body.psn_no,
                                 mdtrtarea_admdvs=body.mdtrtarea_admdvs,
                                 filing_type=body.filing_type, begndate=body.begndate,
                                 enddate=body.enddate, filed_by=body.filed_by,
                                 operator=body.operator, now=clock(),
                                 regions=region_codes(connection), memo=body.memo)  # fmt: skip
        return _answer({"filing": filing.as_json()}, 201)

    @router.post("/{filing_id}/renewal", status_code=201)
    def renew(filing_id: str, body: RenewalIn) -> JSONResponse:
        with write_transaction(engine) as connection:
            filing = renew_remote(connection, filing_id=filing_id, psn_no=body.psn_no,
                                  enddate=body.enddate, filed_by=body.filed_by,
                                  operator=body.operator, now=clock(),
                                  regions=region_codes(connection))  # fmt: skip
        return _answer({"filing": filing.as_json()}, 201)

    @router.post("/{filing_id}/withdrawal")
    def withdraw(filing_id: str, body: WithdrawalIn) -> JSONResponse:
        with write_transaction(engine) as connection:
            held = withdraw_remote(connection, filing_id=filing_id, psn_no=body.psn_no,
                                   memo=body.memo, now=clock())  # fmt: skip
        return _answer({"withdrawn": held.as_json()})

    return router
