"""The HTTP server (`sandbox/server.py`): keep-alive, one `Date` header, a real port for port 0, any WSGI
callable served, a clean 400 for malformed HTTP, no traceback for an app's error, and a fast stop."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from ottimate_validation.sandbox import EmbeddedSandbox
from ottimate_validation.sandbox.server import SandboxServer


def _raw(port: int, data: bytes, wait: float = 0.3) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(data)
        deadline, received = time.monotonic() + wait, b""
        conn.settimeout(0.1)
        while time.monotonic() < deadline:
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                break
            received += chunk
        return received


@pytest.fixture
def served() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox(seed=5) as sb:
        yield sb


def test_port_zero_gives_a_real_port_and_connections_are_kept_alive(served: EmbeddedSandbox) -> None:
    port = int(served.url.rsplit(":", 1)[1])
    assert port > 0
    answer = _raw(port, b"GET /_sandbox/health HTTP/1.1\r\nHost: x\r\n\r\n" * 3)
    assert answer.count(b"HTTP/1.1 200 OK") == 3  # three answers on one connection
    assert b"connection: close" not in answer.lower()


def test_there_is_one_date_header_and_it_is_the_sandbox_clock(served: EmbeddedSandbox) -> None:
    served.state.clock.advance(7 * 86400)
    answer = httpx.get(f"{served.url}/_sandbox/health")
    dates = answer.headers.get_list("date")
    assert len(dates) == 1
    assert abs((parsedate_to_datetime(dates[0]) - served.state.clock.now()).total_seconds()) < 5


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"NONSENSE\r\n\r\n",
        b"GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nContent-Length: twelve\r\n\r\n",
        b"GET /_sandbox/health HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET /_sandbox/health HTTP/1.1\r\nno header colon\r\n\r\n",
    ],
)
def test_malformed_http_gets_a_clean_400_and_the_server_goes_on(served: EmbeddedSandbox, request_bytes) -> None:
    port = int(served.url.rsplit(":", 1)[1])
    answer = _raw(port, request_bytes)
    status = answer.split(b"\r\n", 1)[0]
    assert status.startswith(b"HTTP/1.1 4") or status.startswith(b"HTTP/1.1 505"), answer
    assert b"Traceback" not in answer
    assert httpx.get(f"{served.url}/_sandbox/health").status_code == 200


def _failing_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    raise RuntimeError("secret internals")


def _plain_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def test_any_wsgi_callable_is_served_and_its_errors_are_a_plain_500() -> None:
    server = SandboxServer(_failing_app, "127.0.0.1", 0)
    server.start()
    try:
        answer = httpx.get(f"http://127.0.0.1:{server.port}/anything")
        assert answer.status_code == 500
        assert "secret internals" not in answer.text and "Traceback" not in answer.text
    finally:
        server.stop()
    plain = SandboxServer(_plain_app, "127.0.0.1", 0)
    plain.start()
    try:
        answer = httpx.get(f"http://127.0.0.1:{plain.port}/")
        assert answer.text == "ok" and len(answer.headers.get_list("date")) == 1  # the server's own date
    finally:
        plain.stop()


def test_middleware_wrapped_around_the_app_is_what_is_served() -> None:
    seen: list[str] = []

    def recorder(app: Any) -> Any:
        def record(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            seen.append(environ["PATH_INFO"])
            return app(environ, start_response)

        return record

    sb = EmbeddedSandbox(seed=5)
    sb.wrap(recorder)
    with sb:
        assert httpx.get(f"{sb.url}/_sandbox/health").status_code == 200
        with pytest.raises(RuntimeError):
            sb.wrap(recorder)
    assert seen == ["/_sandbox/health"]


def test_stop_is_fast_even_with_kept_alive_connections_open() -> None:
    sb = EmbeddedSandbox(seed=5).start()
    clients = [httpx.Client() for _ in range(4)]
    for client in clients:
        assert client.get(f"{sb.url}/_sandbox/health").status_code == 200  # each holds a kept-alive connection
    started = time.perf_counter()
    sb.stop()
    elapsed = time.perf_counter() - started
    for client in clients:
        client.close()
    assert elapsed < 0.5, f"stop took {elapsed:.3f} s"
