"""Which simulation each kind of request gets.

* a transaction (``eth_sendTransaction``, ``eth_signTransaction``, a raw signed transaction):
  one call as its real sender, with its value and the gas it will really be sent with: its own
  gas limit, else the node's estimate plus a wallet's margin (``variants.wallet_gas``); the gas
  variants run it with other limits too (a contract that branches on ``gasleft()``). For an
  EIP-7702 transaction the authorizations that apply install their delegations first;
* a ``wallet_sendCalls`` batch: all calls as one ordered bundle;
* a permit signature (EIP-2612, DAI, Permit2): what it lets the spender do, see
  ``signature_effects``;
* a Seaport order: the marketplace filling it, moving what the signer offers to a buyer;
* anything else (a plain message, SIWE, an order without a simulatable effect): skipped, with
  the reason.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from txfirewall.errors import RpcCallError
from txfirewall.model.primitives import parse_quantity
from txfirewall.model.request import TransactionRequest
from txfirewall.model.simulation import Simulation, SimulationStatus
from txfirewall.simulate.block_env import BlockEnv
from txfirewall.simulate.signature_effects import balances, effect_calls, order_effect_calls, signature_grants
from txfirewall.simulate.simulator import call_object, simulate_calls
from txfirewall.simulate.validity import earliest_deadline
from txfirewall.simulate.variants import block_variants, gas_variants, wallet_gas

if TYPE_CHECKING:
    from txfirewall.chain.rpc_client import RpcClient
    from txfirewall.model.context import AnalysisContext
    from txfirewall.model.primitives import Address, ChainId


async def simulate_request(
    ctx: AnalysisContext, client: RpcClient, *, env: BlockEnv | None, block: str, chain_id: ChainId | None
) -> Simulation:
    request = ctx.request
    deadline = earliest_deadline(ctx.intent, env.timestamp) if env else None
    variants = block_variants(env, deadline) if env else ()
    if request.calls is not None:
        sender = request.calls.sender
        if sender is None:
            return Simulation(status=SimulationStatus.SKIPPED, error="the batch names no sender ('from')")
        bundle = [TransactionRequest(sender=sender, to=c.to, value=c.value, data=c.data) for c in request.calls.calls]
        if not bundle:
            return Simulation(status=SimulationStatus.SKIPPED, error="the batch has no calls")
        return await simulate_calls(client, bundle, env=env, variants=variants, block=block)
    if request.transaction is not None:
        delegations: dict[Address, Address] = {}
        if request.raw_tx is not None:
            for auth in request.raw_tx.applied_authorizations(chain_id):
                if auth.authority is not None:
                    delegations[auth.authority] = auth.address
        tx, estimate = request.transaction, None
        if tx.gas is None:
            estimate = await estimate_gas(client, tx, block)
            if estimate is not None:
                tx = replace(tx, gas=wallet_gas(estimate, env.gas_limit if env else None))
        if tx.gas is not None:
            variants = (*variants, *gas_variants(env, tx.gas, estimate=estimate))
        sim = await simulate_calls(client, [tx], env=env, variants=variants, delegations=delegations, block=block)
        if estimate is not None:
            note = (
                f"simulated with {tx.gas:,} gas, as a wallet sends it (the node's estimate {estimate:,} plus a margin)"
            )
            sim = replace(sim, notes=(note, *sim.notes))
        return sim
    grants = signature_grants(request, ctx.intent) if ctx.intent is not None else []
    order_calls = order_effect_calls(request, ctx.intent) if ctx.intent is not None else []
    if order_calls:
        sim = await simulate_calls(client, order_calls, env=env, variants=(), trace=False, block=block)
        note = (
            "simulated this order being filled: the marketplace moving what you offer to a buyer, "
            "through the approvals you have today"
        )
        if sim.status is SimulationStatus.REVERTED:
            note += "; it cannot take them today (missing approval or balance), but it can once you approve"
        return replace(sim, notes=(note, *sim.notes), signature_effect=True)
    if grants and request.sender is not None:
        tokens = list(dict.fromkeys(a.token for a in grants if a.token is not None))
        held = await balances(client, request.sender, tokens, block)
        sim = await simulate_calls(
            client, effect_calls(request, grants, held), env=env, variants=(), trace=False, block=block
        )
        note = (
            "simulated what this signature lets its spender do: the allowance it grants, then the "
            "spender taking everything it covers"
        )
        return replace(sim, notes=(note, *sim.notes), signature_effect=True)
    return Simulation(status=SimulationStatus.SKIPPED, error="nothing to simulate: a signature with no asset effect")


async def estimate_gas(client: RpcClient, tx: TransactionRequest, block: str) -> int | None:
    """The node's ``eth_estimateGas`` for ``tx`` at ``block``; None when the node cannot estimate it
    (the call reverts at any gas, the sender cannot pay the value): the simulation then runs with
    the node's default gas and shows why. Transport failures raise (the pipeline fails closed)."""
    call = call_object(tx, data_key="data")
    try:
        result = await client.call("eth_estimateGas", [call, block])
    except RpcCallError:
        return None
    try:
        return parse_quantity(result)
    except (TypeError, ValueError):
        return None
