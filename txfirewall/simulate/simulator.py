"""The simulate stage's engine: one JSON-RPC batch on a pinned, never-mutated fork.

The batch holds: ``eth_simulateV1`` (``traceTransfers``) in a realistic next-block environment;
the same in variant block environments and with other gas limits (the simulation-evasion
differential, see ``variants``); and, for a single call,
``debug_traceCall`` with the ``prestateTracer`` diff (code, delegation and proxy-slot changes,
created contracts) and the ``callTracer`` (who pulled the funds). All stateless, so concurrent
simulations on one fork are isolated by construction. Logs of a failed call are ignored: reverted
calls still carry the top-level ETH pseudo-log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from txfirewall.errors import RpcCallError, UpstreamError
from txfirewall.model.primitives import Address, parse_data, parse_quantity, to_quantity
from txfirewall.model.simulation import (
    CallFrame,
    CodeChange,
    CodeChangeKind,
    FundsPull,
    Simulation,
    SimulationStatus,
    net_changes,
)
from txfirewall.signatures.custom_errors import describe_revert
from txfirewall.simulate.asset_changes import read_log_effects
from txfirewall.simulate.call_frames import read_call_tree
from txfirewall.simulate.code_changes import code_changes_from_diff, ownership_changes
from txfirewall.simulate.differential import compare

if TYPE_CHECKING:
    from txfirewall.chain.rpc_client import RpcClient
    from txfirewall.model.request import TransactionRequest
    from txfirewall.simulate.block_env import BlockEnv
    from txfirewall.simulate.variants import Variant


def call_object(tx: TransactionRequest, *, data_key: str = "input") -> dict[str, Any]:
    call: dict[str, Any] = {"from": tx.sender, "value": to_quantity(tx.value), data_key: "0x" + tx.data.hex()}
    if tx.to is not None:
        call["to"] = tx.to
    if tx.gas is not None:
        call["gas"] = to_quantity(tx.gas)
    return call


def _simulate_payload(
    calls: Sequence[TransactionRequest], env: BlockEnv | None, state: Mapping[str, Any] | None
) -> dict[str, Any]:
    block: dict[str, Any] = {"calls": [call_object(tx) for tx in calls]}
    if env is not None:
        block["blockOverrides"] = env.overrides()
    if state:
        block["stateOverrides"] = dict(state)
    return {"blockStateCalls": [block], "traceTransfers": True, "validation": False}


def _trace_options(
    tracer: str, config: dict[str, Any], env: BlockEnv | None, state: Mapping[str, Any] | None
) -> dict[str, Any]:
    options: dict[str, Any] = {"tracer": tracer, "tracerConfig": config}
    if env is not None:
        options["blockOverrides"] = env.overrides()
    if state:
        options["stateOverrides"] = dict(state)
    return options


def read_simulate_result(result: Any) -> Simulation:
    """Parse one ``eth_simulateV1`` result (one block, one or more calls)."""
    try:
        block_result = result[0]
        calls = block_result["calls"]
        block_number = parse_quantity(block_result["number"])
        outcomes = [
            (
                parse_quantity(c["status"]) == 1,
                parse_quantity(c["gasUsed"]),
                parse_data(c.get("returnData") or "0x"),
                c.get("logs") or [],
            )
            for c in calls
        ]
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise UpstreamError(f"eth_simulateV1 answered in an unexpected shape: {exc}") from exc
    gas = sum(o[1] for o in outcomes)
    failed = [(i, o) for i, o in enumerate(outcomes) if not o[0]]
    if failed:
        index, (_, _, data, _) = failed[0]
        reason = describe_revert(data) or "no reason given"
        if len(outcomes) > 1:
            reason = f"call {index + 1} of {len(outcomes)}: {reason}"
        return Simulation(
            status=SimulationStatus.REVERTED, block_number=block_number, gas_used=gas, revert_reason=reason
        )
    logs = [log for o in outcomes for log in o[3]]
    effects = read_log_effects(logs)
    notes = (f"{effects.skipped_logs} malformed log(s) ignored",) if effects.skipped_logs else ()
    return Simulation(
        status=SimulationStatus.SUCCESS,
        block_number=block_number,
        gas_used=gas,
        transfers=effects.transfers,
        approvals=effects.approvals,
        changes=net_changes(effects.transfers),
        code_changes=tuple(ownership_changes(logs)),
        notes=notes,
    )


async def simulate_calls(
    client: RpcClient,
    calls: Sequence[TransactionRequest],
    *,
    env: BlockEnv | None = None,
    variants: Sequence[Variant] = (),
    state_overrides: Mapping[str, Any] | None = None,
    delegations: Mapping[Address, Address] | None = None,
    trace: bool = True,
    block: str = "latest",
) -> Simulation:
    """Simulate ``calls`` in order, as their real senders with their real gas limits and values.

    ``delegations`` maps each EIP-7702 authority whose authorization applies to its delegate
    (the zero address clears): the designator is installed as a state override, so the calls run
    the delegated code, and the change is reported. ``env`` is the environment reported; each of
    ``variants`` (another block environment, or other gas limits) runs too and any difference in
    the asset effects is reported.

    Transport errors raise (the pipeline records them and fails closed); a call the node refuses
    (e.g. ``-32003`` insufficient funds) is a FAILED simulation carrying the node's message.
    """
    state_overrides, delegated = _with_delegations(state_overrides, delegations or {})
    calls, state_overrides, creation_notes = _as_deployer_calls(calls, state_overrides)
    batch: list[tuple[str, list[Any]]] = [("eth_simulateV1", [_simulate_payload(calls, env, state_overrides), block])]
    for variant in variants:
        run = calls if variant.gas is None else [replace(tx, gas=g) for tx, g in zip(calls, variant.gas, strict=True)]
        batch.append(("eth_simulateV1", [_simulate_payload(run, variant.env, state_overrides), block]))
    traced = trace and len(calls) == 1
    if traced:
        tx = call_object(calls[0], data_key="data")
        batch.append(
            ("debug_traceCall", [tx, block, _trace_options("prestateTracer", {"diffMode": True}, env, state_overrides)])
        )
        batch.append(
            ("debug_traceCall", [tx, block, _trace_options("callTracer", {"withLog": True}, env, state_overrides)])
        )
    replies = await client.batch(batch)
    primary_reply = replies[0]
    if isinstance(primary_reply, RpcCallError):
        return Simulation(status=SimulationStatus.FAILED, error=primary_reply.rpc_message or str(primary_reply))
    sim = read_simulate_result(primary_reply)
    notes = [*creation_notes, *sim.notes]
    divergence = None
    compared = 0
    for variant, variant_reply in zip(variants, replies[1 : 1 + len(variants)], strict=True):
        if isinstance(variant_reply, RpcCallError):
            notes.append(f"the run in {variant.label} failed: {variant_reply.rpc_message}")
            continue
        compared += 1
        found = compare(
            sim,
            read_simulate_result(variant_reply),
            variant.label,
            primary_label=variant.primary_label,
            less_gas=variant.less_gas,
            kind=variant.kind,
        )
        if found is not None and divergence is None:
            divergence = found
    code_changes = delegated + list(sim.code_changes) if sim.ran else list(sim.code_changes)
    frames: tuple[CallFrame, ...] = ()
    pulls: tuple[FundsPull, ...] = ()
    diff_unread = None
    if not traced:
        diff_unread = "a run of several calls is not traced" if len(calls) > 1 else "the run was not traced"
    if traced:
        diff_reply, tree_reply = replies[-2], replies[-1]
        if isinstance(diff_reply, RpcCallError) or not isinstance(diff_reply, Mapping):
            notes.append("state diff unavailable: code and proxy changes not checked")
            diff_unread = "the node did not return it"
        elif sim.status is SimulationStatus.SUCCESS:
            try:
                code_changes = code_changes_from_diff(diff_reply) + code_changes
            except (ValueError, TypeError, AttributeError):
                notes.append("state diff malformed: code and proxy changes not checked")
                diff_unread = "the node returned it malformed"
        if isinstance(tree_reply, RpcCallError) or not isinstance(tree_reply, Mapping):
            notes.append("call tree unavailable")
        else:
            frames, pulls, truncated = read_call_tree(tree_reply)
            if truncated:
                notes.append("call tree truncated")
    return Simulation(
        status=sim.status,
        block_number=sim.block_number,
        gas_used=sim.gas_used,
        revert_reason=sim.revert_reason,
        transfers=sim.transfers,
        approvals=sim.approvals,
        changes=sim.changes,
        code_changes=tuple(code_changes),
        frames=frames,
        pulls=pulls,
        divergence=divergence,
        variants_compared=compared,
        state_diff_unread=diff_unread if sim.status is SimulationStatus.SUCCESS else None,
        environment=env.to_json() if env else None,
        notes=tuple(notes),
    )


DEPLOYER_CODE = "0x36600060003736600034f0801560185760005260206000f35b3d600060003e3d6000fd"
"""CALLDATACOPY the init code, CREATE it with the call's value, return the new address (or revert
with the constructor's revert data). Installed on the sender for a contract creation."""


def _as_deployer_calls(
    calls: Sequence[TransactionRequest], state: dict[str, Any]
) -> tuple[list[TransactionRequest], dict[str, Any], list[str]]:
    """Contract creations (no ``to``) as calls the node can simulate: anvil's ``eth_simulateV1`` and
    ``debug_traceCall`` refuse a call without ``to``, so the sender runs a tiny deployer (a state
    override of its own code) that CREATEs the init code. The constructor sees the user as
    ``msg.sender`` and gets the value, as in a real deployment; the new address can differ by one
    nonce from the one a real deployment takes."""
    if all(tx.to is not None for tx in calls):
        return list(calls), state, []
    merged = {k: dict(v) for k, v in state.items()}
    out = []
    for tx in calls:
        if tx.to is None:
            merged.setdefault(tx.sender, {})["code"] = DEPLOYER_CODE
            tx = replace(tx, to=tx.sender)
        out.append(tx)
    note = (
        "contract creation simulated through a deployer on your own account (the new address may differ by one nonce)"
    )
    return out, merged, [note]


def _with_delegations(
    state: Mapping[str, Any] | None, delegations: Mapping[Address, Address]
) -> tuple[dict[str, Any], list[CodeChange]]:
    merged: dict[str, Any] = {k: dict(v) for k, v in (state or {}).items()}
    changes: list[CodeChange] = []
    for authority, delegate in delegations.items():
        cleared = int(delegate, 16) == 0
        merged.setdefault(authority, {})["code"] = "0x" if cleared else "0xef0100" + delegate[2:].lower()
        kind = CodeChangeKind.DELEGATION_CLEARED if cleared else CodeChangeKind.DELEGATION_SET
        changes.append(CodeChange(kind, authority, None, None if cleared else delegate))
    return merged, changes
