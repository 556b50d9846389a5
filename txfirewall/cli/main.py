"""The command line: ``txfirewall check REQUEST ...``, ``txfirewall demo``, ``txfirewall setup``.

Exit codes (stable): 0 allow, 10 warn, 20 block, 2 usage error (including unreadable --history,
--labels or --policy files), 3 invalid request, 4 environment failure (node unreachable, anvil
missing), 1 only for a crash.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from txfirewall.cli.graph import register as register_graph
from txfirewall.cli.graph import run as run_graph
from txfirewall.cli.intel import register as register_intel
from txfirewall.cli.intel import run as run_intel
from txfirewall.cli.report import render_verdict
from txfirewall.decide.evaluate import validate_policy
from txfirewall.decide.policy import Policy, load_policy
from txfirewall.enrich.history import load_history
from txfirewall.enrich.labels import load_labels
from txfirewall.errors import EnvironmentFailure, InputFileError, InvalidParamsError, InvalidRequestError
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.heuristics.registry import load_rules
from txfirewall.model.primitives import is_address, to_address
from txfirewall.model.untrusted_json import loads_strict
from txfirewall.model.verdict import Verdict
from txfirewall.parse.request import parse_request

EXIT_USAGE = 2
EXIT_INVALID_REQUEST = 3
EXIT_ENVIRONMENT = 4


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
    check.add_argument("--policy", type=Path, help="policy TOML (thresholds, rule overrides, allow-list)")
    check.add_argument("--origin", help="the site that sent the request")
    check.add_argument("--chain-id", type=int, help="the chain you are on (checked against --rpc)")
    check.add_argument("--no-simulate", action="store_true", help="decode and check without simulating")
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    check.add_argument("--graph", type=Path, help="address graph directory (txfirewall graph build)")
    check.add_argument(
        "--intel",
        type=Path,
        default=None,
        help="your intel store (imports, allow/deny lists; default: $TXFIREWALL_INTEL if set)",
    )
    check.add_argument(
        "--no-shipped-intel", action="store_true", help="do not use the public label lists shipped with txfirewall"
    )

    demo = sub.add_parser("demo", help="run the bundled sample requests on the fixture chain")
    demo.add_argument("--fixtures", type=Path, default=Path("anvil_fixtures"), help="fixture folder")
    demo.add_argument("--json", action="store_true", help="print every verdict as JSON lines")

    sub.add_parser("setup", help="make sure anvil is installed (npm @foundry-rs/anvil, pinned)")
    register_intel(sub)
    register_graph(sub)
    return parser


def _read_request(source: str, sender: str | None) -> dict[str, Any]:
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read request {source}: {exc}") from exc
    obj = loads_strict(raw)
    if not isinstance(obj, dict):
        raise InvalidRequestError("the request must be one JSON-RPC request object")
    if sender is not None:
        if not is_address(sender):
            raise InputFileError(f"--from {sender!r} is not an address")
        tx: dict[str, Any] | None = obj
        if "method" in obj:
            params = obj.get("params")
            tx = params[0] if isinstance(params, list) and params and isinstance(params[0], dict) else None
        if isinstance(tx, dict) and ("to" in tx or "data" in tx or "value" in tx or "from" in tx):
            if "from" not in tx:
                tx["from"] = to_address(sender)
            elif not is_address(tx["from"]) or to_address(tx["from"]) != to_address(sender):
                raise InvalidParamsError(f"the request is from {tx['from']} but --from is {sender}")
    return obj


def _emit_error(args: argparse.Namespace, kind: str, exc: Exception) -> None:
    print(f"txfirewall: {exc}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"error": {"type": kind, "class": type(exc).__name__, "message": str(exc)}}))


async def _check(args: argparse.Namespace) -> int:
    try:
        history = load_history(args.history) if args.history else None
        labels = load_labels(args.labels) if args.labels else {}
        policy = load_policy(args.policy) if args.policy else Policy()
        validate_policy(policy, load_rules(), source=str(args.policy or "policy"))
        intel, graph = _intel_and_graph(args)
        if not args.no_simulate and not args.rpc:
            raise InputFileError(
                "no --rpc given: pass --rpc URL (or set TXFIREWALL_RPC), or use --no-simulate", hint=""
            )
    except InputFileError as exc:
        _emit_error(args, "usage", exc)
        return EXIT_USAGE
    try:
        request = parse_request(_read_request(args.request, args.sender), origin=args.origin)
    except InputFileError as exc:
        _emit_error(args, "usage", exc)
        return EXIT_USAGE
    except InvalidRequestError as exc:
        _emit_error(args, "invalid-request", exc)
        return EXIT_INVALID_REQUEST
    config = FirewallConfig(
        rpc_url=args.rpc,
        chain_id=args.chain_id,
        simulate=not args.no_simulate,
        history=history,
        labels=labels,
        policy=policy,
        intel=intel,
        graph=graph,
    )
    try:
        async with Firewall(config) as firewall:
            verdict = await firewall.analyze(request)
    except EnvironmentFailure as exc:
        _emit_error(args, "environment", exc)
        return EXIT_ENVIRONMENT
    _print_verdict(verdict, as_json=args.json)
    return verdict.decision.exit_code


def _print_verdict(verdict: Verdict, *, as_json: bool) -> None:
    print(verdict.to_json_text() if as_json else render_verdict(verdict))


def _intel_and_graph(args: argparse.Namespace) -> tuple[Any, Any]:
    """The intel store (shipped lists unless turned off, plus the user's store) and the graph index."""
    from txfirewall.intel.store import IntelStore

    store_path = args.intel or (Path(os.environ["TXFIREWALL_INTEL"]) if os.environ.get("TXFIREWALL_INTEL") else None)
    if store_path is not None and not store_path.exists():
        raise InputFileError(f"intel store {store_path} does not exist (create it with `txfirewall intel import`)")
    intel = None
    if store_path is not None or not args.no_shipped_intel:
        intel = IntelStore(store_path, shipped=not args.no_shipped_intel)
    graph = None
    if args.graph is not None:
        from txfirewall.graph.index import ProximityIndex

        graph = ProximityIndex.open(args.graph)
    return intel, graph


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        code = asyncio.run(_check(args))
    elif args.command == "intel":
        code = run_intel(args)
    elif args.command == "graph":
        code = run_graph(args)
    elif args.command == "demo":
        from txfirewall.cli.demo import run_demo

        try:
            code = run_demo(args.fixtures, as_json=args.json)
        except (EnvironmentFailure, InputFileError) as exc:
            _emit_error(args, "environment", exc)
            code = EXIT_ENVIRONMENT
    else:
        from txfirewall.chain.anvil_provision import ensure_anvil

        try:
            print(ensure_anvil())
            code = 0
        except EnvironmentFailure as exc:
            _emit_error(args, "environment", exc)
            code = EXIT_ENVIRONMENT
    return code


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
