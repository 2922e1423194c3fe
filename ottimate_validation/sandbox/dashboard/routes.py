"""Every dashboard page and action, in one table (paths under `app.PREFIX`)."""

from __future__ import annotations

from typing import Final

from . import actions, log, pages, signin
from .app import Route

ROUTES: Final = (
    Route("/", "overview", pages.overview),
    Route("/sign-in", "sign_in", signin.sign_in_form, signed_in=False, locked=False),
    Route("/sign-in", "sign_in_post", signin.sign_in, methods=("POST",), signed_in=False, locked=False),
    Route("/sign-out", "sign_out", signin.sign_out, methods=("POST",), signed_in=False, locked=False),
    Route("/static/<name>", "static", pages.static, signed_in=False, locked=False),
    Route("/organisation", "organisation", pages.organisation),
    Route("/vendors", "vendors", pages.vendors),
    Route("/dimensions", "dimensions", pages.dimensions),
    Route("/invoices", "invoices", pages.invoices),
    Route("/invoices", "create_invoice", actions.create_invoice, methods=("POST",)),
    Route("/invoices/new", "new_invoice", pages.new_invoice),
    Route("/invoices/<id>", "invoice", pages.invoice),
    Route("/invoices/<id>/document", "invoice_document", pages.invoice_document),
    Route("/invoices/<id>/approve", "approve", actions.approve, methods=("POST",)),
    Route("/invoices/<id>/force-approve", "force_approve", actions.force_approve, methods=("POST",)),
    Route("/invoices/<id>/flag", "flag", actions.flag, methods=("POST",)),
    Route("/invoices/<id>/mark-exported", "mark_exported", actions.mark_exported, methods=("POST",)),
    Route("/invoices/<id>/mark-unexported", "mark_unexported", actions.mark_unexported, methods=("POST",)),
    Route("/uploads", "uploads", pages.uploads),
    Route("/uploads", "upload", actions.upload, methods=("POST",)),
    Route("/purchase-orders", "purchase_orders", pages.purchase_orders),
    Route("/purchase-orders/<id>", "purchase_order", pages.purchase_order),
    Route("/receipts", "receipts", pages.receipts),
    Route("/receipts/<id>", "receipt", pages.receipt),
    Route("/catalog", "catalog", pages.catalog),
    Route("/catalog/<id>", "catalog_entry", pages.catalog_entry),
    Route("/batches", "batches", pages.batches),
    Route("/batches/<id>", "batch", pages.batch),
    Route("/log", "log", log.log_page, locked=False),
    Route("/log.json", "log_json", log.log_json, locked=False),
    Route("/log/<int:seq>", "exchange", log.exchange, locked=False),
    Route("/log/<int:seq>.json", "exchange_json", log.exchange_json, locked=False),
)
