"""Plain-words lines for permits, orders, logins, batches and generic typed data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from txfirewall.model.facts import TokenInfo
from txfirewall.model.intent import Allowance, AssetAmount, Intent, IntentKind
from txfirewall.model.primitives import ZERO_ADDRESS, Address, short_address
from txfirewall.model.text import display_symbol, format_units, safe_text

_LAST_DATE = 253402300799  # 9999-12-31


def when(ts: int | None) -> str:
    if ts is None or ts >= _LAST_DATE:
        return "with no expiry"
    if ts == 0:
        return "for this block only"
    return "until " + dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d")


def _token(token: Address | None, tokens: Mapping[Address, TokenInfo]) -> str:
    info = tokens.get(token) if token else None
    shown = display_symbol(info.symbol) if info is not None else None
    if shown:
        return shown
    return f"token {short_address(token)}" if token is not None else "tokens"


def _amount(a: Allowance, tokens: Mapping[Address, TokenInfo]) -> str:
    if a.unlimited:
        return f"UNLIMITED {_token(a.token, tokens)}"
    info = tokens.get(a.token) if a.token else None
    if a.amount is not None and info is not None and info.decimals is not None:
        return f"{format_units(a.amount, info.decimals)} {_token(a.token, tokens)}"
    return f"{a.amount:,} base units of {_token(a.token, tokens)}" if a.amount is not None else _token(a.token, tokens)


def _asset(a: AssetAmount, tokens: Mapping[Address, TokenInfo]) -> str:
    if a.kind == "native":
        return f"{format_units(a.amount or 0, 18)} ETH"
    if a.kind in ("erc721", "erc1155"):
        return f"NFT {_token(a.token, tokens)} #{a.token_id}"
    return f"{a.amount:,} of {_token(a.token, tokens)}" if a.amount is not None else _token(a.token, tokens)


def _hidden(intent: Intent, tokens: Mapping[Address, TokenInfo]) -> str:
    """Allowances granted inside a call tree, so nesting cannot hide them."""
    nested = [a for a in intent.allowances if a.path not in ("", "top")]
    if not nested:
        return ""
    worst = next((a for a in nested if a.unlimited), nested[0])
    more = f" (+{len(nested) - 1} more)" if len(nested) > 1 else ""
    return f"; inside it, approves {short_address(worst.spender)} to spend {_amount(worst, tokens)}{more}"


def _delegations(intent: Intent, sender: Address | None = None) -> str:
    """The EIP-7702 part of a summary. "Your account" only for the sender's own authorizations: a
    sponsored set-code transaction can carry other people's; delegating to 0x0 clears a delegation."""
    parts: list[str] = []
    for authority, delegate in intent.delegations:
        whose = "your account" if authority == sender else f"account {short_address(authority)}"
        if delegate == ZERO_ADDRESS:
            parts.append(f"; and clears the EIP-7702 delegation of {whose} (back to a plain account)")
        else:
            parts.append(f"; and delegates {whose} to code at {short_address(delegate)} (EIP-7702)")
    return "".join(parts)


def describe_signature(intent: Intent, tokens: Mapping[Address, TokenInfo]) -> str | None:
    kind = intent.kind
    if kind is IntentKind.PERMIT:
        grants = intent.allowances
        if not grants:
            return "Sign a permit"
        spender = short_address(grants[0].spender)
        source = grants[0].source
        expiry = when(grants[0].expiration if grants[0].expiration is not None else grants[0].deadline)
        if source == "permit2-batch":
            return f"Sign a Permit2 batch letting {spender} take {len(grants)} tokens {expiry}"
        if source.startswith("permit2-") and "transfer" in source:
            return f"Sign a Permit2 transfer letting {spender} take {_amount(grants[0], tokens)} once, {expiry}"
        label = "Permit2 approval" if source.startswith("permit2") else "permit"
        return f"Sign a {label} letting {spender} spend {_amount(grants[0], tokens)} {expiry}"
    if kind is IntentKind.ORDER:
        gives = ", ".join(_asset(a, tokens) for a in intent.gives) or "nothing"
        gets = ", ".join(_asset(a, tokens) for a in intent.receives) or "NOTHING"
        return f"Sign a {intent.primary_type or 'trade'} order: you give {gives} and receive {gets}"
    if kind is IntentKind.LOGIN and intent.login is not None:
        return f"Log in to {safe_text(intent.login.domain, limit=60)} as {intent.login.address}"
    if kind is IntentKind.TYPED_DATA:
        where = f" for {short_address(intent.target)}" if intent.target else ""
        return f"Sign typed data {safe_text(intent.primary_type or '?', limit=40)}{where}"
    if kind is IntentKind.CALL_BATCH:
        value = f", sending {format_units(intent.value, 18)} ETH" if intent.value else ""
        return f"Run a batch of {len(intent.children)} calls{value}{_hidden(intent, tokens)}"
    return None
