"""Evidence for a validation run: the single-file Allure report, its readiness summary, and the
facts, categories and catalogue they are built from.

    catalog       criteria, API areas, documented operations, documentation pages
    categories    why a test did not pass (Sandbox unreachable, Rate limited, Contract violation, …)
    environment   what the run was: target, versions, CI build (environment.xml, executor.json)
    exchanges     the HTTP exchanges the report shows, read back for the summary
    plan          the validation plan (planned operations)
    verdicts      one verdict per criterion
    summary       the readiness summary (summary.md, summary.json, top of the report, console)
    allure        building the single-file report (offline, no analytics, summary on top)
"""

from ottimate_validation.report.allure import (
    AllureNotInstalledError,
    ReportError,
    find_allure,
    generate_report,
    inject_summary,
    offline_violations,
    strip_analytics,
)
from ottimate_validation.report.categories import CATEGORIES, categorize
from ottimate_validation.report.plan import ValidationPlan, default_plan
from ottimate_validation.report.summary import ReadinessSummary, build_summary, write_summary
from ottimate_validation.report.verdicts import (
    CRITERIA,
    CriterionVerdict,
    Verdict,
    compute_verdicts,
    format_verdicts,
    load_outcomes,
)

__all__ = [
    "CATEGORIES",
    "CRITERIA",
    "AllureNotInstalledError",
    "CriterionVerdict",
    "ReadinessSummary",
    "ReportError",
    "ValidationPlan",
    "Verdict",
    "build_summary",
    "categorize",
    "compute_verdicts",
    "default_plan",
    "find_allure",
    "format_verdicts",
    "generate_report",
    "inject_summary",
    "load_outcomes",
    "offline_violations",
    "strip_analytics",
    "write_summary",
]
