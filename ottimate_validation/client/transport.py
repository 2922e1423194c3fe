"""The network transport: httpx's, through whatever proxy the environment names for each host.

httpx applies ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` only when a client is built
without a custom transport; the client wraps its transport (retries, exchange reporting), so it would
silently go direct. This transport restores the usual behaviour, so a partner behind a corporate proxy
(and a test that proves nothing leaves the machine) sees the same routing as any other tool.
"""

from __future__ import annotations

import functools
import ssl
import threading
import urllib.request
from collections.abc import Mapping

import httpx


def proxy_for(url: httpx.URL, proxies: Mapping[str, str] | None = None) -> str | None:
    """The proxy the environment (or ``proxies``, as read from it) names for ``url``; None: direct."""
    if proxies is None:
        proxies = urllib.request.getproxies_environment()
    host = url.host
    # proxy_bypass_environment reads NO_PROXY; it is public but missing from typeshed.
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if not proxies or (host and bypass(host, proxies)):
        return None
    return proxies.get(url.scheme) or proxies.get("all") or None


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every client of the process (honouring SSL_CERT_FILE/DIR).

    Loading the CA bundle costs about 40 ms, and a run builds dozens of clients (one per test for some
    fixtures); httpx would load it again for each.
    """
    return httpx.create_ssl_context()


class EnvironmentTransport(httpx.BaseTransport):
    def __init__(self) -> None:
        # Read once, as httpx itself reads them when a client is built: scanning the environment for
        # every request cost about 0.1 ms each, a tenth of a request to the embedded sandbox.
        self._proxies = urllib.request.getproxies_environment()
        self._lock = threading.Lock()
        self._direct = httpx.HTTPTransport(verify=shared_ssl_context())
        self._proxied: dict[str, httpx.HTTPTransport] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        proxy = proxy_for(request.url, self._proxies)
        if proxy is None:
            return self._direct.handle_request(request)
        with self._lock:
            transport = self._proxied.get(proxy)
            if transport is None:
                transport = self._proxied[proxy] = httpx.HTTPTransport(proxy=proxy, verify=shared_ssl_context())
        return transport.handle_request(request)

    def close(self) -> None:
        self._direct.close()
        for transport in self._proxied.values():
            transport.close()
