"""Pagination: walking every page shows every record exactly once, in a stable order (CONTRACT §6.1)."""

from collections import Counter

import allure
import pytest

from fixtures.checks import expect_status
from fixtures.paging import (
    changed_window,
    find_by_id,
    last_modified,
    locate_vendor,
    server_time,
    stable_walk,
    vendors_near,
)

pytestmark = [pytest.mark.api_area("Pagination"), pytest.mark.contract("§6.1")]

# Two pages, the first full and the second not: a page that skips or repeats an item, or a count that
# disagrees with the pages, shows from the second page on.
HOW_MANY = 4
PAGE_SIZE = 3


def check_walk(walk, mine, what):
    """Every page agrees on the total; every record seen once; all of mine among them."""
    ids = walk.ids
    seen = Counter(ids)
    twice = {i: n for i, n in seen.items() if n > 1}
    assert walk.stable, f"the pages disagree on the total count while nothing changed: {sorted(walk.counts)}"
    assert not twice, f"{what}: records shown on more than one page: {twice}"
    assert len(ids) == walk.count, (
        f"{what}: 'count' says {walk.count} but walking {len(walk.pages)} pages of {PAGE_SIZE} showed {len(ids)}"
    )
    missing = [i for i in mine if i not in seen]
    assert not missing, f"{what}: records never shown on any page: {missing}"
    for page in walk.pages[:-1]:
        assert len(page.items) == PAGE_SIZE, (
            f"{what}: page {page.number} holds {len(page.items)} records, a full page holds {PAGE_SIZE}"
        )


def test_walking_the_vendor_pages_shows_every_vendor_exactly_once(api, company, payloads, waiter):
    """Walking the vendor list 3 at a time shows each of 4 new vendors exactly once, count consistent"""
    with allure.step(f"Create {HOW_MANY} vendors in one company"):
        responses = [api.post("/vendors", json=payloads.vendor(company.id)) for _ in range(HOW_MANY)]
        mine = [expect_status(response, 201)["vendor"]["id"] for response in responses]
    with allure.step("Find when they were created"):
        near = vendors_near(api, company.id, server_time(responses[-1]), seconds=900)
        first, last = find_by_id(near, mine[0]), find_by_id(near, mine[-1])
        if first is None or last is None:  # the clocks disagree: the whole company list
            first, last = (
                locate_vendor(api, company.id, vendor_id, server_time(responses[-1]))
                for vendor_id in (mine[0], mine[-1])
            )
        assert first is not None and last is not None, "the new vendors are not in the company's list"
        start, end = last_modified(first), last_modified(last)
        assert start is not None and end is not None, "listed vendors carry no modification time"
    window = {
        "ottimate_company_id": company.id,
        # Whole seconds either side, so the window holds all of them but little written by others.
        "last_modified_date_from_utc": changed_window(start, 1)["last_modified_date_from_utc"],
        "last_modified_date_to_utc": changed_window(end, 1)["last_modified_date_to_utc"],
    }
    # On a shared sandbox others keep writing: let the window's last second pass before walking it.
    waiter.pass_time(1.1)
    with allure.step(f"Walk every page of that company's recent vendors, {PAGE_SIZE} per page"):
        walk = stable_walk(api, "/vendors", "vendors", window, limit=PAGE_SIZE)
    check_walk(walk, mine, "The vendor list")
    with allure.step("Walk it again and compare the order"):
        again = stable_walk(api, "/vendors", "vendors", window, limit=PAGE_SIZE)
    assert again.ids == walk.ids, f"two walks of an unchanged list gave different orders:\n{walk.ids}\n{again.ids}"


def test_walking_the_dimension_pages_shows_every_dimension_exactly_once(api, company, payloads, run_id):
    """Walking the dimension list 3 at a time shows each of 4 new dimensions exactly once, count exact"""
    erp_type = f"Paging {run_id}-{payloads.number()}"
    with allure.step(f"Create {HOW_MANY} dimensions of an ERP type of their own"):
        mine = [
            expect_status(api.post("/dimensions", json=payloads.dimension(company.id, erp_type=erp_type)), 201)["id"]
            for _ in range(HOW_MANY)
        ]
    query = {"ottimate_company_id": company.id, "erp_type": erp_type}
    with allure.step(f"Walk every page of that ERP type, {PAGE_SIZE} per page"):
        walk = stable_walk(api, "/dimensions", "dimensions", query, limit=PAGE_SIZE)
    check_walk(walk, mine, "The dimension list")
    assert walk.count == HOW_MANY, f"exactly {HOW_MANY} dimensions have this ERP type, 'count' says {walk.count}"
    assert sorted(walk.ids) == sorted(mine), f"the pages show {sorted(walk.ids)}, created {sorted(mine)}"
    with allure.step("Walk it again and compare the order"):
        again = stable_walk(api, "/dimensions", "dimensions", query, limit=PAGE_SIZE)
    assert again.ids == walk.ids, f"two walks of an unchanged list gave different orders:\n{walk.ids}\n{again.ids}"
