"""A small HIS client of the gateway, shared by ``yibao bench gateway`` and ``yibao simulate``.

One :class:`HisClient` is one institution's connection to a running gateway: a keep-alive
``http.client`` connection that signs every request with fresh ``x-tif-*`` headers
(``SHA-256(timestamp + token + nonce + timestamp)``, docs/gateway-protocol.md §2) and numbers
its messages ``fixmedins_code(12) + yyyyMMddHHmmss(14) + serial(4)``. The serial is a counter
shared by the whole process, so two messages of one process never share a ``msgid`` (as long as
fewer than 10,000 are made in one second). Each transaction method returns an :class:`Answer`:
the parsed response envelope and how long the round trip took. A transport failure is an answer
too (``infcode = -1``, ``err_msg`` starting ``transport:``), so a load generator never stops on it.

The client speaks HTTP only; it imports nothing of the gateway (it is what an HIS would write).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Self
from urllib.parse import urlsplit

from yibao.bench.his import (
    NOW,
    Institution,
    Person,
    admit_input,
    discharge_input,
    record_input,
    register_input,
    reverse_input,
    reverse_message_input,
    settle_input,
)
from yibao.kernel.errors import InvalidValue

__all__ = ["PATH", "Answer", "HisClient", "MsgIds", "Request", "sign"]

PATH = "/fsi/api/rsfComIfsService/callService"


def sign(timestamp: str, token: str, nonce: str) -> str:
    """``x-tif-signature``: lower-case hex SHA-256 of timestamp + token + nonce + timestamp."""
    return hashlib.sha256(f"{timestamp}{token}{nonce}{timestamp}".encode()).hexdigest()


class MsgIds:
    """``msgid`` = institution code + ``yyyyMMddHHmmss`` + a 4-digit serial from a process counter."""

    def __init__(self, clock: Callable[[], datetime] = datetime.now) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._count = 0

    def next(self, fixmedins_code: str) -> str:
        with self._lock:
            serial = self._count % 10_000
            self._count += 1
        return f"{fixmedins_code}{self._clock():%Y%m%d%H%M%S}{serial:04d}"


_MSGIDS = MsgIds()


@dataclass(frozen=True, slots=True)
class Request:
    """A request envelope ready to send (and to send again, for a repeated ``msgid``)."""

    infno: str
    msgid: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Answer:
    """A response envelope and the round trip's latency in seconds."""

    infno: str
    msgid: str
    status: int
    body: dict[str, Any]
    latency: float

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.body.get("infcode") == 0

    @property
    def output(self) -> dict[str, Any]:
        output = self.body.get("output")
        return output if isinstance(output, dict) else {}

    @property
    def err_msg(self) -> str:
        return str(self.body.get("err_msg") or "")


class HisClient:
    """One institution's keep-alive connection to the gateway; one method per transaction.

    The connection is the standard library's ``http.client`` with ``TCP_NODELAY``: a load
    generator on the same machine as the server must spend as little CPU as it can (httpx cost
    about three times as much per call when measured). A connection the server closed while idle
    is reopened and the request sent again, as HTTP clients do for idempotent reuse; any other
    failure is an :class:`Answer` with ``status = 0``.
    """

    def __init__(self, base_url: str, institution: Institution, *, timeout: float = 30.0,
                 msgids: MsgIds = _MSGIDS) -> None:  # fmt: skip
        self.institution = institution
        self._msgids = msgids
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise InvalidValue("base_url", f"{base_url!r} is not an http:// or https:// URL")
        self._target = (url.scheme, url.hostname, url.port, timeout)
        self._prefix = url.path.rstrip("/")
        self._connection: http.client.HTTPConnection | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connected(self) -> http.client.HTTPConnection:
        if self._connection is None:
            scheme, host, port, timeout = self._target
            kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            connection = kind(host, port, timeout=timeout)
            connection.connect()
            if connection.sock is not None:
                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._connection = connection
        return self._connection

    def _post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        reused = self._connection is not None
        try:
            return self._exchange(body, headers)
        except (BrokenPipeError, ConnectionResetError):  # RemoteDisconnected is one of these
            if not reused:
                raise
        return self._exchange(body, headers)  # the server closed the idle connection: reopen it

    def _exchange(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            connection = self._connected()
            connection.request("POST", self._prefix + PATH, body, headers)
            response = connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    # -- the envelope ---------------------------------------------------------------------------

    def prepare(self, infno: str, input_: dict[str, Any], *, insuplc_admdvs: str = "") -> Request:
        """The envelope of one transaction under a new ``msgid``."""
        inst = self.institution
        msgid = self._msgids.next(inst.fixmedins_code)
        envelope = {
            "infno": infno, "msgid": msgid, "mdtrtarea_admvs": inst.admdvs,
            "insuplc_admdvs": insuplc_admdvs or inst.admdvs, "recer_sys_code": "YBXT",
            "infver": "V1.0", "opter_type": "1", "opter": "0001", "opter_name": "收费员",
            "inf_time": f"{datetime.now():{NOW}}", "fixmedins_code": inst.fixmedins_code,
            "fixmedins_name": inst.fixmedins_name, "input": input_,
        }  # fmt: skip
        return Request(infno, msgid, json.dumps(envelope, ensure_ascii=False).encode())

    def send(self, request: Request) -> Answer:
        """POST a prepared request with freshly signed headers (a new nonce every time)."""
        stamp = str(int(time.time()))
        nonce = secrets.token_hex(8)
        headers = {"content-type": "application/json; charset=utf-8",
                   "x-tif-paasid": self.institution.paasid, "x-tif-timestamp": stamp,
                   "x-tif-nonce": nonce, "x-tif-signature": sign(stamp, self.institution.token, nonce)}  # fmt: skip
        started = time.perf_counter()
        try:
            status, raw = self._post(request.body, headers)
            body = json.loads(raw)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            body, status = {"infcode": -1, "err_msg": f"transport: {type(exc).__name__}: {exc}"}, 0
        latency = time.perf_counter() - started
        if not isinstance(body, dict):
            body = {"infcode": -1, "err_msg": "transport: the answer is not a JSON object"}
        return Answer(request.infno, request.msgid, status, body, latency)

    def request(self, infno: str, input_: dict[str, Any], person: Person | None = None) -> Request:
        """:meth:`prepare` with the person's insuring region."""
        return self.prepare(infno, input_, insuplc_admdvs=person.insuplc_admdvs if person else "")

    def call(self, infno: str, input_: dict[str, Any], person: Person | None = None) -> Answer:
        return self.send(self.request(infno, input_, person))

    # -- the transactions (inputs built by the functions below) ---------------------------------

    def register(self, person: Person) -> Answer:
        """2201 门诊挂号 (``output.data.mdtrt_id``)."""
        return self.call("2201", register_input(person), person)

    def record(self, mdtrt_id: str, person: Person) -> Answer:
        """2203 门诊就诊信息上传."""
        return self.call("2203", record_input(mdtrt_id, person), person)

    def upload(self, infno: str, person: Person, lines: list[dict[str, Any]]) -> Answer:
        """2204 / 2301 费用明细上传."""
        return self.call(infno, {"feedetail": lines}, person)

    def settle(self, infno: str, mdtrt_id: str, person: Person, medfee: Decimal, *,
               mid_stay: bool = False, split: Mapping[str, Decimal] | None = None) -> Answer:  # fmt: skip
        """2206 / 2303 预结算, 2207 / 2304 结算."""
        data = settle_input(infno, mdtrt_id, person, medfee, mid_stay=mid_stay, split=split)
        return self.call(infno, data, person)

    def reverse(self, infno: str, mdtrt_id: str, setl_id: str, person: Person) -> Answer:
        """2208 / 2305 结算撤销."""
        return self.call(infno, reverse_input(mdtrt_id, setl_id, person), person)

    def admit(self, person: Person) -> Answer:
        """2401 入院办理 (``output.result.mdtrt_id``)."""
        return self.call("2401", admit_input(person), person)

    def discharge(self, mdtrt_id: str, person: Person) -> Answer:
        """2402 出院办理."""
        return self.call("2402", discharge_input(mdtrt_id, person), person)

    def reverse_message(self, person: Person, omsgid: str, oinfno: str) -> Answer:
        """2601 冲正 of a message whose answer was lost."""
        return self.call("2601", reverse_message_input(person, omsgid, oinfno), person)
