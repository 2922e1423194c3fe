"""Every answer of the platform, auth, accounts, vendors and dimensions operations matches Ottimate's
API reference: the status is documented for the operation (or is one every operation may give: 401,
403, 429) and the body validates against the schema the reference gives for that status."""

from __future__ import annotations

import httpx

from .. import reference
from .conftest import Box, dimension_body, vendor_body

AREAS = ("oauth", "accounts", "vendors", "dimensions")


def _exercise(box: Box) -> list[httpx.Response]:
    seen: list[httpx.Response] = []
    u = box.sb.users["account"]
    form = {"grant_type": "client_credentials", "client_id": u.client_id, "client_secret": u.client_secret}
    for path in ("/oauth/token", "/v1/oauth/token"):
        seen.append(box.http.post(box.sb.url + path, data=form, headers={"X-Api-Key": u.api_key}))
    seen.append(
        box.http.post(
            box.sb.api_url + "/oauth/token", data={**form, "client_secret": "x"}, headers={"X-Api-Key": u.api_key}
        )
    )
    seen.append(
        box.http.post(
            box.sb.api_url + "/oauth/token", data={**form, "grant_type": "password"}, headers={"X-Api-Key": u.api_key}
        )
    )
    for version in (None, "1.0.0", "1.1.0"):
        headers = {"X-API-Version": version} if version else {}
        with box.api(**headers) as api:
            account, companies, _ = box.ids(api)
            cid = companies[0]
            seen += [
                api.get("/accounts"),
                api.get("/accounts", params={"search": "x", "page": 0, "limit": 1}),
                api.get(f"/accounts/{account}/companies"),
                api.get(f"/accounts/{account}/locations"),
            ]
            n = len(seen)
            vendor = api.post("/vendors", json=vendor_body(cid, n, email="a@b.test", payment_method="check"))
            seen += [vendor, api.post("/vendors", json=vendor_body(cid, n)), api.post("/vendors", json={})]
            vid = vendor.json()["vendor"]["id"]
            seen += [
                api.get(f"/vendors/{vid}"),
                api.get("/vendors/0"),
                api.get("/vendors", params={"limit": 2}),
                api.get("/vendors", params={"ottimate_company_id": cid, "detail": "basic"}),
                api.get("/vendors", params={"ottimate_company_id": cid, "last_modified_date_from": "2020-01-01"}),
                api.get("/vendors", params={"last_modified_date_from": "2020-01-01"}),
            ]
            seen.append(
                api.post(
                    "/vendors/bulk",
                    json={
                        "ottimate_company_id": cid,
                        "vendors": [
                            {"erp_vendor_id": f"BULK-{n}", "erp_vendor_name": "Test Vendor - Bulk"},
                            {"city": "no id"},
                        ],
                    },
                )
            )
            seen.append(api.post("/vendors/bulk", json={"ottimate_company_id": cid, "vendors": []}))
            dim = api.post("/dimensions", json=dimension_body(cid, n))
            seen += [
                dim,
                api.post("/dimensions", json={"ottimate_company_id": cid}),
                api.get(f"/dimensions/{dim.json()['id']}"),
                api.get("/dimensions/dim_x"),
                api.get("/dimensions", params={"ottimate_company_id": cid, "erp_type": "Department"}),
                api.get("/dimensions", params={"detail": "basic"}),
                api.get("/dimensions", params={"limit": 0}),
            ]
            items = [{k: v for k, v in dimension_body(cid, n + 1).items() if k != "ottimate_company_id"}, {"name": "x"}]
            seen.append(api.post("/dimensions/bulk", json={"ottimate_company_id": cid, "dimensions": items}))
            seen.append(api.post("/dimensions/bulk", json={"ottimate_company_id": "x", "dimensions": items}))
    seen.append(box.http.get(box.sb.api_url + "/vendors"))  # 401
    with box.api("company") as scoped:
        seen.append(scoped.get("/vendors", params={"ottimate_company_id": companies[1]}))  # 403
    return seen


def test_every_answer_of_these_operations_matches_the_reference(box: Box) -> None:
    reference.load()
    reference.judge(_exercise(box), set(AREAS))


def test_the_yardstick_itself_catches_an_error_body_of_the_wrong_shape(box: Box) -> None:
    """Guard against a vacuous check: an ErrorResponse without `code`/`message` must fail validation."""
    reference.load()
    box.control("PUT", "faults", json={"enabled": ["error_body_malformed"]})
    with box.api() as api:
        r = api.get("/vendors/0")
    template = reference.template_for("GET", "/vendors/0")
    assert template == "/vendors/{id}"
    check = reference.validator("GET", template, r.status_code)
    assert check is not None and list(check.iter_errors(r.json()))
