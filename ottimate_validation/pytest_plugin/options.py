"""The plugin's command-line options (one group) and the Hypothesis profiles.

Hypothesis profiles keep a run against a real sandbox inside its request budget (10,000 requests a
day per API key):

- ``dev``     about 15 examples per property; the default against the embedded sandbox
- ``ci``      about 10 examples, derandomized (the same examples every run)
- ``sandbox`` about 3 examples; the default against any target given by URL

``HYPOTHESIS_PROFILE`` chooses one explicitly.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from ottimate_validation.run.target import ALLOW_PRODUCTION_FLAG, API_URL_ENV, SANDBOX_DECISIONS_ENV

PROFILE_ENV = "HYPOTHESIS_PROFILE"
EXTRACTION_WAIT_ENV = "OTTIMATE_EXTRACTION_WAIT"
DEFAULT_EXTRACTION_WAIT_MINUTES = 15

# Examples cross HTTP, so no deadline; fixtures such as the session client are shared on purpose.
_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

settings.register_profile("dev", max_examples=15, deadline=None, suppress_health_check=_QUIET)
settings.register_profile(
    "ci", max_examples=10, derandomize=True, database=None, deadline=None, suppress_health_check=_QUIET
)
settings.register_profile("sandbox", max_examples=3, database=None, deadline=None, suppress_health_check=_QUIET)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "ottimate_suites",
        type="bool",
        default=False,
        help="This project runs the Ottimate validation suites: resolve the target before collection, keep a "
        "run ledger, label evidence. Without it (a partner's own test suite) the plugin only offers its "
        "fixtures (ottimate_sandbox).",
    )
    group = parser.getgroup("ottimate", "Ottimate integration validation")
    group.addoption(
        "--target-url",
        dest="target_url",
        default=None,
        metavar="URL",
        help="API base URL to validate, e.g. https://sandbox-api.ottimate.com/v1 "
        f"(overrides {API_URL_ENV}; without either an embedded sandbox is started).",
    )
    group.addoption(
        "--run-dir",
        dest="run_dir",
        default=None,
        metavar="DIR",
        help="The run folder (written by ottimate-validate, with its run.json): the run's id, target, plan "
        "and budget come from there and its ledger goes there. Without it the run is kept in a temporary folder.",
    )
    group.addoption(
        "--run-id",
        dest="run_id",
        default=None,
        metavar="ID",
        help="Label carried by every entity the run creates (default: the run folder's, else a random one).",
    )
    group.addoption(
        ALLOW_PRODUCTION_FLAG,
        action="store_true",
        dest="allow_production",
        default=False,
        help="Allow a production host, and run only the tests marked readonly (against any target).",
    )
    group.addoption(
        "--own-sandbox",
        action="store_true",
        dest="own_sandbox",
        default=False,
        help="The target given by URL is an embedded sandbox started for this run alone: its control plane "
        "(clock, faults, limits) may be used when the run has one process. Without it, a sandbox served by "
        "URL is treated as shared.",
    )
    group.addoption(
        "--plan",
        dest="plan",
        default=None,
        metavar="PATH",
        help="Validation plan file (overrides OTTIMATE_PLAN; default: validation.toml in the project root "
        "if present, else every operation). Only the tests of the planned operations run.",
    )
    group.addoption(
        "--record-shapes",
        action="store_true",
        dest="record_shapes",
        default=False,
        help="Record the shape of every answer (field names and types, never values) in the ledger, as a run "
        "against a real sandbox always does: the reference `ottimate-validate drift` compares with.",
    )
    group.addoption(
        "--known-deviations",
        dest="known_deviations",
        default=None,
        metavar="FILE",
        help="Differences Ottimate confirmed (default: OTTIMATE_KNOWN_DEVIATIONS, else known-deviations.toml in the "
        "project root); a matching failure is filed as a known deviation, not a new failure.",
    )
    group.addoption(
        "--sandbox-decisions",
        dest="sandbox_decisions",
        default=None,
        metavar="FILE",
        help="An overrides file for the embedded sandbox the run starts: other choices where the docs are silent, "
        f"as Ottimate's sandbox was seen to answer (overrides {SANDBOX_DECISIONS_ENV}; docs/sandbox.md).",
    )
    group.addoption(
        "--sandbox-reading",
        dest="sandbox_reading",
        default=None,
        metavar="NAME",
        help="A named reading for the embedded sandbox the run starts (`ottimate-sandbox readings`), under the "
        "overrides file's own choices.",
    )
    group.addoption(
        "--extraction-wait",
        dest="extraction_wait",
        default=None,
        metavar="MINUTES",
        help="How long to wait for an extraction before its checks read 'Not evidenced: extraction still pending' "
        f"(default {DEFAULT_EXTRACTION_WAIT_MINUTES}; the plan's extraction_wait_minutes, {EXTRACTION_WAIT_ENV}).",
    )
    group.addoption(
        "--request-budget",
        dest="request_budget",
        default=None,
        metavar="N",
        help="Send at most N requests to the API; when spent, the remaining tests are skipped and listed "
        "(overrides OTTIMATE_REQUEST_BUDGET).",
    )


def validating(config: pytest.Config) -> bool:
    """Whether this pytest run is a validation run (our suites), rather than a partner's own tests."""
    return bool(
        config.getini("ottimate_suites") or config.getoption("run_dir", None) or config.getoption("target_url", None)
    )


def informational(config: pytest.Config) -> bool:
    return bool(config.getoption("help", False) or config.getoption("version", False))


def target_url_option(config: pytest.Config) -> str | None:
    """The API URL asked for on the command line or in the environment, if any."""
    url: str | None = config.getoption("target_url", None) or os.environ.get(API_URL_ENV) or None
    return url.rstrip("/") if url else None


def sandbox_decisions_option(config: pytest.Config) -> tuple[str | None, str | None]:
    """The overrides file and the named reading asked for the embedded sandbox, if any."""
    path = config.getoption("sandbox_decisions", None) or os.environ.get(SANDBOX_DECISIONS_ENV, "").strip() or None
    return path, config.getoption("sandbox_reading", None) or None


def run_dir_option(config: pytest.Config) -> Path | None:
    value = config.getoption("run_dir", None)
    return Path(value).resolve() if value else None


def load_hypothesis_profile(config: pytest.Config, *, remote: bool) -> None:
    # Hypothesis' own --hypothesis-profile option, when given, wins.
    if config.getoption("hypothesis_profile", default=None):
        return
    name = os.environ.get(PROFILE_ENV) or ("sandbox" if remote else "dev")
    try:
        settings.load_profile(name)
    except Exception:  # an unknown profile name is a usage error, said in one sentence
        pytest.exit(f"Unknown Hypothesis profile {name!r} in {PROFILE_ENV}; use dev, ci or sandbox.", returncode=4)
