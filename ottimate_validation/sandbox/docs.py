"""The tables of docs/sandbox.md, generated from the sandbox's own data, so the documentation cannot drift from
the code."""

from __future__ import annotations

import re
from pathlib import Path

from .contract import CONFLICTS_RESOLVED, DECISIONS
from .faults import FAULTS
from .invoices.lifecycle import TRANSITIONS
from .readings import READINGS
from .variations import VARIATIONS


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def decisions_table() -> str:
    rows = ["| Decision | Contract | What the embedded sandbox does |", "| --- | --- | --- |"]
    rows += [f"| `{d.id}` | {_cell(d.contract)} | {_cell(d.chosen)} |" for d in DECISIONS]
    return "\n".join(rows)


def choices_table() -> str:
    """Every configurable decision: ours and the other choices an overrides file can name."""
    rows = [
        "| Decision | Choice | What the embedded sandbox then does | Drift sees it |",
        "| --- | --- | --- | --- |",
    ]
    for d in DECISIONS:
        if not d.configurable:
            continue
        rows.append(f"| `{d.id}` | `{d.default}` (ours) | as above | – |")
        for c in d.choices:
            seen = "yes" if d.touches and c.visible else "no"
            rows.append(f"| `{d.id}` | `{c.name}` | {_cell(c.does)} | {seen} |")
    return "\n".join(rows)


def readings_table() -> str:
    rows = ["| Reading | What it is | Choices |", "| --- | --- | --- |"]
    for r in READINGS:
        choices = ", ".join(f"`{name}` = `{choice}`" for name, choice in r.overrides.items())
        rows.append(f"| `{r.name}` | {_cell(r.description)} | {choices} |")
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


# What each lifecycle action is, for a reader of the README (the keys of TRANSITIONS).
_ACTIONS = {
    "edit": "`PATCH /invoices/{id}` or `/images` (data changes)",
    "submit": "an edit that makes a held invoice complete and consistent",
    "flag": "`POST /invoices/{id}/flag`",
    "change_approvers": "add or remove an approver",
    "approve": "`POST /invoices/{id}/approve` (approvers still pending)",
    "complete_approval": "`POST /invoices/{id}/approve` (the last pending approver)",
    "force_approve": "`POST /invoices/{id}/force-approve`",
    "release": "automatic, in the same step as the approval",
    "mark_exported": "`POST /invoices/mark-exported`",
    "mark_unexported": "`POST /invoices/mark-unexported`",
    "unexport_and_flag": "`POST /invoices/mark-unexported` with `flag_invoice`",
}


def lifecycle_table() -> str:
    rows = ["| Action | From status | To status |", "| --- | --- | --- |"]
    for action, row in TRANSITIONS.items():
        name = _ACTIONS.get(action, f"`{action}`")
        moves = sorted(set(row.values()))
        if all(src == to for src, to in row.items()):
            rows.append(f"| {_cell(name)} | {', '.join(f'`{s}`' for s in row)} | (unchanged) |")
        elif len(moves) == 1:
            rows.append(f"| {_cell(name)} | {', '.join(f'`{s}`' for s in row)} | `{moves[0]}` |")
        else:
            rows += [f"| {_cell(name)} | `{src}` | `{to}` |" for src, to in row.items()]
    return "\n".join(rows)


SECTIONS = {
    "decisions": decisions_table,
    "choices": choices_table,
    "readings": readings_table,
    "conflicts": conflicts_table,
    "faults": faults_table,
    "variations": variations_table,
    "lifecycle": lifecycle_table,
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
