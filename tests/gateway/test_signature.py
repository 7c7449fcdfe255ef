"""The ``x-tif-*`` headers: signature, time window, nonces, and each refusal's reason."""

from __future__ import annotations

import hashlib
import threading

import pytest

from yibao.gateway.signature import (
    BadSignature,
    GatewayAuthError,
    MalformedHeader,
    MemoryNonceStore,
    MissingHeader,
    ReplayedNonce,
    StaleTimestamp,
    UnknownCaller,
    expected_signature,
    verify_headers,
)
from yibao.kernel.errors import YibaoError

NOW = 1709256600  # 2024-03-01 09:30:00 +08:00
WINDOW = 300
PAASID = "H51010400123"
TOKEN = "paas-token-secret"
NONCE = "n0nce-8f3a"
# Worked out once by hand: sha256(b"1709256600" b"paas-token-secret" b"n0nce-8f3a" b"1709256600").
KNOWN_SIGNATURE = "fb420cde5a39e22ddea67d7a8f4afdebe84764db23b81d442b2123048f7367e6"


def _headers(**overrides: str) -> dict[str, str]:
    timestamp = overrides.pop("timestamp", str(NOW))
    nonce = overrides.pop("nonce", NONCE)
    headers = {
        "x-tif-paasid": PAASID,
        "x-tif-timestamp": timestamp,
        "x-tif-nonce": nonce,
        "x-tif-signature": expected_signature(timestamp, TOKEN, nonce),
    }
    headers.update(overrides)
    return headers


def _verify(headers: dict[str, str], store: MemoryNonceStore | None = None, now: int = NOW) -> str:
    return verify_headers(
        headers,
        token_for={PAASID: TOKEN}.get,
        now=now,
        window=WINDOW,
        nonces=store if store is not None else MemoryNonceStore(),
    )


def test_signature_is_sha256_of_timestamp_token_nonce_timestamp() -> None:
    by_hand = hashlib.sha256(
        b"1709256600" + b"paas-token-secret" + b"n0nce-8f3a" + b"1709256600"
    ).hexdigest()
    assert by_hand == KNOWN_SIGNATURE
    assert expected_signature("1709256600", TOKEN, NONCE) == KNOWN_SIGNATURE


def test_signature_is_lower_case_hex() -> None:
    signature = expected_signature("1", "t", "n")
    assert len(signature) == 64
    assert signature == signature.lower()
    assert set(signature) <= set("0123456789abcdef")


def test_good_headers_return_the_paasid() -> None:
    assert _verify(_headers()) == PAASID


def test_header_names_are_case_insensitive_and_signature_case_is_ignored() -> None:
    headers = {name.upper(): value for name, value in _headers().items()}
    headers["X-TIF-SIGNATURE"] = headers["X-TIF-SIGNATURE"].upper()
    assert _verify(headers) == PAASID


@pytest.mark.parametrize(
    "name", ["x-tif-paasid", "x-tif-timestamp", "x-tif-nonce", "x-tif-signature"]
)
def test_each_missing_header_is_named(name: str) -> None:
    headers = _headers()
    del headers[name]
    with pytest.raises(MissingHeader, match=f"missing header {name}"):
        _verify(headers)


def test_an_empty_header_counts_as_missing() -> None:
    with pytest.raises(MissingHeader, match="missing header x-tif-nonce"):
        _verify(_headers(**{"x-tif-nonce": "  "}))


def test_unknown_paasid() -> None:
    with pytest.raises(UnknownCaller, match="unknown paasid 'H99999999999'"):
        _verify(_headers(**{"x-tif-paasid": "H99999999999"}))


@pytest.mark.parametrize("timestamp", ["soon", "1709256600.5", "-1709256600", "１７０９"])
def test_timestamp_must_be_unix_seconds(timestamp: str) -> None:
    with pytest.raises(MalformedHeader, match="is not a number of Unix seconds"):
        _verify(_headers(timestamp=timestamp))


def test_timestamp_too_old_says_by_how_much() -> None:
    with pytest.raises(StaleTimestamp, match="350 seconds in the past; the window is 300 seconds"):
        _verify(_headers(timestamp=str(NOW - 350)))


def test_timestamp_in_the_future_says_by_how_much() -> None:
    with pytest.raises(StaleTimestamp, match="301 seconds in the future"):
        _verify(_headers(timestamp=str(NOW + 301)))


def test_timestamp_at_the_edge_of_the_window_is_accepted() -> None:
    assert _verify(_headers(timestamp=str(NOW - WINDOW))) == PAASID
    assert _verify(_headers(timestamp=str(NOW + WINDOW))) == PAASID


def test_bad_signature() -> None:
    wrong = expected_signature(str(NOW), "another-token", NONCE)
    with pytest.raises(BadSignature, match="x-tif-signature does not match"):
        _verify(_headers(**{"x-tif-signature": wrong}))


def test_bad_signature_message_does_not_leak_the_expected_value() -> None:
    with pytest.raises(BadSignature) as caught:
        _verify(_headers(**{"x-tif-signature": "0" * 64}))
    assert KNOWN_SIGNATURE not in str(caught.value)


def test_non_ascii_signature_is_refused_not_crashed() -> None:
    with pytest.raises(BadSignature):
        _verify(_headers(**{"x-tif-signature": "签名"}))


def test_a_nonce_cannot_be_used_twice_within_the_window() -> None:
    store = MemoryNonceStore()
    assert _verify(_headers(), store) == PAASID
    with pytest.raises(ReplayedNonce, match="'n0nce-8f3a' was already used within the last 300"):
        _verify(_headers(), store)


def test_the_same_nonce_from_another_caller_is_not_a_replay() -> None:
    store = MemoryNonceStore()
    assert store.seen(PAASID, NONCE, NOW, WINDOW) is False
    assert store.seen("H51010400999", NONCE, NOW, WINDOW) is False
    assert store.seen(PAASID, NONCE, NOW + 1, WINDOW) is True


def test_a_request_that_cannot_sign_does_not_use_up_the_nonce() -> None:
    store = MemoryNonceStore()
    with pytest.raises(BadSignature):
        _verify(_headers(**{"x-tif-signature": "0" * 64}), store)
    assert _verify(_headers(), store) == PAASID


def test_nonces_are_forgotten_after_the_window() -> None:
    store = MemoryNonceStore()
    assert store.seen(PAASID, "a", NOW, WINDOW) is False
    assert store.seen(PAASID, "b", NOW + 100, WINDOW) is False
    assert len(store) == 2
    assert store.seen(PAASID, "c", NOW + WINDOW + 1, WINDOW) is False
    assert len(store) == 2  # "a" was evicted, "b" and "c" remain
    assert store.seen(PAASID, "a", NOW + WINDOW + 2, WINDOW) is False


def test_memory_store_is_thread_safe() -> None:
    store = MemoryNonceStore()
    results: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def claim() -> None:
        start.wait()
        seen = store.seen(PAASID, "shared", NOW, WINDOW)
        with lock:
            results.append(seen)

    threads = [threading.Thread(target=claim) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] + [True] * 15


def test_over_long_ids_are_refused() -> None:
    with pytest.raises(MalformedHeader, match="x-tif-nonce is longer than 64"):
        _verify(_headers(nonce="n" * 65))


@pytest.mark.parametrize(
    "error",
    [MissingHeader, MalformedHeader, UnknownCaller, StaleTimestamp, ReplayedNonce, BadSignature],
)
def test_every_refusal_is_a_gateway_auth_error(error: type[GatewayAuthError]) -> None:
    assert issubclass(error, GatewayAuthError)
    assert issubclass(error, YibaoError)
    assert error.code == "YB6001"
    assert error.exit_code == 6
    assert str(error("why")) == "[YB6001] why"
