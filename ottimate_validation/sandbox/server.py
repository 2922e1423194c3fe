"""Real HTTP on loopback in a background thread: cheroot, a production HTTP/1.1 WSGI server.

`SandboxServer` serves any WSGI callable: the sandbox's app, or middleware wrapped around it (a
request recorder, a fault injector). What a harness gets from it:

- HTTP/1.1 keep-alive, a pool of worker threads, and a listening socket bound before `start` returns,
  so port 0 gives a real port;
- `stop` within about `STOP_POLL_SECONDS` (the connection loop wakes that often to look for it);
- exactly one `Date` header: the app's own (the sandbox's clock), or cheroot's when the app sends none;
- no traceback to a client: an exception escaping the app is logged here and answered 500 with a plain
  sentence; malformed HTTP is answered 400 by cheroot, which goes on serving;
- daemon threads only, so a sandbox that is never stopped does not hold up the interpreter's exit.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from cheroot import wsgi

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

STOP_POLL_SECONDS = 0.05
#: Worker threads: requests served at once (the realistic mode's latency holds one per request in flight).
THREADS = 16
SERVER_NAME = "ottimate-embedded-sandbox"
_INTERNAL_ERROR = b"internal error in the embedded sandbox\n"


class _Server(wsgi.Server):
    expiration_interval = STOP_POLL_SECONDS  # the connection loop's select() timeout: how soon stop() is seen
    # cheroot's default (10) answers `Connection: close` once ten idle connections are kept, and counts them
    # under the selector's lock on every answer; the harness's clients on loopback need neither.
    keep_alive_conn_limit = None  # type: ignore[assignment]  # None: no limit (cheroot checks for it; its stub says int)

    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        log.log(level, "%s", msg, exc_info=traceback)


class SandboxServer:
    def __init__(self, app: WSGIApp, host: str, port: int, *, threads: int = THREADS) -> None:
        self._server = _Server(
            (host, port), _guarded(app), numthreads=threads, server_name=SERVER_NAME, shutdown_timeout=1
        )
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        # The server's threads are started from this daemon thread, so they are daemon threads too.
        self._thread = threading.Thread(target=self._run, name="ottimate-sandbox", daemon=True)

    @property
    def host(self) -> str:
        return str(self._server.bind_addr[0])

    @property
    def port(self) -> int:
        return int(self._server.bind_addr[1])

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            raise self._failure

    def _run(self) -> None:
        try:
            self._server.prepare()  # binds: bind_addr now holds the real port
        except BaseException as exc:
            self._failure = exc
            self._ready.set()
            return
        self._ready.set()
        self._server.serve()

    def stop(self) -> None:
        self._server.stop()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


def _guarded(app: WSGIApp) -> WSGIApp:
    """`app`, with an exception answered 500 in a plain sentence rather than by the server."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        except Exception:
            log.exception("unhandled error serving %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(_INTERNAL_ERROR)))]
            start_response("500 Internal Server Error", headers, sys.exc_info())
            return [_INTERNAL_ERROR]

    return guarded
