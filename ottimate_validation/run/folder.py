"""Run folders: ``reports/<YYYYMMDD-HHMMSS>-<run id>/``, the ``latest`` link, the shared history, pruning.

Each run writes only into its own folder. ``reports/latest`` points at the newest (a relative link,
swapped in one step, so the folder can be archived whole and a reader never finds it missing), and
``reports/history.jsonl`` keeps the Allure history consecutive runs share. Old run folders are pruned
so ``reports/`` does not grow without bound: the newest ``keep`` stay.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from ottimate_validation.run import RUN_FILE, Run

LATEST_LINK = "latest"
HISTORY_FILE = "history.jsonl"
KEEP_RUNS = 20  # run folders kept by default; each holds a 2-3 MB report and its results
_RUN_FOLDER = re.compile(r"^\d{8}-\d{6}-[A-Za-z0-9]+$")


def history_file(run: Run) -> str:
    """The history a run's report shares with earlier runs against the same target: trends compare
    like with like, so a rehearsal never sits in the trend of real-sandbox runs."""
    target = run.target or {}
    if not run.target:
        return HISTORY_FILE.replace(".jsonl", "-embedded.jsonl")
    host = urlsplit(str(target.get("api_url") or "")).netloc or "unknown"
    key = re.sub(r"[^A-Za-z0-9.-]+", "-", f"{target.get('kind', 'other')}-{host}").strip("-")
    return HISTORY_FILE.replace(".jsonl", f"-{key}.jsonl")


class FolderError(Exception):
    """A run folder cannot be made; the message is one sentence."""


def new_run_folder(reports_dir: Path, run_id: str) -> Path:
    folder = reports_dir / f"{datetime.now():%Y%m%d-%H%M%S}-{run_id}"
    try:
        folder.mkdir(parents=True)
        probe = folder / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise FolderError(f"Cannot write to the reports folder {reports_dir} ({reason}).") from exc
    return folder


def point_latest(reports_dir: Path, folder: Path) -> str | None:
    """Point ``reports/latest`` at the run folder; a warning when that is impossible, else None."""
    link = reports_dir / LATEST_LINK
    temp = reports_dir / f".{LATEST_LINK}-{folder.name}"
    try:
        if temp.is_symlink() or temp.exists():
            temp.unlink()
        temp.symlink_to(folder.name, target_is_directory=True)
        os.replace(temp, link)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        return f"could not point {link} at this run ({exc.strerror or exc})"
    return None


def run_folders(reports_dir: Path) -> list[Path]:
    """The run folders under ``reports_dir``, oldest first (their names start with the time)."""
    if not reports_dir.is_dir():
        return []
    return sorted(p for p in reports_dir.iterdir() if p.is_dir() and not p.is_symlink() and _RUN_FOLDER.match(p.name))


def prune(reports_dir: Path, keep: int, *, spare: Path | None = None) -> list[Path]:
    """Delete all but the newest ``keep`` run folders (never ``spare``, the current run, and never a
    folder that is not a run's); answers what was deleted."""
    if keep < 1:
        return []
    folders = [p for p in run_folders(reports_dir) if (p / RUN_FILE).exists() or (p / "allure-results").is_dir()]
    doomed = [p for p in folders[:-keep] if spare is None or p.resolve() != spare.resolve()]
    removed: list[Path] = []
    for folder in doomed:
        with contextlib.suppress(OSError):
            shutil.rmtree(folder)
            removed.append(folder)
    return removed
