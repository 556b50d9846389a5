"""``txfirewall check REQUEST``: analyse one request and print its verdict.

Imported only when the command runs: it loads the whole pipeline.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from txfirewall.cli.exit_codes import EXIT_ENVIRONMENT, EXIT_INVALID_REQUEST, EXIT_USAGE
from txfirewall.cli.report import render_verdict
from txfirewall.decide.evaluate import validate_policy
from txfirewall.decide.policy import Policy, default_policy_path, load_policy
from txfirewall.enrich.labels import load_labels
from txfirewall.errors import EnvironmentFailure, InputFileError, InvalidParamsError, InvalidRequestError
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.heuristics.registry import load_rules
from txfirewall.model.primitives import is_address, to_address
from txfirewall.model.request import Request
from txfirewall.model.text import terminal_safe, terminal_safe_json
from txfirewall.model.untrusted_json import loads_strict
from txfirewall.model.verdict import Verdict
from txfirewall.parse.request import parse_request


def _read_request(source: str, sender: str | None) -> dict[str, Any] | str:
    """The request object, with ``--from`` filled in where a transaction lacks it; or, for a file
    holding only hex (a serialized transaction, signed or unsigned), that text."""
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read request {source}: {exc}") from exc
    if sender is not None and not is_address(sender):
        raise InputFileError(f"--from {sender!r} is not an address")
    if raw.strip()[:2] in (b"0x", b"0X"):
        return raw.strip().decode("ascii", "replace")
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


def _check_account(request: Request, account: str | None) -> None:
    """The request must be for the account the user named with ``--from``: a raw transaction's
    recovered signer, a typed-data or message signer, a transaction's ``from``. A signed
    transaction from another key would otherwise be checked as if it were the user's, and sent."""
    if account is None or request.sender is None:
        return
    if request.sender != to_address(account):
        kind = "signed by" if request.raw_tx is not None else "for"
        raise InvalidParamsError(f"the request is {kind} {request.sender} but --from is {to_address(account)}")


def emit_error(args: argparse.Namespace, kind: str, exc: Exception) -> None:
    print(f"txfirewall: {terminal_safe(str(exc))}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"error": {"type": kind, "class": type(exc).__name__, "message": str(exc)}}))


def knowledge_config(args: argparse.Namespace) -> dict[str, Any]:
    """The FirewallConfig fields the user's files give (--history, --labels, --policy, --intel,
    --graph), loaded and checked; raises ``InputFileError`` naming the file at fault."""
    history = None
    if args.history:
        from txfirewall.enrich.history_file import load_history

        history = load_history(args.history)
    labels = load_labels(args.labels) if args.labels else {}
    policy_path = args.policy or default_policy_path()
    policy = load_policy(policy_path) if policy_path else Policy()
    validate_policy(policy, load_rules(), source=str(policy_path or "policy"))
    intel, graph = _intel_and_graph(args)
    return {"history": history, "labels": labels, "policy": policy, "intel": intel, "graph": graph}


async def run_check(args: argparse.Namespace) -> int:
    try:
        knowledge = knowledge_config(args)
        if not args.no_simulate and not args.rpc:
            raise InputFileError(
                "no --rpc given: pass --rpc URL (or set TXFIREWALL_RPC), or use --no-simulate", hint=""
            )
    except InputFileError as exc:
        emit_error(args, "usage", exc)
        return EXIT_USAGE
    try:
        request = parse_request(_read_request(args.request, args.sender), origin=args.origin, account=args.sender)
        _check_account(request, args.sender)
    except InputFileError as exc:
        emit_error(args, "usage", exc)
        return EXIT_USAGE
    except InvalidRequestError as exc:
        emit_error(args, "invalid-request", exc)
        return EXIT_INVALID_REQUEST
    config = FirewallConfig(
        rpc_url=args.rpc,
        chain_id=args.chain_id,
        simulate=not args.no_simulate,
        **knowledge,
        warm_up=False,  # one request: load the scan kernel only if it has code to scan
    )
    try:
        async with Firewall(config) as firewall:
            verdict = await firewall.analyze(request)
    except EnvironmentFailure as exc:
        emit_error(args, "environment", exc)
        return EXIT_ENVIRONMENT
    _print_verdict(verdict, as_json=args.json)
    return verdict.decision.exit_code


def _print_verdict(verdict: Verdict, *, as_json: bool) -> None:
    print(terminal_safe_json(verdict.to_json_text()) if as_json else render_verdict(verdict))


def _intel_and_graph(args: argparse.Namespace) -> tuple[Any, Any]:
    """The intel store (shipped lists unless turned off, plus the user's store) and the graph index."""
    from txfirewall.intel.store import IntelStore, default_store_path

    store_path = args.intel or (Path(os.environ["TXFIREWALL_INTEL"]) if os.environ.get("TXFIREWALL_INTEL") else None)
    if store_path is None and default_store_path().is_file():
        store_path = default_store_path()  # what `txfirewall intel import` wrote, used without a flag
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
