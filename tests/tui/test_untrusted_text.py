"""Untrusted text on screen: never markup, controls and bidi escaped, look-alikes marked; and the
pieces of the verdict view that show it (symbols in the changes table, the call, the claims)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from rich.text import Text

from txfirewall.tui.audit_history import row_from_entry
from txfirewall.tui.screens.history import _cells, row_details
from txfirewall.tui.untrusted import address_text, claim, has_oddities, untrusted, untrusted_lines
from txfirewall.tui.verdict_sections import call_tree, changes_section, claims_section

from .support import HOSTILE_SYMBOL, hostile_token_doc, rendered


@pytest.mark.parametrize(
    "value",
    ["[@click=app.quit]OK[/]", "[bold red]x[/]", "[link=https://evil.example]y[/link]", ":skull:", "$variable"],
)
def test_markup_is_shown_as_its_characters(value: str) -> None:
    shown = untrusted(value)
    assert isinstance(shown, Text) and shown.plain == value and rendered(shown).strip() == value
    assert not shown.spans, "no style came from the value itself"


def test_controls_bidi_and_invisible_characters_become_escapes() -> None:
    value = "a\x1b[31mb\u202ec\u200bd\ne\x00"
    shown = untrusted(value)
    assert shown.plain.startswith("a\\x1b[31mb\\u202ec\\u200bd\\x0ae\\x00")
    assert not {"\x1b", "\u202e", "\u200b", "\n", "\x00"} & set(shown.plain)
    assert all(span.style == "reverse" for span in shown.spans if span.style == "reverse")


def test_a_backslash_cannot_fake_an_escape() -> None:
    assert untrusted("\\u202e").plain == "\\\\u202e"


def test_lookalike_letters_are_marked_and_named() -> None:
    shown = untrusted("USDТ")  # Cyrillic TE
    assert shown.plain == "USDТ ⚠ non-ASCII U+0422; mixed-script-lookalike"
    assert any(span.style == "underline" for span in shown.spans)
    mixed = untrusted("раypal")  # Cyrillic ER and A
    assert "mixed-script-lookalike" in mixed.plain
    assert not has_oddities("USDT") and has_oddities("USDТ")


def test_long_values_are_cut() -> None:
    assert untrusted("x" * 500, limit=10).plain == "x" * 10 + "…"


def test_claims_are_styled_apart() -> None:
    assert claim("app.uniswap.org").style == "italic"
    assert claim(None).plain == "(none)"


def test_addresses_are_short_but_a_malformed_one_is_still_inert() -> None:
    assert address_text("0x16a0029531043bC55d2185ea1d0B69B5095139EB").plain == "0x16a0…39EB"
    assert address_text("0x16a0029531043bC55d2185ea1d0B69B5095139EB", full=True).plain.endswith("5139EB")
    assert address_text("[@click=app.quit]").plain == "[@click=app.quit]"


def test_the_verdict_sections_show_a_hostile_symbol_literally() -> None:
    doc = hostile_token_doc()
    changes = rendered(changes_section(doc), 120)
    assert "-5" in changes and HOSTILE_SYMBOL in changes and "+5" in changes
    claims = rendered(claims_section(doc), 120)
    assert HOSTILE_SYMBOL in claims and "\\u202e" in claims and "[red]Tether[/red]" in claims
    assert "https://[b]uniswap[/b].org" in claims and "lookalike" not in claims.split("origin")[0]
    call = rendered(call_tree(doc, expanded=True), 120)
    assert f"{HOSTILE_SYMBOL}.transfer(to=0x7948…026F, amount=5,000,000 (5 {HOSTILE_SYMBOL}))" in call


def test_the_cli_does_not_load_textual_for_help() -> None:
    code = "import sys; from txfirewall.cli.main import _parser; _parser(); print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_escapes_take_the_form_of_terminal_safe() -> None:
    """``\\xHH`` to U+00FF, ``\\uHHHH`` to U+FFFF, ``\\UHHHHHHHH`` above: an escape never runs
    into the digits after it (``terminal_safe``'s contract on the rel-fixes branch)."""
    assert untrusted("a\x7f\x85\u2066\U000f0000" + "0").plain.startswith("a\\x7f\\x85\\u2066\\U000f00000")
    assert not has_oddities("plain ascii") and has_oddities("\U000f0000")


def test_a_multi_line_error_keeps_its_lines_and_escapes_the_rest() -> None:
    shown = untrusted_lines("cannot read it\nhint: \x1b[31m[@click=app.quit]x[/]")
    assert shown.plain == "cannot read it\nhint: \\x1b[31m[@click=app.quit]x[/]"


def test_history_shows_a_doctored_audit_log_inertly() -> None:
    """The audit log is a file anyone with the user's rights can edit: its strings are untrusted."""
    row = row_from_entry(
        {
            "seq": 1,
            "time": "2026-09-21T14:13:20\x1b[2J",
            "record": {
                "method": "eth_sign\u202e",
                "origin": "[@click=app.quit]x[/]",
                "choice": "confirmed\x1b[31m",
                "findings": [{"rule": "r\u200b", "severity": "high\x07", "message": "m"}],
            },
        }
    )
    assert row is not None
    text = "\n".join(rendered(cell) for cell in _cells(row)) + rendered(row_details(row), 200)
    assert not {"\x1b", "\u202e", "\u200b", "\x07"} & set(text)
    assert "[@click=app.quit]x[/]" in text and "confirmed\\x1b[31m" in text and "high\\x07" in text
