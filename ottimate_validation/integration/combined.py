"""A validation run and an integration run in one report, the two kinds of evidence kept apart.

``ottimate-validate merge`` builds it when one of the folders it merges is an integration run's: the
integration's summary (read back from its ``summary.json``) and the validation run's readiness
summary stay whole, each under its own name with its own verdicts, and the whole is Ready only when
both are. Nothing of one is judged with the other's rules: the integration's exchanges stay in its
own folder, outside the merged run's ledger, so they are not counted as the suites' requests.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ottimate_validation.report.criteria import VALIDATION_SECTION
from ottimate_validation.report.summary import SUMMARY_JSON, ReadinessSummary
from ottimate_validation.report.verdicts import CriterionVerdict, Verdict

from .summary import SECTION as INTEGRATION
from .summary import IntegrationSummary

VALIDATION = VALIDATION_SECTION
SCHEMA_VERSION = 1


class NotAnIntegrationSummary(Exception):
    """The folder's ``summary.json`` cannot be read as an integration run's; one sentence."""


def read_integration_summary(folder: Path) -> IntegrationSummary:
    path = folder / SUMMARY_JSON
    try:
        return IntegrationSummary.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise NotAnIntegrationSummary(f"{path} cannot be read ({exc.strerror or exc}).") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise NotAnIntegrationSummary(
            f"{path} is not the summary of an integration run this version writes ({type(exc).__name__}: {exc})."
        ) from None


@dataclass(frozen=True)
class Combined:
    """The run's end reads it as one summary (``run.finish.Summary``)."""

    integration: IntegrationSummary
    validation: ReadinessSummary

    @property
    def parts(self) -> list[tuple[str, IntegrationSummary | ReadinessSummary]]:
        return [(INTEGRATION, self.integration), (VALIDATION, self.validation)]

    @property
    def ready(self) -> bool:
        return self.integration.ready and self.validation.ready

    @property
    def verdicts(self) -> Sequence[CriterionVerdict]:
        """Both parts' verdicts: a criterion Not ready in either fails the run."""
        return [*self.integration.verdicts, *self.validation.verdicts]

    @property
    def headline(self) -> str:
        if self.ready:
            return f"Ready: {INTEGRATION.lower()} and {VALIDATION.lower()}, both evidenced on Ottimate's sandbox"
        not_ready = [name for name, part in self.parts if any(v.verdict is Verdict.NOT_READY for v in part.verdicts)]
        if not_ready:
            return f"Not ready: {' and '.join(n.lower() for n in not_ready)} (each part's verdicts below)"
        rehearsed = [name for name, part in self.parts if not part.evidence]
        if rehearsed:
            return (
                f"Not evidence for Ottimate: {' and '.join(n.lower() for n in rehearsed)} ran on the embedded "
                "sandbox (each part's verdicts below)"
            )
        missing = [name for name, part in self.parts if not part.ready]
        return f"Not evidenced: {' and '.join(n.lower() for n in missing)} (each part's verdicts below)"

    def verdict_lines(self) -> list[str]:
        lines: list[str] = []
        for name, part in self.parts:
            lines.append(f"{name}: {_without(part.headline, INTEGRATION)}")
            lines += [f"  {line}" for line in part.verdict_lines()]
        return lines

    def console_lines(self) -> list[str]:
        return [*self.integration.console_lines(), "", *self.validation.console_lines()]

    def to_markdown(self) -> str:
        return "\n".join(
            [
                f"# {self.validation.title}: combined evidence",
                "",
                f"**{self.headline}**",
                "",
                self.integration.to_markdown(),
                self._validation.to_markdown(),
            ]
        )

    @property
    def _validation(self) -> ReadinessSummary:
        return replace(self.validation, title=VALIDATION)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "combined",
            "headline": self.headline,
            "ready": self.ready,
            "integration": self.integration.to_dict(),
            "validation": self.validation.to_dict(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_html(self) -> str:
        e = html.escape
        state = "ready" if self.ready else "not-ready"
        head = (
            f"<section id='ottimate-combined' aria-label='Combined evidence' style='all:initial;display:block;"
            "box-sizing:border-box;max-width:1060px;margin:16px auto 0;padding:12px 24px;background:#fff;"
            "color:#1f2328;border:1px solid #d0d7de;border-radius:8px;font:15px/1.45 -apple-system,"
            f"BlinkMacSystemFont,\"Segoe UI\",Helvetica,Arial,sans-serif' data-state='{state}'>"
            f"<strong>{e(self.headline)}</strong><br><span style='color:#59636e;font-size:13px'>Two kinds of "
            f"evidence, kept apart: “{e(INTEGRATION)}” (your code, judged by its traffic) and “{e(VALIDATION)}” "
            "(the API and your credentials, checked by the suites).</span></section>"
        )
        return head + self.integration.to_html() + self._validation.to_html()


def _without(headline: str, prefix: str) -> str:
    """The integration's headline names its part already (``Your integration: …``)."""
    return headline[len(prefix) + 2 :] if headline.startswith(f"{prefix}: ") else headline
