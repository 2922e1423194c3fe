"""Root conftest: the suites' domain fixtures live in plugin modules under ``fixtures/``.

The generic machinery (options, target, clients, evidence, plan selection, budget, polling) is the
installed pytest plugin ``ottimate_validation.pytest_plugin``.
"""

import pytest

pytest.register_assert_rewrite("fixtures.batches", "fixtures.checks", "fixtures.paging")

pytest_plugins = [
    "fixtures.data",
    "fixtures.resources",
    "fixtures.erp",
    "fixtures.invoices",
    "fixtures.uploads",
    "fixtures.procurement",
    "fixtures.catalog",
]
