"""`ottimate-sandbox serve`: run the embedded sandbox on its own, for a separate validation run."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

from . import EmbeddedSandbox, OverridesError, SandboxConfig, UserSecrets
from .contract import DECISIONS
from .faults import FAULTS, FAULTS_BY_NAME
from .readings import READINGS
from .variations import VARIATIONS, VARIATIONS_BY_NAME

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ottimate-sandbox", description="The embedded Ottimate sandbox.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the sandbox API and auth server over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    serve.add_argument("--token-ttl", type=int, default=None, metavar="SECONDS", help="token lifetime (expires_in)")
    serve.add_argument("--seed", type=int, default=None, help="seed for ids, for reproducible runs")
    serve.add_argument(
        "--latency-ms",
        type=int,
        default=0,
        metavar="MS",
        help="added to every API and token call, like a network (150 is about a real sandbox's)",
    )
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        choices=sorted(FAULTS_BY_NAME),
        help="switch a fault on from the start (repeatable)",
    )
    serve.add_argument(
        "--variation",
        action="append",
        default=[],
        choices=sorted(VARIATIONS_BY_NAME),
        help="switch a variation (right but different behaviour) on from the start (repeatable)",
    )
    serve.add_argument(
        "--no-control-plane",
        dest="control_plane",
        action="store_false",
        help="serve without the /_sandbox control plane (404 there, as on the real sandbox), to rehearse a "
        "real-sandbox run locally: the suites then skip the sandbox-only tests and wait in real time",
    )
    serve.add_argument(
        "--no-dashboard",
        dest="dashboard",
        action="store_false",
        help="serve without the dashboard under /_dashboard/ (it is served only with the control plane anyway)",
    )
    serve.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --host (and other machines on the dashboard)"
    )
    serve.add_argument(
        "--decisions",
        default=None,
        metavar="FILE",
        help="an overrides file: other choices where the docs are silent, to answer as Ottimate's sandbox was "
        "seen to (docs/sandbox.md)",
    )
    serve.add_argument(
        "--reading",
        default=None,
        metavar="NAME",
        help="serve a named reading: a set of other plausible choices (`ottimate-sandbox readings` lists them)",
    )
    sub.add_parser("faults", help="list the fault switches")
    sub.add_parser("variations", help="list the variations (behaviour the suites must tolerate)")
    sub.add_parser("decisions", help="list what the sandbox decided where the contract is silent, and the choices")
    sub.add_parser("readings", help="list the named readings (sets of other plausible choices)")
    return parser


def _env_secrets() -> UserSecrets | None:
    names = ("OTTIMATE_API_KEY", "OTTIMATE_CLIENT_ID", "OTTIMATE_CLIENT_SECRET")
    values = [os.environ.get(n, "") for n in names]
    if all(values):
        return UserSecrets(api_key=values[0], client_id=values[1], client_secret=values[2])
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "faults":
        for fault in FAULTS:
            print(f"{fault.name:28} {fault.description} (caught by suites/{fault.caught_by})")
        return 0
    if args.command == "variations":
        for variation in VARIATIONS:
            print(f"{variation.name:28} {variation.description}")
        return 0
    if args.command == "decisions":
        for d in DECISIONS:
            print(f"- {d.id} ({d.contract}): {d.chosen}")
            for choice in d.choices:
                print(f"    {d.id} = {choice.name!r}: {choice.does}")
        return 0
    if args.command == "readings":
        for reading in READINGS:
            print(f"{reading.name}: {reading.description}")
            for name, chosen in reading.overrides.items():
                print(f"    {name} = {chosen!r}")
        return 0
    if args.host not in LOOPBACK and not args.allow_remote:
        print(
            f"ottimate-sandbox: refusing to listen on {args.host}; it is meant for loopback "
            "(pass --allow-remote to override).",
            file=sys.stderr,
        )
        return 2
    if not 0 <= args.latency_ms <= 60_000:
        print(f"ottimate-sandbox: --latency-ms must be 0-60000, got {args.latency_ms}.", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(f"ottimate-sandbox: --port must be 0-65535, got {args.port}.", file=sys.stderr)
        return 2
    try:
        sandbox = EmbeddedSandbox(
            args.host,
            args.port,
            token_ttl=args.token_ttl,
            seed=args.seed,
            account_secrets=_env_secrets(),
            config=SandboxConfig(latency_ms=args.latency_ms),
            variations=args.variation,
            control_plane=args.control_plane,
            dashboard=args.control_plane and args.dashboard,
            allow_remote=args.allow_remote,
            decisions=args.decisions,
            reading=args.reading,
        )
        sandbox.state.faults.set(args.fault)
        sandbox.start()
    except OverridesError as exc:
        print(f"ottimate-sandbox: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"ottimate-sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}.", file=sys.stderr)
        return 2
    _announce(sandbox)

    def _stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        signal.pause() if hasattr(signal, "pause") else input()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


def _announce(sandbox: EmbeddedSandbox) -> None:
    lines = [
        f"Embedded Ottimate sandbox listening on {sandbox.url}",
        "",
        "# Point a validation run at it (one set of variables serves both sides):",
    ]
    for name, value in sandbox.target_variables().items():
        if name == "OTTIMATE_SCOPED_CLIENT_ID":
            lines.append("# A narrower, company-scoped API user (for the access-scoping checks):")
        lines.append(f"export {name}={value}")
    location = sandbox.users["location"]
    lines += [
        f"# Location-scoped API user: client id {location.client_id}, secret {location.client_secret}",
        f"# Control plane (this sandbox only): {sandbox.url}/_sandbox/health"
        if sandbox.app.control_plane
        else "# No control plane (--no-control-plane): runs against it behave as against the real sandbox.",
        f"# Where the docs are silent it answers by {sandbox.decisions.describe()}.",
    ]
    link = sandbox.dashboard_link()
    if link is not None:
        lines += [
            "",
            "# Dashboard: open this link to see and act on what your integration does (it signs you in once;",
            "# after that, sign in with one of the client ids and secrets above):",
            f"Dashboard: {link}",
        ]
    lines += ["# Ctrl-C stops it."]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
