"""Untrusted strings (token symbols, names, messages) rendered as inert, visible text."""

from __future__ import annotations

import unicodedata


def safe_text(value: str, *, limit: int = 64) -> str:
    """Escape control and format characters (ANSI, zero-width, RTL override) and cap the length.

    Letters from other scripts are kept as they are; ``has_non_ascii`` tells callers to flag them.
    """
    out: list[str] = []
    for ch in value[:limit]:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(f"\\u{ord(ch):04x}" if ord(ch) > 0xFF else f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    if len(value) > limit:
        out.append("…")
    return "".join(out)


def has_non_ascii(value: str) -> bool:
    return any(ord(ch) > 0x7E or ord(ch) < 0x20 for ch in value)


def display_symbol(symbol: str | None) -> str | None:
    """A token symbol for prose: escaped, and marked when it hides non-ASCII look-alikes."""
    if symbol is None:
        return None
    shown = safe_text(symbol, limit=24)
    return f"{shown} [non-ASCII]" if has_non_ascii(symbol) else shown


def format_units(amount: int, decimals: int | None) -> str:
    """Exact decimal rendering of an integer amount (no floats)."""
    if not decimals:
        return f"{amount:,}"
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**decimals)
    frac_text = str(frac).rjust(decimals, "0").rstrip("0")
    return f"{sign}{whole:,}" + (f".{frac_text}" if frac_text else "")
