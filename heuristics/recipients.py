"""Where assets go: places they can never come back from.

Deliberately not reported: burns through a token's own ``burn`` function (the user calls it on
purpose, and it emits no transfer to a person); transfers to contracts that accept them (vault
deposits, swaps: those are calls, not plain ``transfer``s); mints from the zero address.
"""

from __future__ import annotations

from collections.abc import Iterator

from txfirewall.heuristics.rule import Hit, NoParams, Skip, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.intent import IntentKind
from txfirewall.model.primitives import ZERO_ADDRESS, Address

_BURN_SINKS = frozenset({ZERO_ADDRESS, Address("0x000000000000000000000000000000000000dEaD")})


def _plain_sends(ctx: AnalysisContext) -> Iterator[tuple[Address, Address | None, int | None]]:
    """(recipient, token or None for ETH, amount) of plain sends: ETH with no calldata, and ERC-20
    ``transfer``/``transferFrom`` from the user, top level or nested in a batch."""
    tx = ctx.request.transaction
    intent = ctx.intent
    if tx is not None and tx.to is not None and not tx.data and tx.value > 0:
        yield tx.to, None, tx.value
    if intent is not None and intent.kind is IntentKind.TOKEN_TRANSFER and intent.counterparty and intent.token:
        yield intent.counterparty, intent.token, intent.amount


@rule(
    id="send-to-burn-address",
    title="Assets sent to the zero or dead address",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    requires=(Fact.INTENT,),
)
def send_to_burn_address(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """ETH or tokens transferred to 0x000...000 or 0x...dEaD are gone for good; wallets and Clef treat
    a zero-address recipient as critical. (A deliberate burn uses the token's burn function.)"""
    for recipient, token, amount in _plain_sends(ctx):
        if recipient in _BURN_SINKS:
            return Hit(
                message=f"This sends {'ETH' if token is None else 'tokens of ' + token} to {recipient}, an address "
                "no one controls: whatever goes there is lost forever.",
                evidence={"recipient": recipient, "token": token, "amount": None if amount is None else str(amount)},
                subject=recipient,
            )
    return None


@rule(
    id="tokens-to-token-contract",
    title="Tokens sent to a token contract",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.INTENT,),
)
def tokens_to_token_contract(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """An ERC-20 ``transfer`` whose recipient is the token's own contract (or another token the
    request touches): the tokens are stuck there; the classic copy-paste mistake (Rabby 1016,
    Interceptor ERC20_ITSELF). A warning, not a block: a few tokens redeem or burn what is sent to
    them (one such transfer is in the 5,561 real mainnet transactions of the test data)."""
    tokens = set(ctx.tokens)
    for recipient, token, amount in _plain_sends(ctx):
        if token is not None and (recipient == token or recipient in tokens):
            return Hit(
                message=f"This transfers tokens of {token} to {recipient}, a token contract. Token contracts "
                "cannot send them back: they would be stuck for good. Check the recipient.",
                evidence={"recipient": recipient, "token": token, "amount": None if amount is None else str(amount)},
                subject=recipient,
            )
    return None


@rule(
    id="tokens-to-protocol-contract",
    title="Tokens transferred straight into a protocol contract",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    requires=(Fact.INTENT,),
)
def tokens_to_protocol_contract(ctx: AnalysisContext, params: NoParams) -> Hit | Skip | None:
    """A plain ``transfer`` of tokens, or ETH with no call, to a router, marketplace or vault (a
    well-known contract, not a token): those contracts take assets through their own functions and
    keep whatever is sent to them directly (Interceptor commonTokenOops). Wrapping ETH by sending it
    to WETH is the one everyday exception. Skipped when nothing is known about a recipient (the
    enrich stage did not finish)."""
    unknown: list[str] = []
    for recipient, token, amount in _plain_sends(ctx):
        facts = ctx.facts(recipient)
        if facts is None:
            if recipient != ctx.request.sender and recipient not in unknown:
                unknown.append(recipient)
            continue
        if not facts.known_as or facts.known_as.startswith("token ") or recipient in ctx.tokens:
            continue
        if token is None and "WETH" in facts.known_as:
            continue
        return Hit(
            message=f"This sends {'ETH' if token is None else 'tokens'} directly to {facts.known_as} ({recipient}) with a "
            "plain transfer. Protocol contracts do not credit such transfers to you: the assets would most "
            "likely be lost. Use the app's own deposit or swap instead.",
            evidence={
                "recipient": recipient,
                "known_as": facts.known_as,
                "token": token,
                "amount": None if amount is None else str(amount),
            },
            subject=recipient,
        )
    if unknown:
        return Skip(
            f"nothing is known about the recipient {', '.join(unknown)} (no address facts were gathered), "
            "so whether it is a protocol contract that keeps plain transfers could not be checked"
        )
    return None


@rule(
    id="calldata-to-eoa",
    title="Call data sent to an address with no code",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    requires=(Fact.REQUEST, Fact.CODE),
)
def calldata_to_eoa(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """A function call aimed at a plain account runs nothing: the request is malformed, or the
    contract it meant is not deployed on this chain (Interceptor EOA_CALLDATA). Short notes written
    into a plain transfer (under 4 bytes) are left alone."""
    tx = ctx.request.transaction
    if tx is None or tx.to is None or len(tx.data) < 4:
        return None
    facts = ctx.facts(tx.to)
    if facts is None or facts.is_contract is not False:
        return None
    return Hit(
        message=f"This calls function 0x{tx.data[:4].hex()} on {tx.to}, but that address has no code: nothing will run. "
        "Either the request is wrong or the contract is not on this chain.",
        evidence={"to": tx.to, "selector": "0x" + tx.data[:4].hex(), "data_length": len(tx.data)},
        subject=tx.to,
    )
