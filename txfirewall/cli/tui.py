"""``txfirewall tui [REQUEST] [--rpc URL] [--proxy FILE|URL] ...``: the terminal app.

Registered without importing Textual (``--help`` stays fast and light); ``run`` imports the app.

``--proxy`` names a running ``txfirewall proxy``: its control file (the URL and token it writes,
mode 0600), or its control URL with the token in ``$TXFIREWALL_PROXY_TOKEN`` (a token on the
command line would show in ``ps``); ``--proxy`` alone means the proxy's default control file.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from txfirewall.cli.exit_codes import EXIT_USAGE

DEFAULT_PROXY = "default"


def register(sub: Any) -> None:
    tui = sub.add_parser("tui", help="the terminal app: see what you sign, confirm the unusual deliberately")
    tui.add_argument("request", nargs="?", help="a request file to analyse at once (as for check)")
    tui.add_argument(
        "--rpc", default=os.environ.get("TXFIREWALL_RPC"), help="JSON-RPC URL of your chain (default: $TXFIREWALL_RPC)"
    )
    tui.add_argument(
        "--proxy",
        nargs="?",
        const=DEFAULT_PROXY,
        help="follow a running proxy's held requests: its control file (default: the proxy's default one) "
        "or its control URL with the token in $TXFIREWALL_PROXY_TOKEN",
    )
    tui.add_argument("--no-simulate", action="store_true", help="decode and check without simulating")
    tui.add_argument("--from", dest="sender", help="your address (fills a missing 'from'; signs pasted messages)")
    tui.add_argument("--history", type=Path, help="your past transactions, JSON lines")
    tui.add_argument("--labels", type=Path, help="address labels, CSV address,label[,source]")
    tui.add_argument("--policy", type=Path, help="policy TOML (the Rules screen saves to it; default: as for check)")
    tui.add_argument("--origin", help="the site that sent REQUEST (a claim, shown as one)")
    tui.add_argument("--chain-id", type=int, help="the chain you are on (checked against --rpc)")
    tui.add_argument("--graph", type=Path, help="address graph directory (txfirewall graph build)")
    tui.add_argument("--intel", type=Path, help="your intel store (default: as for check)")
    tui.add_argument("--no-shipped-intel", action="store_true", help="do not use the shipped label lists")
    tui.add_argument("--audit-log", type=Path, help="the proxy's audit log, for History (default: the proxy's)")


def build_options(args: argparse.Namespace) -> Any:
    """``TuiOptions`` from the command line (the knowledge files loaded and checked here, so a bad
    one is a usage error before the screen opens)."""
    from txfirewall.cli.check import knowledge_config
    from txfirewall.decide.policy import default_policy_path
    from txfirewall.proxy.audit import default_audit_path
    from txfirewall.tui.options import ProxyAddress, StartRequest, TuiOptions

    knowledge = knowledge_config(args)
    proxy = None
    if args.proxy is not None:
        from txfirewall.proxy.control import default_control_file  # aiohttp: only when following a proxy

        proxy = (
            ProxyAddress(control_file=default_control_file())
            if args.proxy == DEFAULT_PROXY
            else ProxyAddress.parse(args.proxy)
        )
    requests: tuple[Any, ...] = ()
    if args.request:
        path = Path(args.request)
        requests = (StartRequest(path, path.name),)
    return TuiOptions(
        rpc_url=args.rpc,
        chain_id=args.chain_id,
        simulate=not args.no_simulate,
        knowledge=knowledge,
        policy_path=args.policy or default_policy_path(),
        requests=requests,
        account=args.sender,
        origin=args.origin,
        proxy=proxy,
        audit_path=args.audit_log or default_audit_path(),
    )


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def run(args: argparse.Namespace) -> int:
    from txfirewall.cli.check import emit_error
    from txfirewall.errors import InputFileError

    if not has_terminal():
        print(
            "txfirewall tui: needs a terminal (stdin and stdout a TTY); for text, use `txfirewall check REQUEST`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        options = build_options(args)
    except InputFileError as exc:
        emit_error(args, "usage", exc)
        return EXIT_USAGE
    from txfirewall.tui.app import TxFirewallApp

    app = TxFirewallApp(options)
    app.run()
    return app.return_code or 0
