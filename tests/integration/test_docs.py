"""docs/integration.md holds the rules table the rules themselves generate, and names every example."""

from __future__ import annotations

from ottimate_validation.integration.docs import rules_table
from ottimate_validation.integration.rules import RULES

from .conftest import EXAMPLES, ROOT


def test_the_rules_table_is_generated_from_the_rules() -> None:
    page = (ROOT / "docs" / "integration.md").read_text(encoding="utf-8")
    assert rules_table() in page, "run scripts/update-docs and commit the result"
    for rule in RULES:
        assert f"`{rule.id}`" in page


def test_every_example_is_documented() -> None:
    page = (ROOT / "docs" / "integration.md").read_text(encoding="utf-8")
    for example in sorted(EXAMPLES.rglob("sync.*")):
        assert str(example.relative_to(ROOT)) in page, example
