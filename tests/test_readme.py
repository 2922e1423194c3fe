"""The README's generated tables match the code they describe, and its first commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from ottimate_validation.sandbox.docs import render

ROOT = Path(__file__).resolve().parents[1]


def test_the_generated_tables_are_up_to_date() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render(readme) == readme, "run scripts/update-readme and commit the result"


def test_the_two_first_commands_are_the_scripts_ci_and_people_use() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```(?:bash|sh)?\n(.*?)```", readme, re.DOTALL)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()]
    assert commands[:2] == ["./scripts/validate", "./scripts/test"]
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
