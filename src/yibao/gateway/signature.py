"""Who is calling: the gateway headers ``x-tif-*`` and their SHA-256 signature (interface.md §0).

A caller sends its access id (``x-tif-paasid``), Unix seconds (``x-tif-timestamp``), a random
string (``x-tif-nonce``) and ``x-tif-signature`` = lower-case hex
``SHA-256(timestamp + paasToken + nonce + timestamp)``, where ``paasToken`` is the caller's secret.
:func:`verify_headers` accepts a request only when the timestamp lies within ``window`` seconds of
``now``, the signature matches, and the nonce was not used by the same caller within the window.

The signature is checked before the nonce is recorded, so a request that cannot sign does not
use up a nonce. Every refusal is a :class:`GatewayAuthError` (HTTP 401 at the route) whose message
says which check failed; it never echoes the expected signature.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import threading
from collections.abc import Callable, Mapping
from typing import Protocol

from yibao.kernel.errors import YibaoError

__all__ = [
    "BadSignature",
    "GatewayAuthError",
    "MalformedHeader",
    "MemoryNonceStore",
    "MissingHeader",
    "NonceStore",
    "ReplayedNonce",
    "StaleTimestamp",
    "UnknownCaller",
    "expected_signature",
    "nonce_of",
    "replayed",
    "verify_headers",
]

PAASID = "x-tif-paasid"
TIMESTAMP = "x-tif-timestamp"
NONCE = "x-tif-nonce"
SIGNATURE = "x-tif-signature"
HEADERS = (PAASID, TIMESTAMP, NONCE, SIGNATURE)
# The nonce store keys on (paasid, nonce); longer values are refused rather than truncated.
MAX_ID_LENGTH = 64


class GatewayAuthError(YibaoError):
    """A request to the gateway could not be authenticated (HTTP 401)."""

    code = "YB6001"
    exit_code = 6


class MissingHeader(GatewayAuthError):
    """A required ``x-tif-*`` header is absent or empty."""


class MalformedHeader(GatewayAuthError):
    """An ``x-tif-*`` header has the wrong form (a timestamp that is not a number, an over-long id)."""


class UnknownCaller(GatewayAuthError):
    """The ``x-tif-paasid`` names no registered caller."""


class StaleTimestamp(GatewayAuthError):
    """The ``x-tif-timestamp`` lies outside the accepted window around the server's clock."""


class ReplayedNonce(GatewayAuthError):
    """The ``x-tif-nonce`` was already used by this caller within the window."""


class BadSignature(GatewayAuthError):
    """The ``x-tif-signature`` does not match the caller's token."""


class NonceStore(Protocol):
    """Remembers the nonces each caller used recently."""

    def seen(self, paasid: str, nonce: str, now: int, window: int) -> bool:
        """True if ``nonce`` was used by ``paasid`` within ``window`` seconds; else record it."""
        ...


class MemoryNonceStore:
    """A thread-safe in-process :class:`NonceStore` that forgets entries older than the window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen_at: dict[tuple[str, str], int] = {}
        self._by_age: list[tuple[int, str, str]] = []

    def seen(self, paasid: str, nonce: str, now: int, window: int) -> bool:
        """True if ``nonce`` was used by ``paasid`` within ``window`` seconds; else record it."""
        key = (paasid, nonce)
        with self._lock:
            self._evict(now - window)
            previous = self._seen_at.get(key)
            if previous is not None and previous >= now - window:
                return True
            self._seen_at[key] = now
            heapq.heappush(self._by_age, (now, paasid, nonce))
            return False

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen_at)

    def _evict(self, oldest: int) -> None:
        while self._by_age and self._by_age[0][0] < oldest:
            at, paasid, nonce = heapq.heappop(self._by_age)
            if self._seen_at.get((paasid, nonce)) == at:
                del self._seen_at[(paasid, nonce)]


def expected_signature(timestamp: str, token: str, nonce: str) -> str:
    """Lower-case hex SHA-256 of ``timestamp + token + nonce + timestamp`` (UTF-8)."""
    message = f"{timestamp}{token}{nonce}{timestamp}".encode()
    return hashlib.sha256(message).hexdigest()


def verify_headers(
    headers: Mapping[str, str],
    *,
    token_for: Callable[[str], str | None],
    now: int,
    window: int,
    nonces: NonceStore | None,
) -> str:
    """Authenticate a request from its ``x-tif-*`` headers and return the caller's paasid.

    Header names are matched case-insensitively. Raises a :class:`GatewayAuthError` subclass
    naming the failed check: a missing header, an unknown paasid, a timestamp that is not a number
    or is outside ``now ± window``, a bad signature, or a nonce already used within the window.
    With ``nonces=None`` the caller records the nonce itself (the gateway does it in the
    transaction of the call, see :func:`nonce_of`).
    """
    values = _required_headers(headers)
    paasid, timestamp, nonce, signature = (values[name] for name in HEADERS)
    token = token_for(paasid)
    if token is None:
        raise UnknownCaller(f"unknown paasid {paasid!r}")
    _check_timestamp(timestamp, now=now, window=window)
    expected = expected_signature(timestamp, token, nonce).encode("ascii")
    given = signature.strip().lower().encode("utf-8")
    if not hmac.compare_digest(expected, given):
        raise BadSignature(
            f"{SIGNATURE} does not match SHA-256(timestamp + token + nonce + timestamp)"
        )
    if nonces is not None and nonces.seen(paasid, nonce, now, window):
        raise replayed(nonce, window)
    return paasid


def nonce_of(headers: Mapping[str, str]) -> str:
    """The ``x-tif-nonce`` of headers that :func:`verify_headers` accepted."""
    return _required_headers(headers)[NONCE]


def replayed(nonce: str, window: int) -> ReplayedNonce:
    """The refusal of a nonce used twice."""
    return ReplayedNonce(f"{NONCE} {nonce!r} was already used within the last {window} seconds")


def _required_headers(headers: Mapping[str, str]) -> dict[str, str]:
    lowered = {name.lower(): value for name, value in headers.items()}
    values = {}
    for name in HEADERS:
        value = lowered.get(name, "").strip()
        if not value:
            raise MissingHeader(f"missing header {name}")
        if name in (PAASID, NONCE) and len(value) > MAX_ID_LENGTH:
            raise MalformedHeader(f"header {name} is longer than {MAX_ID_LENGTH} characters")
        values[name] = value
    return values


def _check_timestamp(timestamp: str, *, now: int, window: int) -> None:
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise MalformedHeader(f"{TIMESTAMP} {timestamp!r} is not a number of Unix seconds")
    skew = int(timestamp) - now
    if skew > window:
        raise StaleTimestamp(
            f"{TIMESTAMP} is {skew} seconds in the future; the window is {window} seconds"
        )
    if -skew > window:
        raise StaleTimestamp(
            f"{TIMESTAMP} is {-skew} seconds in the past; the window is {window} seconds"
        )
