"""The pipeline: decode, simulate, enrich, evaluate, decide; each stage timed and time-boxed.

Stages take a context and return a richer one. A stage that fails or times out is recorded in
``ctx.failures`` (which a rule turns into a warning; a failed simulation blocks) and the run goes
on with what it has. When the simulate stage found the node unreachable or too slow, the later
stages do not wait on it again: enrich reads nothing from the node (it still uses what needs no
node: lists, history, decoded calldata) and the chain state is not awaited, so a dead node costs
one stage timeout, not one per stage. The intent's plain-words summary is written once, after
enrich, when token symbols are known.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from txfirewall.decide.decision import decide, score
from txfirewall.decide.evaluate import evaluate
from txfirewall.decide.policy import Policy
from txfirewall.enrich.bytecode import BytecodeScanner
from txfirewall.enrich.contract_age import ContractAgeCache, age_lookup
from txfirewall.enrich.history import HistoryIndex
from txfirewall.enrich.stage import enrich
from txfirewall.enrich.token_metadata import TokenCache
from txfirewall.errors import EnvironmentFailure, RpcCallError
from txfirewall.heuristics.rule import Rule
from txfirewall.model.chain_state import ChainState
from txfirewall.model.context import AnalysisContext, StageFailure
from txfirewall.model.facts import Label, ProximityLookup
from txfirewall.model.intent import Intent, IntentKind
from txfirewall.model.primitives import Address, ChainId
from txfirewall.model.request import Request
from txfirewall.model.simulation import Simulation, SimulationStatus
from txfirewall.model.verdict import Verdict
from txfirewall.signatures.decode import decode_intent
from txfirewall.signatures.intent_text import describe
from txfirewall.simulate.block_env import BlockEnv
from txfirewall.simulate.simulate_request import simulate_request

if TYPE_CHECKING:
    from txfirewall.chain.rpc_client import RpcClient
    from txfirewall.intel.store import IntelStore


CHAIN_STATE_WAIT_WHEN_DOWN = 0.5
"""Seconds the rules wait for the head check once the simulate stage found the node down."""


@dataclass(frozen=True)
class StageTimeouts:
    """Seconds each stage may take before it is recorded as failed (and the verdict fails closed)."""

    decode: float = 2.0
    simulate: float = 15.0
    enrich: float = 10.0
    evaluate: float = 2.0
    """A budget, checked between rules (rules are synchronous): the rules not reached are skipped."""


@dataclass(frozen=True)
class RequestLimits:
    """Sizes past which a request is not sent to the simulator (the verdict then warns, naming
    the limit). Past them a node refuses the simulation batch anyway, and public mempools refuse
    the transaction: geth accepts at most 128 KiB per transaction."""

    max_calldata_bytes: int = 128 * 1024
    """Calldata of one transaction, or of one call in a ``wallet_sendCalls`` batch."""
    max_batch_calldata_bytes: int = 512 * 1024
    """Calldata of all the calls of one batch together."""


def over_limits(request: Request, limits: RequestLimits) -> str | None:
    """Why ``request`` is too large to simulate, naming the limit; None when it is not."""
    field_name = "FirewallConfig.limits.max_calldata_bytes"
    datas = [c.data for c in request.calls.calls] if request.calls is not None else []
    if request.transaction is not None and not datas:
        datas = [request.transaction.data]
    largest = max((len(d) for d in datas), default=0)
    if largest > limits.max_calldata_bytes:
        return (
            f"its calldata is {largest:,} bytes, over the limit of {limits.max_calldata_bytes:,} bytes "
            f"({field_name}; nodes refuse transactions this large), so it was not simulated"
        )
    total = sum(len(d) for d in datas)
    if total > limits.max_batch_calldata_bytes:
        return (
            f"its calls carry {total:,} bytes of calldata together, over the limit of "
            f"{limits.max_batch_calldata_bytes:,} bytes (FirewallConfig.limits.max_batch_calldata_bytes), "
            "so it was not simulated"
        )
    return None


@dataclass(frozen=True)
class ChainAccess:
    """Where the stages read the chain: the pinned fork, or the upstream while the fork is cold."""

    chain_id: ChainId | None = None
    sim_client: RpcClient | None = None
    """Runs simulations; None: the simulate stage is skipped with ``skip_reason``."""
    facts_client: RpcClient | None = None
    """Reads code and token metadata."""
    history_client: RpcClient | None = None
    """Reads historical state (contract ages): the upstream; None: ``facts_client``."""
    block_env: BlockEnv | None = None
    """Realistic next-block environment of the pinned fork; a variant of it runs alongside."""
    block_tag: str = "latest"
    """Block to simulate on and read from: ``latest`` on the pinned fork, its number upstream."""
    route: str = "fork"
    skip_reason: str = "simulation is turned off"
    chain_state: Callable[[], Awaitable[ChainState]] | None = None
    """Awaited before the rules run: the pinned block and how fresh it is (it waits for the head
    check running alongside the analysis). None when there is no fork."""


@dataclass(frozen=True)
class Knowledge:
    """What the user and the lists know about addresses."""

    history: HistoryIndex | None = None
    """The user's history, indexed once per Firewall; None: no history given."""
    labels: Mapping[Address, tuple[Label, ...]] = field(default_factory=lambda: MappingProxyType({}))
    intel: IntelStore | None = None
    """Shipped and imported address labels, merged with ``labels`` in the enrich stage."""
    graph: ProximityLookup | None = None
    """Precomputed address-graph proximity (``txfirewall graph build``)."""


@dataclass(frozen=True)
class Caches:
    """What a Firewall learns once and reuses across analyses."""

    tokens: TokenCache | None = None
    contract_ages: ContractAgeCache | None = None
    """Creation blocks found so far; None: contracts are not dated."""
    bytecode: BytecodeScanner | None = None
    """Bytecode scan results by code hash; None: a fresh scanner per analysis."""


@dataclass(frozen=True)
class Services:
    """What the stages may use for one analysis."""

    policy: Policy
    rules: Sequence[Rule[Any]]
    chain: ChainAccess = ChainAccess()
    knowledge: Knowledge = Knowledge()
    caches: Caches = Caches()
    timeouts: StageTimeouts = StageTimeouts()
    limits: RequestLimits = RequestLimits()


Stage = Callable[[AnalysisContext], Awaitable[AnalysisContext]]

stage_listener: ContextVar[Callable[[str], None] | None] = ContextVar("txfirewall_stage_listener", default=None)
"""Set it to be told each stage's name as it starts (``decode``, ``simulate``, ``enrich``,
``evaluate``, ``decide``): the terminal app shows an analysis's progress with it. It is read in
the task that runs the analysis (``Firewall.analyze`` copies the caller's context into it); the
callable must be quick and must not block. What it raises is ignored: progress never costs a
verdict."""


def _announce(stage: str) -> None:
    listener = stage_listener.get()
    if listener is not None:
        with contextlib.suppress(Exception):
            listener(stage)


async def _timed(name: str, stage: Stage, ctx: AnalysisContext, timeout: float) -> tuple[AnalysisContext, float]:
    """Run one stage under its timeout; returns the new context and the milliseconds it took."""
    _announce(name)
    start = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            return await stage(ctx), (time.perf_counter() - start) * 1000
    except TimeoutError:
        failure = StageFailure(name, f"timed out after {timeout:g}s", node_down=True)
    except Exception as exc:  # noqa: BLE001 - recorded, and it fails closed through a rule
        down = isinstance(exc, EnvironmentFailure) and not isinstance(exc, RpcCallError)
        failure = StageFailure(name, f"{type(exc).__name__}: {exc}", node_down=down)
    ctx = replace(ctx, failures=(*ctx.failures, failure))
    if name == "simulate" and ctx.simulation is None:
        ctx = replace(ctx, simulation=Simulation(status=SimulationStatus.FAILED, error=failure.error))
    return ctx, (time.perf_counter() - start) * 1000


def node_unreachable(ctx: AnalysisContext) -> str | None:
    """Why the node is taken to be down for the rest of this analysis: the simulate stage timed out
    or failed in transport (not a JSON-RPC error the node answered with); None otherwise."""
    for failure in ctx.failures:
        if failure.stage == "simulate" and failure.node_down:
            return failure.error
    return None


def _summarised(ctx: AnalysisContext, method: str) -> Intent:
    """The intent with its summary, written once with the token symbols enrich found."""
    intent = ctx.intent or Intent(kind=IntentKind.UNANALYSED, summary="could not be decoded")
    if ctx.intent is None:
        return intent
    try:
        return replace(intent, summary=describe(intent, ctx.tokens, method=method, sender=ctx.request.sender))
    except Exception as exc:  # noqa: BLE001 - a summary must never cost the verdict
        return replace(intent, summary=f"(could not be described: {type(exc).__name__})")


async def run_pipeline(request: Request, services: Services) -> Verdict:
    """Analyse one parsed request. Never raises for anything the request or the node does."""
    chain, knowledge, caches = services.chain, services.knowledge, services.caches
    history = knowledge.history
    ctx = AnalysisContext(
        request=request,
        chain_id=chain.chain_id,
        history=history.entries if history is not None else None,
        counterparties=history.counterparties(request.sender) if history and request.sender else None,
        baseline=history.baseline(request.sender) if history and request.sender else None,
        now=chain.block_env.timestamp if chain.block_env is not None else int(time.time()),
        labels=knowledge.labels,
    )

    async def decode_stage(c: AnalysisContext) -> AnalysisContext:
        return replace(c, intent=decode_intent(c.request))

    async def simulate_stage(c: AnalysisContext) -> AnalysisContext:
        too_large = over_limits(c.request, services.limits) if chain.sim_client is not None else None
        if chain.sim_client is None:
            sim = Simulation(status=SimulationStatus.SKIPPED, error=chain.skip_reason)
        elif too_large is not None:
            sim = Simulation(status=SimulationStatus.FAILED, error=too_large)
        else:
            sim = await simulate_request(
                c, chain.sim_client, env=chain.block_env, block=chain.block_tag, chain_id=chain.chain_id
            )
            sim = replace(sim, engine=f"eth_simulateV1 on the {chain.route}")
        return replace(c, simulation=sim)

    async def enrich_stage(c: AnalysisContext) -> AnalysisContext:
        down = node_unreachable(c)
        facts_client = None if down else chain.facts_client
        history_client = None if down else chain.history_client
        ages = age_lookup(caches.contract_ages, chain.block_env, services.timeouts.enrich, history_client)
        return await enrich(
            c,
            facts_client,
            knowledge.labels,
            block=chain.block_tag,
            intel=knowledge.intel,
            graph=knowledge.graph,
            token_cache=caches.tokens,
            history_index=knowledge.history,
            ages=ages,
            bytecode=caches.bytecode,
        )

    timings: dict[str, float] = {}
    timeouts = services.timeouts
    ctx, timings["decode"] = await _timed("decode", decode_stage, ctx, timeouts.decode)
    ctx, timings["simulate"] = await _timed("simulate", simulate_stage, ctx, timeouts.simulate)
    down = node_unreachable(ctx)
    ctx, timings["enrich"] = await _timed("enrich", enrich_stage, ctx, timeouts.enrich)
    if down is not None and chain.facts_client is not None:
        skipped = StageFailure("enrich", f"read nothing from the node: it did not answer the simulation ({down})")
        ctx = replace(ctx, failures=(*ctx.failures, skipped))
    intent = _summarised(ctx, request.method.value)
    if chain.chain_state is not None:
        try:
            # A node that did not answer the simulation will not answer the head check either.
            async with asyncio.timeout(CHAIN_STATE_WAIT_WHEN_DOWN if down is not None else None):
                ctx = replace(ctx, chain_state=await chain.chain_state())
        except TimeoutError:
            pass

    _announce("evaluate")
    start = time.perf_counter()
    evaluation = evaluate(ctx, services.rules, services.policy, budget_seconds=timeouts.evaluate)
    timings["evaluate"] = (time.perf_counter() - start) * 1000
    _announce("decide")
    start = time.perf_counter()
    decision = decide(evaluation.findings, services.policy)
    risk = score(evaluation.findings)
    timings["decide"] = (time.perf_counter() - start) * 1000

    return Verdict(
        decision=decision,
        score=risk,
        findings=evaluation.findings,
        intent=intent,
        simulation=ctx.simulation or Simulation(status=SimulationStatus.SKIPPED),
        method=request.method.value,
        sender=request.sender,
        chain_id=ctx.chain_id,
        origin=request.origin,
        addresses=tuple(ctx.addresses[a] for a in sorted(ctx.addresses)),
        tokens=tuple(ctx.tokens[t] for t in sorted(ctx.tokens)),
        skipped_rules=evaluation.skipped,
        timings_ms=MappingProxyType(timings),
        block=ctx.chain_state,
    )
