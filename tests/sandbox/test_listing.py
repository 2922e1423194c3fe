"""`core/listing.py`: the indexes (`Listing.select`) answer exactly what the definition (`Listing.scan`,
a plain filter over every item, sorted) answers, after any sequence of writes: items added in and out
of order, indexed attributes assigned, and in-place edits of the items' own lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ottimate_validation.sandbox.core.listing import Facet, Listing, Query, Tracked
from ottimate_validation.sandbox.state import SandboxState

T0 = datetime(2026, 1, 1, tzinfo=UTC)
STATUSES = ("open", "held", "done")


@dataclass(frozen=True)
class Place:
    id: int
    company: int


PLACES = tuple(Place(n, n % 2) for n in range(4))


@dataclass
class Row(Tracked):
    id: int
    created: datetime
    changed: datetime
    status: str
    place: Place
    tags: list[str] = field(default_factory=list)


def _listing(newest_first: bool) -> Listing[Row]:
    return Listing(
        order_by=("created", "id"),
        facets={"place": Facet("place", attrgetter("id")), "company": Facet("place", attrgetter("company")),
                "status": Facet("status")},
        dates=("created", "changed"),
        newest_first=newest_first,
    )  # fmt: skip


minutes = st.integers(min_value=0, max_value=20).map(lambda m: T0 + timedelta(minutes=m))
windows = st.tuples(minutes | st.none(), minutes | st.none())


@st.composite
def queries(draw: st.DrawFn) -> Query[Row]:
    facets: dict[str, Any] = {}
    if draw(st.booleans()):
        facets["place"] = frozenset(draw(st.sets(st.sampled_from(range(4)))))
    if draw(st.booleans()):
        facets["company"] = frozenset({draw(st.sampled_from((0, 1)))})
    if draw(st.booleans()):
        facets["status"] = frozenset({draw(st.sampled_from(STATUSES))})
    chosen = draw(st.sets(st.sampled_from(("created", "changed"))))
    dates = {name: draw(windows) for name in sorted(chosen)}
    tag = draw(st.none() | st.sampled_from("ab"))
    return Query(facets, dates, None if tag is None else lambda row: tag in row.tags)


def _same(listing: Listing[Row], query: Query[Row], data: st.DataObject) -> None:
    want = listing.scan(query)
    got = listing.select(query)
    assert [r.id for r in got] == [r.id for r in want]
    assert len(got) == len(want)
    start = data.draw(st.integers(min_value=-3, max_value=len(want) + 2), label="start")
    stop = data.draw(st.integers(min_value=-3, max_value=len(want) + 2), label="stop")
    assert [r.id for r in got[start:stop]] == [r.id for r in want[start:stop]]
    if want:
        index = data.draw(st.integers(min_value=-len(want), max_value=len(want) - 1), label="index")
        assert got[index].id == want[index].id


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), newest_first=st.booleans())
def test_select_answers_what_scan_answers_after_any_writes(data: st.DataObject, newest_first: bool) -> None:
    listing = _listing(newest_first)
    rows: list[Row] = []
    clock = 0
    for _ in range(data.draw(st.integers(min_value=1, max_value=20), label="steps")):
        action = data.draw(st.sampled_from(("add", "add", "status", "place", "changed", "created", "tag", "query")))
        if action == "add" or not rows:
            clock += data.draw(st.integers(min_value=-3, max_value=3), label="tick")  # sometimes out of order
            when = T0 + timedelta(minutes=max(clock, 0))
            row = Row(
                len(rows) + 1, when, when, data.draw(st.sampled_from(STATUSES)), data.draw(st.sampled_from(PLACES))
            )
            rows.append(row)
            listing.add(row)
            _same(listing, data.draw(queries(), label="query"), data)
            continue
        row = data.draw(st.sampled_from(rows), label="row")
        if action == "status":
            row.status = data.draw(st.sampled_from(STATUSES))
        elif action == "place":
            row.place = data.draw(st.sampled_from(PLACES))
        elif action == "changed":
            row.changed = data.draw(minutes)
        elif action == "created":
            row.created = data.draw(minutes)
        elif action == "tag":
            row.tags.append(data.draw(st.sampled_from("ab")))  # in place: only `where` reads it
        _same(listing, data.draw(queries(), label="query"), data)
    _same(listing, data.draw(queries(), label="final query"), data)


def test_invoice_lists_answer_what_a_scan_answers_after_edits_in_place() -> None:
    """The store's own listing, fed by the real backend: creates, patches (a line item appended), flags,
    approvals, and a created_at moved back as extraction does."""
    state = SandboxState(seed=11)
    user = state.org.named_users["account"]
    store = state.invoices
    locations = sorted(user.location_ids)
    made = []
    with state.lock:
        for n in range(40):
            loc = state.org.locations[locations[n % len(locations)]]
            body: dict[str, Any] = {
                "ottimate_location_id": loc.id,
                "erp_vendor_id": f"SEED-V{loc.company_id}-1",
                "invoice_date": "2026-01-15",
                "total_amount": 12.5,
                "items": [{"name": "Test Item - Flour", "quantity": 1, "price": 12.5}],
            }
            if n % 3:
                body["invoice_number"] = f"LIST-{n}"
            made.append(store.create(user, body))
            state.clock.advance(60)
        queries = [{}, {"status": "needs-attention"}, {"status": "pending-approval"}, {"search": "list-1"}]
        for inv in made[::4]:
            store.matching(user, {"status": "needs-attention"})  # indexes built before the change
            patch = {"items": [{"name": "Test Item - Salt", "quantity": 2, "price": 1.0}], "total_amount": 14.5}
            store.patch(user, inv.uuid, patch, None)
            inv.items.append(inv.items[0])  # in place, behind the store's back
        for inv in made[1::5]:
            store.flag(user, inv.uuid, "listing check")
        made[7].created_at -= timedelta(days=1)
        middle = made[20].last_modified.isoformat()
        queries.append({"last_modified_date_from_utc": middle, "status": "needs-attention"})
        queries.append({"date_to_utc": middle})
        for name in ("account", "company", "location"):
            scoped = state.org.named_users[name]
            for query in queries:
                got = store.matching(scoped, query)
                want = [
                    inv
                    for inv in sorted(made, key=lambda i: (i.created_at, i.id), reverse=True)
                    if inv.location.id in scoped.location_ids
                    and (not query.get("status") or inv.status == query["status"])
                    and (not query.get("search") or query["search"] in (inv.invoice_number or "").lower())
                    and ("last_modified_date_from_utc" not in query or inv.last_modified >= made[20].last_modified)
                    and ("date_to_utc" not in query or inv.created_at <= made[20].last_modified)
                ]
                assert [i.id for i in got] == [i.id for i in want], (name, query)
