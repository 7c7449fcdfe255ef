"""The load generators' HIS client over a real socket: keep-alive, and a connection the server
closed while idle is reopened instead of failing the call."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from yibao.bench.client import HisClient
from yibao.bench.his import Institution

INSTITUTION = Institution("H99010000001", "示范医院", "paas-H99010000001", "token", "990100")


@pytest.fixture
def closing_server() -> Iterator[tuple[str, list[int]]]:
    """A server that answers one request per connection (keep-alive promised) and then hangs up."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                accepted.append(1)
                request = b""
                while b"\r\n\r\n" not in request:
                    request += connection.recv(65536)
                head, _, body = request.partition(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))  # fmt: skip
                while len(body) < length:
                    body += connection.recv(65536)
                answer = json.dumps({"infcode": 0, "output": {"echo": json.loads(body)["infno"]}})
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer.encode()))  # fmt: skip

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    listener.shutdown(socket.SHUT_RDWR)  # wakes the accept()
    listener.close()
    thread.join(timeout=5)


def test_a_connection_closed_by_the_server_is_reopened(
    closing_server: tuple[str, list[int]],
) -> None:
    base_url, accepted = closing_server
    with HisClient(base_url, INSTITUTION) as client:
        answers = [client.call(infno, {}) for infno in ("9001", "1101", "1901")]
    assert [a.output["echo"] for a in answers] == ["9001", "1101", "1901"]
    assert all(a.ok for a in answers) and len(accepted) == 3


def test_an_unreachable_server_is_a_transport_answer_not_an_exception() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    with HisClient(f"http://127.0.0.1:{port}", INSTITUTION) as client:
        answer = client.call("9001", {})
    assert answer.status == 0 and answer.err_msg.startswith("transport: ConnectionRefusedError")
