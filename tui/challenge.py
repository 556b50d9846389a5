"""The words a person types to approve a warned request, and the look-alike comparison.

The words come from the request's verified facts (the amount it sends, the last hex digits of
the address it pays or empowers), so muscle memory cannot type them, and never from untrusted
text (a token symbol could be anything): they are plain ASCII, lowercase, short.
"""

from __future__ import annotations

from rich.text import Text

from txfirewall.model.text import format_units
from txfirewall.tui.verdict_doc import VerdictDoc

NATIVE_DECIMALS = 18
SECOND_CONFIRMATION = "override"
"""What the second confirmation of a block override asks for."""


HEX = frozenset("0123456789abcdefABCDEF")


def _tail(address: str | None) -> str | None:
    """The last four hex digits of a well-formed address (anything else gives no word)."""
    if address and address.startswith("0x") and len(address) == 42 and set(address[2:]) <= HEX:
        return address[-4:].lower()
    return None


def _short_amount(amount: int, decimals: int | None) -> str:
    """``45`` for 45.3, ``0.5`` for 0.5, ``0.0012`` for 0.00123: enough to be deliberate."""
    if decimals is None:
        return str(amount)
    text = format_units(amount, decimals).replace(",", "")
    whole, _, frac = text.partition(".")
    if whole != "0" or not frac:
        return whole
    significant = len(frac) - len(frac.lstrip("0")) + 2
    return f"0.{frac[:significant].rstrip('0')}"


def challenge_for(doc: VerdictDoc) -> str:
    """The phrase to type: ``send 45``, ``approve 39eb``, ``sign 8f2a``, ``confirm 026f``."""
    intent = doc.intent
    kind = doc.intent_kind
    amount_raw = intent.get("amount")
    counterparty = intent.get("counterparty") if isinstance(intent.get("counterparty"), str) else None
    target = intent.get("target") if isinstance(intent.get("target"), str) else None
    if kind == "native-transfer":
        value = intent.get("value")
        if isinstance(value, str) and value.isdigit() and int(value) > 0:
            return f"send {_short_amount(int(value), NATIVE_DECIMALS)}"
    if kind in ("token-transfer", "token-transfer-from") and isinstance(amount_raw, str) and amount_raw.isdigit():
        token = doc.token(intent.get("token") if isinstance(intent.get("token"), str) else None)
        return f"send {_short_amount(int(amount_raw), token.decimals if token else None)}"
    if kind in ("token-approval", "permit") and _tail(counterparty):
        return f"approve {_tail(counterparty)}"
    if doc.approvals and _tail(doc.approvals[0].spender):
        return f"approve {_tail(doc.approvals[0].spender)}"
    if doc.method.startswith(("eth_sign", "personal_sign")) and _tail(target or counterparty):
        return f"sign {_tail(target or counterparty)}"
    tail = _tail(counterparty) or _tail(target) or _tail(doc.sender)
    return f"confirm {tail}" if tail else f"confirm {doc.score}"


def matches(typed: str, phrase: str) -> bool:
    """Typed exactly (spaces around and case aside)."""
    return " ".join(typed.split()).lower() == phrase.lower()


def lookalike_pairs(doc: VerdictDoc) -> list[tuple[str, str]]:
    """(address the user really paid, the look-alike this request uses), from the poisoning finding."""
    pairs = []
    for finding in doc.findings:
        if finding.rule == "address-poisoning-lookalike":
            friend, this = finding.evidence.get("imitates"), finding.evidence.get("destination")
            if isinstance(friend, str) and isinstance(this, str):
                pairs.append((friend, this))
    return pairs


def mark_differences(friend: str, this: str) -> Text:
    """The two addresses one above the other and ``^`` under every character that differs."""
    width = max(len(friend), len(this))
    marks = "".join(
        "^" if a.lower() != b.lower() else " " for a, b in zip(friend.ljust(width), this.ljust(width), strict=True)
    )
    out = Text()
    out.append("  you paid  ", style="dim")
    out.append(friend + "\n", style="bold")
    out.append("  this      ", style="dim")
    for a, b in zip(this, friend.ljust(len(this)), strict=True):
        out.append(a, style="bold reverse" if a.lower() != b.lower() else "bold")
    out.append("\n            " + marks.rstrip(), style="bold")
    return out
