"""README tables generated from the sandbox's own data, so the documentation cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

from .contract import CONFLICTS_RESOLVED, DECISIONS
from .faults import FAULTS
from .variations import VARIATIONS


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def decisions_table() -> str:
    rows = ["| Topic | Contract | What the embedded sandbox does |", "| --- | --- | --- |"]
    rows += [f"| {_cell(d.topic)} | {_cell(d.contract)} | {_cell(d.chosen)} |" for d in DECISIONS]
    return "\n".join(rows)


def conflicts_table() -> str:
    rows = ["| CONTRACT §19 | Resolved as |", "| --- | --- |"]
    rows += [f"| {_cell(topic)} | {_cell(stance)} |" for topic, stance in CONFLICTS_RESOLVED]
    return "\n".join(rows)


def faults_table() -> str:
    rows = ["| Fault switch | What goes wrong | Suite that catches it |", "| --- | --- | --- |"]
    rows += [f"| `{f.name}` | {_cell(f.description)} | `suites/{f.caught_by}` |" for f in FAULTS]
    return "\n".join(rows)


def variations_table() -> str:
    rows = ["| Variation | How the sandbox differs (and the suites must still pass) |", "| --- | --- |"]
    rows += [f"| `{v.name}` | {_cell(v.description)} |" for v in VARIATIONS]
    return "\n".join(rows)


SECTIONS = {
    "decisions": decisions_table,
    "conflicts": conflicts_table,
    "faults": faults_table,
    "variations": variations_table,
}


def render(readme: str) -> str:
    """`readme` with every `<!-- BEGIN name -->…<!-- END name -->` block regenerated."""
    for name, make in SECTIONS.items():
        match = re.search(rf"<!-- BEGIN {name} -->\n.*?(?=<!-- END {name} -->)", readme, re.DOTALL)
        if match is None:
            raise ValueError(f"README has no <!-- BEGIN {name} --> block")
        block = f"<!-- BEGIN {name} -->\n{make()}\n"
        readme = readme[: match.start()] + block + readme[match.end() :]
    return readme


def update(path: Path) -> bool:
    """Rewrite the README's generated blocks; True when something changed."""
    old = path.read_text(encoding="utf-8")
    new = render(old)
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old
