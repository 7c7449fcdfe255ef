"""The ASGI entry for servers: ``uvicorn --factory yibao.gateway.asgi:app`` (what ``yibao serve`` runs).

Each worker process builds its own services from the ``YIBAO_*`` environment.
"""

from __future__ import annotations

from datetime import datetime

from starlette.types import ASGIApp

from yibao.audit.realtime import RealtimeAuditor
from yibao.bootstrap import Services, bootstrap
from yibao.gateway.app import create_app
from yibao.gateway.nonces import DatabaseNonceStore
from yibao.gateway.pipeline import Gateway
from yibao.settlement.visits import load_reference

__all__ = ["app", "build_gateway"]


def build_gateway(services: Services) -> Gateway:
    """The transaction gateway over the services' store, its reference data loaded from it."""
    auditor = RealtimeAuditor(services.rule_base) if services.settings.audit else None
    with services.engine.connect() as connection:
        reference = load_reference(connection, auditor)
    return Gateway(
        engine=services.engine,
        nonces=DatabaseNonceStore(services.engine),
        region=services.settings.region,
        clock=datetime.now,
        reference=reference,
        var_dir=services.settings.var_dir,
    )


def app() -> ASGIApp:
    """A gateway application for this process."""
    return create_app(build_gateway(bootstrap()))
