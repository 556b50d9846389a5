"""Rules about signed permits and typed data.

Deliberately not reported here: approvals made by transactions, at any depth (approvals.py covers
them); permits to contracts the user already used or to well-known protocols (routers ask for
Permit2 signatures every day); finite permits with an expiry to unfamiliar contracts (the amount
and expiry are the user's stated intent).
"""

from __future__ import annotations

from dataclasses import dataclass

from txfirewall.heuristics.familiarity import unfamiliar_contract
from txfirewall.heuristics.grants import long_lived, signature_grants
from txfirewall.heuristics.rule import Hit, NoParams, Skip, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.intent import IntentKind
from txfirewall.model.primitives import UNLIMITED_SENTINEL


@rule(
    id="typed-data-chain-mismatch",
    title="Signature is for another chain",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    requires=(Fact.REQUEST,),
)
def typed_data_chain_mismatch(ctx: AnalysisContext, params: NoParams) -> Hit | Skip | None:
    """EIP-712 says a wallet should refuse a domain chainId other than the active chain; 40+
    wallets did not, and the signature was replayed elsewhere. Skipped when the active chain is
    unknown (no node, and no chain id configured)."""
    td = ctx.request.typed_data
    if td is None or td.domain_chain_id is None:
        return None
    if ctx.chain_id is None:
        return Skip(
            f"the active chain is unknown (no node, and no chain id configured), so the typed data's "
            f"chain {td.domain_chain_id} could not be checked against it"
        )
    if td.domain_chain_id == ctx.chain_id:
        return None
    return Hit(
        message=f"The typed data names chain {td.domain_chain_id} but you are on chain {ctx.chain_id}. "
        "A signature for another chain is never needed by the site you are on.",
        evidence={
            "domain_chain_id": td.domain_chain_id,
            "active_chain_id": ctx.chain_id,
            "primary_type": td.primary_type,
        },
    )


@dataclass(frozen=True)
class PermitParams:
    min_past_interactions: int = 1


@rule(
    id="permit-to-eoa",
    title="Permit to an address with no code",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    requires=(Fact.INTENT,),
)
def permit_to_eoa(ctx: AnalysisContext, params: NoParams) -> Hit | Skip | None:
    """A gasless permit (EIP-2612, DAI, Permit2) or an approval buried in a multicall that lets a
    plain account move your tokens: the Permit2 phishing pattern. Without a node to tell whether
    the spender has code, unlimited or never-expiring grants still warn (fail closed); a finite,
    expiring one is skipped, saying which spender could not be checked."""
    unchecked: list[str] = []
    for a in signature_grants(ctx, UNLIMITED_SENTINEL):
        facts = ctx.facts(a.spender)
        is_contract = facts.is_contract if facts else None
        evidence = {
            "spender": a.spender,
            "token": a.token,
            "amount": None if a.amount is None else str(a.amount),
            "unlimited": a.unlimited,
            "source": a.source,
            "expiration": a.expiration,
            "path": a.path,
            "spender_is_contract": is_contract,
        }
        if is_contract is False:
            return Hit(
                message=f"This {a.source} signature lets {a.spender}, a plain account with no code, move your "
                "tokens without asking again. No app needs that; this is how permit phishing drains wallets.",
                evidence=evidence,
                subject=a.spender,
                severity=Severity.CRITICAL if a.unlimited or long_lived(a) else Severity.HIGH,
            )
        if is_contract is None and (a.unlimited or long_lived(a)):
            return Hit(
                message=f"This {a.source} grants {a.spender} an unlimited or long-lived allowance, and "
                "txfirewall could not check whether that address is a contract. Verify it first.",
                evidence=evidence,
                subject=a.spender,
                severity=Severity.MEDIUM,
            )
        if is_contract is None and a.spender not in unchecked:
            unchecked.append(a.spender)
    if unchecked:
        return Skip(
            "whether the spender of this finite, expiring permit has code is unknown (its code was not read: "
            f"{', '.join(unchecked[:3])}), so a grant to a plain account could not be ruled out"
        )
    return None


@rule(
    id="permit-to-unfamiliar-spender",
    title="Unlimited or long-lived permit to a contract you never used",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    requires=(Fact.INTENT, Fact.CODE),
    params=PermitParams,
)
def permit_to_unfamiliar_spender(ctx: AnalysisContext, params: PermitParams) -> Hit | None:
    """Drainer contracts collect Permit2 batches; a router the user already used does not fire."""
    for a in signature_grants(ctx, UNLIMITED_SENTINEL):
        if not (a.unlimited or long_lived(a)):
            continue
        past = unfamiliar_contract(ctx, a.spender, params.min_past_interactions)
        if past is None:
            continue
        return Hit(
            message=f"This {a.source} lets contract {a.spender}, which you have never used, move your tokens "
            "with no practical limit. Only sign if you know and trust this app.",
            evidence={
                "spender": a.spender,
                "token": a.token,
                "source": a.source,
                "unlimited": a.unlimited,
                "expiration": a.expiration,
                "past_transactions_with_spender": past,
            },
            subject=a.spender,
        )
    return None


@rule(
    id="permit-owner-not-signer",
    title="Permit for another account than the one signing",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.INTENT,),
)
def permit_owner_not_signer(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """The permit's ``owner`` is not the account asked to sign: the request was built for someone
    else, or is probing which account signs (Interceptor SIGNATURE_ACCOUNT_DOES_NOT_MATCH)."""
    intent = ctx.intent
    signer = ctx.request.sender
    if intent is None or intent.kind is not IntentKind.PERMIT or intent.owner is None or signer is None:
        return None
    if intent.owner == signer:
        return None
    return Hit(
        message=f"This permit is written for owner {intent.owner}, but {signer} is asked to sign it. A legitimate app "
        "asks the owner to sign its own permit.",
        evidence={"owner": intent.owner, "signer": signer, "primary_type": intent.primary_type},
        subject=intent.owner,
    )
