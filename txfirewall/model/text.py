"""Untrusted strings (token symbols, names, messages) rendered as inert, visible text.

``terminal_safe`` is the one escaping function every terminal output goes through (the CLI's
reports and listings, the TUI): see its docstring for the contract.
"""

from __future__ import annotations

import unicodedata

ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Controls (C0, DEL, C1), format characters (bidi overrides and isolates, zero-width), surrogates,
private-use and unassigned code points, line and paragraph separators."""


def escape_char(ch: str) -> str:
    """One character as the visible escape ``terminal_safe`` writes for it."""
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else (f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")


def needs_escape(ch: str) -> bool:
    """Whether ``terminal_safe`` escapes this character (see its contract)."""
    code = ord(ch)
    if 0x20 <= code < 0x7F:
        return False
    return code < 0x20 or unicodedata.category(ch) in ESCAPED_CATEGORIES


def terminal_safe(value: str) -> str:
    """``value`` with everything a terminal could act on, or that hides or reorders text, written
    as a visible escape; every other character is kept.

    Contract (stable: the CLI and the TUI rely on it):

    * escaped: C0 controls (U+0000-U+001F, including ESC, CR, LF and TAB), DEL (U+007F), C1
      controls (U+0080-U+009F), and every other code point of Unicode category Cc, Cf, Cs, Co,
      Cn, Zl or Zp: bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069, LRM,
      RLM, ALM), zero-width characters (U+200B-U+200D, U+2060, U+FEFF), the soft hyphen,
      surrogates, private-use and unassigned code points, line and paragraph separators;
    * as: ``\\xHH`` up to U+00FF, ``\\uHHHH`` up to U+FFFF, ``\\UHHHHHHHH`` above (lowercase hex), so
      ESC reads ``\\x1b`` and the right-to-left override ``\\u202e``;
    * kept: printable ASCII (a backslash too, so already escaped text is unchanged: the function
      is idempotent) and letters, digits, marks and symbols of every script. Look-alike letters are
      kept: flag them with ``text_flags`` / ``has_non_ascii``;
    * never truncates (``safe_text`` caps the length as well) and never raises.

    The result holds no character below U+0020, none in U+007F-U+009F and no format character,
    so it can be printed, or put in a Rich ``Text`` (not markup), without acting on the terminal.
    """
    if value.isascii() and value.isprintable():
        return value
    return "".join(escape_char(ch) if needs_escape(ch) else ch for ch in value)


def terminal_safe_json(text: str) -> str:
    """JSON text made safe for a terminal: every character ``terminal_safe`` would escape, written
    as its JSON ``\\uXXXX`` escape instead (surrogate pairs above U+FFFF). Such characters can only
    occur inside JSON strings, so the result parses to the same value."""
    if text.isascii() and text.isprintable():
        return text
    out: list[str] = []
    for ch in text:
        if not needs_escape(ch) or ch in "\n\t":
            out.append(ch)
            continue
        code = ord(ch)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def safe_text(value: str, *, limit: int = 64) -> str:
    """``terminal_safe`` of the first ``limit`` characters, with ``…`` when it was cut.

    Letters from other scripts are kept as they are; ``has_non_ascii`` tells callers to flag them.
    """
    shown = terminal_safe(value[:limit])
    return shown + "…" if len(value) > limit else shown


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
