"""Root conftest: the fixtures live in plugin modules under ``fixtures/``."""

import pytest

pytest.register_assert_rewrite("fixtures.batches", "fixtures.checks", "fixtures.paging")

# In dependency order: a plugin imported by another before its own turn could not be rewritten.
pytest_plugins = [
    "fixtures.options",
    "fixtures.evidence",
    "fixtures.plan",
    "fixtures.target",
    "fixtures.budget",
    "fixtures.clients",
    "fixtures.data",
    "fixtures.resources",
    "fixtures.erp",
    "fixtures.polling",
    "fixtures.invoices",
    "fixtures.uploads",
    "fixtures.procurement",
    "fixtures.catalog",
    "fixtures.cleanup",
]
