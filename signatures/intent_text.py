"""One plain-words line per intent, with token amounts in units when metadata is known."""

from __future__ import annotations

from collections.abc import Mapping

from txfirewall.model.facts import TokenInfo
from txfirewall.model.intent import Intent, IntentKind
from txfirewall.model.primitives import Address, short_address
from txfirewall.model.text import display_symbol, format_units, safe_text
from txfirewall.signatures.erc7730 import clear_summary
from txfirewall.signatures.signature_text import _delegations, _hidden, describe_signature

NATIVE_SYMBOL = "ETH"
NATIVE_DECIMALS = 18


def token_amount(amount: int | None, token: Address | None, tokens: Mapping[Address, TokenInfo]) -> str:
    info = tokens.get(token) if token else None
    symbol = display_symbol(info.symbol) if info else None
    if amount is None:
        return symbol or f"tokens of {token}"
    if info is None or info.decimals is None:
        return f"{amount:,} base units of token {token}"
    return f"{format_units(amount, info.decimals)} {symbol or 'units of ' + str(token)}"


def native_amount(value: int) -> str:
    return f"{format_units(value, NATIVE_DECIMALS)} {NATIVE_SYMBOL}"


def describe(
    intent: Intent, tokens: Mapping[Address, TokenInfo], *, method: str = "", sender: Address | None = None
) -> str:
    """The summary line. Token symbols are untrusted and rendered escaped; ``sender`` is who signs
    (what "your account" refers to). EIP-7702 delegations close the line, whatever the call."""
    return _describe(intent, tokens, method) + _delegations(intent, sender)


def _describe(intent: Intent, tokens: Mapping[Address, TokenInfo], method: str) -> str:
    kind = intent.kind
    to = short_address(intent.counterparty) if intent.counterparty else "?"
    if kind is IntentKind.NATIVE_TRANSFER:
        return f"Send {native_amount(intent.value)} to {to}"
    if kind is IntentKind.TOKEN_TRANSFER:
        return f"Send {token_amount(intent.amount, intent.token, tokens)} to {to}"
    if kind is IntentKind.TOKEN_TRANSFER_FROM:
        owner = short_address(intent.owner) if intent.owner else "?"
        return f"Move {token_amount(intent.amount, intent.token, tokens)} from {owner} to {to}"
    if kind is IntentKind.TOKEN_APPROVAL:
        if intent.amount is None:
            collection = token_amount(None, intent.token, tokens)
            verb = "Let" if intent.unlimited else "Revoke"
            if intent.unlimited:
                return f"{verb} {to} move ALL your {collection} (operator approval)"
            return f"{verb} {to}'s operator approval for {collection}"
        if intent.amount == 0:
            return f"Revoke {to}'s allowance for {token_amount(None, intent.token, tokens)}"
        if intent.unlimited:
            return f"Approve {to} to spend UNLIMITED {token_amount(None, intent.token, tokens)}"
        return f"Approve {to} to spend {token_amount(intent.amount, intent.token, tokens)}"
    if kind is IntentKind.CONTRACT_CALL:
        target = short_address(intent.target) if intent.target else "?"
        what = intent.call.signature if intent.call else f"unknown function {intent.selector}"
        if intent.ambiguous:
            what = "one of " + " / ".join(intent.ambiguous)
        value = f", sending {native_amount(intent.value)}" if intent.value else ""
        clear = clear_summary(intent)
        if clear is not None and not intent.ambiguous:
            return f"{clear} [calls {what} on {target}{value}]{_hidden(intent, tokens)}"
        return f"Call {what} on {target}{value}{_hidden(intent, tokens)}"
    if kind is IntentKind.CONTRACT_CREATION:
        value = f" with {native_amount(intent.value)}" if intent.value else ""
        return f"Deploy a new contract{value}"
    if kind is IntentKind.MESSAGE_SIGNATURE:
        if intent.message is None:
            return "Sign a message that is not readable text (opaque bytes)"
        first = intent.message.strip().splitlines()[0] if intent.message.strip() else ""
        return f'Sign a text message: "{safe_text(first, limit=80)}"'
    if kind is IntentKind.RAW_HASH_SIGNATURE:
        return "Sign a raw hash with eth_sign: it can authorise anything, including a transaction"
    clear = clear_summary(intent)
    if kind is IntentKind.TYPED_DATA and clear is not None:
        return f"Sign {safe_text(intent.primary_type or '?', limit=40)}: {clear}"
    extra = describe_signature(intent, tokens)
    if extra is not None:
        return extra
    return f"{method or 'Request'}: not decoded by this version; review it in your wallet"
