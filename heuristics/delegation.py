"""Rules about EIP-7702 authorizations and raw signed transactions, read from the request itself.

Deliberately not reported here: the delegation's effect after execution (code_changes.py reads it
from the simulation); invalid tuples, which the EVM skips (the intent notes them).
"""

from __future__ import annotations

from txfirewall.heuristics.rule import Hit, NoParams, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity


@rule(
    id="delegation-any-chain",
    title="EIP-7702 authorization valid on every chain",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    requires=(Fact.REQUEST,),
)
def delegation_any_chain(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """An authorization with chain id 0 can be replayed on every EVM chain where the account has
    the same nonce: one signature hands the account's code to the delegate everywhere."""
    raw = ctx.request.raw_tx
    if raw is None:
        return None
    for auth in raw.authorizations:
        if auth.chain_id == 0 and auth.problem is None:
            return Hit(
                message=f"Authorization {auth.index} lets {auth.address} run as account {auth.authority} on "
                "every chain (chain id 0), not just this one.",
                evidence={
                    "index": auth.index,
                    "authority": auth.authority,
                    "delegate": auth.address,
                    "nonce": auth.nonce,
                },
                subject=auth.address,
            )
    return None


@rule(
    id="unprotected-raw-transaction",
    title="Raw transaction signed without a chain id",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    requires=(Fact.REQUEST,),
)
def unprotected_raw_transaction(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """A legacy transaction with v = 27/28 (no EIP-155) can be replayed on any chain; geth refuses
    it over RPC unless --rpc.allow-unprotected-txs."""
    raw = ctx.request.raw_tx
    if raw is None or raw.eip155:
        return None
    return Hit(
        message="This signed transaction has no chain id (pre-EIP-155), so anyone can replay it on every "
        "chain where the sender's nonce matches.",
        evidence={"sender": raw.sender, "v": raw.signature[0], "hash": "0x" + raw.hash.hex()},
    )


@rule(
    id="overwrites-existing-delegation",
    title="Replaces your account's current EIP-7702 delegation",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.REQUEST, Fact.CODE),
)
def overwrites_existing_delegation(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """The account already runs a delegate's code and this authorization swaps it for another:
    whatever the old delegate guarded (session keys, recovery, spending limits) goes away.
    MetaMask refuses to silently overwrite a delegation; here it asks for a deliberate yes.
    Revocations (to 0x0) and re-delegating to the same code do not fire."""
    raw = ctx.request.raw_tx
    current = ctx.sender_code.delegation_to if ctx.sender_code is not None else None
    if raw is None or current is None:
        return None
    for auth in raw.applied_authorizations(ctx.chain_id):
        if auth.authority != ctx.request.sender or int(auth.address, 16) == 0 or auth.address == current:
            continue
        return Hit(
            message=f"Your account is delegated to {current} today; this authorization replaces it with {auth.address}. "
            "Whatever the current delegate protects would stop applying.",
            evidence={"authority": auth.authority, "current_delegate": current, "new_delegate": auth.address},
            subject=auth.address,
        )
    return None
