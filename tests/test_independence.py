"""How the parts may depend on each other, checked on the source (imports, not behaviour).

- The suites and their fixtures reach a target over HTTP only; the sandbox never uses the client.
  Each side is its own reading of the contract, so a misreading fails a test instead of hiding in both.
  The one allowed crossing: the pytest plugin *starts* ``EmbeddedSandbox`` (its public entry).
- Import directions inside the package (docs/architecture.md): the sandbox imports nothing else of the
  project; the client nothing but itself; the report nothing but itself; the run the client and the
  report; the command line the run and the report (and the sandbox, which it serves and rehearses on);
  nothing imports the command line.
- No import cycle among the package's modules (imports at run time; ``TYPE_CHECKING`` ones aside).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ottimate_validation"
SANDBOX_ENTRY = {"ottimate_validation.sandbox", "ottimate_validation.sandbox.EmbeddedSandbox"}


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers of imports under ``if TYPE_CHECKING:`` (not run)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING":
            lines |= {child.lineno for stmt in node.body for child in ast.walk(stmt) if hasattr(child, "lineno")}
    return lines


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Absolute names of everything a module imports (at run time), relative imports resolved."""
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if getattr(node, "lineno", None) in skipped:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names |= {f"{module}.{alias.name}" for alias in node.names}
    return names


def _project(names: set[str]) -> set[str]:
    return {n for n in names if n.split(".")[0] in ("ottimate_validation", "fixtures", "suites")}


def _part(name: str) -> str:
    """``ottimate_validation.run.ledger.Exchange`` -> ``run``; ``fixtures.data`` -> ``fixtures``."""
    parts = name.split(".")
    if parts[0] != "ottimate_validation":
        return parts[0]
    return parts[1] if len(parts) > 1 else "ottimate_validation"


def _files(folder: Path) -> Iterator[Path]:
    yield from sorted(folder.rglob("*.py"))


def test_suites_and_fixtures_do_not_import_the_sandbox() -> None:
    offenders = []
    for folder in ("suites", "fixtures"):
        for path in _files(ROOT / folder):
            sandbox_imports = {n for n in _imports(path) if n.startswith("ottimate_validation.sandbox")}
            if sandbox_imports:
                offenders.append(f"{path.relative_to(ROOT)}: {sorted(sandbox_imports)}")
    assert not offenders, offenders


def test_only_the_plugin_starts_the_sandbox_and_only_through_its_entry() -> None:
    offenders = []
    for path in _files(PACKAGE / "pytest_plugin"):
        sandbox = {n for n in _imports(path) if n.startswith("ottimate_validation.sandbox")}
        if sandbox - SANDBOX_ENTRY:
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(sandbox - SANDBOX_ENTRY)}")
    assert not offenders, offenders


# Where an HTTP client may be built: the API client itself, and run/http.py for everything else a run sends.
HTTP_STACK_BUILDERS = {PACKAGE / "client" / "client.py", PACKAGE / "run" / "http.py"}


def test_one_place_assembles_an_http_stack() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _files(PACKAGE)
        if path not in HTTP_STACK_BUILDERS and re.search(r"\bhttpx\.(Client|AsyncClient)\(", path.read_text("utf-8"))
    ]
    assert not offenders, f"HTTP clients built outside run/http.py: {offenders}"


# What each part of the package may import of the project, besides itself.
ALLOWED: dict[str, set[str]] = {
    "sandbox": set(),
    "client": set(),
    "report": set(),
    "run": {"client", "report"},
    "pytest_plugin": {"run", "client", "report", "sandbox"},
    "integration": {"run", "client", "report", "sandbox"},
    "cli": {"run", "report", "client", "integration", "sandbox"},
}


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_what_it_builds_on(part: str) -> None:
    folder = PACKAGE / part
    if not folder.is_dir():
        pytest.skip(f"there is no {part}/ yet")
    offenders = []
    for path in _files(folder):
        for name in sorted(_project(_imports(path))):
            other = _part(name)
            if other != part and other not in ALLOWED[part]:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_nothing_imports_the_command_line() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}"
        for folder in (PACKAGE, ROOT / "fixtures", ROOT / "suites")
        for path in _files(folder)
        if not path.is_relative_to(PACKAGE / "cli")
        and any(_part(n) == "cli" for n in _project(_imports(path)) if n.startswith("ottimate_validation.cli"))
    ]
    assert not offenders, offenders


def test_the_package_has_no_import_cycle() -> None:
    modules = {_module_of(path): path for path in _files(PACKAGE)}
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets: set[str] = set()
        for name in _project(_imports(path, top_level_only=True)):
            while name and name not in modules:  # ``pkg.module.Name`` -> ``pkg.module``
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
