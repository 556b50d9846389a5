"""``txfirewall proxy --upstream URL``: a JSON-RPC firewall in front of any wallet.

Point the wallet (MetaMask custom RPC, Rabby, Frame, a script, ``cast --rpc-url``) at the
listen address: reads go to the upstream untouched; every signing request is analysed first;
blocks are refused with EIP-1193 error 4001; warnings wait for you on the control channel
(``txfirewall tui``, or its HTTP API; URL and token in the control file), and so do blocks no
unconditional finding caused when the policy says ``[confirm] allow_block_override = true``
(released only by a confirmation that says override).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from txfirewall.cli.exit_codes import EXIT_ENVIRONMENT, EXIT_USAGE


def _host_port(value: str, default_port: int) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep:
        return value, default_port
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT") from None


def register(sub: Any) -> None:
    proxy = sub.add_parser("proxy", help="run the JSON-RPC proxy in front of a wallet")
    proxy.add_argument(
        "--upstream",
        default=os.environ.get("TXFIREWALL_RPC"),
        help="the node to forward to (default: $TXFIREWALL_RPC)",
    )
    proxy.add_argument("--listen", default="127.0.0.1:8545", help="HOST:PORT to listen on (default 127.0.0.1:8545)")
    proxy.add_argument(
        "--upstream-ws", help="the node's WebSocket URL for subscriptions (default: --upstream as ws://)"
    )
    proxy.add_argument(
        "--from", dest="accounts", action="append", default=[], help="an account you sign with (repeatable)"
    )
    proxy.add_argument("--chain-id", type=int, help="the chain you are on (checked against --upstream)")
    proxy.add_argument("--history", type=Path, help="your past transactions, JSON lines")
    proxy.add_argument("--labels", type=Path, help="address labels, CSV address,label[,source]")
    proxy.add_argument("--policy", type=Path, help="policy TOML (default: as for check)")
    proxy.add_argument("--intel", type=Path, help="your intel store (default: as for check)")
    proxy.add_argument("--no-shipped-intel", action="store_true", help="do not use the shipped label lists")
    proxy.add_argument("--graph", type=Path, help="address graph directory (txfirewall graph build)")
    proxy.add_argument("--allow-host", action="append", default=[], help="another Host name to accept (repeatable)")
    proxy.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        help="a browser origin to accept, e.g. https://app.example or chrome-extension://* (repeatable)",
    )
    proxy.add_argument(
        "--allow-method", action="append", default=[], help="a read method to forward unanalysed (repeatable)"
    )
    proxy.add_argument("--hold-timeout", type=float, default=120.0, help="seconds a held request waits for you (120)")
    proxy.add_argument("--analysis-timeout", type=float, default=30.0, help="seconds an analysis may take (30)")
    proxy.add_argument(
        "--sign-burst", type=int, default=20, help="signing requests a site may send at once (20; then --sign-rate)"
    )
    proxy.add_argument(
        "--sign-rate", type=float, default=1.0, help="signing requests a second per site after the burst (1)"
    )
    proxy.add_argument("--control", default="127.0.0.1:0", help="HOST:PORT of the control channel (loopback)")
    proxy.add_argument("--control-file", type=Path, help="where to write the control URL and token")
    proxy.add_argument("--audit-log", type=Path, help="audit log path (default: the state directory)")
    proxy.add_argument("--no-audit", action="store_true", help="do not keep an audit log")
    proxy.add_argument("--public", action="store_true", help="allow listening on a non-loopback address")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import signal

    from txfirewall.cli.check import emit_error, knowledge_config
    from txfirewall.errors import EnvironmentFailure, InputFileError, TxFirewallError
    from txfirewall.firewall import FirewallConfig
    from txfirewall.proxy.config import DEFAULT_ORIGINS, ProxyConfig
    from txfirewall.proxy.service import ProxyServer

    logging.basicConfig(level=logging.INFO, format="txfirewall proxy: %(message)s")
    try:
        if not args.upstream:
            raise InputFileError("no --upstream given (or set TXFIREWALL_RPC)", hint="")
        host, port = _host_port(args.listen, 8545)
        control_host, control_port = _host_port(args.control, 0)
        config = ProxyConfig(
            upstream=args.upstream,
            listen_host=host,
            listen_port=port,
            upstream_ws=args.upstream_ws,
            accounts=frozenset(a.lower() for a in args.accounts),
            allow_hosts=frozenset(h.lower() for h in args.allow_host),
            allow_origins=(*DEFAULT_ORIGINS, *args.allow_origin),
            allow_methods=frozenset(args.allow_method),
            hold_timeout=args.hold_timeout,
            analysis_timeout=args.analysis_timeout,
            rate_burst=args.sign_burst,
            rate_per_second=args.sign_rate,
            control_host=control_host,
            control_port=control_port,
            control_file=args.control_file,
            public=args.public,
        )
        knowledge = knowledge_config(argparse.Namespace(**vars(args), no_simulate=False))
        firewall_config = FirewallConfig(rpc_url=args.upstream, chain_id=args.chain_id, **knowledge)
        audit = None if args.no_audit else _open_audit_log(args.audit_log)
    except (InputFileError, TxFirewallError, ValueError, argparse.ArgumentTypeError) as exc:
        emit_error(args, "usage", exc)
        return EXIT_USAGE

    async def serve() -> None:
        async with ProxyServer(config, firewall_config, audit=audit) as proxy:
            # SIGTERM (systemd, docker stop, kill) shuts down as Ctrl-C does: held requests are
            # answered (refused), the fork is stopped, the log closed and the control file removed.
            # Left to its default it killed the process with none of that (exit -15).
            stopping = asyncio.Event()
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, stopping.set)
            print(f"txfirewall proxy: listening on {proxy.url}, forwarding to {config.upstream}", flush=True)
            print(f"txfirewall proxy: control channel {proxy.control_url} (token in {proxy.control_file})", flush=True)
            if firewall_config.policy.allow_block_override:
                print(
                    "txfirewall proxy: the policy allows overriding blocks: a block no unconditional finding "
                    "caused is held for you (confirm it with override), not refused",
                    flush=True,
                )
            await stopping.wait()
            loop.remove_signal_handler(signal.SIGTERM)
            print("txfirewall proxy: SIGTERM: stopping (held requests are refused)", flush=True)

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        return 0
    except (EnvironmentFailure, OSError) as exc:
        emit_error(args, "environment", exc)
        return EXIT_ENVIRONMENT
    return 0


def _open_audit_log(path: Path | None) -> Any:
    """The audit log; ``AuditLogError`` (another proxy writes it, an unreadable file) is
    a usage error at start, never a proxy that runs without its log."""
    from txfirewall.proxy.audit import AuditLog, default_audit_path

    return AuditLog(path or default_audit_path())
