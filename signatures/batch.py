"""Intents for requests that are more than one call: ``wallet_sendCalls`` batches, and the
EIP-7702 facts of a raw set-code transaction."""

from __future__ import annotations

from dataclasses import replace

from txfirewall.model.intent import Allowance, CallNode, Intent, IntentKind
from txfirewall.model.primitives import ZERO_ADDRESS, ChainId
from txfirewall.model.request import CallsRequest, RawTransaction
from txfirewall.signatures.nested import MAX_NODES, TRUNCATED, _Budget, node_for


def decode_batch(batch: CallsRequest) -> Intent:
    budget = _Budget()
    allowances: list[Allowance] = []
    children: list[CallNode] = []
    for i, call in enumerate(batch.calls):
        label = f"calls[{i}]"
        children.append(node_for(label, call.to, call.value, call.data, "call", 0, budget, allowances, label))
    notes = [f"{len(batch.calls)} calls" + (" that must all succeed together" if batch.atomic_required else "")]
    if budget.truncated:
        notes.append(f"call tree truncated at {MAX_NODES} calls")
    total = sum(c.value for c in batch.calls)
    return Intent(
        kind=IntentKind.CALL_BATCH,
        summary="",
        children=tuple(children),
        allowances=tuple(allowances),
        value=total,
        unlimited=any(a.unlimited for a in allowances),
        notes=tuple(notes),
        truncated=TRUNCATED if budget.truncated else None,
    )


def with_raw_tx_facts(intent: Intent, raw: RawTransaction, chain_id: ChainId | None) -> Intent:
    notes = list(intent.notes)
    if not raw.eip155:
        notes.append("signed without a chain id (pre-EIP-155): it can be replayed on every chain")
    if raw.tx_type == 3:
        notes.append(f"blob transaction carrying {len(raw.blob_hashes)} blob(s)")
    applied = raw.applied_authorizations(chain_id)
    for outcome in raw.authorization_outcomes(chain_id):
        auth = outcome.authorization
        if auth.problem is not None:
            notes.append(f"authorization {auth.index} is invalid and skipped: {auth.problem}")
        elif not auth.valid_on(chain_id):
            notes.append(f"authorization {auth.index} names chain {auth.chain_id} and is skipped")
        elif not outcome.applies:
            notes.append(f"authorization {auth.index} does not apply: {outcome.skipped_because}")
        elif auth not in applied:
            notes.append(f"authorization {auth.index} is overridden by a later one from the same authority")
        if auth.chain_id == 0 and auth.problem is None:
            notes.append(f"authorization {auth.index} has chain id 0: valid on every chain")
    delegations = tuple((a.authority, a.address) for a in applied if a.authority is not None)
    for authority, delegate in delegations:
        what = "clears the delegation of" if delegate == ZERO_ADDRESS else f"delegates to {delegate} the code of"
        notes.append(f"EIP-7702: {what} account {authority}")
    return replace(intent, notes=tuple(notes), delegations=delegations)
