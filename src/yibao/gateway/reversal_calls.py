"""2601 冲正: undo a transaction by its message id, when the HIS never got its answer.

* The original committed (its answer is in the message log): a settlement is reversed, a
  registration cancelled, an upload's lines deleted; the log row is marked reversed.
* The original never arrived or failed: nothing is undone, and a tombstone is logged under the
  original ``msgid``, so an original that arrives late is answered "reversed" instead of being run.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import insert, select, update

from yibao.gateway.calls import Call, Handler
from yibao.gateway.envelope import FAILURE, new_refmsgid, response
from yibao.gateway.tables import message_log
from yibao.kernel.errors import ConflictError, InvalidValue
from yibao.settlement import undo

__all__ = ["REVERSAL_CALLS"]

_SETTLE = {"2207", "2304"}
_REGISTER = {"2201", "2401"}
_UPLOAD = {"2204", "2301"}


def reverse_message(call: Call) -> dict[str, Any]:
    """2601: ``omsgid`` and ``oinfno`` name the original message."""
    omsgid = call.required("data", "omsgid")
    oinfno = call.required("data", "oinfno")
    row = call.connection.execute(
        select(message_log).where(
            message_log.c.fixmedins_code == call.caller, message_log.c.msgid == omsgid
        )
    ).first()
    if row is None:
        _tombstone(call, omsgid, oinfno)
        return {}
    if row.infno != oinfno:
        raise InvalidValue(
            "input.data.oinfno", f"message {omsgid} was a {row.infno}, not a {oinfno}"
        )
    if row.reversed_by is not None:
        raise ConflictError(
            f"input.data.omsgid: message {omsgid} was already reversed by {row.reversed_by}"
        )
    if row.infcode == 0:
        _undo(call, row.infno, omsgid, json.loads(row.request))
    call.connection.execute(
        update(message_log)
        .where(message_log.c.fixmedins_code == call.caller, message_log.c.msgid == omsgid)
        .values(reversed_by=call.envelope.msgid)
    )
    return {}


def _undo(call: Call, infno: str, omsgid: str, request: dict[str, Any]) -> None:
    if infno in _SETTLE:
        undo.reverse_by_message(call.connection, caller=call.caller, msgid=omsgid,
                                new_msgid=call.envelope.msgid, now=call.now)  # fmt: skip
    elif infno in _REGISTER:
        undo.cancel_registration(call.connection, caller=call.caller, msgid=omsgid)
    elif infno in _UPLOAD:
        lines = request.get("input", {}).get("feedetail", [])
        undo.delete_uploaded(call.connection, caller=call.caller, mdtrt_id=str(lines[0]["mdtrt_id"]),
                             feedetl_sns=[str(line["feedetl_sn"]) for line in lines])  # fmt: skip
    else:
        raise InvalidValue(
            "input.data.oinfno", f"a {infno} cannot be reversed by 2601; use its own undo call"
        )


def _tombstone(call: Call, omsgid: str, oinfno: str) -> None:
    answer = response(
        infcode=FAILURE, refmsgid=new_refmsgid(call.envelope.mdtrtarea_admvs, call.now, secrets.randbelow(10**10)),
        received=call.now, responded=call.now, output=None,
        err_msg=f"[YB5002] msgid: reversed by 2601 {call.envelope.msgid} before it arrived",
    )  # fmt: skip
    call.connection.execute(insert(message_log), [{
        "fixmedins_code": call.caller, "msgid": omsgid, "infno": oinfno, "inf_refmsgid": answer["inf_refmsgid"],
        "infcode": FAILURE, "request": "{}", "response": json.dumps(answer, ensure_ascii=False),
        "received_at": call.now, "responded_at": call.now, "reversed_by": call.envelope.msgid,
    }])  # fmt: skip


REVERSAL_CALLS: dict[str, Handler] = {"2601": reverse_message}
