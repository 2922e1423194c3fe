"""A ledger line: every record type is written as one JSON line and read back unchanged."""

from __future__ import annotations

from types import MappingProxyType

import httpx
import orjson
import pytest

from ottimate_validation.run.ledger import (
    BudgetSkip,
    Check,
    Collected,
    Exchange,
    Finding,
    Leftovers,
    Record,
    Wait,
    from_line,
    to_line,
)

RECORDS: list[Record] = [
    Exchange(
        at=1.5,
        method="GET",
        path="/v1/vendors",
        status=200,
        operation="GET /vendors",
        request_headers={"X-Api-Key": "fp:1a2b"},
        secrets_in_url=["fp:1a2b"],
        response_body={"items": [{"name": "Test Vendor - Électronique"}]},
        facts={"count": 3, "items": 3},
        shape={"items": [{"name": "str"}]},
        response_header_names=["content-type"],
    ),
    Wait(at=2.0, what="extraction of invoice 7", kind="extraction", seconds=1.0, polls=3, done=None),
    BudgetSkip(at=3.0, test="suites/core/test_x.py::test_y", limit=10),
    Leftovers(at=4.0, remaining={"vendors": 2}, created=5, note="clean-up ran"),
    Check(at=5.0, test="t::a", title="A vendor is created", status="failed", failed_operation="POST /vendors"),
    Finding(
        at=6.0,
        rule="auth.token-reused",
        title="One token for the pass",
        criterion="Authentication",
        lane="clean",
        holds=False,
        finding="3 tokens",
        exchanges=["integration-1"],
        details={"tokens": 3},
    ),
    Collected(at=7.0, tests=12, deselected=1),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.type)
def test_a_record_is_one_line_with_its_type_first_and_reads_back_the_same(record: Record) -> None:
    line = to_line(record)

    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert next(iter(orjson.loads(line))) == "type"
    back = from_line(line)
    assert back is not None and back.type == record.type
    assert orjson.loads(to_line(back)) == orjson.loads(line)


def test_other_mappings_and_sets_are_written_as_their_values_not_their_repr() -> None:
    record = Exchange(
        at=1.0,
        method="GET",
        path="/",
        request_headers=httpx.Headers({"Accept": "application/json"}),
        facts=MappingProxyType({"codes": {"b", "a"}}),
    )

    data = orjson.loads(to_line(record))

    assert data["request_headers"] == {"accept": "application/json"}
    assert data["facts"] == {"codes": ["a", "b"]}


def test_a_torn_or_foreign_line_is_no_record() -> None:
    assert from_line(b'{"type":"exchange","at":1.0,"meth') is None
    assert from_line(b'{"type":"nothing-we-write","at":1.0}') is None
    assert from_line(b"[1, 2]") is None
