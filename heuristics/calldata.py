"""Rules about calldata the decoder could not pin down.

Deliberately not reported here: unknown selectors sent to an address with no code (nothing runs),
and calls whose single decoding came from the big selector lists (named, not ambiguous).
"""

from __future__ import annotations

from txfirewall.heuristics.rule import Hit, NoParams, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.intent import IntentKind


@rule(
    id="ambiguous-selector",
    title="Function selector matches several signatures",
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    requires=(Fact.INTENT,),
)
def ambiguous_selector(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """Selectors are 4 bytes; scammers mine collisions so a call reads as something harmless."""
    intent = ctx.intent
    if intent is None or len(intent.ambiguous) < 2:
        return None
    return Hit(
        message=f"The called function could be any of: {', '.join(intent.ambiguous)}. Which one runs depends "
        "on the contract; the names alone prove nothing.",
        evidence={"selector": intent.selector, "candidates": list(intent.ambiguous)},
    )


@rule(
    id="undecodable-calldata-to-contract",
    title="Call to a contract that could not be decoded",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    requires=(Fact.INTENT, Fact.CODE),
)
def undecodable_calldata_to_contract(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """Fail closed (NCC-EF-Clef-007): calldata nobody can read, to code that will run it."""
    intent = ctx.intent
    tx = ctx.request.transaction
    if intent is None or tx is None or not tx.data or intent.kind is not IntentKind.CONTRACT_CALL:
        return None
    if intent.call is not None:
        return None
    facts = ctx.facts(tx.to)
    if facts is None or not facts.is_contract:
        return None
    return Hit(
        message=f"This calls contract {tx.to} with data txfirewall cannot decode "
        f"({'; '.join(intent.notes) or 'unknown function'}). You cannot know what it does.",
        evidence={"target": tx.to, "selector": intent.selector, "data_length": len(tx.data)},
        subject=tx.to,
    )


@rule(
    id="call-tree-truncated",
    title="Calls nested deeper than txfirewall reads",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.INTENT,),
)
def call_tree_truncated(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """Fail closed: a request that nests multicalls past the decoder's depth or size limit hides
    whatever sits below it (an approval nine ``aggregate3`` levels down read as nothing). No wallet
    flow nests that deep; a request that does is at least warned, and says why."""
    intent = ctx.intent
    if intent is None or intent.truncated is None:
        return None
    return Hit(
        message=f"This request nests calls deeper than txfirewall reads: {intent.truncated}. What lies below "
        "was not checked; an approval or transfer could be hidden there.",
        evidence={"truncated": intent.truncated, "target": intent.target},
        subject=intent.target,
    )
