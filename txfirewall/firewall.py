"""The public API: ``Firewall`` (async) and ``SyncFirewall``.

```python
config = FirewallConfig(rpc_url="http://127.0.0.1:8545")
async with Firewall(config) as fw:
    verdict = await fw.analyze({"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", ...})
    verdict.decision, verdict.to_json()
```
``analyze`` never raises for a bad request or a failing node: a malformed signing request is a
``block`` verdict and a failed simulation a ``warn``. ``start`` raises ``EnvironmentFailure`` when
the fork cannot be set up at all (no anvil, node unreachable).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType
from typing import Any

from txfirewall.errors import InvalidRequestError, TxFirewallError
from txfirewall.fork import Fork, read_head
from txfirewall.heuristics.registry import load_rules
from txfirewall.heuristics.rule import Rule
from txfirewall.model.facts import HistoryEntry, Label
from txfirewall.model.findings import Confidence, Finding, Severity
from txfirewall.model.intent import Intent, IntentKind
from txfirewall.model.primitives import Address, ChainId
from txfirewall.model.request import Request
from txfirewall.model.simulation import Simulation, SimulationStatus
from txfirewall.model.verdict import Decision, Verdict
from txfirewall.parse import parse_request
from txfirewall.pipeline import Services, StageTimeouts, run_pipeline
from txfirewall.policy import Policy
from txfirewall.rpc_client import RpcClient


@dataclass(frozen=True)
class FirewallConfig:
    """How to analyse. ``simulate=False`` analyses offline (facts from ``rpc_url`` if given)."""

    rpc_url: str | None = None
    chain_id: int | None = None
    simulate: bool = True
    history: tuple[HistoryEntry, ...] | None = None
    labels: Mapping[Address, tuple[Label, ...]] = field(default_factory=lambda: MappingProxyType({}))
    policy: Policy = field(default_factory=Policy)
    timeouts: StageTimeouts = field(default_factory=StageTimeouts)
    rpc_timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.simulate and not self.rpc_url:
            raise ValueError("simulation needs rpc_url; pass simulate=False to analyse offline")


class Firewall:
    """Analyse signing requests. Use as an async context manager, or call start()/close()."""

    def __init__(self, config: FirewallConfig, *, rules: tuple[Rule[Any], ...] | None = None) -> None:
        self.config = config
        self.rules = rules if rules is not None else load_rules()
        self._fork: Fork | None = None
        self._upstream: RpcClient | None = None
        self._chain_id: ChainId | None = ChainId(config.chain_id) if config.chain_id is not None else None
        self._started = False
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> Firewall:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def fork(self) -> Fork | None:
        return self._fork

    async def start(self) -> None:
        """Open the pinned fork (simulation) or the upstream client (facts only)."""
        async with self._lock:
            if self._started:
                return
            cfg = self.config
            if cfg.simulate and cfg.rpc_url:
                self._fork = await Fork.open(cfg.rpc_url, expected_chain_id=cfg.chain_id, timeout=30.0)
                self._chain_id = self._fork.head.chain_id
            elif cfg.rpc_url:
                self._upstream = RpcClient(cfg.rpc_url, timeout=cfg.rpc_timeout)
                if self._chain_id is None:
                    self._chain_id = (await read_head(self._upstream)).chain_id
            self._started = True

    async def close(self) -> None:
        if self._fork is not None:
            await self._fork.close()
            self._fork = None
        if self._upstream is not None:
            await self._upstream.aclose()
            self._upstream = None
        self._started = False

    def _services(self) -> Services:
        fork_client = self._fork.client if self._fork else None
        return Services(
            policy=self.config.policy,
            rules=self.rules,
            chain_id=self._chain_id,
            sim_client=fork_client,
            block_env=self._fork.head.env if self._fork else None,
            facts_client=fork_client or self._upstream,
            skip_reason="simulation is turned off" if not self.config.simulate else "no node",
            history=self.config.history,
            labels=self.config.labels,
            timeouts=self.config.timeouts,
        )

    async def analyze(
        self, request: Request | Mapping[str, Any] | str | bytes, *, origin: str | None = None
    ) -> Verdict:
        """Analyse one request and return its verdict. Never raises for bad input."""
        await self.start()
        timings: dict[str, float] = {}
        started = time.perf_counter()
        try:
            parsed = request if isinstance(request, Request) else parse_request(request, origin=origin)
        except InvalidRequestError as exc:
            timings["parse"] = (time.perf_counter() - started) * 1000
            timings["total"] = timings["parse"]
            return invalid_request_verdict(exc, timings, self._chain_id)
        timings["parse"] = (time.perf_counter() - started) * 1000
        verdict = await run_pipeline(parsed, self._services(), timings)
        timings["total"] = (time.perf_counter() - started) * 1000
        return verdict


def invalid_request_verdict(
    exc: TxFirewallError, timings: dict[str, float], chain_id: int | None = None
) -> Verdict:
    """A request that cannot be parsed is blocked: no wallet should sign what no one can read."""
    finding = Finding(
        rule="invalid-request",
        severity=Severity.CRITICAL,
        confidence=Confidence.HIGH,
        title="Malformed signing request",
        message=f"The request is malformed and was not analysed: {exc}",
        evidence={"error": type(exc).__name__, "detail": str(exc.args[0]) if exc.args else ""},
        unconditional=True,
    )
    return Verdict(
        decision=Decision.BLOCK,
        score=100,
        findings=(finding,),
        intent=Intent(kind=IntentKind.UNANALYSED, summary="Malformed request (not analysed)"),
        simulation=Simulation(status=SimulationStatus.SKIPPED, error="request is invalid"),
        method="invalid",
        chain_id=chain_id,
        timings_ms=timings,
    )


class SyncFirewall:
    """A blocking wrapper around ``Firewall`` that keeps one event loop for its lifetime."""

    def __init__(self, config: FirewallConfig) -> None:
        self._runner = asyncio.Runner()
        self._firewall = Firewall(config)
        try:
            self._runner.run(self._firewall.start())
        except BaseException:
            self._runner.close()
            raise

    def analyze(self, request: Request | Mapping[str, Any] | str | bytes, *, origin: str | None = None) -> Verdict:
        return self._runner.run(self._firewall.analyze(request, origin=origin))

    def close(self) -> None:
        try:
            self._runner.run(self._firewall.close())
        finally:
            self._runner.close()

    def __enter__(self) -> SyncFirewall:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
