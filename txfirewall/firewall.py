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
import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any

from txfirewall.decide.evaluate import validate_policy
from txfirewall.decide.policy import Policy
from txfirewall.enrich.bytecode import BytecodeScanner
from txfirewall.enrich.contract_age import ContractAgeCache
from txfirewall.enrich.history import HistoryIndex
from txfirewall.enrich.token_metadata import TokenCache
from txfirewall.errors import InvalidRequestError, TxFirewallError
from txfirewall.heuristics.registry import load_rules
from txfirewall.heuristics.rule import Rule
from txfirewall.model.facts import HistoryEntry, Label
from txfirewall.model.findings import Confidence, Finding, Severity
from txfirewall.model.intent import Intent, IntentKind
from txfirewall.model.primitives import Address, ChainId
from txfirewall.model.request import Request
from txfirewall.model.simulation import Simulation, SimulationStatus
from txfirewall.model.verdict import Decision, Verdict
from txfirewall.parse.request import parse_request
from txfirewall.pipeline import Caches, ChainAccess, Knowledge, Services, StageTimeouts, run_pipeline

if TYPE_CHECKING:
    # At run time these load in start(), only when there is a node to talk to (httpx, anvil).
    from txfirewall.chain.rpc_client import RpcClient
    from txfirewall.graph.index import ProximityIndex
    from txfirewall.intel.store import IntelStore
    from txfirewall.simulate.fork import Fork
    from txfirewall.simulate.fork_manager import ForkManager


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
    intel: IntelStore | None = None
    """Address labels (shipped lists and your imports); None: only ``labels``."""
    graph: ProximityIndex | None = None
    """A built address graph (``txfirewall graph build``) for proximity to illicit seeds."""
    repin_interval: float | None = 60.0
    """Seconds between checks of the upstream head (a newer head gets a fresh fork); None: never."""
    warm_up: bool = True
    """Load the bytecode-scan kernel in a worker thread at start, so the first analysis with code to
    scan does not wait for it. Worth it for a long-lived Firewall (API, proxy); a one-shot check
    turns it off and loads the kernel only if a request has code to scan."""
    cold_start: str = "upstream"
    """``upstream``: a sender new to the fork is simulated directly on the upstream with
    ``eth_simulateV1`` at the pinned block (1 round trip instead of ~12 sequential fetches) while
    the fork warms in the background; ``fork``: always simulate on the fork."""

    def __post_init__(self) -> None:
        if self.simulate and not self.rpc_url:
            raise ValueError("simulation needs rpc_url; pass simulate=False to analyse offline")
        if self.cold_start not in ("upstream", "fork"):
            raise ValueError("cold_start must be 'upstream' or 'fork'")


class Firewall:
    """Analyse signing requests. Use as an async context manager, or call start()/close()."""

    def __init__(self, config: FirewallConfig, *, rules: tuple[Rule[Any], ...] | None = None) -> None:
        self.config = config
        self.rules = rules if rules is not None else load_rules()
        validate_policy(config.policy, self.rules)
        self._forks: ForkManager | None = None
        self._upstream: RpcClient | None = None
        self._chain_id: ChainId | None = ChainId(config.chain_id) if config.chain_id is not None else None
        self._started = False
        self._lock = asyncio.Lock()
        self._upstream_simulates = False
        self._warming: set[asyncio.Task[None]] = set()
        self.token_cache = TokenCache()
        self.contract_ages = ContractAgeCache()
        """Creation blocks found so far: they never change, so each contract is dated once."""
        self.bytecode = BytecodeScanner()
        """Bytecode scan results by code hash: contracts share code, and it never changes."""
        self._caches = Caches(tokens=self.token_cache, contract_ages=self.contract_ages, bytecode=self.bytecode)
        self._knowledge = Knowledge(
            history=HistoryIndex(config.history) if config.history is not None else None,
            labels=config.labels,
            intel=config.intel,
            graph=config.graph,
        )

    async def __aenter__(self) -> Firewall:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def fork(self) -> Fork | None:
        """The fork new analyses use now (it changes when the fork is re-pinned)."""
        return self._forks.current if self._forks else None

    @property
    def forks(self) -> ForkManager | None:
        return self._forks

    async def start(self) -> None:
        """Open the pinned fork (simulation) or the upstream client (facts only)."""
        async with self._lock:
            if self._started:
                return
            cfg = self.config
            if cfg.rpc_url:
                from txfirewall.chain.rpc_client import RpcClient
                from txfirewall.simulate.fork import read_head
                from txfirewall.simulate.fork_manager import ForkManager
            if cfg.simulate and cfg.rpc_url:
                self._upstream = RpcClient(cfg.rpc_url, timeout=cfg.rpc_timeout)
                forks = ForkManager(self._upstream, expected_chain_id=cfg.chain_id, repin_interval=cfg.repin_interval)
                try:
                    await forks.start()
                    if cfg.cold_start == "upstream":
                        self._upstream_simulates = await upstream_simulates(self._upstream, forks.current.pinned_tag)
                except BaseException:
                    await forks.close()
                    await self._upstream.aclose()
                    self._upstream = None
                    raise
                self._forks = forks
                self._chain_id = forks.current.head.chain_id
            elif cfg.rpc_url:
                self._upstream = RpcClient(cfg.rpc_url, timeout=cfg.rpc_timeout)
                if self._chain_id is None:
                    self._chain_id = (await read_head(self._upstream)).chain_id
            if cfg.rpc_url and cfg.warm_up:
                self._warm_bytecode_kernel()
            self._started = True

    async def close(self) -> None:
        for task in list(self._warming):
            task.cancel()
        if self._warming:
            await asyncio.gather(*self._warming, return_exceptions=True)
        if self._forks is not None:
            await self._forks.close()
            self._forks = None
        if self._upstream is not None:
            await self._upstream.aclose()
            self._upstream = None
        self._started = False

    def _services(self, fork: Fork | None, *, cold: bool = False) -> Services:
        """The services of one analysis: on the fork, or on the upstream while the fork is cold."""
        fork_client = fork.client if fork else None
        chain = ChainAccess(
            chain_id=self._chain_id,
            sim_client=fork_client,
            facts_client=fork_client or self._upstream,
            history_client=self._upstream,
            block_env=fork.head.env if fork else None,
            skip_reason="simulation is turned off" if not self.config.simulate else "no node",
        )
        if cold and fork is not None and self._upstream is not None:
            chain = replace(
                chain,
                sim_client=self._upstream,
                facts_client=self._upstream,
                block_tag=fork.pinned_tag,
                route="upstream (cold fork)",
            )
        return Services(
            policy=self.config.policy,
            rules=self.rules,
            chain=chain,
            knowledge=self._knowledge,
            caches=self._caches,
            timeouts=self.config.timeouts,
        )

    async def analyze(
        self, request: Request | Mapping[str, Any] | str | bytes, *, origin: str | None = None
    ) -> Verdict:
        """Analyse one request and return its verdict. Never raises for bad input."""
        await self.start()
        started = time.perf_counter()
        try:
            parsed = request if isinstance(request, Request) else parse_request(request, origin=origin)
        except InvalidRequestError as exc:
            parse_ms = (time.perf_counter() - started) * 1000
            return invalid_request_verdict(exc, {"parse": parse_ms, "total": parse_ms}, self._chain_id)
        parse_ms = (time.perf_counter() - started) * 1000
        if self._forks is None:
            verdict = await run_pipeline(parsed, self._services(None))
        else:
            async with self._forks.lease() as fork:
                sender = parsed.sender
                cold = self._upstream_simulates and sender is not None and sender not in fork.warm_senders
                verdict = await run_pipeline(parsed, self._services(fork, cold=cold))
                if cold and sender is not None:
                    self._warm_in_background(fork, parsed, sender)
        total_ms = (time.perf_counter() - started) * 1000
        timings = MappingProxyType({"parse": parse_ms, **verdict.timings_ms, "total": total_ms})
        return replace(verdict, timings_ms=timings)

    def _warm_bytecode_kernel(self) -> None:
        """Load (or, on a fresh install, compile) the bytecode scan kernel in a worker thread, so
        the first analysis with code to scan does not wait for it."""
        from txfirewall.enrich.bytecode import warm

        def warm_quietly() -> None:
            # Best effort: a kernel that cannot compile fails the enrich stage, visibly, later.
            with contextlib.suppress(Exception):
                warm()

        task = asyncio.create_task(asyncio.to_thread(warm_quietly))
        self._warming.add(task)
        task.add_done_callback(self._warming.discard)

    def _warm_in_background(self, fork: Fork, request: Request, sender: str) -> None:
        """Run the same analysis on the fork, unawaited and discarded, so that the state this
        sender's requests touch is cached there and their next analysis stays off the upstream."""

        async def warm() -> None:
            try:
                await run_pipeline(request, self._services(fork))
                fork.warm_senders.add(sender)
            except Exception:  # noqa: BLE001, S110 - warming is best effort; the next request stays cold
                pass

        task = asyncio.create_task(warm())
        self._warming.add(task)
        task.add_done_callback(self._warming.discard)


async def upstream_simulates(upstream: RpcClient, block_tag: str) -> bool:
    """Does the upstream answer ``eth_simulateV1`` (at a historical block)? Probed once."""
    payload = {"blockStateCalls": [{"calls": []}], "validation": False}
    try:
        result = await upstream.call("eth_simulateV1", [payload, block_tag])
    except TxFirewallError:
        return False
    return isinstance(result, list)


def invalid_request_verdict(exc: TxFirewallError, timings: Mapping[str, float], chain_id: int | None = None) -> Verdict:
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
        timings_ms=MappingProxyType(dict(timings)),
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
