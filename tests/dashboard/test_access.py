"""Who gets in: the one-time link, the sign-in page, sessions, CSRF on the sign-in form, loopback only."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from werkzeug.test import Client, TestResponse

from ottimate_validation.sandbox import EmbeddedSandbox

from .world import World, api_client, csrf_of, dashboard_client


def test_the_printed_link_signs_in_once_and_leaves_the_address(sandbox: EmbeddedSandbox) -> None:
    link = sandbox.dashboard_link()
    assert link is not None and link.startswith(f"{sandbox.url}/_dashboard/?token=")
    with httpx.Client() as browser:
        first = browser.get(link)
        assert first.status_code == 303 and first.headers["Location"] == "/_dashboard/"  # the token is gone
        cookie = first.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/_dashboard/" in cookie
        page = browser.get(f"{sandbox.url}/_dashboard/")
        assert page.status_code == 200 and sandbox.users["account"].client_id in page.text
    with httpx.Client() as other:
        again = other.get(link)
        assert again.status_code == 303 and again.headers["Location"].startswith("/_dashboard/sign-in")
        shown = other.get(f"{sandbox.url}{again.headers['Location']}")
        assert "already used or is not valid" in shown.text and "Client secret" in shown.text


def test_without_a_token_every_page_asks_to_sign_in_first(sandbox: EmbeddedSandbox) -> None:
    with httpx.Client(base_url=sandbox.url) as browser:
        page = browser.get("/_dashboard/invoices?status=exported")
        assert page.status_code == 303
        where = urlsplit(page.headers["Location"])
        assert where.path == "/_dashboard/sign-in"
        assert parse_qs(where.query)["next"] == ["/_dashboard/invoices?status=exported"]
        form = browser.get(page.headers["Location"])
        assert form.status_code == 200 and 'name="client_id"' in form.text and 'type="password"' in form.text
        assert browser.get("/_dashboard/log.json").status_code == 401


def test_signing_in_with_an_api_users_client_id_and_secret_opens_the_page_asked_for(sandbox: EmbeddedSandbox) -> None:
    user = sandbox.users["company"]
    with httpx.Client(base_url=sandbox.url) as browser:
        form = browser.get("/_dashboard/sign-in", params={"next": "/_dashboard/invoices"})
        signed = browser.post(
            "/_dashboard/sign-in",
            data={"csrf": csrf_of(form.text), "client_id": user.client_id, "client_secret": user.client_secret,
                  "next": "/_dashboard/invoices"},
        )  # fmt: skip
        assert signed.status_code == 303 and signed.headers["Location"] == "/_dashboard/invoices"
        page = browser.get("/_dashboard/invoices")
        assert page.status_code == 200 and f"Signed in as <strong>{user.client_id}</strong>" in page.text
        assert "company-level API user" in page.text


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
def test_a_wrong_secret_is_refused_and_signs_nobody_in(sandbox: EmbeddedSandbox, secret: str) -> None:
    user = sandbox.users["account"]
    with httpx.Client(base_url=sandbox.url) as browser:
        form = browser.get("/_dashboard/sign-in")
        refused = browser.post(
            "/_dashboard/sign-in",
            data={"csrf": csrf_of(form.text), "client_id": user.client_id, "client_secret": secret},
        )
        assert (
            refused.status_code == 401 and "No API user of this sandbox has that client id and secret" in refused.text
        )
        assert browser.get("/_dashboard/").status_code == 303


def test_the_sign_in_form_needs_its_csrf_token(sandbox: EmbeddedSandbox) -> None:
    user = sandbox.users["account"]
    with httpx.Client(base_url=sandbox.url) as browser:
        browser.get("/_dashboard/sign-in")
        forged = browser.post(
            "/_dashboard/sign-in", data={"client_id": user.client_id, "client_secret": user.client_secret}
        )
        assert forged.status_code == 403 and "nothing was changed" in forged.text
        assert browser.get("/_dashboard/").status_code == 303  # not signed in


def test_after_sign_in_next_never_leads_off_the_dashboard(sandbox: EmbeddedSandbox) -> None:
    user = sandbox.users["account"]
    for target in ("//evil.example/", "https://evil.example/_dashboard/", "/v1/invoices", "/_dashboard/\\\\evil"):
        with httpx.Client(base_url=sandbox.url) as browser:
            form = browser.get("/_dashboard/sign-in")
            signed = browser.post(
                "/_dashboard/sign-in",
                data={"csrf": csrf_of(form.text), "client_id": user.client_id, "client_secret": user.client_secret,
                      "next": target},
            )  # fmt: skip
            assert signed.headers["Location"] == "/_dashboard/", target


def test_signing_out_ends_the_session(sandbox: EmbeddedSandbox) -> None:
    with dashboard_client(sandbox) as dash:
        page = dash.get("/")
        out = dash.post("/sign-out", data={"csrf": csrf_of(page.text)})
        assert out.status_code == 303 and out.headers["Location"] == "/_dashboard/sign-in"
        assert dash.get("/").status_code == 303


def test_a_scoped_user_sees_and_reaches_only_its_scope(sandbox: EmbeddedSandbox, world: World) -> None:
    with dashboard_client(sandbox, "location") as dash:  # Downtown only
        listed = dash.get("/invoices")
        assert listed.status_code == 200 and world.invoices["exported"]["invoice_number"] in listed.text
        org = dash.get("/organisation").text
        assert "Test Location - Downtown" in org and "Test Location - Riverside" not in org
        catalog = dash.get("/catalog", params={"company": "999999"})
        assert catalog.status_code == 404 and "no company 999999 that this API user can see" in catalog.text


def test_an_invoice_outside_the_users_scope_is_the_apis_403(sandbox: EmbeddedSandbox, world: World) -> None:
    with api_client(sandbox) as api:
        account = api.get("/accounts").json()["results"][0]["id"]
        riverside = api.get(f"/accounts/{account}/locations").json()["results"][2]["id"]
        elsewhere = world.create_invoice(api, ottimate_location_id=riverside)
    with dashboard_client(sandbox, "company") as dash:
        page = dash.get(f"/invoices/{elsewhere['id']}")
        assert page.status_code == 403
        assert f"invoice {elsewhere['id']} belongs to a location outside this API user&#39;s scope" in page.text


def _get(app: Any, path: str, remote: str = "127.0.0.1", host: str = "127.0.0.1:8000") -> TestResponse:
    return Client(app).get(path, environ_base={"REMOTE_ADDR": remote}, headers={"Host": host})


def test_other_machines_and_foreign_host_names_are_refused_on_loopback() -> None:
    app = EmbeddedSandbox(seed=3).wsgi_app()
    refused = _get(app, "/_dashboard/sign-in", remote="10.1.2.3")
    assert refused.status_code == 403 and "loopback only" in refused.get_data(as_text=True)
    rebound = _get(app, "/_dashboard/sign-in", host="evil.example:8000")  # a DNS-rebinding page's request
    assert rebound.status_code == 403 and "--allow-remote" in rebound.get_data(as_text=True)
    assert _get(app, "/_dashboard/sign-in", host="localhost:8000").status_code == 200
    assert _get(app, "/_dashboard/sign-in", remote="::1", host="[::1]:8000").status_code == 200
    assert _get(app, "/_sandbox/health", remote="10.1.2.3").status_code == 200  # the API's surface is not the dashboard
    opened = EmbeddedSandbox(seed=3, allow_remote=True).wsgi_app()
    assert _get(opened, "/_dashboard/sign-in", remote="10.1.2.3", host="sandbox.lan:8000").status_code == 200


def test_the_dashboard_is_served_with_the_control_plane_or_when_asked_for() -> None:
    without = _get(EmbeddedSandbox(seed=3, control_plane=False).wsgi_app(), "/_dashboard/sign-in")
    assert without.status_code == 404 and without.json is not None and without.json["code"] == "not_found"
    asked = _get(EmbeddedSandbox(seed=3, control_plane=False, dashboard=True).wsgi_app(), "/_dashboard/sign-in")
    assert asked.status_code == 200
    assert EmbeddedSandbox(seed=3, dashboard=False).dashboard_link() is None
