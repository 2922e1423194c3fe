"""Suites and fixtures reach a target over HTTP only; the sandbox never uses the client.

Each side is its own reading of the contract, so a misreading fails a test instead of hiding in both
(docs/architecture.md). The one allowed crossing: fixtures/target.py starts `EmbeddedSandbox`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    """Absolute names of everything a module imports, relative imports resolved."""
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return names


def test_suites_and_fixtures_do_not_import_the_sandbox() -> None:
    offenders = []
    for folder in ("suites", "fixtures"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            sandbox_imports = {n for n in _imports(path) if n.startswith("ottimate_validation.sandbox")}
            allowed = {"ottimate_validation.sandbox", "ottimate_validation.sandbox.EmbeddedSandbox"}
            if path.relative_to(ROOT).as_posix() == "fixtures/target.py":
                sandbox_imports -= allowed
            if sandbox_imports:
                offenders.append(f"{path.relative_to(ROOT)}: {sorted(sandbox_imports)}")
    assert not offenders, offenders


def test_the_sandbox_does_not_import_the_client() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "ottimate_validation" / "sandbox").rglob("*.py"))
        if any(n.startswith(("ottimate_validation.client", "ottimate_validation.settings")) for n in _imports(path))
    ]
    assert not offenders, offenders
