"""One request through the gateway: authenticate, decode, validate, answer once per ``msgid``.

1. The ``x-tif-*`` headers are verified against the caller's credential (401 when they fail).
2. The body is decoded and the envelope and its ``input`` checked against the interface's field
   rules; the envelope must name the caller's own institution.
3. In ONE transaction: a stored answer for (institution, ``msgid``) is returned as it was; else the
   transaction's function runs inside a savepoint and the answer — success, or ``infcode = -1``
   with the function's error, its writes rolled back — is written to the message log with it.
   Two requests with one ``msgid`` arriving together: the second waits for the first's log row
   (PostgreSQL) or transaction (SQLite), fails to insert its own, rolls back everything it did,
   and returns the stored answer.

No error reaches the client as a 500: every yibao error becomes ``infcode = -1`` naming the field.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from yibao.catalog.repository import token_for
from yibao.gateway import fields
from yibao.gateway.calls import CALLS, Call, Handler
from yibao.gateway.envelope import (
    FAILURE,
    SUCCESS,
    RequestEnvelope,
    decode_body,
    new_refmsgid,
    parse_envelope,
    response,
)
from yibao.gateway.query_calls import QUERY_CALLS
from yibao.gateway.reversal_calls import REVERSAL_CALLS
from yibao.gateway.signature import NonceStore, verify_headers
from yibao.gateway.tables import message_log
from yibao.gateway.visit_calls import VISIT_CALLS
from yibao.kernel.errors import InvalidValue, YibaoError
from yibao.settlement.visits import Reference
from yibao.store.engine import write_transaction

__all__ = ["ALIASES", "SERVED", "Gateway", "Reply"]

#: every transaction this gateway answers
SERVED: dict[str, Handler] = {**CALLS, **VISIT_CALLS, **REVERSAL_CALLS, **QUERY_CALLS}
#: later revisions' names of a transaction (2203A is 2203 with the same nodes)
ALIASES = {"2203A": "2203"}


@dataclass(frozen=True, slots=True)
class Reply:
    """What the HTTP layer sends: a status and a JSON body."""

    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Gateway:
    """The gateway's collaborators: the store, the nonce store, the clock, the receiver's region."""

    engine: Engine
    nonces: NonceStore
    region: str
    clock: Callable[[], datetime]
    window: int = 300
    reference: Reference | None = None
    #: seconds a worker keeps a credential it looked up (a revoked one works at most this long)
    credential_ttl: int = 60
    _credentials: dict[str, tuple[str, str, datetime]] = field(default_factory=dict)

    def handle(self, body: bytes, headers: Mapping[str, str]) -> Reply:
        received = self.clock()
        refmsgid = new_refmsgid(self.region, received, secrets.randbelow(10**10))
        try:
            caller = self._authenticate(headers, received)
        except YibaoError as exc:
            return Reply(401, {"infcode": FAILURE, "err_msg": str(exc), "inf_refmsgid": refmsgid})
        try:
            envelope = parse_envelope(decode_body(body))
            if envelope.fixmedins_code != caller:
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
            return Reply(200, self._once(envelope, caller, refmsgid, received))
        except YibaoError as exc:
            return Reply(200, self._answer(FAILURE, refmsgid, received, None, str(exc)))

    def _authenticate(self, headers: Mapping[str, str], now: datetime) -> str:
        callers: dict[str, str] = {}

        def lookup(paasid: str) -> str | None:
            cached = self._credentials.get(paasid)
            if cached is not None and (now - cached[2]).total_seconds() < self.credential_ttl:
                callers[paasid] = cached[1]
                return cached[0]
            with self.engine.connect() as connection:
                found = token_for(connection, paasid, now)
            if found is None:
                return None
            self._credentials[paasid] = (found[0], found[1], now)
            callers[paasid] = found[1]
            return found[0]

        paasid = verify_headers(
            headers,
            token_for=lookup,
            now=int(now.timestamp()),
            window=self.window,
            nonces=self.nonces,
        )
        return callers[paasid]

    def _once(
        self, envelope: RequestEnvelope, caller: str, refmsgid: str, received: datetime
    ) -> dict[str, Any]:
        try:
            with write_transaction(self.engine) as connection:
                stored = _stored(connection, caller, envelope)
                if stored is not None:
                    return stored
                answer = self._run(connection, envelope, caller, refmsgid, received)
                connection.execute(
                    insert(message_log),
                    [_log_row(envelope, caller, answer, received, self.clock())],
                )
                return answer
        except IntegrityError:
            # the same msgid was answered meanwhile by another request: return that answer
            with self.engine.connect() as connection:
                stored = _stored(connection, caller, envelope)
            if stored is None:
                raise
            return stored

    def _run(
        self,
        connection: Connection,
        envelope: RequestEnvelope,
        caller: str,
        refmsgid: str,
        received: datetime,
    ) -> dict[str, Any]:
        savepoint = connection.begin_nested()
        try:
            output = SERVED[ALIASES.get(envelope.infno, envelope.infno)](
                Call(envelope, caller, connection, received, self.reference)
            )
        except YibaoError as exc:
            savepoint.rollback()
            return self._answer(FAILURE, refmsgid, received, None, str(exc))
        savepoint.commit()
        return self._answer(SUCCESS, refmsgid, received, output, None)

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


def _log_row(
    envelope: RequestEnvelope,
    caller: str,
    answer: dict[str, Any],
    received: datetime,
    responded: datetime,
) -> dict[str, Any]:
    return {
        "fixmedins_code": caller,
        "msgid": envelope.msgid,
        "infno": envelope.infno,
        "inf_refmsgid": answer["inf_refmsgid"],
        "infcode": answer["infcode"],
        "request": envelope.model_dump_json(),
        "response": json.dumps(answer, ensure_ascii=False, default=str),
        "received_at": received,
        "responded_at": responded,
    }
