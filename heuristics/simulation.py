"""Rules about the simulation itself: it failed, it reverted, or it did not run.

Fail closed: when txfirewall could not see what a request does (node down, timeout, a call the
node refused), it blocks and says why; when the user turned simulation off, it says so at info
level. A part of the analysis that failed otherwise leaves the verdict at least at warn.
"""

from __future__ import annotations

from txfirewall.heuristics.rule import Hit, NoParams, Skip, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.simulation import SimulationStatus


@rule(
    id="simulation-reverted",
    title="The transaction would fail",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.SIMULATION,),
)
def simulation_reverted(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """A reverting transaction costs gas for nothing, and some contracts revert only when watched."""
    sim = ctx.simulation
    if sim is None or sim.status is not SimulationStatus.REVERTED or sim.signature_effect:
        return None
    reason = sim.revert_reason or "no reason given"
    return Hit(
        message=f"Simulated on the current chain state, this transaction reverts ({reason}).",
        evidence={"revert_reason": sim.revert_reason, "block_number": sim.block_number},
    )


@rule(
    id="simulation-unavailable",
    title="The effects could not be simulated",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    requires=(Fact.REQUEST,),
)
def simulation_unavailable(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """Simulation was attempted and failed (node down or too slow, the stage timed out, the node
    refused the call, the request is over a size limit): the effects are unknown, so the request
    is blocked with the reason: fail closed (RELIABILITY A5, A8 cases 10 and 48), as Clef rejects
    what it cannot validate unless run with ``--advanced``. The explicit override is the policy's
    ``[rules.simulation-unavailable] severity = "medium"`` (warn instead). When the user turned
    simulation off (offline), say so at info level instead."""
    sim = ctx.simulation
    if sim is None:
        return None
    if sim.status is SimulationStatus.FAILED:
        what = "transaction" if ctx.request.transaction is not None or ctx.request.calls is not None else "request"
        return Hit(
            message=f"txfirewall could not simulate this {what}: {sim.error}. Its effects are unknown, so it is "
            "refused (fail closed); try again when the node answers.",
            evidence={"error": sim.error},
        )
    executes = ctx.request.transaction is not None or ctx.request.calls is not None
    if sim.status is SimulationStatus.SKIPPED and executes:
        return Hit(
            message="Simulation was turned off; only the decoded calldata was checked.",
            evidence={"reason": sim.error},
            severity=Severity.INFO,
        )
    return None


@rule(
    id="analysis-stage-failed",
    title="Part of the analysis failed",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.REQUEST,),
)
def analysis_stage_failed(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """Any stage that crashed or timed out leaves the verdict at least at warn."""
    if not ctx.failures:
        return None
    stages = ", ".join(f"{f.stage} ({f.error})" for f in ctx.failures)
    return Hit(
        message=f"Some checks could not run: {stages}. Treat this request with care.",
        evidence={"failures": [{"stage": f.stage, "error": f.error} for f in ctx.failures]},
    )


@rule(
    id="simulation-divergence",
    title="Behaves differently when it thinks it is watched",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    requires=(Fact.SIMULATION,),
)
def simulation_divergence(ctx: AnalysisContext, params: NoParams) -> Hit | Skip | None:
    """Simulation evasion: a contract that checks ``block.coinbase``, the timestamp, the block gas
    limit or its own ``gasleft()`` to look harmless in a simulator and drain on a real block, or
    with the gas a wallet really sends. Honest contracts do not move assets differently between
    two plausible next blocks, or with more gas than they need. Not reported: a revert in the run
    that had less gas (out of gas), a passed deadline, amounts drifting by under 1 %, a different
    gas used. Skipped when a transaction could not be re-run in any other block environment (what
    a signature allows is not re-run)."""
    sim = ctx.simulation
    if sim is None:
        return None
    if sim.divergence is None:
        if sim.variants_compared == 0 and not sim.signature_effect:
            why = "no block environment to vary" if sim.environment is None else "every such run failed"
            return Skip(
                f"the transaction was not re-run in another block environment ({why}), so behaviour that "
                "changes with the block it lands in could not be checked"
            )
        return None
    d = sim.divergence
    what = "the gas limit it is sent with" if d.kind == "gas" else "the block it lands in"
    return Hit(
        message=(
            f"This transaction changes its behaviour with {what}: {d.description}. "
            "Contracts that do this are hiding what they do from simulators."
        ),
        evidence={
            "description": d.description,
            "varied": d.kind,
            "realistic_block_only": list(d.primary),
            "other_environment_only": list(d.variant),
        },
    )
