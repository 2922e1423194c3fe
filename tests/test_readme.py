"""The documentation's generated tables match the code they describe, and the README's first commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from ottimate_validation.sandbox.docs import render

ROOT = Path(__file__).resolve().parents[1]


def test_the_generated_tables_are_up_to_date() -> None:
    page = (ROOT / "docs" / "sandbox.md").read_text(encoding="utf-8")
    assert render(page) == page, "run scripts/update-docs and commit the result"


def test_the_readme_is_a_quickstart_and_every_page_it_names_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150, "the README is the partner's first page; details go to docs/"
    for page in re.findall(r"`(docs/[\w.-]+\.md)`", readme):
        assert (ROOT / page).is_file(), page


def test_the_two_first_commands_are_the_scripts_ci_and_people_use() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```(?:bash|sh)?\n(.*?)```", readme, re.DOTALL)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()]
    assert commands[:2] == ["./scripts/validate", "./scripts/test"]
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
