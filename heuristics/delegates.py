"""Rules about who an EIP-7702 delegation hands an account to: known sweepers, sweeper-shaped code,
and code nobody vetted.

Delegations are read from the raw type-4 transaction's authorization list (so these rules work
offline, without simulation), from the simulation, and from accounts whose current code is
``0xef0100 || delegate``. The delegate is judged by the shipped lists (``data/eip7702_delegates``)
and, when a node gave its code, by the bytecode scan. About 97% of 2025's delegations went to
sweepers (Wintermute), so a delegate that is not known-good is at least a warning.

Deliberately not reported: revocations (delegate 0x0: that gives control back); known-good
wallet delegates (MetaMask, Uniswap Calibur, Coinbase, OKX, Ambire...); an account's *existing*
delegation to an unlisted delegate that does not look like a sweeper (the user chose it before:
warning on every later transaction would teach them to click through); authorizations that do not
apply (invalid, another chain, overridden by a later tuple from the same authority).
"""

from __future__ import annotations

from dataclasses import dataclass

from txfirewall.heuristics.code_shapes import (
    SeenDelegation,
    code_evidence,
    describe_code,
    effective_code,
    seen_delegations,
    sweeper_signs,
    unread_code,
)
from txfirewall.heuristics.rule import Hit, NoParams, Skip, rule
from txfirewall.model.code import DelegateListing, DelegateStatus
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.json_values import JsonValue


def _listing(ctx: AnalysisContext, d: SeenDelegation) -> DelegateListing | None:
    facts = ctx.facts(d.delegate)
    return facts.delegate_listing if facts is not None else None


def _listed_as(listing: DelegateListing) -> str:
    return f"{listing.display}; listed by {listing.sources}" if listing.sources else listing.display


@rule(
    id="delegation-to-known-sweeper",
    title="EIP-7702 delegation to a known sweeper",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    requires=(Fact.ADDRESS_FACTS,),
    unconditional=True,
)
def delegation_to_known_sweeper(ctx: AnalysisContext, params: NoParams) -> Hit | Skip | None:
    """The delegate is on the shipped list of sweeper delegates (CrimeEnjoyor family and others):
    the account's ETH and tokens, now and later, are forwarded to the thief. Also fires when the
    sender, or an account the request sends to, is already delegated to one; when their code was
    not read (no node), that half could not be checked and, with nothing found, the rule is
    skipped."""
    sender = ctx.request.sender
    for d in seen_delegations(ctx):
        listing = _listing(ctx, d)
        if listing is None or listing.status is not DelegateStatus.MALICIOUS:
            continue
        if d.source == "current" and d.authority != sender:
            consequence = "Whatever you send it is forwarded to the sweeper's owner."
        elif d.source == "current":
            consequence = "Anything your account receives is swept; revoke the delegation (delegate to 0x0) first."
        else:
            consequence = "Everything the account holds or receives, now and later, would be taken."
        return Hit(
            message=f"{d.what(sender)}, a known sweeper ({_listed_as(listing)}). {consequence}",
            evidence={**d.to_json(), "listing": listing.to_json()},
            subject=d.delegate,
        )
    if not ctx.code_known:
        return Skip(
            "the current code of your account, or of an address this request touches, was not read (no node, or "
            "the node did not answer), so an existing EIP-7702 delegation to a known sweeper could not be seen"
        )
    return None


@dataclass(frozen=True)
class SweeperShapeParams:
    """``max_functions``: code with more public functions than this is not called a sweeper (a
    wallet, a router or a token has many; a sweeper has a handful)."""

    max_functions: int = 16


@rule(
    id="delegate-sweeper-shape",
    title="EIP-7702 delegate code shaped like a sweeper",
    severity=Severity.CRITICAL,
    confidence=Confidence.MEDIUM,
    requires=(Fact.ADDRESS_FACTS, Fact.CODE),
    params=SweeperShapeParams,
)
def delegate_sweeper_shape(ctx: AnalysisContext, params: SweeperShapeParams) -> Hit | Skip | None:
    """The delegate's bytecode (through a minimal proxy, its implementation's) forwards ETH or
    builds token transfers to a hard-coded address and has few functions: run as an account, that
    code sends the account's assets to whoever wrote it. Known-good delegates are not scanned for
    this; delegates already on the sweeper list are reported by ``delegation-to-known-sweeper``."""
    sender = ctx.request.sender
    unread: list[str] = []
    for d in seen_delegations(ctx):
        listing = _listing(ctx, d)
        if listing is not None and listing.status in (DelegateStatus.KNOWN_GOOD, DelegateStatus.MALICIOUS):
            continue
        facts = ctx.facts(d.delegate)
        code, impl = effective_code(ctx, facts)
        if code is None:
            missing = unread_code(ctx, d.delegate, facts)
            if missing is not None and missing not in unread:
                unread.append(missing)
            continue
        signs = sweeper_signs(code, params.max_functions)
        if not signs:
            continue
        via = f" (through a minimal proxy, the code of {impl})" if impl is not None else ""
        named = f" Hard-coded in it: {', '.join(code.addresses[:3])}." if code.addresses else ""
        return Hit(
            message=(
                f"{d.what(sender)}, whose code{via} {' and '.join(signs)}, with {len(code.functions)} public "
                f"function(s). Run as an account, that code hands its assets to a fixed address: a sweeper.{named}"
            ),
            evidence={**d.to_json(), "implementation": impl, **code_evidence(code)},
            subject=d.delegate,
        )
    if unread:
        return Skip(
            f"{'; '.join(unread[:3])}, so whether the delegate's code is shaped like a sweeper could not be checked"
        )
    return None


def _unknown_grade(ctx: AnalysisContext, d: SeenDelegation, listing: DelegateListing | None) -> tuple[str, bool]:
    """What is known about an unvetted delegate, and whether it is worse than unknown."""
    facts = ctx.facts(d.delegate)
    worse = False
    if listing is not None:
        said = f"it is labelled {listing.name} ({listing.kind.replace('_', ' ')}) but not vetted"
        worse = listing.status is DelegateStatus.UNSAFE
        if worse:
            said = f"it is {listing.name}, unsafe as a 7702 delegate ({listing.kind.replace('_', ' ')})"
    else:
        said = "it is on no list of known wallet delegates"
    code, impl = effective_code(ctx, facts)
    if facts is None:
        return said + "; its code was not checked", worse
    if facts.is_contract is None:
        return said + "; its code was not checked (no node)", worse
    if not facts.is_contract:
        return said + "; there is no code at that address on this chain (code can be deployed there later)", True
    if code is None:
        return said + "; its code could not be read", worse
    worse = worse or bool(code.delegatecall_calldata_target or code.selfdestruct or sweeper_signs(code, 16))
    via = f" (a minimal proxy of {impl})" if impl is not None else ""
    return said + f"; its code{via}: " + "; ".join(describe_code(code)), worse


@rule(
    id="delegation-to-unknown-code",
    title="EIP-7702 delegation to code that is not a known wallet delegate",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.REQUEST,),
)
def delegation_to_unknown_code(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """This request delegates an account to a contract that is not a known-good wallet delegate:
    from then on that code controls everything the account holds. Graded high when the delegate
    is listed as unsafe, has no code on this chain, or its code lets a caller run arbitrary code,
    can self-destruct or looks like a sweeper. Works offline from the authorization list alone."""
    sender = ctx.request.sender
    for d in seen_delegations(ctx, current=False):
        listing = _listing(ctx, d)
        if listing is not None and listing.status in (DelegateStatus.KNOWN_GOOD, DelegateStatus.MALICIOUS):
            continue
        said, worse = _unknown_grade(ctx, d, listing)
        facts = ctx.facts(d.delegate)
        evidence: dict[str, JsonValue] = {**d.to_json(), "listing": listing.to_json() if listing else None}
        if facts is not None and facts.code is not None:
            evidence.update(code_evidence(facts.code))
        return Hit(
            message=f"{d.what(sender)}: {said}. That code would control everything the account holds.",
            evidence=evidence,
            severity=Severity.HIGH if worse else None,
            subject=d.delegate,
        )
    return None
