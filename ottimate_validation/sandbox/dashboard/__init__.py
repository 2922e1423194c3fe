"""The sandbox dashboard: see, and act on, what an integration did (issue 17).

Ottimate's sandbox has a dashboard where partners check, as an end user, how their API calls affected
the system. The embedded sandbox serves its own under ``/_dashboard/`` on the same server as the API,
when it has a control plane (``ottimate-sandbox serve``) or is asked for one (the integration mode):
it is a sandbox feature, never part of the API surface.

    app.py       the one request pipeline: loopback guard → route → session → sign-in → CSRF → view,
                 and every refusal or error drawn as a page (never a traceback)
    access.py    the loopback guard, one-time sign-in tokens, sessions, CSRF tokens
    signin.py    signing in (an API user's client id and secret) and out
    pages.py     what the signed-in API user may see: organisation, vendors, dimensions, invoices (with
                 the extraction beside the uploaded document), uploads, purchase orders, receipts,
                 catalog, batches
    actions.py   acting as an end user (approve, force-approve, flag, mark exported / unexported,
                 create an invoice, upload a document) through the backend methods the API calls
    log.py       the live request log over the sandbox's request journal, findings marked
    routes.py    every page and action in one table
    templates/   Jinja2 pages; static/: one stylesheet and one small script, served from the package

The dashboard holds no rule of its own: what a user may see and do, and what an action does, is decided
by the same backend methods the API's handlers call, as the signed-in API user.
"""

from .app import PREFIX, Dashboard

__all__ = ["PREFIX", "Dashboard"]
