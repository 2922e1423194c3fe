"""Speaks broken HTTP to the API: garbage on a raw socket, then a write whose body is not JSON."""

import contextlib
import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request

api, auth, key = os.environ["OTTIMATE_API_URL"], os.environ["OTTIMATE_AUTH_URL"], os.environ["OTTIMATE_API_KEY"]
host, port = urllib.parse.urlsplit(api).hostname, urllib.parse.urlsplit(api).port
with socket.create_connection((host, port), timeout=5) as raw:
    raw.sendall(b"\x16\x03\x01 THIS IS NOT HTTP\r\n\r\n")
    with contextlib.suppress(OSError):
        raw.recv(1024)
with socket.create_connection((host, port), timeout=5) as raw:
    raw.sendall(b'POST /v1/vendors HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\n{"half')
    raw.shutdown(socket.SHUT_WR)
    with contextlib.suppress(OSError):
        raw.recv(1024)
form = urllib.parse.urlencode(
    {
        "grant_type": "client_credentials",
        "client_id": os.environ["OTTIMATE_CLIENT_ID"],
        "client_secret": os.environ["OTTIMATE_CLIENT_SECRET"],
    }
).encode()
token = json.loads(
    urllib.request.urlopen(urllib.request.Request(f"{auth}/oauth/token", data=form, headers={"X-Api-Key": key})).read()
)["access_token"]
bad = urllib.request.Request(
    f"{api}/vendors/bulk",
    data=b"{not json",
    method="POST",
    headers={"X-Api-Key": key, "Authorization": f"Bearer {token}", "Content-Type": "application/json"},
)
try:
    urllib.request.urlopen(bad)
except urllib.error.HTTPError as refused:
    print("refused:", refused.code)
