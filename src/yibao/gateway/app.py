"""The gateway's HTTP face: ``POST /fsi/api/rsfComIfsService/callService`` (and ``…/<infno>``).

The gateway route is the hot path of the whole system (every HIS call in the pooling area), so it
is served by a small ASGI function in front of the FastAPI application: it reads the body, hands
the raw body and headers to :class:`~yibao.gateway.pipeline.Gateway` in a worker thread and writes
the JSON answer, without FastAPI's routing, dependency and middleware layers (a third of the
server's CPU per call when measured, docs/benchmarks.md). Every other path (``/healthz``, the
console of later issues) goes to FastAPI.

An unexpected failure is logged with its reference and answered ``infcode = -1``; a body over
:data:`MAX_BODY` is answered 413 naming the limit. An HIS never sees a 500 or a traceback.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from anyio import CapacityLimiter, to_thread
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from yibao.gateway.claims_api import claims_router
from yibao.gateway.pipeline import Gateway
from yibao.gateway.remote_api import remote_router
from yibao.gateway.review_api import review_router
from yibao.kernel.errors import CatalogError
from yibao.settlement.visits import Reference

__all__ = ["MAX_BODY", "PATH", "POSTGRESQL_CONCURRENCY", "create_app"]

PATH = "/fsi/api/rsfComIfsService/callService"
#: the largest request body accepted (a 2301 of several thousand fee lines fits easily)
MAX_BODY = 16 * 1024 * 1024
#: gateway calls at a time in one process on PostgreSQL (SQLite: 1, see :func:`create_app`)
POSTGRESQL_CONCURRENCY = 8
_log = logging.getLogger("yibao.gateway")

_INTERNAL = {"infcode": -1, "err_msg": "internal error; the agency has been told", "output": None}


def _reference(gateway: Gateway) -> Reference:
    if gateway.reference is None:
        raise CatalogError("the gateway has no reference data loaded (policies, catalogues)")
    return gateway.reference


def create_app(gateway: Gateway, *, concurrency: int | None = None) -> ASGIApp:
    """The ASGI application serving one gateway, ``concurrency`` calls at a time in this process.

    By default one at a time on SQLite, whose writers run one at a time anyway: more threads only
    fight over the GIL, which stretches the time the write lock is held (measured: about 15% fewer
    settlements per second with 40 threads than with 1); use more worker processes instead. On
    PostgreSQL calls wait on the network and on row locks, so :data:`POSTGRESQL_CONCURRENCY` run.
    """
    if concurrency is None:
        sqlite = gateway.engine.dialect.name == "sqlite"
        concurrency = 1 if sqlite else POSTGRESQL_CONCURRENCY
    limiter = CapacityLimiter(concurrency)
    api = FastAPI(title="yibao gateway", docs_url=None, redoc_url=None, openapi_url=None)
    api.include_router(review_router(gateway.engine, clock=gateway.clock))  # /api/audit/…
    api.include_router(remote_router(gateway.engine, clock=gateway.clock))  # /api/remote-filings
    if gateway.var_dir is not None:  # /api/claims/…
        api.include_router(claims_router(gateway.engine, var_dir=gateway.var_dir,
                                         reference=lambda: _reference(gateway),
                                         clock=gateway.clock))  # fmt: skip

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _is_gateway_path(scope["path"]):
            if scope["method"] == "POST":
                await _call_service(gateway, limiter, scope, receive, send)
            else:
                await _send_json(send, 405, {"infcode": -1, "output": None,
                                             "err_msg": "method: the gateway answers POST only"})  # fmt: skip
        else:
            await api(scope, receive, send)

    return app


def _is_gateway_path(path: str) -> bool:
    """``PATH`` itself or ``PATH/<infno>`` (one more segment)."""
    return path == PATH or (path.startswith(PATH + "/") and "/" not in path[len(PATH) + 1 :])


async def _call_service(
    gateway: Gateway, limiter: CapacityLimiter, scope: Scope, receive: Receive, send: Send
) -> None:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body += message.get("body", b"")
        if len(body) > MAX_BODY:
            await _send_json(send, 413, {"infcode": -1, "output": None,
                                         "err_msg": f"body: larger than {MAX_BODY} bytes"})  # fmt: skip
            return
        if not message.get("more_body", False):
            break
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    try:
        reply = await to_thread.run_sync(gateway.handle, bytes(body), headers, limiter=limiter)
        status, raw = reply.status, _json(reply.body)
    except Exception:
        _log.exception("unexpected failure answering a gateway call")
        status, raw = 200, _json(_INTERNAL)
    await _send(send, status, raw)


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    await _send(send, status, _json(payload))


async def _send(send: Send, status: int, raw: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": raw})
