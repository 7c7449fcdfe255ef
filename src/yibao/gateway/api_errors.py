"""The JSON APIs' one way of answering errors: ``{"error": {"code", "field", "reason", "message"}}``.

422 for bad input (the field named), 404 for nothing there (or someone else's), 409 for a state
that refuses the step; an unexpected failure is logged and answered 500 without a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from yibao.kernel.errors import ConflictError, InvalidValue, NotFound, YibaoError

__all__ = ["GuardedRoute"]

_log = logging.getLogger("yibao.api")


class GuardedRoute(APIRoute):
    """Routes whose errors are answered as JSON naming the field and the reason, never a 500 page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return _invalid_request(exc)
            except YibaoError as exc:
                return _refused(exc)
            except Exception:
                _log.exception("unexpected failure in %s %s", request.method, request.url.path)
                return _error(500, "YB0000", "", "internal error; the agency has been told")

        return guarded


def _refused(exc: YibaoError) -> JSONResponse:
    field = getattr(exc, "field", None)
    reason = getattr(exc, "reason", None)
    if field is None or reason is None:  # "field: reason", as every review error is worded
        head, _, tail = exc.message.partition(": ")
        field, reason = (head, tail) if tail and " " not in head else ("", exc.message)
    status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, ConflictError) else 422
    return _error(status, exc.code, str(field), str(reason))


def _invalid_request(exc: RequestValidationError) -> JSONResponse:
    problems = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path")]
        field = "body" if err.get("type") == "json_invalid" else ".".join(loc) or "body"
        problems.append({"field": field, "reason": str(err.get("msg", "invalid"))})
    first = problems[0] if problems else {"field": "body", "reason": "invalid request"}
    payload = _payload(InvalidValue.code, first["field"], first["reason"])
    return JSONResponse({"error": {**payload, "problems": problems}}, status_code=422)


def _payload(code: str, field: str, reason: str) -> dict[str, str]:
    message = f"{field}: {reason}" if field else reason
    return {"code": code, "field": field, "reason": reason, "message": message}


def _error(status: int, code: str, field: str, reason: str) -> JSONResponse:
    return JSONResponse({"error": _payload(code, field, reason)}, status_code=status)
