"""The enrich stage: facts about every address the request touches, its tokens, and the site that
sent it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from txfirewall.enrich.bytecode import BytecodeScanner
from txfirewall.enrich.code_facts import CodeFacts, read_code_facts
from txfirewall.enrich.contract_age import AgeLookup, apply_ages, start_age_lookup
from txfirewall.enrich.history import HistoryIndex
from txfirewall.enrich.holdings import fetch_holdings
from txfirewall.enrich.origin import origin_facts
from txfirewall.enrich.token_metadata import TokenCache, fetch_token_info
from txfirewall.errors import UpstreamError
from txfirewall.intel.delegates import delegate_listing
from txfirewall.intel.known_contracts import known_contract_name
from txfirewall.model.context import StageFailure
from txfirewall.model.facts import AddressFacts, Label, ProximityLookup, TokenInfo
from txfirewall.model.hashing import keccak256
from txfirewall.model.holdings import Holdings
from txfirewall.model.intent import IntentKind
from txfirewall.model.primitives import ZERO_ADDRESS, Address
from txfirewall.model.simulation import CodeChangeKind
from txfirewall.signatures.erc7730 import descriptor_owner

if TYPE_CHECKING:
    from collections.abc import Mapping

    from txfirewall.chain.rpc_client import RpcClient
    from txfirewall.intel.store import IntelStore
    from txfirewall.model.context import AnalysisContext


def touched_addresses(ctx: AnalysisContext) -> dict[Address, list[str]]:
    """Every counterparty with the roles it plays, the user's own address excluded."""
    roles: dict[Address, list[str]] = {}
    user = ctx.request.sender

    def add(address: Address | None, role: str) -> None:
        if address is None or address == user:
            return
        bucket = roles.setdefault(address, [])
        if role not in bucket:
            bucket.append(role)

    tx = ctx.request.transaction
    intent = ctx.intent
    if tx is not None:
        add(tx.to, "called" if tx.data else "recipient")
    if intent is not None:
        if intent.kind is IntentKind.TOKEN_APPROVAL:
            add(intent.counterparty, "spender")
        else:
            add(intent.counterparty, "recipient")
        add(intent.owner, "token-owner")
        add(intent.token, "token")
        for allowance in intent.allowances:  # includes approvals nested deep in a call tree
            add(allowance.spender, "spender")
            add(allowance.token, "token")
        for _authority, delegate in intent.delegations:
            if delegate != ZERO_ADDRESS:  # the zero address clears a delegation
                add(delegate, "delegate")
    typed = ctx.request.typed_data
    if typed is not None:
        add(typed.verifying_contract, "verifying-contract")
        for _path, address in typed.addresses[:MAX_TYPED_DATA_ADDRESSES]:
            add(address, "named-in-signature")
    sim = ctx.simulation
    if sim is not None and sim.ran:
        for t in sim.transfers:
            if t.sender == user:
                add(t.recipient, "receives-your-assets")
            elif t.recipient == user:
                add(t.sender, "sends-you-assets")
            else:
                add(t.recipient, "receives-assets")
        for a in sim.approvals:
            add(a.spender, "spender")
        for change in sim.code_changes:
            if change.kind is CodeChangeKind.DELEGATION_SET:
                add(change.after, "delegate")
            elif change.kind is CodeChangeKind.CONTRACT_CREATED:
                add(change.address, "created")
            else:
                add(change.after, "new-controller")
    return roles


MAX_TYPED_DATA_ADDRESSES = 32
"""Typed data can name hundreds of addresses; facts are read for the first ones (the decoder
already caps and reports the walk)."""


def token_addresses(ctx: AnalysisContext) -> list[Address]:
    tokens: list[Address] = []
    if ctx.intent is not None and ctx.intent.token is not None:
        tokens.append(ctx.intent.token)
    if ctx.intent is not None:
        tokens.extend(a.token for a in ctx.intent.allowances if a.token is not None)
    sim = ctx.simulation
    if sim is not None and sim.ran:
        tokens.extend(t.token for t in sim.transfers if t.token is not None)
        tokens.extend(a.token for a in sim.approvals)
    return list(dict.fromkeys(tokens))


async def _no_tokens() -> dict[Address, TokenInfo]:
    return {}


async def _no_holdings() -> Holdings | None:
    return None


def granted_tokens(ctx: AnalysisContext) -> list[Address]:
    """Tokens the sender grants an allowance over: their supply says what the allowance means."""
    user = ctx.request.sender
    tokens: list[Address] = []
    intent = ctx.intent
    if intent is not None:
        tokens.extend(a.token for a in intent.allowances if a.token is not None)
        if intent.kind is IntentKind.TOKEN_APPROVAL and intent.token is not None:
            tokens.append(intent.token)
    sim = ctx.simulation
    if sim is not None and sim.ran:
        tokens.extend(a.token for a in sim.approvals if a.owner == user)
    return list(dict.fromkeys(tokens))


def held_tokens(ctx: AnalysisContext) -> list[Address]:
    """Tokens the sender grants or sends: how much of what they hold is at stake."""
    user = ctx.request.sender
    tokens = granted_tokens(ctx)
    if ctx.intent is not None and ctx.intent.token is not None:
        tokens.append(ctx.intent.token)
    sim = ctx.simulation
    if sim is not None and sim.ran:
        tokens.extend(t.token for t in sim.transfers if t.sender == user and t.token is not None)
    return list(dict.fromkeys(tokens))


def known_contract(chain_id: int | None, address: Address) -> str | None:
    """The curated list first, then the ERC-7730 registry's deployments."""
    return known_contract_name(chain_id, address) or descriptor_owner(chain_id, address)


async def enrich(
    ctx: AnalysisContext,
    client: RpcClient | None,
    labels: Mapping[Address, tuple[Label, ...]],
    *,
    block: str = "latest",
    token_cache: TokenCache | None = None,
    history_index: HistoryIndex | None = None,
    intel: IntelStore | None = None,
    graph: ProximityLookup | None = None,
    ages: AgeLookup | None = None,
    bytecode: BytecodeScanner | None = None,
) -> AnalysisContext:
    roles = touched_addresses(ctx)
    addresses = list(roles)
    code = CodeFacts()
    tokens = {}
    holdings: Holdings | None = None
    user = ctx.request.sender
    # Contract ages: a few round trips of their own, started now so they overlap the code batch.
    age_task = start_age_lookup(client, roles, ages, block) if client is not None and ages is not None else None
    failures = ctx.failures
    if client is not None:
        # Code and token metadata in parallel: one round trip, not two (two when code points on).
        token_list = token_addresses(ctx)
        code_reply, token_reply, holdings_reply = await asyncio.gather(
            read_code_facts(
                client,
                addresses,
                user,
                created=created_code(ctx),
                block=block,
                scanner=bytecode if bytecode is not None else BytecodeScanner(),
            ),
            fetch_token_info(client, token_list, block, token_cache) if token_list else _no_tokens(),
            fetch_holdings(client, user, held_tokens(ctx), granted_tokens(ctx), block)
            if user is not None
            else _no_holdings(),
            return_exceptions=True,
        )
        # A node that fails (or is made to fail) must not take the labels and the delegate lists
        # down with it: those need no node. The failure is recorded, so the verdict fails closed.
        errors = [r for r in (code_reply, token_reply, holdings_reply) if isinstance(r, BaseException)]
        for error in errors:
            if not isinstance(error, UpstreamError):
                raise error
        if errors:  # one failure for the stage, however many of its reads the node refused
            failures = (*failures, StageFailure("enrich", f"node failed: {errors[0]}"))
        if not isinstance(code_reply, BaseException):
            code = code_reply
        if not isinstance(holdings_reply, BaseException):
            holdings = holdings_reply
        if not isinstance(token_reply, BaseException):
            tokens = {
                t: info
                for t, info in token_reply.items()
                if info.symbol is not None or info.decimals is not None or info.name is not None
            }
    code_known = client is not None and all(a in code.codes for a in addresses)
    for address, extra in code.followed.items():
        if address == user:
            continue
        bucket = roles.setdefault(address, [])
        bucket.extend(r for r in extra if r not in bucket)
    index = history_index
    if index is None and ctx.history is not None:
        index = HistoryIndex(ctx.history)
    facts: dict[Address, AddressFacts] = {}
    for address in roles:
        raw = code.codes.get(address)
        rel = index.relationship(user, address) if index is not None and user else None
        known_as = known_contract(ctx.chain_id, address)
        facts[address] = AddressFacts(
            address=address,
            roles=tuple(roles[address]),
            is_contract=(True if known_as else None) if raw is None else len(raw) > 0,
            known_as=known_as,
            code_size=None if raw is None else len(raw),
            code_hash=None if not raw else "0x" + keccak256(raw).hex(),
            labels=labels.get(address, ()) + (intel.lookup(address) if intel is not None else ()),
            relationship=rel,
            code=code.features.get(address),
            delegate_listing=delegate_listing(address),
        )
        if graph is not None:
            found = graph.lookup(address)
            if found is not None:
                facts[address] = replace(facts[address], proximity=found.proximity, first_seen=found.first_seen)
    if ages is not None:
        facts = await apply_ages(facts, age_task, ages.cache, ages.pinned)
    return replace(
        ctx,
        addresses=MappingProxyType(facts),
        tokens=MappingProxyType(tokens),
        code_known=code_known,
        holdings=holdings,
        proximity_known=graph is not None,
        origin=origin_facts(ctx.request.origin, intel.domain_lists() if intel is not None else None, index),
        sender_code=code.sender_code,
        failures=failures,
    )


def created_code(ctx: AnalysisContext) -> dict[Address, bytes]:
    """The runtime code of contracts the simulated request creates (not on chain yet)."""
    sim = ctx.simulation
    if sim is None or not sim.ran:
        return {}
    return {
        c.address: c.code for c in sim.code_changes if c.kind is CodeChangeKind.CONTRACT_CREATED and c.code is not None
    }
