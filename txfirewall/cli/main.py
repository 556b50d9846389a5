"""The command line: ``txfirewall check REQUEST ...``, ``txfirewall demo``, ``txfirewall setup``, and the
``intel``, ``graph``, ``signatures`` and ``audit`` groups.

Exit codes (stable) are in ``txfirewall.cli.exit_codes``. This module imports only argparse and the
small error module; each command imports what it needs when it runs, so ``--help`` and argument
errors answer at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from txfirewall.cli.audit import register as register_audit
from txfirewall.cli.exit_codes import EXIT_BROKEN_PIPE, EXIT_ENVIRONMENT
from txfirewall.cli.graph import register as register_graph
from txfirewall.cli.intel import register as register_intel
from txfirewall.cli.proxy import register as register_proxy
from txfirewall.cli.rules import register as register_rules
from txfirewall.cli.scan import register as register_scan
from txfirewall.cli.signatures import register as register_signatures
from txfirewall.cli.tui import register as register_tui
from txfirewall.errors import EnvironmentFailure, InputFileError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="txfirewall", description="Check a signing request before you sign it.")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="analyse one JSON-RPC request (file, or - for stdin)")
    check.add_argument("request", help="file holding one JSON-RPC request object, or - for stdin")
    check.add_argument(
        "--rpc", default=os.environ.get("TXFIREWALL_RPC"), help="JSON-RPC URL of your chain (default: $TXFIREWALL_RPC)"
    )
    check.add_argument(
        "--from", dest="sender", help="your address (fills a missing 'from'; must match one that is set)"
    )
    check.add_argument("--history", type=Path, help="your past transactions, JSON lines")
    check.add_argument("--labels", type=Path, help="address labels, CSV address,label[,source]")
    check.add_argument(
        "--policy",
        type=Path,
        help="policy TOML (thresholds, rule overrides, allow and deny lists; default: $TXFIREWALL_POLICY, "
        "else ~/.config/txfirewall/policy.toml if it exists)",
    )
    check.add_argument("--origin", help="the site that sent the request")
    check.add_argument("--chain-id", type=int, help="the chain you are on (checked against --rpc)")
    check.add_argument("--no-simulate", action="store_true", help="decode and check without simulating")
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    check.add_argument("--graph", type=Path, help="address graph directory (txfirewall graph build)")
    check.add_argument(
        "--intel",
        type=Path,
        default=None,
        help="your intel store (imports, allow/deny lists; default: $TXFIREWALL_INTEL, else the one `intel import` writes, if it exists)",
    )
    check.add_argument(
        "--no-shipped-intel", action="store_true", help="do not use the public label lists shipped with txfirewall"
    )

    demo = sub.add_parser("demo", help="run the bundled sample requests on the fixture chain")
    demo.add_argument("--fixtures", type=Path, help="fixture chain folder (default: the one shipped with txfirewall)")
    demo.add_argument("--json", action="store_true", help="print every verdict as JSON lines")
    demo.add_argument(
        "--text", action="store_true", help="print the verdicts as text even on a terminal (no terminal app)"
    )

    sub.add_parser("setup", help="make sure anvil is installed (npm @foundry-rs/anvil, pinned)")
    register_intel(sub)
    register_rules(sub)
    register_scan(sub)
    register_graph(sub)
    register_signatures(sub)
    register_proxy(sub)
    register_audit(sub)
    register_tui(sub)
    return parser


def _report_environment_failure(exc: Exception, as_json: bool) -> int:
    from txfirewall.cli.check import emit_error

    emit_error(argparse.Namespace(json=as_json), "environment", exc)
    return EXIT_ENVIRONMENT


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        import asyncio

        from txfirewall.cli.check import run_check

        return asyncio.run(run_check(args))
    if args.command == "intel":
        from txfirewall.cli.intel import run as run_intel

        return run_intel(args)
    if args.command == "scan":
        from txfirewall.cli.scan import run as run_scan

        return run_scan(args)
    if args.command == "proxy":
        from txfirewall.cli.proxy import run as run_proxy

        return run_proxy(args)
    if args.command == "tui":
        from txfirewall.cli.tui import run as run_tui

        return run_tui(args)
    if args.command == "rules":
        from txfirewall.cli.rules import run as run_rules

        return run_rules(args)
    if args.command == "graph":
        from txfirewall.cli.graph import run as run_graph

        return run_graph(args)
    if args.command == "signatures":
        from txfirewall.cli.signatures import run as run_signatures

        return run_signatures(args)
    if args.command == "audit":
        from txfirewall.cli.audit import run as run_audit

        return run_audit(args)
    if args.command == "demo":
        from txfirewall.cli.demo import run_demo, run_demo_tui
        from txfirewall.cli.tui import has_terminal

        try:
            if has_terminal() and not (args.json or args.text):
                return run_demo_tui(args.fixtures)
            return run_demo(args.fixtures, as_json=args.json)
        except (EnvironmentFailure, InputFileError) as exc:
            return _report_environment_failure(exc, args.json)
    from txfirewall.chain.anvil_provision import ensure_anvil

    try:
        print(ensure_anvil())
    except EnvironmentFailure as exc:
        return _report_environment_failure(exc, False)
    return 0


def entry() -> None:
    """The console script. A reader that goes away (``txfirewall ... | head``) ends the command
    quietly with exit code 141, as for any Unix tool killed by SIGPIPE, never a traceback."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_BROKEN_PIPE
    sys.exit(code)


if __name__ == "__main__":
    entry()
