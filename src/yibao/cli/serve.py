"""``yibao serve``: run the gateway with uvicorn on loopback (several workers on request)."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from yibao.bootstrap import bootstrap
from yibao.cli.errors import reporting
from yibao.kernel.errors import ConflictError
from yibao.store.migrate import current_revision, head_revision

__all__ = ["serve"]


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the NHSA-style gateway (POST /fsi/api/rsfComIfsService/callService)."""
    with reporting():
        services = bootstrap()
        if current_revision(services.engine) != head_revision():
            raise ConflictError(
                "the database is not at the current schema: run `yibao db upgrade` first"
            )
    uvicorn.run("yibao.gateway.asgi:app", factory=True, host=host, port=port, workers=workers,
                log_level="warning")  # fmt: skip
