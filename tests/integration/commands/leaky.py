"""An integration that leaks every credential it can: prints them, puts them in a URL and in a vendor's
name. The run must keep all of them out of everything it writes and prints. It notes what it leaked
in $LEAK_SINK for the test to search for."""

import json
import os
import sys
import urllib.parse
import urllib.request

api, auth = os.environ["OTTIMATE_API_URL"], os.environ["OTTIMATE_AUTH_URL"]
key, secret = os.environ["OTTIMATE_API_KEY"], os.environ["OTTIMATE_CLIENT_SECRET"]
form = urllib.parse.urlencode(
    {"grant_type": "client_credentials", "client_id": os.environ["OTTIMATE_CLIENT_ID"], "client_secret": secret}
).encode()
request = urllib.request.Request(f"{auth}/oauth/token", data=form, headers={"X-Api-Key": key})
token = json.loads(urllib.request.urlopen(request).read())["access_token"]
with open(os.environ["LEAK_SINK"], "a", encoding="utf-8") as sink:
    sink.write(json.dumps([key, secret, token]) + "\n")
print(f"token={token} key={key}")
print(f"secret={secret}", file=sys.stderr)
headers = {"X-Api-Key": key, "Authorization": f"Bearer {token}", "User-Agent": f"leaky/1 {key}"}


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        f"{api}{path}", data=data, method=method, headers={**headers, "Content-Type": "application/json"}
    )
    try:
        return json.loads(urllib.request.urlopen(req).read())
    except urllib.error.HTTPError as refused:
        return json.loads(refused.read() or b"null")


account = call("GET", f"/accounts?access_token={token}&api_key={key}")["results"][0]["id"]
company = call("GET", f"/accounts/{account}/companies")["results"][0]["id"]
call(
    "POST",
    "/vendors/bulk",
    {
        "ottimate_company_id": company,
        "vendors": [
            {
                "erp_vendor_id": f"LEAK-{token}",
                "erp_vendor_name": f"Test Vendor - {secret}",
                "email": f"{key}@example.com",
            }
        ],
    },
)
call("GET", f"/vendors/{secret}")
location = call("GET", f"/accounts/{account}/locations")["results"][0]["id"]
order = {
    "ottimate_location_id": location,
    "po_number": token,
    "erp_vendor_id": "V-1",
    "date": "2026-11-02",
    "total_amount": 1.0,
    "items": [{"name": "x", "quantity": 1, "price": 1.0}],
}
call("POST", "/purchase-orders", order)
call("POST", "/purchase-orders", order)  # created twice: a finding that quotes its number, the token
