"""Evidence for a validation run: the single-file Allure report and one verdict per criterion."""

from ottimate_validation.reporting.allure import (
    AllureNotInstalledError,
    ReportError,
    find_allure,
    generate_report,
    offline_violations,
    strip_analytics,
)
from ottimate_validation.reporting.verdicts import (
    CRITERIA,
    CriterionVerdict,
    Verdict,
    compute_verdicts,
    format_verdicts,
    load_outcomes,
)

__all__ = [
    "CRITERIA",
    "AllureNotInstalledError",
    "CriterionVerdict",
    "ReportError",
    "Verdict",
    "compute_verdicts",
    "find_allure",
    "format_verdicts",
    "generate_report",
    "load_outcomes",
    "offline_violations",
    "strip_analytics",
]
