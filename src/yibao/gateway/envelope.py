"""The request and response envelopes of the NHSA interface (interface.md §1.1 and §1.2).

Every call carries one JSON envelope: who sends (``fixmedins_code``, ``opter``), which
transaction (``infno``), a message id (``msgid``) and the transaction's ``input``. The gateway
answers with ``infcode`` (0 success, -1 failure), its own message id ``inf_refmsgid``, two stamps
and either ``output`` or ``err_msg``.

:func:`decode_body` reads the bytes (JSON numbers become ``Decimal``, never ``float``);
:func:`parse_envelope` checks the 18 fields and raises :class:`InvalidValue` naming the first wrong
field, never a Pydantic exception. Checking ``input`` against the transaction's field rules is
:mod:`yibao.gateway.fields`. Money in ``output`` is rendered by callers; nothing is converted here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from yibao.kernel.codes import OpterType
from yibao.kernel.dates import DATETIME_FORMAT, STAMP_FORMAT, format_stamp
from yibao.kernel.errors import InvalidValue

__all__ = [
    "FAILURE",
    "SUCCESS",
    "RequestEnvelope",
    "decode_body",
    "json_type",
    "new_refmsgid",
    "parse_envelope",
    "response",
]

SUCCESS = 0
FAILURE = -1
_DT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", re.ASCII)
_REGION = re.compile(r"[0-9A-Za-z]{6}", re.ASCII)
_SERIAL_LIMIT = 10**10

C3 = Annotated[str, StringConstraints(min_length=1, max_length=3)]
C6 = Annotated[str, StringConstraints(min_length=1, max_length=6)]
C10 = Annotated[str, StringConstraints(min_length=1, max_length=10)]
C30 = Annotated[str, StringConstraints(min_length=1, max_length=30)]
C50 = Annotated[str, StringConstraints(min_length=1, max_length=50)]
C200 = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _optional(max_length: int) -> Any:
    return Field(default=None, max_length=max_length)


class RequestEnvelope(BaseModel):
    """The request envelope (报文): the 18 fields of interface.md §1.1, plus ``fixmedins_soft_fcty``.

    Required strings must be non-empty; unknown top-level fields are ignored.
    """

    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")

    infno: C6
    msgid: C30
    mdtrtarea_admvs: C6
    insuplc_admdvs: str | None = _optional(6)
    recer_sys_code: C10
    dev_no: str | None = _optional(100)
    dev_safe_info: str | None = _optional(2000)
    cainfo: str | None = _optional(1024)
    signtype: str | None = _optional(10)
    infver: C6
    opter_type: C3
    opter: C30
    opter_name: C50
    inf_time: datetime
    fixmedins_code: C30
    fixmedins_name: C200
    sign_no: str | None = _optional(30)
    input: dict[str, Any]
    fixmedins_soft_fcty: str | None = None

    @field_validator("opter_type")
    @classmethod
    def _known_opter_type(cls, value: str) -> str:
        if value not in {code.value for code in OpterType}:
            raise ValueError(f"unknown code {value!r} for opter_type")
        return value

    @field_validator("inf_time", mode="before")
    @classmethod
    def _interface_time(cls, value: object) -> datetime:
        if not isinstance(value, str) or not _DT.fullmatch(value):
            raise ValueError(f"{value!r} is not a time yyyy-MM-dd HH:mm:ss")
        try:
            return datetime.strptime(value, DATETIME_FORMAT)
        except ValueError:
            raise ValueError(f"{value!r} is not a time yyyy-MM-dd HH:mm:ss") from None


def decode_body(raw: bytes) -> object:
    """The request body as JSON, numbers with a point read as ``Decimal``; else ``InvalidValue('body')``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidValue("body", f"not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise InvalidValue(
            "body", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InvalidValue("body", f"not usable JSON: {reason}") from None


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number the interface accepts")


def parse_envelope(raw: object) -> RequestEnvelope:
    """Check a decoded request body; raise ``InvalidValue`` for the first wrong field.

    ``insuplc_admdvs`` is conditional (§1.1): it is required when any node of ``input`` carries a
    ``psn_no``.
    """
    if not isinstance(raw, dict):
        raise InvalidValue("body", f"expected a JSON object, got {json_type(raw)}")
    try:
        envelope = RequestEnvelope.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = first.get("loc", ())
        raise InvalidValue(str(loc[0]) if loc else "body", _reason(first)) from None
    if not envelope.insuplc_admdvs and _carries_psn_no(envelope.input):
        raise InvalidValue("insuplc_admdvs", "missing: required when the input carries a psn_no")
    return envelope


def _reason(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type"))
    ctx = error.get("ctx") or {}
    value = json_type(error.get("input"))
    reasons = {
        "missing": "missing",
        "string_too_short": "empty",
        "string_too_long": f"longer than {ctx.get('max_length')} characters",
        "string_type": f"expected a string, got {value}",
        "dict_type": f"expected a JSON object, got {value}",
        "value_error": str(ctx.get("error", "")),
    }
    return reasons.get(kind) or str(error.get("msg", "invalid"))


def _carries_psn_no(input_: Mapping[str, Any]) -> bool:
    for node in input_.values():
        entries = node if isinstance(node, list) else [node]
        if any(isinstance(entry, dict) and entry.get("psn_no") for entry in entries):
            return True
    return False


_JSON_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (type(None), "null"),
    (bool, "boolean"),
    ((int, float, Decimal), "number"),
    (str, "string"),
    ((list, tuple), "array"),
    (dict, "object"),
)


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for messages (``object``, ``array``, ``number`` …)."""
    for kinds, name in _JSON_TYPES:
        if isinstance(value, kinds):
            return name
    return type(value).__name__


def new_refmsgid(region: str, now: datetime, serial: int) -> str:
    """``inf_refmsgid``: receiver region (6) + ``yyyyMMddHHmmss`` (14) + serial (10 digits)."""
    if not _REGION.fullmatch(region):
        raise ValueError(f"region {region!r} is not 6 characters")
    if not 0 <= serial < _SERIAL_LIMIT:
        raise ValueError(f"serial {serial} does not fit 10 digits")
    return f"{region}{now.strftime(STAMP_FORMAT)}{serial:010d}"


def response(
    *,
    infcode: int,
    refmsgid: str,
    received: datetime,
    responded: datetime,
    output: dict[str, Any] | None,
    err_msg: str | None,
    warn_msg: str | None = None,
) -> dict[str, Any]:
    """The response envelope of §1.2. A failure (``infcode = -1``) must say why in ``err_msg``."""
    if infcode not in (SUCCESS, FAILURE):
        raise ValueError(f"infcode must be 0 or -1, not {infcode}")
    if infcode == FAILURE and not err_msg:
        raise ValueError("a failed transaction needs an err_msg")
    if infcode == SUCCESS and err_msg:
        raise ValueError("a successful transaction carries no err_msg")
    return {
        "infcode": infcode,
        "inf_refmsgid": refmsgid,
        "refmsg_time": format_stamp(received),
        "respond_time": format_stamp(responded),
        "err_msg": err_msg,
        "warn_msg": warn_msg,
        "cainfo": None,
        "signtype": None,
        "output": output,
    }
