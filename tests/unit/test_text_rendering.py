"""RELIABILITY.md A8 49 and 51: untrusted token names and symbols as the CLI report and the intent
text show them (``txfirewall.model.text``). Look-alike letters get a visible badge; bidi overrides,
zero-width characters and terminal escapes (ANSI colours, OSC 8 hyperlinks) come out as inert,
visible escapes: no byte of them reaches the terminal."""

from __future__ import annotations

import pytest

from txfirewall.model.text import display_symbol, has_non_ascii, safe_text, text_flags

OSC8_LINK = "\x1b]8;;https://evil.example\x1b\\Claim\x1b]8;;\x1b\\"
ANSI = "\x1b[2J\x1b[31mUSDC\x1b[0m"


@pytest.mark.parametrize("name", [OSC8_LINK, ANSI, "USDC\x07\x9b31m", "A\u2028B\u2029C"])
def test_a8_51_terminal_escapes_in_a_token_name_are_inert(name: str) -> None:
    for shown in (safe_text(name), display_symbol(name) or ""):
        assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in shown), repr(shown)
        assert "\u2028" not in shown and "\u2029" not in shown
    assert "\\x1b" in safe_text(OSC8_LINK) and "Claim" in safe_text(OSC8_LINK), "escaped, so still visible"
    assert "control-characters" in text_flags(ANSI)


@pytest.mark.parametrize(
    ("symbol", "flag"),
    [
        ("USD\u0422", "mixed-script-lookalike"),  # Cyrillic TE
        ("US\u200dDC", "invisible-characters"),  # zero-width joiner
        ("USDC\u202e", "bidi-override"),  # right-to-left override
    ],
)
def test_a8_49_lookalike_symbols_are_marked_and_invisible_characters_shown(symbol: str, flag: str) -> None:
    shown = display_symbol(symbol) or ""
    assert shown.endswith(" [non-ASCII]") and has_non_ascii(symbol)
    assert "\u200d" not in shown and "\u202e" not in shown
    assert flag in text_flags(symbol)
    assert display_symbol("USDC") == "USDC" and text_flags("USDC") == ()
