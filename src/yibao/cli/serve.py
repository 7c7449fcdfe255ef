"""``yibao serve``: run the gateway with uvicorn on loopback (several workers on request).

With more than one worker, uvicorn's supervisor binds the listening socket itself with
``proto = 0``; asyncio then leaves ``TCP_NODELAY`` off on every accepted connection, and Nagle's
algorithm holds each response body until the client's delayed ACK (40 ms on Linux, uvicorn issue
#3149). :func:`tcp_listener` re-wraps the bound socket so the kernel reports its protocol
(``IPPROTO_TCP``) and every worker's connections get ``TCP_NODELAY``, as with one worker.
"""

from __future__ import annotations

import socket
from typing import Annotated

import typer
import uvicorn
from uvicorn.supervisors import Multiprocess

from yibao.bootstrap import bootstrap
from yibao.cli.errors import reporting
from yibao.store.migrate import require_current_schema

__all__ = ["serve", "tcp_listener"]


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the NHSA-style gateway (POST /fsi/api/rsfComIfsService/callService)."""
    with reporting():
        services = bootstrap()
        require_current_schema(services.engine)
        services.engine.dispose()
    config = uvicorn.Config("yibao.gateway.asgi:app", factory=True, host=host, port=port,
                            workers=workers, log_level="warning")  # fmt: skip
    if workers == 1:
        uvicorn.Server(config).run()
    else:
        Multiprocess(config, sockets=[tcp_listener(config)]).run()


def tcp_listener(config: uvicorn.Config) -> socket.socket:
    """The listening socket of ``config``, its protocol read back from the kernel (IPPROTO_TCP)."""
    bound = config.bind_socket()
    listener = socket.socket(fileno=bound.detach())
    listener.set_inheritable(True)
    return listener
