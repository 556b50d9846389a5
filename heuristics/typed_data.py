"""Rules about signed permits and typed data.

Deliberately not reported here: approvals made by transactions, at any depth (approvals.py covers
them); permits to contracts the user already used or to well-known protocols (routers ask for
Permit2 signatures every day); finite single permits with an expiry to unfamiliar contracts (the
amount and expiry are the user's stated intent); domain names that claim no protected brand (a
token's own name is its own business); a brand-named domain whose verifying contract is that
brand's known contract, on any chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from txfirewall.heuristics.familiarity import unfamiliar_contract
from txfirewall.heuristics.grants import long_lived, signature_grants
from txfirewall.heuristics.rule import Hit, NoParams, Skip, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.intent import IntentKind
from txfirewall.model.primitives import UNLIMITED_SENTINEL, to_address
from txfirewall.signatures.erc7730 import domain_name_deployments


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


PERMIT2 = to_address("0x000000000022D473030F116dDEE9F6B43aC78BA3")
"""Uniswap's Permit2: one deployment, at this address on every chain."""

PROTECTED_BRANDS = (
    "permit2",
    "uniswap",
    "seaport",
    "opensea",
    "1inch",
    "blur",
    "looksrare",
    "metamask",
    "cow protocol",
    "gnosis protocol",
    "aave",
    "lido",
    "paraswap",
    "sushiswap",
    "pancakeswap",
)
"""Names phishing kits put in an EIP-712 domain to borrow a protocol's trust."""


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def claimed_brands(name: str, brands: tuple[str, ...]) -> tuple[str, ...]:
    """The protected brands a domain name claims: a brand at the start of a word ("Uniswap V3
    Positions NFT-V1" and "UniswapX" claim uniswap; "Permit2" claims permit2)."""
    words = _words(name)
    return tuple(b for b in brands if re.search(r"(?:^| )" + re.escape(b), words))


@dataclass(frozen=True)
class DomainParams:
    brands: tuple[str, ...] = field(default=PROTECTED_BRANDS)
    """Lowercase brand names whose use in a domain name is checked against the known contracts."""


@rule(
    id="deceptive-typed-data-domain",
    title="Typed data borrows a protocol's name for another contract",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    requires=(Fact.REQUEST,),
    params=DomainParams,
)
def deceptive_typed_data_domain(ctx: AnalysisContext, params: DomainParams) -> Hit | Skip | None:
    """The EIP-712 domain says "Permit2" or "Uniswap" (what a wallet shows the user) but its
    ``verifyingContract``, the contract the signature is really for, is not that protocol's: not
    the Permit2 deployment, not a contract the curated list or an ERC-7730 descriptor owner names
    for the brand, and not a deployment the ERC-7730 registry describes under that domain name.
    Skipped when the verifying contract was not looked up."""
    td = ctx.request.typed_data
    name = td.domain.get("name") if td is not None else None
    if td is None or td.verifying_contract is None or not isinstance(name, str):
        return None
    vc = td.verifying_contract
    claims = claimed_brands(name, params.brands)
    if not claims:
        return None
    registry = domain_name_deployments(name)
    if registry is not None and vc.lower() in registry:
        return None
    facts = ctx.facts(vc)
    known_as = facts.known_as if facts is not None else None
    if "permit2" in claims:
        genuine = vc == PERMIT2
    elif known_as is not None:
        genuine = any(re.search(r"(?:^| )" + re.escape(b), _words(known_as)) for b in claims)
    elif facts is None:
        return Skip(f"the verifying contract {vc} was not looked up, so its claim to be {name!r} was not checked")
    else:
        genuine = False
    if genuine:
        return None
    really = f"it is {known_as}" if known_as else "it is no contract txfirewall knows for that name"
    expected = f" (Permit2 is {PERMIT2} on every chain)" if "permit2" in claims else ""
    return Hit(
        message=f"This signature request calls itself {name!r}, but the contract it is for is {vc}: {really}"
        f"{expected}. Wallets show the domain name; the signature is valid for the contract. Phishing kits copy "
        "well-known names to borrow their trust.",
        evidence={
            "domain_name": name,
            "verifying_contract": vc,
            "claimed": list(claims),
            "verifying_contract_known_as": known_as,
        },
        subject=vc,
    )


@dataclass(frozen=True)
class BatchSpenderParams:
    min_past_interactions: int = 1
    """Past transactions to the spender that make it familiar (a router the user already uses)."""


@rule(
    id="permit2-batch-to-unknown-spender",
    title="Permit2 batch for a spender that is no known router",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    requires=(Fact.INTENT,),
    params=BatchSpenderParams,
)
def permit2_batch_to_unknown_spender(ctx: AnalysisContext, params: BatchSpenderParams) -> Hit | Skip | None:
    """A Permit2 ``PermitBatch`` hands one spender allowances on several tokens at once: the shape
    drainer kits collect. Routers that ask for one (Uniswap's Universal Router and the like) are
    known contracts (curated list, ERC-7730 registry); a spender that is not one, and that the user
    never sent a transaction to, is blocked (allow-list it in the policy to sign anyway). Plain
    accounts are ``permit-to-eoa``'s."""
    intent = ctx.intent
    if intent is None or intent.kind is not IntentKind.PERMIT:
        return None
    spenders = list(dict.fromkeys(a.spender for a in intent.allowances if a.source == "permit2-batch"))
    for spender in spenders:
        facts = ctx.facts(spender)
        if facts is None:
            return Skip(f"the Permit2 batch spender {spender} was not looked up")
        if facts.known_as is not None or facts.is_contract is False:
            continue
        used = facts.relationship.sent_count if facts.relationship else 0
        if used >= params.min_past_interactions:
            continue
        tokens = [a.token for a in intent.allowances if a.source == "permit2-batch" and a.spender == spender]
        return Hit(
            message=f"This Permit2 batch lets {spender} move {len(tokens)} of your tokens, and that contract is no "
            "router txfirewall knows"
            + ("" if ctx.history is None else " and one you never used")
            + ". Drainers collect Permit2 batches; sign one only for an app you know.",
            evidence={
                "spender": spender,
                "tokens": [str(t) for t in tokens],
                "spender_is_contract": facts.is_contract,
                "past_transactions_with_spender": "not provided" if ctx.history is None else used,
            },
            subject=spender,
        )
    return None
