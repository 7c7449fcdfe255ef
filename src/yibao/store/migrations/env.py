"""Alembic environment: migrates the connection handed over by ``yibao.store.migrate``."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from yibao.store.schema import metadata
from yibao.store.types import ScaledDecimal


def _render_item(kind: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Scaled decimals are BIGINT columns: migrations describe what the database holds."""
    if kind == "type" and isinstance(obj, ScaledDecimal):
        return "sa.BigInteger()"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=_render_item,
)
with context.begin_transaction():
    context.run_migrations()
