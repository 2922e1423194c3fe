"""What a run was: target, API version, plan, run id, git revision, tool versions, CI build.

Written into the allure-results folder as Allure's ``environment.xml`` and ``executor.json`` so the
report shows them, and shown by the readiness summary. No value here is ever a secret: URLs lose any
user-info part, and no credential is read.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from ottimate_validation.report.redact import without_userinfo

ENVIRONMENT_FILE = "environment.xml"
EXECUTOR_FILE = "executor.json"

# Display keys, in the order the report lists them.
TARGET = "Target"
API_URL = "API URL"
AUTH_URL = "Auth URL"
API_VERSION = "API version"
RUN_MODE = "Run mode"
PLAN = "Validation plan"
RUN_ID = "Run id"
GIT_REVISION = "Git revision"
CI = "CI build"


def git_revision(root: Path) -> str | None:
    """``<short sha> (<branch>)``, with ``+ uncommitted changes`` when the tree is dirty; None
    outside a git checkout or without git."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    sha = git("rev-parse", "--short=12", "HEAD")
    if not sha:
        return None
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    text = sha if not branch or branch == "HEAD" else f"{sha} ({branch})"
    return text + (" + uncommitted changes" if dirty else "")


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def allure_cli_version(root: Path) -> str | None:
    try:
        data = json.loads((root / "node_modules" / "allure" / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return str(version) if version else None


def tool_versions(root: Path) -> dict[str, str]:
    versions = {
        "ottimate-validation": _version("ottimate-validation"),
        "Python": platform.python_version(),
        "pytest": _version("pytest"),
        "allure-pytest": _version("allure-pytest"),
        "httpx": _version("httpx"),
        "Allure report": allure_cli_version(root),
        "OS": f"{platform.system()} {platform.release()}".strip(),
    }
    return {name: value for name, value in versions.items() if value}


@dataclass(frozen=True)
class CiBuild:
    provider: str
    build_name: str
    build_url: str | None = None
    build_number: int | None = None
    commit: str | None = None
    branch: str | None = None

    def describe(self) -> str:
        text = f"{self.provider}: {self.build_name}"
        return f"{text} ({self.build_url})" if self.build_url else text


def ci_build(env: Mapping[str, str] | None = None) -> CiBuild | None:
    """The CI build this run belongs to (GitHub Actions, GitLab CI, or any CI setting ``CI``)."""
    env = os.environ if env is None else env
    if env.get("GITHUB_ACTIONS") == "true":
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        repo, run_id = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_RUN_ID", "")
        attempt = env.get("GITHUB_RUN_ATTEMPT")
        url = f"{server}/{repo}/actions/runs/{run_id}" + (f"/attempts/{attempt}" if attempt else "")
        number = env.get("GITHUB_RUN_NUMBER", "")
        return CiBuild(
            provider="GitHub Actions",
            build_name=f"{env.get('GITHUB_WORKFLOW', 'workflow')} #{number}".strip(),
            build_url=url if repo and run_id else None,
            build_number=int(number) if number.isdigit() else None,
            commit=env.get("GITHUB_SHA") or None,
            branch=env.get("GITHUB_REF_NAME") or None,
        )
    if env.get("GITLAB_CI") == "true":
        number = env.get("CI_PIPELINE_IID", "")
        return CiBuild(
            provider="GitLab CI",
            build_name=f"{env.get('CI_PROJECT_PATH', 'pipeline')} #{number}",
            build_url=env.get("CI_JOB_URL") or env.get("CI_PIPELINE_URL") or None,
            build_number=int(number) if number.isdigit() else None,
            commit=env.get("CI_COMMIT_SHA") or None,
            branch=env.get("CI_COMMIT_REF_NAME") or None,
        )
    if env.get("CI", "").lower() in ("true", "1", "yes"):
        return CiBuild(provider="CI", build_name=env.get("BUILD_NUMBER") or env.get("BUILD_ID") or "build")
    return None


@dataclass(frozen=True)
class TargetFacts:
    """The target as the report shows it (never a credential)."""

    label: str
    api_url: str | None = None
    auth_url: str | None = None
    api_version: str | None = None


def run_facts(
    *,
    target: TargetFacts,
    run_id: str | None,
    plan_name: str,
    root: Path,
    ci: CiBuild | None,
    read_only: bool = False,
) -> dict[str, str]:
    """Every fact the report's environment section shows, in display order."""
    facts: dict[str, str] = {TARGET: target.label}
    facts[API_URL] = without_userinfo(target.api_url) if target.api_url else "a local URL per test worker (127.0.0.1)"
    if target.auth_url:
        facts[AUTH_URL] = without_userinfo(target.auth_url)
    facts[API_VERSION] = (
        f"{target.api_version} (sent as X-API-Version)" if target.api_version else "latest (no X-API-Version sent)"
    )
    facts[RUN_MODE] = "Read-only: only the tests marked readonly ran" if read_only else "Full: reads and writes"
    facts[PLAN] = plan_name
    facts[RUN_ID] = run_id or "not set"
    facts[GIT_REVISION] = git_revision(root) or "unknown (not a git checkout)"
    facts.update(tool_versions(root))
    facts[CI] = ci.describe() if ci else "none (local run)"
    return facts


def write_environment(results_dir: Path, facts: Mapping[str, str]) -> Path:
    """Allure's ``environment.xml`` (read by Allure 2 and 3)."""
    root = ET.Element("environment")
    for key, value in facts.items():
        parameter = ET.SubElement(root, "parameter")
        ET.SubElement(parameter, "key").text = key
        ET.SubElement(parameter, "value").text = value
    path = results_dir / ENVIRONMENT_FILE
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def read_environment(results_dir: Path) -> dict[str, str]:
    """The facts written by ``write_environment`` (empty when absent or unreadable)."""
    try:
        root = ET.parse(results_dir / ENVIRONMENT_FILE).getroot()
    except (OSError, ET.ParseError):
        return {}
    facts: dict[str, str] = {}
    for parameter in root.iter("parameter"):
        key, value = parameter.findtext("key"), parameter.findtext("value")
        if key:
            facts[key] = value or ""
    return facts


def executor_json(ci: CiBuild | None, *, run_id: str | None, report_name: str) -> dict[str, Any]:
    """Allure's ``executor.json``: who ran the validation (the CI build, or a local run)."""
    if ci is None:
        return {
            "name": "Local run",
            "type": "local",
            "buildName": f"Run {run_id or ''}".strip(),
            "reportName": report_name,
        }
    data: dict[str, Any] = {
        "name": ci.provider,
        "type": ci.provider.split()[0].lower(),
        "buildName": ci.build_name,
        "reportName": report_name,
    }
    if ci.build_url:
        data["buildUrl"] = ci.build_url
    if ci.build_number is not None:
        data["buildOrder"] = ci.build_number
    return data


def write_executor(results_dir: Path, data: Mapping[str, Any]) -> Path:
    path = results_dir / EXECUTOR_FILE
    path.write_text(json.dumps(dict(data), indent=2), encoding="utf-8")
    return path


def read_executor(results_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((results_dir / EXECUTOR_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
