"""Build the single-file Allure 3 report of a run.

The Allure 3 command line is an npm package pinned in ``package.json`` and installed by ``npm ci``
into ``node_modules/``. Its "awesome" report plugin with ``singleFile: true`` inlines the app, the
styles and every result into one ``index.html`` that opens from disk with no server.

Analytics: the awesome plugin of Allure 3 (3.18.0) always renders a Google Analytics tag
(``googletagmanager.com/gtag/js``) into the page; there is no config option for it, and the
``ALLURE_NO_ANALYTICS=true`` variable is honoured only by the allure2 plugin (upstream
allure-framework/allure3#476). We set the variable anyway, so a release that honours it drops the
tag at the source, and we strip the tag from the HTML afterwards, then refuse to publish a report
that still references an external script.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ottimate_validation.report.categories import allure_categories

DEFAULT_TITLE = "Ottimate integration validation"
REPORT_FILE_NAME = "report.html"
DEFAULT_TIMEOUT_SECONDS = 600.0
# Runs kept in the history file. Each costs about 0.1 s of every later report build (a run's entry is
# ~0.4 MB; with 28 kept a report took 5.4 s instead of 2.6 s); 20 is the trend Allure 2 kept.
DEFAULT_HISTORY_LIMIT = 20
_STDERR_TAIL_CHARS = 2000


class ReportError(RuntimeError):
    """The report could not be built; the message says why in one or two sentences."""


class AllureNotInstalledError(ReportError):
    """The pinned Allure command line is not installed under the project's node_modules."""


def repo_root() -> Path:
    """The project folder: the one holding the ``ottimate_validation`` package."""
    return Path(__file__).resolve().parents[2]


def find_allure(root: Path | None = None) -> Path:
    """The project's own Allure 3 binary, ``<root>/node_modules/.bin/allure``."""
    base = root if root is not None else repo_root()
    bin_dir = base / "node_modules" / ".bin"
    # npm writes allure.cmd beside the POSIX shim on Windows; the shim itself is not runnable there.
    candidates = [bin_dir / "allure.cmd", bin_dir / "allure"] if os.name == "nt" else [bin_dir / "allure"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise AllureNotInstalledError(
        f"The Allure command line is not installed ({bin_dir / 'allure'} is missing): "
        f"run `npm ci` in {base} to install it."
    )


# --- analytics stripping -------------------------------------------------------------------------

# Markers of an analytics tag. None of them can appear by chance inside the base64 payloads the
# report inlines: "(", "." and "-" are not in the base64 alphabet, and the host names are too long.
# A page is about 10 MB; one case-insensitive regex over it takes seconds, so each marker is found by
# its literal start (str.find on the lowered text, fast C) and only confirmed by a regex there.
_ANALYTICS_HOST_WORDS = ("googletagmanager", "google-analytics", "analytics.google.com", "doubleclick.net")
_ANALYTICS_CALLS = {"gtag": re.compile(r"gtag\s*\("), "datalayer": re.compile(r"datalayer\s*\.\s*push\s*\(")}


def _analytics_markers(text: str) -> list[tuple[int, int]]:
    """Spans of analytics markers in ``text``: tag-manager hosts, ``gtag(``, ``dataLayer.push(``."""
    lowered = text.lower()
    spans: list[tuple[int, int]] = []
    for word in (*_ANALYTICS_HOST_WORDS, *_ANALYTICS_CALLS):
        call = _ANALYTICS_CALLS.get(word)
        at = lowered.find(word)
        while at != -1:
            if call is None:
                spans.append((at, at + len(word)))
            elif not (at and (lowered[at - 1].isalnum() or lowered[at - 1] == "_")):
                match = call.match(lowered, at)
                if match:
                    spans.append(match.span())
            at = lowered.find(word, at + 1)
    return sorted(spans)


_SCRIPT_BLOCK = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>\s*", re.IGNORECASE | re.DOTALL)
_EXTERNAL_SRC = re.compile(r"""\bsrc\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
_ANALYTICS_HOSTS = r"(?:googletagmanager\.com|google-analytics\.com|analytics\.google\.com|doubleclick\.net)"
_ANALYTICS_TAG = re.compile(
    rf"<noscript\b[^>]*>(?:(?!</noscript).)*?{_ANALYTICS_HOSTS}.*?</noscript\s*>\s*"
    rf"|<(?:link|img|iframe)\b[^>]*{_ANALYTICS_HOSTS}[^>]*>(?:\s*</iframe\s*>)?\s*",
    re.IGNORECASE | re.DOTALL,
)


def strip_analytics(html: str) -> str:
    """Remove every external script and every analytics tag from a report page.

    The report must work offline, so an external script is never needed; inline scripts are kept
    unless they drive an analytics tag (``gtag(...)``, ``dataLayer.push(...)``).
    """

    def keep_or_drop(match: re.Match[str]) -> str:
        attributes, body = match.group(1), match.group(2)
        if _EXTERNAL_SRC.search(attributes) or _analytics_markers(attributes):
            return ""
        if _analytics_markers(body):
            return ""
        return match.group(0)

    html = _SCRIPT_BLOCK.sub(keep_or_drop, html)
    return _ANALYTICS_TAG.sub("", html)


def offline_violations(html: str) -> list[str]:
    """What in a report page would reach the network or drive an analytics tag (empty = clean).

    Only patterns that cannot occur by chance in the inlined base64 payloads are checked, so a clean
    report is never refused by accident.
    """
    found: list[str] = []
    for match in _SCRIPT_BLOCK.finditer(html):
        if _EXTERNAL_SRC.search(match.group(1)):
            found.append(f"external script: {match.group(1).strip()[:120]}")
    for begin, end in _analytics_markers(html):
        found.append(f"analytics reference: {html[max(begin - 40, 0) : end + 40]!r}")
    return found


_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def inject_summary(html: str, fragment: str) -> str:
    """Put ``fragment`` at the top of the page body, above the Allure app."""
    match = _BODY_OPEN.search(html)
    if match is None:
        raise ReportError("The Allure page has no <body>; the readiness summary cannot be placed in it.")
    return f"{html[: match.end()]}\n{fragment}\n{html[match.end() :]}"


# --- compression ---------------------------------------------------------------------------------
#
# Allure's single file inlines its app (2.7 MB of JavaScript) and every data file, base64-encoded:
# about 7 MB for a full run, more with history; too much to mail. Both compress 3 to 9 times with
# gzip, so the page carries them gzipped, and a small inline script unpacks them with the browser's
# own DecompressionStream before it starts the app. The app finds its data exactly where Allure's
# own loader would have put it (``window.allureReportData``), so nothing else changes. If a future
# Allure lays the page out differently, the page is left as Allure wrote it.

_APP_SCRIPT = re.compile(r'<script\s+src="data:text/javascript;base64,(?P<app>[A-Za-z0-9+/=]+)"\s*></script>')
_DATA_SCRIPT = re.compile(
    r"<script defer>\s*Promise\.allSettled\(\[(?P<calls>.*?)\]\)\s*\.then\(function\(\)\s*\{\s*"
    r"window\.allureReportDataReady\s*=\s*true;?\s*\}\)\s*</script>",
    re.DOTALL,
)
_DATA_CALL = re.compile(r'd\("(?P<name>[^"\\]+)","(?P<data>[A-Za-z0-9+/=]*)"\)')

_UNPACK = """<script>
(function () {
  var loader = document.getElementById("allure-app-loader");
  function fail(message) { if (loader) { loader.textContent = message; } }
  if (typeof DecompressionStream === "undefined") {
    fail("This report needs a current web browser (Chrome or Edge 80+, Firefox 113+, Safari 16.4+).");
    return;
  }
  function bytesOf(text) {
    var raw = atob(text), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function inflate(text) {
    var stream = new Blob([bytesOf(text)]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).arrayBuffer();
  }
  function base64Of(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i += 32768) {
      text += String.fromCharCode.apply(null, bytes.subarray(i, i + 32768));
    }
    return btoa(text);
  }
  Promise.all([inflate("__DATA__"), inflate("__APP__")]).then(function (parts) {
    var data = new Uint8Array(parts[0]), cut = data.indexOf(10), at = cut + 1;
    var index = JSON.parse(new TextDecoder().decode(data.subarray(0, cut)));
    var store = window.allureReportData = window.allureReportData || {};
    index.forEach(function (entry) {
      store[entry[0]] = base64Of(data.subarray(at, at + entry[1]));
      at += entry[1];
    });
    window.allureReportDataReady = true;
    var app = document.createElement("script");
    app.textContent = new TextDecoder().decode(parts[1]);
    document.body.appendChild(app);
  }).catch(function (error) { fail("The report could not be unpacked: " + error); });
})();
</script>"""


def _gzip_b64(data: bytes) -> str:
    # mtime=0: the same content always gives the same bytes. Level 6, not 9: measured on a full run's
    # report, 0.29 s instead of 0.47 s for a page 2 % larger.
    return base64.b64encode(gzip.compress(data, compresslevel=6, mtime=0)).decode("ascii")


def compress_single_file(html: str) -> str:
    """The page with Allure's app and data gzipped (see above), or unchanged when its layout is not
    the one this was written for."""
    apps = list(_APP_SCRIPT.finditer(html))
    datas = list(_DATA_SCRIPT.finditer(html))
    if len(apps) != 1 or len(datas) != 1 or apps[0].start() > datas[0].start():
        return html
    calls = datas[0].group("calls")
    found = list(_DATA_CALL.finditer(calls))
    if ",".join(m.group(0) for m in found) != calls.strip():
        return html  # something other than plain d("name","data") calls: leave the page alone
    index: list[tuple[str, int]] = []
    blobs: list[bytes] = []
    try:
        app = base64.b64decode(apps[0].group("app"), validate=True)
        for match in found:
            blob = base64.b64decode(match.group("data"), validate=True)
            index.append((match.group("name"), len(blob)))
            blobs.append(blob)
    except ValueError:
        return html
    bundle = json.dumps(index, ensure_ascii=True).encode("ascii") + b"\n" + b"".join(blobs)
    loader = _UNPACK.replace("__DATA__", _gzip_b64(bundle)).replace("__APP__", _gzip_b64(app))
    data_start, data_end = datas[0].span()
    app_start, app_end = apps[0].span()
    return html[:app_start] + html[app_end:data_start] + loader + html[data_end:]


# --- generation ----------------------------------------------------------------------------------


def _allure_config(
    title: str,
    *,
    history_path: Path | None = None,
    history_limit: int = DEFAULT_HISTORY_LIMIT,
    variables: Mapping[str, str] | None = None,
) -> dict[str, object]:
    config: dict[str, object] = {
        "name": title,
        "categories": allure_categories(),
        "plugins": {
            "awesome": {
                "options": {
                    "singleFile": True,
                    "reportName": title,
                    "reportLanguage": "en",
                    "theme": "light",
                    # The navigation a partner manager expects: criterion, then API area.
                    "groupBy": ["epic", "feature"],
                },
            },
            # The CLI adds its "agent" plugin (machine-readable output for coding agents) unless the
            # config names it; it adds nothing to the HTML, so it stays off.
            "agent": {"enabled": False},
        },
    }
    if variables:
        config["variables"] = dict(variables)
    if history_path is not None:
        # One JSON line per run: trends and flaky-test detection across runs.
        config["historyPath"] = str(history_path)
        config["historyLimit"] = history_limit
        config["appendHistory"] = True
    return config


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _tail(text: str) -> str:
    cleaned = _ANSI.sub("", text).strip()
    return cleaned[-_STDERR_TAIL_CHARS:] if cleaned else "(no output)"


def generate_report(
    results_dir: Path,
    output_dir: Path,
    *,
    title: str = DEFAULT_TITLE,
    allure: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    history_path: Path | None = None,
    variables: Mapping[str, str] | None = None,
    summary_html: str | None = None,
    compress: bool = True,
) -> Path:
    """Build ``<output_dir>/report.html``, one self-contained offline page, and return its path.

    The CLI writes into a scratch folder inside ``output_dir`` (it owns its output folder, and
    ``output_dir`` usually holds the results too); only the finished, analytics-free page is moved
    into place, atomically, so a reader never sees a half-written report.

    ``history_path``: the JSON-lines history file shared by consecutive runs (read, then appended
    to). ``variables``: key facts shown in the report's header. ``summary_html``: a block shown
    above the Allure app (the readiness summary). ``compress``: gzip the app and data inside the
    page (about four times smaller; the browser unpacks them).
    """
    results_dir = Path(results_dir).resolve()
    output_dir = Path(output_dir).resolve()
    if not results_dir.is_dir():
        raise ReportError(f"There is no allure-results folder at {results_dir}.")
    binary = allure if allure is not None else find_allure()
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".allure-build-", dir=output_dir))
    except OSError as exc:
        raise ReportError(f"Cannot write the report into {output_dir}: {exc.strerror or exc}.") from exc
    try:
        config = scratch / "allurerc.json"
        if history_path is not None:
            history_path.parent.mkdir(parents=True, exist_ok=True)
        allurerc = _allure_config(title, history_path=history_path, variables=variables)
        config.write_text(json.dumps(allurerc, indent=2), encoding="utf-8")
        built = scratch / "report"
        env = dict(os.environ)
        env.update({"ALLURE_NO_ANALYTICS": "true", "NO_COLOR": "1", "FORCE_COLOR": "0"})
        command = [
            str(binary),
            "generate",
            "--config",
            str(config),
            "--output",
            str(built),
            "--cwd",
            str(scratch),
            str(results_dir),
        ]
        try:
            completed = subprocess.run(
                command,
                cwd=scratch,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                check=False,
                shell=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ReportError(f"Allure did not finish the report within {timeout:g} s.") from exc
        except OSError as exc:
            raise ReportError(f"Cannot run {binary}: {exc.strerror or exc}.") from exc
        index = built / "index.html"
        if completed.returncode != 0 or not index.is_file():
            raise ReportError(
                f"Allure failed to build the report (exit code {completed.returncode}):\n"
                f"{_tail(completed.stderr or completed.stdout)}"
            )
        html = strip_analytics(index.read_text(encoding="utf-8"))
        if summary_html:
            html = inject_summary(html, summary_html)
        if compress:
            html = compress_single_file(html)
        problems = offline_violations(html)
        if problems:
            raise ReportError(
                "The report still references external content after clean-up, so it was not "
                "published: " + "; ".join(problems[:3])
            )
        staged = scratch / REPORT_FILE_NAME
        staged.write_text(html, encoding="utf-8")
        target = output_dir / REPORT_FILE_NAME
        os.replace(staged, target)
        return target
    except OSError as exc:
        raise ReportError(f"Cannot write the report into {output_dir}: {exc.strerror or exc}.") from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
