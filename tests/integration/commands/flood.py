"""Floods the API: eight threads sending as fast as they can, every 429 ignored."""

import contextlib
import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request

api, auth, key = os.environ["OTTIMATE_API_URL"], os.environ["OTTIMATE_AUTH_URL"], os.environ["OTTIMATE_API_KEY"]
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


def hammer():
    for _ in range(40):
        req = urllib.request.Request(f"{api}/accounts", headers={"X-Api-Key": key, "Authorization": f"Bearer {token}"})
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(req).read()


threads = [threading.Thread(target=hammer) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
