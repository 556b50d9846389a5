"""``ProxyServer``: the proxy put together and run: one long-lived Firewall for the upstream, the
JSON-RPC endpoint, the control channel and the audit log.

```python
async with ProxyServer(ProxyConfig(upstream="http://127.0.0.1:8545", listen_port=8555), firewall_config) as proxy:
    proxy.url, proxy.control_url, proxy.token
    await proxy.serve_forever()
```

The Firewall starts in the background: reads are forwarded from the first second; a signing
request that arrives before the fork is ready waits for it (or is refused when it cannot start).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from types import TracebackType

from aiohttp import web

from txfirewall.chain.rpc_client import RpcClient
from txfirewall.errors import TxFirewallError
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.proxy.audit import AuditLog
from txfirewall.proxy.config import ProxyConfig, is_loopback
from txfirewall.proxy.control import build_control_app, default_control_file, new_token, write_control_file
from txfirewall.proxy.gate import Gate
from txfirewall.proxy.holds import Holds
from txfirewall.proxy.http_server import build_app

log = logging.getLogger(__name__)


class ProxyServer:
    """Start with ``async with`` (or ``start()``/``close()``)."""

    def __init__(
        self,
        config: ProxyConfig,
        firewall_config: FirewallConfig,
        *,
        audit: AuditLog | None = None,
    ) -> None:
        self.config = config
        self.firewall = Firewall(firewall_config)
        self.upstream = RpcClient(config.upstream, timeout=config.upstream_timeout)
        self.holds = Holds(timeout=config.hold_timeout)
        self.token = new_token()
        self.audit = audit
        self.gate: Gate | None = None
        self.url = ""
        self.control_url = ""
        self.control_file = config.control_file or default_control_file()
        self.accounts: frozenset[str] = config.accounts
        self._runners: list[web.AppRunner] = []
        self._starting: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ProxyServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self) -> None:
        cfg = self.config
        if not is_loopback(cfg.listen_host):
            log.warning("listening on %s: anyone who can reach this address can use the proxy", cfg.listen_host)
        if not self.accounts:
            self.accounts = await self._upstream_accounts()
        if not self.accounts:
            log.warning("no signing account known (--from, or the node's eth_accounts): the account check is off")
        sink = self.audit.append if self.audit is not None else None
        self.gate = Gate(cfg, self.firewall, self.upstream, self.holds, accounts=self.accounts, audit=sink)
        self._starting = asyncio.create_task(self._start_firewall())
        api = await self._serve(build_app(cfg, self.gate), cfg.listen_host, cfg.listen_port, keepalive=cfg.idle_timeout)
        self.url = f"http://{_url_host(cfg.listen_host)}:{api}"
        control = await self._serve(
            build_control_app(self.holds, self.token, refused=self.gate.override_refused),
            cfg.control_host,
            cfg.control_port,
        )
        self.control_url = f"http://{_url_host(cfg.control_host)}:{control}"
        write_control_file(self.control_file, self.control_url, self.token)

    async def _start_firewall(self) -> None:
        try:
            await self.firewall.start()
        except TxFirewallError as exc:
            log.error("the analysis fork did not start (%s); signing requests are refused until it does", exc)

    async def _upstream_accounts(self) -> frozenset[str]:
        try:
            result = await self.upstream.call("eth_accounts", [])
        except TxFirewallError as exc:
            log.warning("could not ask the node for its accounts: %s", exc)
            return frozenset()
        return frozenset(a.lower() for a in result if isinstance(a, str)) if isinstance(result, list) else frozenset()

    async def _serve(self, app: web.Application, host: str, port: int, *, keepalive: float = 75.0) -> int:
        runner = web.AppRunner(app, access_log=None, keepalive_timeout=keepalive, handle_signals=False)
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None)
        return int(sockets[0].getsockname()[1]) if sockets else port

    async def serve_forever(self) -> None:
        await asyncio.Event().wait()

    async def close(self) -> None:
        self.holds.close()
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        if self._starting is not None:
            self._starting.cancel()
        await self.firewall.close()
        await self.upstream.aclose()
        if self.audit is not None:
            self.audit.close()
        if self.control_file.exists():
            try:
                if _owner_pid(self.control_file) == os.getpid():
                    self.control_file.unlink()
            except (OSError, ValueError):
                pass


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _owner_pid(path: Path) -> int:
    return int(json.loads(path.read_text(encoding="utf-8"))["pid"])
