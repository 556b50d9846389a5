"""Rules about how the user is asked to sign.

Deliberately not reported here: ``personal_sign`` of readable text (that is a message, not a
blank cheque); typed-data rules live with the typed-data decoder.
"""

from __future__ import annotations

from txfirewall.heuristics.rule import Hit, NoParams, Skip, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.intent import IntentKind
from txfirewall.model.request import Method


@rule(
    id="eth-sign-raw-hash",
    title="eth_sign: blind signature over a raw hash",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    requires=(Fact.REQUEST,),
    unconditional=True,
)
def eth_sign_raw_hash(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """eth_sign signs arbitrary bytes, so a site can make you sign a transaction hash."""
    req = ctx.request
    if req.method is not Method.SIGN or req.message is None:
        return None
    payload = req.message.payload
    return Hit(
        message=(
            "This site asks for an eth_sign signature. eth_sign signs a raw hash that can stand for "
            "anything, including a transaction that empties your wallet, and you cannot see what. "
            "No honest site needs it; refuse."
        ),
        evidence={"signer": req.message.signer, "payload_length": len(payload), "payload": "0x" + payload[:64].hex()},
    )


@rule(
    id="unanalysed-signing-request",
    title="Signing request txfirewall cannot analyse yet",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.INTENT,),
)
def unanalysed_signing_request(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """Fail closed: a signing method we do not decode is never allowed silently."""
    if ctx.intent is None or ctx.intent.kind is not IntentKind.UNANALYSED:
        return None
    return Hit(
        message=(
            f"{ctx.request.method.value} is a signing method this version of txfirewall does not decode; "
            "check every field in your wallet before confirming."
        ),
        evidence={"method": ctx.request.method.value},
    )


@rule(
    id="chain-id-mismatch",
    title="Transaction is for another chain",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    requires=(Fact.REQUEST,),
)
def chain_id_mismatch(ctx: AnalysisContext, params: NoParams) -> Hit | Skip | None:
    """A chainId other than the active chain: the wallet would sign for a network you are not on.
    Skipped when the active chain is unknown (no node, and no chain id configured)."""
    tx = ctx.request.transaction
    if tx is None or tx.chain_id is None:
        return None
    if ctx.chain_id is None:
        return Skip(
            f"the active chain is unknown (no node, and no chain id configured), so the transaction's "
            f"chain {tx.chain_id} could not be checked against it"
        )
    if tx.chain_id == ctx.chain_id:
        return None
    return Hit(
        message=f"The transaction names chain {tx.chain_id} but you are on chain {ctx.chain_id}.",
        evidence={"request_chain_id": tx.chain_id, "active_chain_id": ctx.chain_id},
    )


@rule(
    id="opaque-message-signature",
    title="Message to sign is not readable",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    requires=(Fact.INTENT,),
)
def opaque_message_signature(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """personal_sign of bytes that are not text: the user cannot know what they agree to. (The
    personal_sign prefix keeps it from being a transaction, so this warns rather than blocks.)"""
    intent = ctx.intent
    if intent is None or intent.kind is not IntentKind.MESSAGE_SIGNATURE or intent.message is not None:
        return None
    msg = ctx.request.message
    size = len(msg.payload) if msg else 0
    return Hit(
        message=f"You are asked to sign {size} bytes that are not readable text. Refuse unless you know why.",
        evidence={"payload_length": size, "payload": "0x" + (msg.payload[:64].hex() if msg else "")},
    )
