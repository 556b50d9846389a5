"""Rules about the tokens a request moves or approves.

Deliberately not reported: tokens whose names are simply non-English (a fully Cyrillic or CJK
name is legitimate); only Latin mixed with look-alike scripts, invisible or control characters.
"""

from __future__ import annotations

from txfirewall.heuristics.rule import Hit, NoParams, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.text import safe_text

_SUSPICIOUS = (
    "mixed-script-lookalike",
    "lookalike-letters",
    "bidi-override",
    "invisible-characters",
    "control-characters",
)


@rule(
    id="lookalike-token-symbol",
    title="Token symbol imitates another with look-alike characters",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.TOKENS,),
)
def lookalike_token_symbol(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """``USDТ`` with a Cyrillic Te, zero-width joiners, RTL overrides: counterfeit tokens used in
    address poisoning and fake airdrops. The real token never needs them."""
    for address in sorted(ctx.tokens):
        info = ctx.tokens[address]
        bad = [f for f in info.flags if f in _SUSPICIOUS]
        if not bad:
            continue
        shown = safe_text(info.symbol or info.name or "", limit=32)
        return Hit(
            message=(
                f'Token {address} calls itself "{shown}" using look-alike or hidden characters '
                f"({', '.join(bad)}). It is not the token it imitates."
            ),
            evidence={
                "token": address,
                "symbol_escaped": shown,
                "flags": [*bad],
                "symbol_codepoints": [f"U+{ord(c):04X}" for c in (info.symbol or "")[:32]],
            },
            subject=address,
        )
    return None
