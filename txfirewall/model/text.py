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


_INVISIBLE = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD}
_BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C}


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else None


def text_flags(value: str | None) -> tuple[str, ...]:
    """Why an untrusted string deserves a second look, as stable short tags."""
    if not value:
        return ()
    flags: list[str] = []
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        flags.append("control-characters")
    if any(ord(ch) in _BIDI for ch in value):
        flags.append("bidi-override")
    if any(ord(ch) in _INVISIBLE for ch in value):
        flags.append("invisible-characters")
    if any(ord(ch) > 0x7E for ch in value):
        flags.append("non-ascii")
    scripts = {s for s in map(_script, value) if s}
    if "LATIN" in scripts and scripts & {"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"}:
        flags.append("mixed-script-lookalike")
    elif (
        scripts and "LATIN" not in scripts and value.isupper() and len(value) <= 12 and scripts <= {"CYRILLIC", "GREEK"}
    ):
        flags.append("lookalike-letters")
    return tuple(flags)
