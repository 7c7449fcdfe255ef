"""One request through the gateway: authenticate, decode, validate, answer once per ``msgid``.

1. The ``x-tif-*`` headers are verified against the caller's credential (401 when they fail).
2. The body is decoded and the envelope and its ``input`` checked against the interface's field
   rules; the envelope must name the caller's own institution.
3. In ONE transaction: the nonce is recorded (a used one is a 401), then a stored answer for
   (institution, ``msgid``) is returned as it was; else the transaction's function runs and its
   answer is written to the message log with its writes. When the function refuses the call
   (``infcode = -1``), the transaction is rolled back and a second one records the nonce and the
   refusal alone. Two requests with one ``msgid`` arriving together: the second waits for the
   first's log row (PostgreSQL) or transaction (SQLite), fails to insert its own, rolls back
   everything it did, and returns the stored answer.
   A request refused before its transaction (a bad envelope) records its nonce on its own.

No error reaches the client as a 500: every yibao error becomes ``infcode = -1`` naming the field.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from yibao.catalog.repository import token_for
from yibao.gateway import fields
from yibao.gateway.audit_calls import AUDIT_CALLS
from yibao.gateway.calls import CALLS, Call, Handler
from yibao.gateway.casepay_calls import CASEPAY_CALLS, CASEPAY_READ_ONLY
from yibao.gateway.envelope import (
    FAILURE,
    SUCCESS,
    RequestEnvelope,
    decode_body,
    new_refmsgid,
    parse_envelope,
    response,
)
from yibao.gateway.filing_calls import FILING_CALLS, FILING_READ_ONLY
from yibao.gateway.nonces import DatabaseNonceStore
from yibao.gateway.query_calls import QUERY_CALLS
from yibao.gateway.reconcile_calls import RECONCILE_CALLS, RECONCILE_READ_ONLY
from yibao.gateway.reversal_calls import REVERSAL_CALLS
from yibao.gateway.signature import GatewayAuthError, nonce_of, replayed, verify_headers
from yibao.gateway.tables import message_log
from yibao.gateway.visit_calls import VISIT_CALLS
from yibao.kernel.errors import ConflictError, InvalidValue, YibaoError
from yibao.settlement.visits import Reference
from yibao.store.engine import read_transaction, write_transaction

__all__ = ["ALIASES", "READ_ONLY", "SERVED", "Gateway", "Reply"]

#: every transaction this gateway answers
SERVED: dict[str, Handler] = {
    **CALLS,
    **VISIT_CALLS,
    **REVERSAL_CALLS,
    **QUERY_CALLS,
    **FILING_CALLS,
    **AUDIT_CALLS,
    **RECONCILE_CALLS,
    **CASEPAY_CALLS,
}
#: later revisions' names of a transaction (2203A is 2203 with the same nodes)
ALIASES = {"2203A": "2203"}
#: transactions that only read: answered from a snapshot, outside the write lock, and then logged
#: (tests/gateway/test_pipeline.py checks that none of them writes)
READ_ONLY = frozenset({
    "1101", "1201", "1901", "1312", "1316", "1317", "1318", "1319", "2001", "2206", "2303",
    "5201", "5202", "5203", "5204", "5206", "3101", "3102",
}) | FILING_READ_ONLY | RECONCILE_READ_ONLY | CASEPAY_READ_ONLY  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Caller:
    """An authenticated request's caller and the nonce it used."""

    paasid: str
    fixmedins_code: str
    nonce: str
    stamp: int


class _Refused(Exception):
    """A transaction's function refused the call; its writes are rolled back before logging."""

    def __init__(self, error: YibaoError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True, slots=True)
class Reply:
    """What the HTTP layer sends: a status and a JSON body."""

    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Gateway:
    """The gateway's collaborators: the store, the nonce store, the clock, the receiver's region."""

    engine: Engine
    nonces: DatabaseNonceStore
    region: str
    clock: Callable[[], datetime]
    window: int = 300
    reference: Reference | None = None
    #: seconds a worker keeps a credential it looked up (a revoked one works at most this long)
    credential_ttl: int = 60
    #: where uploaded documents are kept (claims); None: the claims API is not served
    var_dir: Path | None = None
    _credentials: dict[str, tuple[str, str, datetime]] = field(default_factory=dict)

    def handle(self, body: bytes, headers: Mapping[str, str]) -> Reply:
        received = self.clock()
        refmsgid = new_refmsgid(self.region, received, secrets.randbelow(10**10))
        try:
            caller = self._authenticate(headers, received)
            return Reply(200, self._answered(body, caller, refmsgid, received))
        except GatewayAuthError as exc:
            return Reply(401, {"infcode": FAILURE, "err_msg": str(exc), "inf_refmsgid": refmsgid})

    def _answered(
        self, body: bytes, caller: _Caller, refmsgid: str, received: datetime
    ) -> dict[str, Any]:
        """The answer to an authenticated request (a replayed nonce still raises)."""
        try:
            envelope = self._checked(body, caller.fixmedins_code)
            return self._once(envelope, caller, refmsgid, received)
        except GatewayAuthError:
            raise
        except YibaoError as exc:
            self._spend(caller)
            return self._answer(FAILURE, refmsgid, received, None, str(exc))

    def _checked(self, body: bytes, fixmedins_code: str) -> RequestEnvelope:
        """The envelope of the body, naming the caller's institution and a served transaction."""
        envelope = parse_envelope(decode_body(body))
        if envelope.fixmedins_code != fixmedins_code:
            raise InvalidValue(
                "fixmedins_code",
                f"{envelope.fixmedins_code} is not the institution of this credential",
            )
        infno = ALIASES.get(envelope.infno, envelope.infno)
        if infno not in SERVED:
            raise InvalidValue(
                "infno", f"transaction {envelope.infno} is not served by this gateway"
            )
        fields.check_input(infno, envelope.input)
        return envelope

    def _authenticate(self, headers: Mapping[str, str], now: datetime) -> _Caller:
        callers: dict[str, str] = {}

        def lookup(paasid: str) -> str | None:
            cached = self._credentials.get(paasid)
            if cached is not None and (now - cached[2]).total_seconds() < self.credential_ttl:
                callers[paasid] = cached[1]
                return cached[0]
            with read_transaction(self.engine) as connection:
                found = token_for(connection, paasid, now)
            if found is None:
                return None
            self._credentials[paasid] = (found[0], found[1], now)
            callers[paasid] = found[1]
            return found[0]

        stamp = int(now.timestamp())
        paasid = verify_headers(
            headers, token_for=lookup, now=stamp, window=self.window, nonces=None
        )
        return _Caller(paasid, callers[paasid], nonce_of(headers), stamp)

    def _spend(self, caller: _Caller) -> None:
        """Record the nonce of a request answered without a transaction of its own."""
        if self.nonces.seen(caller.paasid, caller.nonce, caller.stamp, self.window):
            raise replayed(caller.nonce, self.window)

    def _once(
        self, envelope: RequestEnvelope, caller: _Caller, refmsgid: str, received: datetime
    ) -> dict[str, Any]:
        """One transaction: the nonce, then the stored answer or the call and its log row."""
        code = caller.fixmedins_code
        infno = ALIASES.get(envelope.infno, envelope.infno)
        if infno in READ_ONLY:
            return self._read(envelope, caller, refmsgid, received)
        try:
            with write_transaction(self.engine) as connection:
                self._record_nonce(connection, caller)
                stored = _stored(connection, code, envelope)
                if stored is not None:
                    return stored
                try:
                    output = SERVED[infno](
                        Call(envelope, code, connection, received, self.reference)
                    )
                except YibaoError as exc:
                    raise _Refused(exc) from exc  # roll back whatever the call wrote
                answer = self._answer(SUCCESS, refmsgid, received, output, None)
                connection.execute(
                    insert(message_log), [self._log_row(envelope, code, answer, received)]
                )
                return answer
        except _Refused as refused:
            answer = self._answer(FAILURE, refmsgid, received, None, str(refused.error))
            return self._log_only(envelope, caller, received, answer)
        except IntegrityError:
            # the same msgid was answered meanwhile by another request: return that answer
            return self._log_only(envelope, caller, received, None)

    def _read(
        self, envelope: RequestEnvelope, caller: _Caller, refmsgid: str, received: datetime
    ) -> dict[str, Any]:
        """A read-only transaction: answered from a snapshot, then logged in a short write."""
        code = caller.fixmedins_code
        answer: dict[str, Any] | None = None
        with read_transaction(self.engine) as connection:
            if _stored(connection, code, envelope) is None:
                call = Call(envelope, code, connection, received, self.reference)
                try:
                    output = SERVED[ALIASES.get(envelope.infno, envelope.infno)](call)
                    answer = self._answer(SUCCESS, refmsgid, received, output, None)
                except YibaoError as exc:
                    answer = self._answer(FAILURE, refmsgid, received, None, str(exc))
        try:
            return self._log_only(envelope, caller, received, answer)
        except IntegrityError:  # answered meanwhile by a request with the same msgid
            return self._log_only(envelope, caller, received, None)

    def _log_only(
        self,
        envelope: RequestEnvelope,
        caller: _Caller,
        received: datetime,
        answer: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """The stored answer of the msgid, else ``answer`` logged (a refusal keeps no other write)."""
        with write_transaction(self.engine) as connection:
            self._record_nonce(connection, caller)
            stored = _stored(connection, caller.fixmedins_code, envelope)
            if stored is not None:
                return stored
            if answer is None:
                raise ConflictError(f"msgid: {envelope.msgid} conflicts with a concurrent request")
            connection.execute(
                insert(message_log),
                [self._log_row(envelope, caller.fixmedins_code, answer, received)],
            )
            return answer

    def _record_nonce(self, connection: Connection, caller: _Caller) -> None:
        self.nonces.record(connection, caller.paasid, caller.nonce, caller.stamp, self.window)

    def _log_row(
        self, envelope: RequestEnvelope, code: str, answer: dict[str, Any], received: datetime
    ) -> dict[str, Any]:
        return {
            "fixmedins_code": code,
            "msgid": envelope.msgid,
            "infno": envelope.infno,
            "inf_refmsgid": answer["inf_refmsgid"],
            "infcode": answer["infcode"],
            "request": envelope.model_dump_json(),
            "response": json.dumps(answer, ensure_ascii=False, default=str),
            "received_at": received,
            "responded_at": self.clock(),
        }

    def _answer(
        self,
        infcode: int,
        refmsgid: str,
        received: datetime,
        output: dict[str, Any] | None,
        err_msg: str | None,
    ) -> dict[str, Any]:
        return response(
            infcode=infcode,
            refmsgid=refmsgid,
            received=received,
            responded=self.clock(),
            output=output,
            err_msg=err_msg,
        )


def _stored(
    connection: Connection, caller: str, envelope: RequestEnvelope
) -> dict[str, Any] | None:
    row = connection.execute(
        select(message_log.c.infno, message_log.c.response).where(
            message_log.c.fixmedins_code == caller, message_log.c.msgid == envelope.msgid
        )
    ).first()
    if row is None:
        return None
    if row.infno != envelope.infno:
        raise InvalidValue(
            "msgid", f"{envelope.msgid} was already used for transaction {row.infno}"
        )
    answer: dict[str, Any] = json.loads(row.response)
    return answer
