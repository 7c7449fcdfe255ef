"""Used nonces kept in the database, so every gateway worker refuses a replay the same way."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from yibao.gateway.signature import ReplayedNonce, replayed
from yibao.gateway.tables import nonces
from yibao.store.engine import write_transaction

__all__ = ["DatabaseNonceStore"]


class DatabaseNonceStore:
    """Nonces as rows keyed by (paasid, nonce); a second use of one is refused.

    The gateway records a request's nonce inside the transaction of the call itself
    (:meth:`record`), so an answered request costs one write transaction, not two; :meth:`seen`
    records one in a transaction of its own. Expired nonces are purged at most every
    ``purge_every`` seconds per process (the purge uses the index on ``seen_at``).
    """

    def __init__(self, engine: Engine, *, purge_every: int = 30) -> None:
        self._engine = engine
        self._purge_every = purge_every
        self._purged_at = 0

    def seen(self, paasid: str, nonce: str, now: int, window: int) -> bool:
        try:
            with write_transaction(self._engine) as connection:
                self.record(connection, paasid, nonce, now, window)
        except ReplayedNonce:
            return True
        return False

    def record(
        self, connection: Connection, paasid: str, nonce: str, now: int, window: int
    ) -> None:
        """Record the nonce in the caller's transaction; :class:`ReplayedNonce` if it was used.

        The transaction must then be rolled back (PostgreSQL has aborted it). Two requests with
        one nonce at the same moment: the second's insert waits for the first's transaction
        (PostgreSQL's unique index; SQLite's single writer) and then conflicts.
        """
        if now - self._purged_at >= self._purge_every:
            connection.execute(delete(nonces).where(nonces.c.seen_at < now - 2 * window))
            self._purged_at = now
        try:
            connection.execute(insert(nonces), [{"paasid": paasid, "nonce": nonce, "seen_at": now}])
        except IntegrityError:
            raise replayed(nonce, window) from None
