"""Rules on the bytecode of the contracts the user's assets or approvals go to.

They read the bytecode scan of the enrich stage (``CodeFeatures``), through an EIP-1167 minimal
proxy to its implementation, and fire only where it matters: the contract receives the user's
assets (in the simulation, or as the recipient of the request) or is granted an allowance. A
contract the request merely calls, reads or names is not judged by its code.

What benign traffic looks like, and is deliberately not reported:

* proxies: EIP-1967 and Safe proxies DELEGATECALL an implementation read from storage, minimal
  proxies a fixed one; multicall contracts DELEGATECALL themselves (``address(this)``). Only a
  DELEGATECALL whose target is derived from calldata counts as caller-chosen;
* routers (Uniswap, 1inch) move tokens with transferFrom, but to addresses from calldata or
  computed (pairs), and have many functions; fee-collecting routers with a hard-coded treasury are
  the known false positive of ``drainer-shape-spender``, which is why it only warns;
* exchange deposit forwarders forward every wei they receive to a fixed hot wallet: exactly the
  sweeper shape, so the sweeper shape is *not* judged on contracts that receive assets, only on
  7702 delegates (``delegates.py``) and on approval spenders;
* SELFDESTRUCT in a contract that only receives a call (a token, a router being called);
  since Cancun (EIP-6780) it deletes code only in the creating transaction, so in an older contract
  it means "can send away its own ETH", a warning where it holds yours;
* addresses with a benign, protocol, exchange or bridge label, and known-good wallet delegates.

Known false positive kept at a warning: a smart account whose owner-only ``executeDelegateCall``
takes its target from calldata (the scan cannot see the access check) when you fund your own
account; allow-list it in the policy.

The scan traces operands within basic blocks and along resolved jumps; what it cannot trace it
does not report (a lower bound, never a guess). See ``txfirewall/enrich/bytecode_kernel.py``.

When such a contract's code, or the implementation behind its minimal proxy, could not be read
(the node refused that one read), nothing can be said about it: if no other receiver is reported,
the rule is skipped and names the code that is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from txfirewall.heuristics.code_shapes import code_evidence, effective_code, illicit, trusted, unread_code
from txfirewall.heuristics.rule import Hit, NoParams, Skip, rule
from txfirewall.model.code import CodeFeatures
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.facts import AddressFacts
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.intent import IntentKind
from txfirewall.model.json_values import JsonValue
from txfirewall.model.primitives import Address

RECEIVING_ROLES = ("receives-your-assets", "recipient", "spender")
"""Roles in which the user's assets or an allowance go to the address."""


def _revoked_only(ctx: AnalysisContext, spender: Address) -> bool:
    """The request only takes an allowance away from ``spender`` (approve 0, operator off)."""
    intent = ctx.intent
    revoked = False
    if intent is not None and intent.kind is IntentKind.TOKEN_APPROVAL and intent.counterparty == spender:
        if intent.amount == 0 or (intent.amount is None and not intent.unlimited):
            revoked = True
        else:
            return False
    sim = ctx.simulation
    for change in sim.approvals if sim is not None and sim.ran else ():
        if change.spender == spender:
            if change.amount or change.approved:
                return False
            revoked = True
    return revoked


Receiver = tuple[AddressFacts, list[str], CodeFeatures, Address | None]


def _receivers(ctx: AnalysisContext) -> tuple[list[Receiver], list[tuple[list[str], str]]]:
    """Untrusted contracts receiving the user's assets or an allowance, with their effective code;
    and, for those whose code (or implementation's) was not read, their roles and what is missing."""
    out: list[Receiver] = []
    unread: list[tuple[list[str], str]] = []
    for address in sorted(ctx.addresses):
        facts = ctx.addresses[address]
        roles = [r for r in facts.roles if r in RECEIVING_ROLES]
        if "spender" in roles and _revoked_only(ctx, address):
            roles.remove("spender")
        if not roles or trusted(facts):
            continue
        code, impl = effective_code(ctx, facts)
        if code is not None:
            out.append((facts, roles, code, impl))
        elif (missing := unread_code(ctx, address, facts)) is not None:
            unread.append((roles, missing))
    return out, unread


def _skip_unread(unread: list[tuple[list[str], str]], what: str) -> Skip | None:
    if not unread:
        return None
    return Skip(f"{'; '.join(m for _, m in unread[:3])}, so whether that code {what} could not be checked")


def _evidence(facts: AddressFacts, roles: list[str], code: CodeFeatures, impl: Address | None) -> dict[str, JsonValue]:
    return {"address": facts.address, "roles": list(roles), "implementation": impl, **code_evidence(code)}


def _via(impl: Address | None) -> str:
    return f" (a minimal proxy; the code of its implementation {impl})" if impl is not None else ""


@rule(
    id="selfdestruct-in-counterparty",
    title="Your assets or an approval go to a contract that can self-destruct",
    severity=Severity.MEDIUM,
    confidence=Confidence.LOW,
    requires=(Fact.ADDRESS_FACTS, Fact.CODE),
)
def selfdestruct_in_counterparty(ctx: AnalysisContext, params: NoParams) -> Hit | Skip | None:
    """The contract receiving your assets or allowance contains a reachable SELFDESTRUCT: it can
    send its whole ETH balance to someone in one call (and, on chains without EIP-6780 or in the
    transaction that creates it, vanish and be redeployed with other code)."""
    receivers, unread = _receivers(ctx)
    for facts, roles, code, impl in receivers:
        if code.selfdestruct:
            return Hit(
                message=(
                    f"{facts.address} ({', '.join(roles)}) has code{_via(impl)} that can SELFDESTRUCT: it can hand "
                    "its whole ETH balance to someone in one call. Legitimate contracts rarely need that."
                ),
                evidence=_evidence(facts, roles, code, impl),
                subject=facts.address,
            )
    return _skip_unread(unread, "can SELFDESTRUCT")


@rule(
    id="delegatecall-to-arbitrary-target",
    title="Your assets or an approval go to a contract that runs caller-chosen code",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    requires=(Fact.ADDRESS_FACTS, Fact.CODE),
)
def delegatecall_to_arbitrary_target(ctx: AnalysisContext, params: NoParams) -> Hit | Skip | None:
    """The contract receiving your assets or allowance DELEGATECALLs a target taken from calldata:
    whoever may call that function can run any code with the contract's storage and balances,
    including what you give it. Proxies (implementation in storage) and self-multicalls are not
    reported."""
    receivers, unread = _receivers(ctx)
    for facts, roles, code, impl in receivers:
        if code.delegatecall_calldata_target:
            return Hit(
                message=(
                    f"{facts.address} ({', '.join(roles)}) has code{_via(impl)} that DELEGATECALLs an address taken "
                    "from calldata: whoever may call it can run any code with what the contract holds, yours included."
                ),
                evidence=_evidence(facts, roles, code, impl),
                subject=facts.address,
            )
    return _skip_unread(unread, "runs code its caller picks (DELEGATECALL to a target from calldata)")


@dataclass(frozen=True)
class DrainerShapeParams:
    """``max_functions``: a spender with more public functions than this (a router, a marketplace)
    is not called drainer-shaped."""

    max_functions: int = 16


@rule(
    id="drainer-shape-spender",
    title="An approval goes to a contract that moves tokens to a fixed address",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    requires=(Fact.ADDRESS_FACTS, Fact.CODE),
    params=DrainerShapeParams,
)
def drainer_shape_spender(ctx: AnalysisContext, params: DrainerShapeParams) -> Hit | Skip | None:
    """The spender of an approval or permit has few functions and builds ``transferFrom``-style
    calls with a hard-coded address as an argument: the code of a drainer that pulls what victims
    approved to its owner's wallet."""
    receivers, unread = _receivers(ctx)
    for facts, roles, code, impl in receivers:
        if "spender" in roles and code.token_moves_to_fixed and len(code.functions) <= params.max_functions:
            return Hit(
                message=(
                    f"Spender {facts.address} has code{_via(impl)} with {len(code.functions)} public function(s) that "
                    "moves tokens to a hard-coded address: what you approve can be pulled straight to a fixed wallet."
                ),
                evidence=_evidence(facts, roles, code, impl),
                subject=facts.address,
            )
    spenders = [u for u in unread if "spender" in u[0]]
    return _skip_unread(spenders, "moves approved tokens to a hard-coded address")


@rule(
    id="minimal-proxy-to-flagged-implementation",
    title="A minimal proxy of a flagged contract",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    requires=(Fact.ADDRESS_FACTS, Fact.CODE),
)
def minimal_proxy_to_flagged_implementation(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """A touched contract is an EIP-1167 clone whose implementation is a listed sweeper or carries
    an illicit label: fresh clones are how drainer kits get a new, unlabelled address per victim."""
    for address in sorted(ctx.addresses):
        facts = ctx.addresses[address]
        impl = facts.code.minimal_proxy_to if facts.code is not None else None
        behind = ctx.facts(impl)
        if impl is None or behind is None or not illicit(behind):
            continue
        why = [label.label for label in behind.labels][:3]
        if behind.delegate_listing is not None:
            why.insert(0, f"{behind.delegate_listing.name} (EIP-7702 sweeper list)")
        return Hit(
            message=(
                f"{address} ({', '.join(facts.roles)}) is a minimal proxy (EIP-1167): it runs the code of {impl}, "
                f"which is flagged: {'; '.join(why)}. A clone gets a fresh address that no list knows yet."
            ),
            evidence={
                "address": address,
                "roles": list(facts.roles),
                "implementation": impl,
                "implementation_labels": [label.to_json() for label in behind.labels],
                "implementation_listing": behind.delegate_listing.to_json() if behind.delegate_listing else None,
            },
            subject=address,
        )
    return None
