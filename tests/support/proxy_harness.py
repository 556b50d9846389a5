"""A running ``ProxyServer`` for the end-to-end reliability tests, and the ways to talk to it.

The proxy forwards to a ``MisbehavingUpstream`` (which records every body it receives: what a
refused request must never reach) in front of the fixture chain; the Firewall's analysis fork
reads the node directly, so an upstream told to misbehave only affects what the proxy forwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from txfirewall.enrich.history_file import load_history
from txfirewall.firewall import FirewallConfig
from txfirewall.proxy.audit import AuditLog
from txfirewall.proxy.config import DEFAULT_ORIGINS, ProxyConfig
from txfirewall.proxy.control import read_control_file
from txfirewall.proxy.service import ProxyServer

from .misbehaving_upstream import MisbehavingUpstream

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "anvil_fixtures"
CHAIN_ID = 7357
JSON = {"content-type": "application/json"}
APP_ORIGIN = "https://app.example"
"""A web page the shared proxy allows (besides browser extensions)."""


def call(method: str, params: Any = None, id_: Any = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "method": method, "params": [] if params is None else params}


def request(name: str) -> dict[str, Any]:
    """One of anvil_fixtures/requests/*.json, parsed."""
    doc: dict[str, Any] = json.loads((FIXTURES / "requests" / name).read_text())
    return doc


def manifest() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / "manifest.json").read_text())
    return doc


@dataclass
class Harness:
    proxy: ProxyServer
    upstream: MisbehavingUpstream
    node_url: str
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=60))

    @property
    def port(self) -> int:
        return int(self.proxy.url.rsplit(":", 1)[1])

    async def post(self, body: bytes | str | Any, *, url: str | None = None, **headers: str) -> httpx.Response:
        if isinstance(body, str):
            content = body.encode()
        elif isinstance(body, bytes):
            content = body
        else:
            content = json.dumps(body).encode()
        return await self.http.post(url or self.proxy.url, content=content, headers={**JSON, **headers})

    async def rpc(self, body: bytes | str | Any, **headers: str) -> Any:
        reply = await self.post(body, **headers)
        assert reply.status_code == 200, reply.text
        return reply.json()

    async def direct(self, body: bytes | str | Any) -> httpx.Response:
        """The same request sent to the node itself, around the proxy."""
        return await self.post(body, url=self.node_url)

    def control(self) -> tuple[str, dict[str, str]]:
        url, token = read_control_file(self.proxy.control_file)
        return url, {"Authorization": f"Bearer {token}"}

    async def held(self) -> list[dict[str, Any]]:
        url, auth = self.control()
        reply = await self.http.get(f"{url}/v1/held", headers=auth)
        assert reply.status_code == 200
        held: list[dict[str, Any]] = reply.json()["held"]
        return held

    async def settle(self, body: Any, *, decide: str = "reject", **headers: str) -> tuple[Any, list[dict[str, Any]]]:
        """Send ``body``; every request it gets held for is decided (``reject`` or ``confirm``)
        on the control channel. Returns the reply and the holds seen."""
        task = asyncio.create_task(self.rpc(body, **headers))
        seen: dict[str, dict[str, Any]] = {}
        url, auth = self.control()
        while not task.done():
            for item in await self.held():
                if item["id"] not in seen:
                    seen[item["id"]] = item
                    await self.http.post(f"{url}/v1/held/{item['id']}/{decide}", headers=auth)
            await asyncio.wait({task}, timeout=0.05)
        return task.result(), list(seen.values())


def proxy_config(upstream: str, control_file: Path, **overrides: Any) -> ProxyConfig:
    settings: dict[str, Any] = {
        "upstream": upstream,
        "listen_port": 0,
        "control_file": control_file,
        "hold_timeout": 30.0,
        "idle_timeout": 1.0,
        "body_timeout": 2.0,
        "upstream_timeout": 10.0,
        "rate_burst": 100_000,
        "allow_origins": (*DEFAULT_ORIGINS, APP_ORIGIN),
    }
    settings.update(overrides)
    return ProxyConfig(**settings)


def firewall_config(rpc_url: str) -> FirewallConfig:
    return FirewallConfig(rpc_url=rpc_url, chain_id=CHAIN_ID, history=load_history(FIXTURES / "history.jsonl"))


@contextlib.asynccontextmanager
async def running_proxy(
    node_url: str,
    control_file: Path,
    *,
    upstream: MisbehavingUpstream | None = None,
    mode: str = "pass",
    firewall_rpc: str | None = None,
    firewall_via_upstream: bool = False,
    wait_for_firewall: bool = True,
    audit: AuditLog | None = None,
    **overrides: Any,
) -> AsyncIterator[Harness]:
    """A proxy of its own (for a test that needs other settings or a fresh upstream client), in
    front of ``upstream`` or of a new one answering in ``mode``. Its Firewall reads the node, or
    ``firewall_rpc``, or the upstream itself (``firewall_via_upstream``: as ``txfirewall proxy``
    does, the analysis reads the node it forwards to, so a failing upstream fails both). ``audit``:
    the log it writes (closed with the proxy)."""
    async with contextlib.AsyncExitStack() as stack:
        if upstream is None:
            upstream = await stack.enter_async_context(MisbehavingUpstream(node_url, mode=mode))
        config = proxy_config(upstream.url, control_file, **overrides)
        rpc = upstream.url if firewall_via_upstream else (firewall_rpc or node_url)
        proxy = await stack.enter_async_context(ProxyServer(config, firewall_config(rpc), audit=audit))
        if wait_for_firewall:
            await proxy.firewall.start()
        harness = Harness(proxy, upstream, node_url)
        stack.push_async_callback(harness.http.aclose)
        yield harness
