"""The pipeline: decode, simulate, enrich, evaluate, decide; each stage timed and time-boxed.

Stages take a context and return a richer one. A stage that fails or times out is recorded in
``ctx.failures`` (which a rule turns into a warning) and the run goes on with what it has.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from txfirewall.chain.rpc_client import RpcClient
from txfirewall.decide.decision import decide, score
from txfirewall.decide.evaluate import evaluate
from txfirewall.decide.policy import Policy
from txfirewall.enrich.contract_age import ContractAgeCache, age_lookup
from txfirewall.enrich.history import HistoryIndex
from txfirewall.enrich.stage import enrich
from txfirewall.enrich.token_metadata import TokenCache
from txfirewall.heuristics.rule import Rule
from txfirewall.model.context import AnalysisContext, StageFailure
from txfirewall.model.facts import HistoryEntry, Label
from txfirewall.model.intent import Intent, IntentKind
from txfirewall.model.primitives import Address, ChainId
from txfirewall.model.request import Request
from txfirewall.model.simulation import Simulation, SimulationStatus
from txfirewall.model.verdict import Verdict
from txfirewall.signatures import decode_request, describe
from txfirewall.simulate.block_env import BlockEnv
from txfirewall.simulate.simulate_request import simulate_request

if TYPE_CHECKING:
    from txfirewall.graph.index import ProximityIndex
    from txfirewall.intel.store import IntelStore


@dataclass(frozen=True)
class StageTimeouts:
    decode: float = 2.0
    simulate: float = 15.0
    enrich: float = 10.0
    evaluate: float = 2.0


@dataclass(frozen=True)
class Services:
    """What the stages may use. ``sim_client`` runs simulations; ``facts_client`` reads state."""

    policy: Policy
    rules: Sequence[Rule[Any]]
    chain_id: ChainId | None = None
    sim_client: RpcClient | None = None
    facts_client: RpcClient | None = None
    skip_reason: str = "simulation is turned off"
    block_env: BlockEnv | None = None
    block_tag: str = "latest"
    """Block to simulate on and read from: ``latest`` on the pinned fork, its number upstream."""
    route: str = "fork"
    token_cache: TokenCache | None = None
    history_index: HistoryIndex | None = None
    """``history`` indexed once per Firewall."""
    """Realistic next-block environment of the pinned fork; a variant of it runs alongside."""
    history: tuple[HistoryEntry, ...] | None = None
    labels: Mapping[Address, tuple[Label, ...]] = field(default_factory=lambda: MappingProxyType({}))
    timeouts: StageTimeouts = StageTimeouts()
    intel: IntelStore | None = None
    """Shipped and imported address labels, merged with ``labels`` in the enrich stage."""
    graph: ProximityIndex | None = None
    """Precomputed address-graph proximity (``txfirewall graph build``)."""
    contract_ages: ContractAgeCache | None = None
    """Creation blocks found so far (per Firewall); None: contracts are not dated."""
    history_client: RpcClient | None = None
    """Reads historical state (contract ages): the upstream; None: ``facts_client``."""


Stage = Callable[[AnalysisContext], Awaitable[AnalysisContext]]


async def _timed(
    name: str, stage: Stage, ctx: AnalysisContext, timeout: float, timings: dict[str, float]
) -> AnalysisContext:
    start = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            return await stage(ctx)
    except TimeoutError:
        failure = StageFailure(name, f"timed out after {timeout:g}s")
    except Exception as exc:  # noqa: BLE001 - recorded, and it fails closed through a rule
        failure = StageFailure(name, f"{type(exc).__name__}: {exc}")
    finally:
        timings[name] = (time.perf_counter() - start) * 1000
    ctx = replace(ctx, failures=(*ctx.failures, failure))
    if name == "simulate" and ctx.simulation is None:
        ctx = replace(ctx, simulation=Simulation(status=SimulationStatus.FAILED, error=failure.error))
    return ctx


async def run_pipeline(request: Request, services: Services, timings: dict[str, float]) -> Verdict:
    """Analyse one parsed request. Never raises for anything the request or the node does."""
    ctx = AnalysisContext(request=request, chain_id=services.chain_id, history=services.history, labels=services.labels)

    async def decode_stage(c: AnalysisContext) -> AnalysisContext:
        return replace(c, intent=decode_request(c.request))

    async def simulate_stage(c: AnalysisContext) -> AnalysisContext:
        if services.sim_client is None:
            sim = Simulation(status=SimulationStatus.SKIPPED, error=services.skip_reason)
        else:
            sim = await simulate_request(
                c, services.sim_client, env=services.block_env, block=services.block_tag, chain_id=services.chain_id
            )
            sim = replace(sim, engine=f"eth_simulateV1 on the {services.route}")
        return replace(c, simulation=sim)

    async def enrich_stage(c: AnalysisContext) -> AnalysisContext:
        c = await enrich(
            c,
            services.facts_client,
            services.labels,
            block=services.block_tag,
            intel=services.intel,
            graph=services.graph,
            token_cache=services.token_cache,
            history_index=services.history_index,
            ages=age_lookup(
                services.contract_ages, services.block_env, services.timeouts.enrich, services.history_client
            ),
        )
        if c.intent is not None:
            c = replace(c, intent=replace(c.intent, summary=describe(c.intent, c.tokens, method=request.method.value)))
        return c

    ctx = await _timed("decode", decode_stage, ctx, services.timeouts.decode, timings)
    ctx = await _timed("simulate", simulate_stage, ctx, services.timeouts.simulate, timings)
    ctx = await _timed("enrich", enrich_stage, ctx, services.timeouts.enrich, timings)

    start = time.perf_counter()
    evaluation = evaluate(ctx, services.rules, services.policy)
    timings["evaluate"] = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    decision = decide(evaluation.findings, services.policy)
    risk = score(evaluation.findings)
    timings["decide"] = (time.perf_counter() - start) * 1000

    intent = ctx.intent or Intent(kind=IntentKind.UNANALYSED, summary="could not be decoded")
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
        timings_ms=timings,
    )
