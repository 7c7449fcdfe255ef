"""The gateway's HTTP face: ``POST /fsi/api/rsfComIfsService/callService`` (and ``…/<infno>``).

The route only hands the raw body and headers to :class:`~yibao.gateway.pipeline.Gateway`. An
unexpected failure is logged with its reference and answered ``infcode = -1``: an HIS never sees
a 500 or a traceback.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from yibao.gateway.pipeline import Gateway

__all__ = ["create_app"]

PATH = "/fsi/api/rsfComIfsService/callService"
_log = logging.getLogger("yibao.gateway")


def create_app(gateway: Gateway) -> FastAPI:
    """The ASGI application serving one gateway."""
    app = FastAPI(title="yibao gateway", docs_url=None, redoc_url=None)

    async def call_service(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            reply = await run_in_threadpool(gateway.handle, body, dict(request.headers))
        except Exception:
            _log.exception("unexpected failure answering a gateway call")
            return JSONResponse(
                {
                    "infcode": -1,
                    "err_msg": "internal error; the agency has been told",
                    "output": None,
                }
            )
        return JSONResponse(reply.body, status_code=reply.status)

    app.add_api_route(PATH, call_service, methods=["POST"])
    app.add_api_route(PATH + "/{infno}", call_service, methods=["POST"])

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
