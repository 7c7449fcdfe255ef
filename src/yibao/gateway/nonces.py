"""Used nonces kept in the database, so every gateway worker refuses a replay the same way."""

from __future__ import annotations

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from yibao.gateway.tables import nonces
from yibao.store.engine import write_transaction

__all__ = ["DatabaseNonceStore"]


class DatabaseNonceStore:
    """``seen`` records a nonce in its own short transaction; a second use is a key conflict.

    Expired nonces are purged at most every ``purge_every`` seconds per process (the purge uses
    the index on ``seen_at``), not on every request.
    """

    def __init__(self, engine: Engine, *, purge_every: int = 30) -> None:
        self._engine = engine
        self._purge_every = purge_every
        self._purged_at = 0

    def seen(self, paasid: str, nonce: str, now: int, window: int) -> bool:
        purge = now - self._purged_at >= self._purge_every
        try:
            with write_transaction(self._engine) as connection:
                if purge:
                    connection.execute(delete(nonces).where(nonces.c.seen_at < now - 2 * window))
                connection.execute(
                    insert(nonces), [{"paasid": paasid, "nonce": nonce, "seen_at": now}]
                )
        except IntegrityError:
            return True
        if purge:
            self._purged_at = now
        return False
