"""``Firewall``: the asynchronous API.

```python
config = FirewallConfig(rpc_url="http://127.0.0.1:8545")
async with Firewall(config) as fw:
    verdict = await fw.analyze({"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", ...})
    verdict.decision, verdict.to_json()
```

``analyze`` never raises for a bad request or a failing node: a malformed signing request is a
``block`` verdict, and so is a simulation the node did not answer (fail closed). It raises only the Firewall's own state
errors, each a ``TxFirewallError``: closed (``FirewallClosedError``), cancelled by ``close()``
(``AnalysisCancelledError``), used from a second running loop (``FirewallLoopError``), or too
many callers waiting (``FirewallBusyError``). A caller that gets no verdict must not sign.

Event loops: the fork and the connections belong to the loop that started them. A Firewall used
from a new loop after the old one ended (``asyncio.run`` twice) starts afresh in the new one; one
used from a second loop while the first still runs refuses with ``FirewallLoopError``. For
threads, use ``SyncFirewall``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any

from txfirewall.decide.evaluate import validate_policy
from txfirewall.enrich.bytecode import BytecodeScanner
from txfirewall.enrich.contract_age import ContractAgeCache
from txfirewall.enrich.history import HistoryIndex
from txfirewall.enrich.token_metadata import TokenCache
from txfirewall.errors import (
    AnalysisCancelledError,
    FirewallBusyError,
    FirewallClosedError,
    FirewallLoopError,
    InvalidRequestError,
)
from txfirewall.firewall.config import FirewallConfig
from txfirewall.firewall.invalid import invalid_request_verdict
from txfirewall.firewall.runtime import Runtime
from txfirewall.heuristics.registry import load_rules
from txfirewall.heuristics.rule import Rule
from txfirewall.model.chain_state import ChainState
from txfirewall.model.request import Request
from txfirewall.model.verdict import Verdict
from txfirewall.parse.request import parse_request
from txfirewall.pipeline import Caches, ChainAccess, Knowledge, Services, run_pipeline

if TYPE_CHECKING:
    from txfirewall.simulate.fork import Fork
    from txfirewall.simulate.fork_manager import ForkManager

RequestInput = Request | Mapping[str, Any] | str | bytes
"""What ``analyze`` accepts: a parsed ``Request``, a JSON-RPC request object, or its JSON text."""


class Firewall:
    """Analyse signing requests. Use as an async context manager, or call ``start()`` and
    ``close()``. One Firewall serves any number of concurrent ``analyze`` calls in its loop."""

    def __init__(self, config: FirewallConfig, *, rules: tuple[Rule[Any], ...] | None = None) -> None:
        self.config = config
        self.rules = rules if rules is not None else load_rules()
        validate_policy(config.policy, self.rules)
        self._rt: Runtime | None = None
        self._closed = False
        self._kernel_warmed = False
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
    def closed(self) -> bool:
        """True once ``close()`` was called: the Firewall does not reopen."""
        return self._closed

    @property
    def fork(self) -> Fork | None:
        """The fork new analyses use now (it changes when the fork is re-pinned)."""
        rt = self._rt
        return rt.forks.current_or_none if rt is not None and rt.forks is not None else None

    @property
    def forks(self) -> ForkManager | None:
        """The fork manager of the current event loop (None before start or without simulation)."""
        return self._rt.forks if self._rt is not None else None

    @property
    def in_flight(self) -> int:
        """Analyses running or waiting for a slot now."""
        return self._rt.admitted if self._rt is not None else 0

    @property
    def head_checks(self) -> int:
        """Head checks made so far in the current event loop (for tests and benchmarks)."""
        return self._rt.heads.checks if self._rt is not None and self._rt.heads is not None else 0

    async def start(self) -> None:
        """Open the pinned fork (simulation) or the upstream client (facts only). ``analyze``
        starts it on first use; calling it first moves the start-up cost and surfaces
        ``EnvironmentFailure`` (no anvil, node unreachable) before the first request."""
        await self._runtime()

    async def _runtime(self) -> Runtime:
        """This loop's runtime, started; a runtime left behind by an ended loop is discarded."""
        if self._closed:
            raise FirewallClosedError("this Firewall is closed")
        loop = asyncio.get_running_loop()
        rt = self._rt
        if rt is not None and rt.loop is not loop:
            if rt.loop.is_running():
                raise FirewallLoopError("this Firewall is in use by another event loop that is still running")
            rt.abandon()
            rt = None
        if rt is None:
            rt = self._rt = Runtime(loop, self.config)
            rt.ready = loop.create_task(self._open(rt), name="txfirewall-start")
        assert rt.ready is not None
        if not rt.ready.done() or rt.ready.exception() is not None:
            try:
                await asyncio.shield(rt.ready)
            except asyncio.CancelledError:
                me = asyncio.current_task()
                if rt.ready.cancelled() and not (me is not None and me.cancelling()):
                    raise FirewallClosedError("this Firewall was closed while it was starting") from None
                raise
            except BaseException:
                if self._rt is rt:
                    self._rt = None  # a failed start is retried by the next call
                raise
        return rt

    async def _open(self, rt: Runtime) -> None:
        if self.config.rpc_url and self.config.warm_up and not self._kernel_warmed:
            # Alongside the fork's start, not after it: the kernel loads while anvil boots, so
            # the first analysis (a terminal app opened on a request) does not wait for either.
            self._kernel_warmed = True
            rt.background_thread(_warm_bytecode_kernel)
        await rt.open()

    async def close(self, *, timeout: float | None = None) -> None:
        """Stop taking requests, let the analyses in flight finish (up to ``timeout`` seconds,
        default ``config.close_timeout``), cancel the rest (their callers get
        ``AnalysisCancelledError``), then stop the fork. Idempotent; safe from any loop."""
        self._closed = True
        rt = self._rt
        if rt is None:
            return
        wait = self.config.close_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        if rt.loop is loop:
            await rt.close(wait)
        elif rt.loop.is_running():
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(rt.close(wait), rt.loop))
        else:
            rt.abandon()

    def note_sent(self, tx_hash: str) -> None:
        """Tell the Firewall the user sent ``tx_hash``: the next analysis checks the head (and
        re-pins the fork once the transaction is mined), so it sees the balance the send left.
        Analyses check before every analysis while the transaction is pending. Safe from any
        thread; an invalid hash raises ``InvalidParamsError``."""
        from txfirewall.simulate.head_watch import check_tx_hash

        check_tx_hash(tx_hash)
        rt = self._rt
        if rt is None or rt.heads is None:
            return  # not started yet: the start pins the head as it is then
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is rt.loop:
            rt.heads.note_sent(tx_hash)
        elif not rt.loop.is_closed():
            rt.loop.call_soon_threadsafe(rt.heads.note_sent, tx_hash)

    async def analyze(self, request: RequestInput, *, origin: str | None = None) -> Verdict:
        """Analyse one request and return its verdict. Never raises for bad input (that is a
        ``block`` verdict); raises only the Firewall's own state errors (see the module doc)."""
        rt = await self._runtime()
        cfg = self.config
        if rt.admitted >= cfg.max_concurrency + cfg.max_waiting:
            raise FirewallBusyError(
                f"{rt.admitted} analyses are running or waiting (max_concurrency {cfg.max_concurrency} "
                f"+ max_waiting {cfg.max_waiting})"
            )
        task = rt.loop.create_task(self._admitted(rt, request, origin))
        rt.track(task)
        try:
            return await task
        except asyncio.CancelledError:
            me = asyncio.current_task()
            if task in rt.cancelled_by_close and not (me is not None and me.cancelling()):
                raise AnalysisCancelledError(
                    "close() cancelled this analysis: it had not finished when the close timeout passed"
                ) from None
            raise

    async def _admitted(self, rt: Runtime, request: RequestInput, origin: str | None) -> Verdict:
        queued_at = time.perf_counter()
        async with rt.slots:
            queued_ms = (time.perf_counter() - queued_at) * 1000
            verdict = await self._analyze_now(rt, request, origin)
        timings = {"queued": queued_ms, **verdict.timings_ms} if queued_ms >= 0.05 else dict(verdict.timings_ms)
        return replace(verdict, timings_ms=MappingProxyType(timings))

    async def _analyze_now(self, rt: Runtime, request: RequestInput, origin: str | None) -> Verdict:
        started = time.perf_counter()
        try:
            parsed = request if isinstance(request, Request) else parse_request(request, origin=origin)
        except InvalidRequestError as exc:
            parse_ms = (time.perf_counter() - started) * 1000
            return invalid_request_verdict(exc, {"parse": parse_ms, "total": parse_ms}, rt.chain_id, request=request)
        parse_ms = (time.perf_counter() - started) * 1000
        if rt.forks is None or rt.heads is None:
            verdict = await run_pipeline(parsed, self._services(rt, None))
        else:
            heads, forks = rt.heads, rt.forks
            # The head check runs alongside the analysis; the rules wait for it (freshness is one
            # of their facts), and the analysis is redone on the new head only when it moved.
            check = heads.begin()
            verdict, fork = await self._on_fork(rt, parsed, check)
            if check is not None and forks.current.head.block_number > fork.head.block_number:
                verdict, fork = await self._on_fork(rt, parsed, None)
        total_ms = (time.perf_counter() - started) * 1000
        timings = MappingProxyType({"parse": parse_ms, **verdict.timings_ms, "total": total_ms})
        return replace(verdict, timings_ms=timings)

    async def _on_fork(self, rt: Runtime, parsed: Request, check: asyncio.Future[None] | None) -> tuple[Verdict, Fork]:
        assert rt.forks is not None and rt.heads is not None
        heads = rt.heads
        async with rt.forks.lease() as fork:

            async def chain_state() -> ChainState:
                if check is not None:
                    # Bounded: a re-pin that hangs must not hold every analysis; the state then
                    # shows its age and the check's error.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.config.timeouts.simulate):
                            await asyncio.shield(check)
                return heads.state(fork)

            sender = parsed.sender
            cold = rt.upstream_simulates and sender is not None and sender not in fork.warm_senders
            verdict = await run_pipeline(parsed, self._services(rt, fork, cold=cold, chain_state=chain_state))
            if cold and sender is not None:
                rt.background(self._warm_sender(rt, fork, parsed, sender))
        return verdict, fork

    def _services(
        self,
        rt: Runtime,
        fork: Fork | None,
        *,
        cold: bool = False,
        chain_state: Any = None,
    ) -> Services:
        """The services of one analysis: on the fork, or on the upstream while the fork is cold."""
        fork_client = fork.client if fork else None
        chain = ChainAccess(
            chain_id=rt.chain_id,
            sim_client=fork_client,
            facts_client=fork_client or rt.upstream,
            history_client=rt.upstream,
            block_env=fork.head.env if fork else None,
            skip_reason="simulation is turned off" if not self.config.simulate else "no node",
            chain_state=chain_state,
        )
        if cold and fork is not None and rt.upstream is not None:
            chain = replace(
                chain,
                sim_client=rt.upstream,
                facts_client=rt.upstream,
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
            limits=self.config.limits,
        )

    async def _warm_sender(self, rt: Runtime, fork: Fork, request: Request, sender: str) -> None:
        """Run the same analysis on the fork, discarded, so that the state this sender's requests
        touch is cached there and their next analysis stays off the upstream."""
        try:
            await run_pipeline(request, self._services(rt, fork))
            fork.warm_senders.add(sender)
        except Exception:  # noqa: BLE001, S110 - warming is best effort; the next request stays cold
            pass


def _warm_bytecode_kernel() -> None:
    """Load (or, on a fresh install, compile) the bytecode scan kernel, so the first analysis with
    code to scan does not wait for it. Best effort: a kernel that cannot compile fails the enrich
    stage, visibly, later."""
    from txfirewall.enrich.bytecode import warm

    with contextlib.suppress(Exception):
        warm()
