"""Terminal escapes in untrusted strings (RELIABILITY A8 cases 49-51, issue 13).

Every untrusted string (revert reasons, token names, messages, labels, origins, method names)
reaches the terminal through ``terminal_safe``; these tests pin its contract and check the
readable report and the CLI's JSON output, where a revert reason was once printed raw.
"""

from __future__ import annotations

import io
import json
import unicodedata
from contextlib import redirect_stdout

import pytest

from txfirewall.cli.check import _print_verdict
from txfirewall.cli.report import render_verdict
from txfirewall.model.facts import TokenInfo
from txfirewall.model.findings import Confidence, Finding, Severity
from txfirewall.model.intent import Intent, IntentKind
from txfirewall.model.simulation import Simulation, SimulationStatus
from txfirewall.model.text import safe_text, terminal_safe, terminal_safe_json
from txfirewall.model.verdict import Decision, Verdict

OSC8_LINK = "\x1b]8;;https://evil.example/\x1b\\click here\x1b]8;;\x1b\\"
CLEAR_SCREEN = "\x1b[2J\x1b[H"
HOSTILE = f"Ownable: {OSC8_LINK}{CLEAR_SCREEN}\x9b31m\x07\x08\r\u202eevil\u2066\u200b\ufeff\x7f done"


def _dangerous(text: str) -> list[str]:
    """Characters a terminal could act on, or that hide or reorder text."""
    return [
        ch
        for ch in text
        if (ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F or unicodedata.category(ch) in ("Cf", "Zl", "Zp")
    ]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b", "\\x1b"),
        ("\x00\x07\t\n\r", "\\x00\\x07\\x09\\x0a\\x0d"),
        ("\x7f\x80\x9b\x9f", "\\x7f\\x80\\x9b\\x9f"),
        ("\u202a\u202b\u202c\u202d\u202e", "\\u202a\\u202b\\u202c\\u202d\\u202e"),
        ("\u2066\u2067\u2068\u2069\u200e\u200f\u061c", "\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c"),
        ("\u200b\u200c\u200d\u2060\ufeff\u00ad", "\\u200b\\u200c\\u200d\\u2060\\ufeff\\xad"),
        ("\u2028\u2029\ue000\U000e0041", "\\u2028\\u2029\\ue000\\U000e0041"),
    ],
)
def test_terminal_safe_escapes_every_control_and_format_character(raw: str, shown: str) -> None:
    assert terminal_safe(raw) == shown


def test_terminal_safe_keeps_text_and_is_idempotent() -> None:
    kept = "Uniswap V3: USDТ (Cyrillic Т), café, 日本, 😀, a\\x1b literal backslash"
    assert terminal_safe(kept) == kept
    once = terminal_safe(HOSTILE)
    assert terminal_safe(once) == once
    assert not _dangerous(once)
    assert "\\x1b]8;;https://evil.example/" in once and "\\x1b[2J" in once and "\\u202eevil" in once


def test_safe_text_is_terminal_safe_with_a_cap() -> None:
    assert safe_text("ab\x1bcd", limit=3) == "ab\\x1b…"
    assert not _dangerous(safe_text(HOSTILE, limit=1000))


def _verdict(*, reason: str, symbol: str, message: str) -> Verdict:
    token = "0x00000000000000000000000000000000000000aa"
    return Verdict(
        decision=Decision.WARN,
        score=45,
        findings=(
            Finding("simulation-reverted", Severity.MEDIUM, Confidence.HIGH, "The transaction would fail", message),
        ),
        intent=Intent(kind=IntentKind.CONTRACT_CALL, summary=f"Call {symbol}", notes=(f"token name {symbol}",)),
        simulation=Simulation(status=SimulationStatus.REVERTED, revert_reason=reason),
        method="eth_sendTransaction",
        tokens=(TokenInfo(token, symbol, symbol, 18),),  # type: ignore[arg-type]
    )


def test_readable_report_escapes_a_hostile_revert_reason() -> None:
    """Issue 13: a revert reason holding an OSC 8 hyperlink and a clear-screen sequence was
    printed raw by ``txfirewall check``."""
    text = render_verdict(
        _verdict(reason=HOSTILE, symbol=f"USDT{OSC8_LINK}", message=f"Simulated, it reverts ({HOSTILE}).")
    )
    assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text and "\u200b" not in text
    assert not _dangerous(text), [hex(ord(c)) for c in _dangerous(text)]
    assert "\\x1b]8;;https://evil.example/" in text and "\\x1b[2J" in text
    assert text.count("\n") == len(text.splitlines()) - 1  # no line forged by a CR or LF in the reason


def test_cli_json_output_escapes_what_a_terminal_would_act_on() -> None:
    verdict = _verdict(reason=HOSTILE, symbol="USDT\u202e", message="x\x9b2J")
    out = io.StringIO()
    with redirect_stdout(out):
        _print_verdict(verdict, as_json=True)
    printed = out.getvalue()
    assert not _dangerous(printed)
    data = json.loads(printed)
    assert data["simulation"]["revert_reason"] == HOSTILE  # the values themselves are unchanged
    assert terminal_safe_json(printed) == printed
