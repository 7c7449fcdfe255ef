"""Used nonces kept in the database, so every gateway worker refuses a replay the same way."""

from __future__ import annotations

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from yibao.gateway.tables import nonces

__all__ = ["DatabaseNonceStore"]


class DatabaseNonceStore:
    """``seen`` records a nonce in its own short transaction; a second use is a key conflict."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def seen(self, paasid: str, nonce: str, now: int, window: int) -> bool:
        try:
            with self._engine.begin() as connection:
                connection.execute(delete(nonces).where(nonces.c.seen_at < now - 2 * window))
                connection.execute(
                    insert(nonces), [{"paasid": paasid, "nonce": nonce, "seen_at": now}]
                )
        except IntegrityError:
            return True
        return False
