"""Faults that only change an answer, as rewriters of the finished answer (`app.py` applies them once).

Most faults bend a rule (a check skipped, a write lost, a scope widened) and live where the rule
lives. Some only misreport what the sandbox got right: a field left out, a date or a price shifted, a
status code or a header wrong, an error body of the wrong shape. Those are overlays here, the way
`variations.rewrite_json` rewrites answers, so backends and serialisers read the real rule only.

An overlay sees one answer of the API (never the control plane's) after the handler, the idempotency
store and the response headers, and before the variations: a replayed answer is bent the same way as
the first one. Body overlays act on the documents of one resource: a 2xx answer on that resource's
paths, or the task results of a batch that resource's bulk endpoint submitted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from werkzeug.wrappers import Response

from .catalog.responses import amount_text
from .core import dates
from .faults import FaultSwitches

#: `dates_shifted`: US Eastern local time written as if it were UTC.
DATES_SHIFTED_BY: Final = timedelta(hours=5)
#: `catalog_price_corrupted`: the decimal point moved one place.
PRICE_CORRUPTION_FACTOR: Final = Decimal(10)

#: The resource whose documents a batch's task results are, by the batch's kind (`batches.submit`).
BATCH_KIND_RESOURCE: Final = {
    "purchase_orders": "purchase-orders",
    "receipts": "receipts",
    "catalog_entries": "catalog",
    "catalog_prices": "catalog",
    "catalog_allowances": "catalog",
    "invoices": "invoices",
}


class Answer:
    """A finished API answer as the overlays see it; the JSON body is decoded on first use and written
    back by `finish`."""

    def __init__(self, response: Response, resource: str | None, batch_resource: str | None = None) -> None:
        self.response = response
        self.resource = resource  # the path's first segment under /v1 ("vendors", "purchase-orders", ...)
        self.batch_resource = batch_resource  # batch results: the resource of the task results
        self._payload: Any = None
        self._decoded = False

    @property
    def status(self) -> int:
        return self.response.status_code

    def payload(self) -> Any:
        """The JSON body (None when there is none); changes to it are kept."""
        if not self._decoded:
            self._decoded = True
            if self.response.mimetype == "application/json":
                try:
                    self._payload = json.loads(self.response.get_data())
                except (ValueError, UnicodeDecodeError):
                    self._payload = None
        return self._payload

    def documents(self, resource: str) -> Iterator[Any]:
        """The parts of a 2xx answer that describe `resource`: the whole body on its own paths, each task
        result of a batch of its bulk endpoint."""
        if not 200 <= self.status < 300:
            return
        if self.resource == resource:
            yield self.payload()
        elif self.resource == "batch" and self.batch_resource == resource:
            for entry in _dicts_in((self.payload() or {}).get("results")):
                if entry.get("result") is not None:
                    yield entry["result"]

    def replace(self, payload: Any) -> None:
        self._payload, self._decoded = payload, True

    def finish(self) -> None:
        if self._decoded and self._payload is not None:
            self.response.set_data(json.dumps(self._payload, ensure_ascii=False, separators=(",", ":")))


@dataclass(frozen=True)
class Overlay:
    fault: str
    rewrite: Callable[[Answer], None]


def apply(answer: Answer, faults: FaultSwitches) -> None:
    """Every overlay whose fault is on, in the order of `OVERLAYS`."""
    active = [overlay for overlay in OVERLAYS if faults.on(overlay.fault)]
    for overlay in active:
        overlay.rewrite(answer)
    if active:
        answer.finish()


# ---------------------------------------------------------------------------------------------
# The overlays


def _field_dropped(answer: Answer) -> None:
    for document in answer.documents("vendors"):
        for obj in _objects(document):
            obj.pop("net_terms", None)
    for document in answer.documents("dimensions"):
        for obj in _objects(document):
            obj.pop("code", None)


def _dates_shifted(answer: Answer) -> None:
    for document in answer.documents("vendors"):
        for obj in _objects(document):
            for name, stamp in (("last_modified_date", dates.stamp), ("last_modified_date_utc", dates.stamp_utc)):
                if isinstance(obj.get(name), str):
                    obj[name] = stamp(_parse_stamp(obj[name]) - DATES_SHIFTED_BY)


def _catalog_price_corrupted(answer: Answer) -> None:
    for document in answer.documents("catalog"):
        for obj in _objects(document):
            if "catalog_unique_key" not in obj and "price_type" not in obj:
                continue  # only entries and prices; allowance amounts and invoice lines keep theirs
            for name in ("price", "unit_price"):
                if isinstance(obj.get(name), str):
                    obj[name] = _times(obj[name], PRICE_CORRUPTION_FACTOR)


def _po_dimensions_dropped(answer: Answer) -> None:
    for document in answer.documents("purchase-orders"):
        for obj in _objects(document):
            if "dimensions" in obj:
                obj["dimensions"] = {}


def _receipt_po_link_lost(answer: Answer) -> None:
    for document in answer.documents("receipts"):
        for obj in _objects(document):
            obj.pop("ottimate_po_id", None)
            obj.pop("ottimate_po_item_id", None)


def _batch_reports_success_for_failed_items(answer: Answer) -> None:
    if answer.resource != "batch" or not 200 <= answer.status < 300:
        return
    payload = answer.payload()
    for obj in _objects(payload):
        if isinstance(obj.get("tasks_failed"), int) and isinstance(obj.get("tasks_completed"), int):
            obj["tasks_completed"] += obj["tasks_failed"]
            obj["tasks_failed"] = 0
            if "error" in obj:
                obj["error"] = None
    if isinstance(payload, dict) and "batch_id" in payload:
        for entry in _dicts_in(payload.get("results")):
            entry.pop("message", None)


def _error_body_malformed(answer: Answer) -> None:
    payload = answer.payload() if answer.status >= 400 else None
    if isinstance(payload, dict) and {"code", "message", "request_id"} <= payload.keys():
        answer.replace({"error": payload["code"], "detail": payload["message"]})


def _wrong_status_codes(answer: Answer) -> None:
    if answer.status == 201:
        answer.response.status_code = 200


def _retry_after_missing(answer: Answer) -> None:
    if answer.status == 429:
        answer.response.headers.pop("Retry-After", None)


OVERLAYS: Final[tuple[Overlay, ...]] = (
    Overlay("field_dropped", _field_dropped),
    Overlay("dates_shifted", _dates_shifted),
    Overlay("catalog_price_corrupted", _catalog_price_corrupted),
    Overlay("po_dimensions_dropped", _po_dimensions_dropped),
    Overlay("receipt_po_link_lost", _receipt_po_link_lost),
    Overlay("batch_reports_success_for_failed_items", _batch_reports_success_for_failed_items),
    Overlay("error_body_malformed", _error_body_malformed),
    Overlay("wrong_status_codes", _wrong_status_codes),
    Overlay("retry_after_missing", _retry_after_missing),
)


# ---------------------------------------------------------------------------------------------
# Helpers


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in `value`, outermost first."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def _dicts_in(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def _parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _times(amount: str, factor: Decimal) -> str:
    """A decimal string multiplied, written as the catalog writes amounts."""
    try:
        return amount_text(Decimal(amount) * factor)
    except InvalidOperation:
        return amount
