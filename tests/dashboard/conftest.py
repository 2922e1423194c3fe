"""One embedded sandbox per test module, with something on every dashboard page (`world.build`)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ottimate_validation.sandbox import EmbeddedSandbox

from .world import World, api_client, build, dashboard_client


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox(seed=17) as sb:
        yield sb


@pytest.fixture(scope="module")
def world(sandbox: EmbeddedSandbox) -> World:
    return build(sandbox)


@pytest.fixture
def api(sandbox: EmbeddedSandbox) -> Iterator[httpx.Client]:
    with api_client(sandbox) as client:
        yield client


@pytest.fixture
def dash(sandbox: EmbeddedSandbox) -> Iterator[httpx.Client]:
    """A dashboard session signed in as the account-level API user."""
    with dashboard_client(sandbox) as client:
        yield client
