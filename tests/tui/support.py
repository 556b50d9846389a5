"""Helpers for the terminal app's tests: the screen as text, waiting for the app, verdicts made
deterministic for snapshots, and a verdict with hostile token text."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable, Mapping
from typing import Any

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from txfirewall.tui.app import TxFirewallApp
from txfirewall.tui.verdict_doc import VerdictDoc, read_verdict
from txfirewall.tui.widgets.verdict_pane import VerdictPane

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
BOB = "0x79482941438f16cC093e6Fb410BaA77A9823026F"
FIXED_TIME = 1_790_000_000.0
"""2026-09-21 14:13:20 UTC: the clock of the snapshot apps."""


def screen_text(app: TxFirewallApp) -> str:
    """What the terminal shows now (the top screen), as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def shown(pilot: Pilot[Any]) -> str:
    """The screen as text once the app has caught up (layout and refresh after the last event)."""
    await pilot.pause()
    app = pilot.app
    assert isinstance(app, TxFirewallApp)
    return screen_text(app)


async def showing(pilot: Pilot[Any], *texts: str, timeout: float = 10.0) -> str:
    """Wait until the screen shows every one of ``texts`` and return it; fail with what it shows
    instead. A condition, not a delay: under load the refresh after an event can come late."""
    app = pilot.app
    assert isinstance(app, TxFirewallApp)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        screen = await shown(pilot)
        if all(text in screen for text in texts):
            return screen
        if loop.time() > deadline:
            missing = [text for text in texts if text not in screen]
            raise AssertionError(f"the screen does not show {missing} after {timeout} s:\n{screen}")
        await pilot.pause(0.05)


def rendered(renderable: Any, width: int = 100) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def pane_text(app: TxFirewallApp, width: int = 100) -> str:
    """Everything the verdict pane holds (also what is scrolled out of view)."""
    pane = app.main.query_one(VerdictPane)
    parts = [rendered(pane.border_title or "", width)]
    for static in pane.query(Static):
        if static.display:
            parts += [rendered(static.border_title or "", width), rendered(static.content, width)]
    return "\n".join(parts)


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], *, timeout: float = 30.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.05)
    await pilot.pause()


def deterministic(data: dict[str, Any]) -> dict[str, Any]:
    """A verdict JSON with what varies between runs fixed: the block's age, the timings."""
    data = json.loads(json.dumps(data))
    if data.get("block"):
        data["block"].update({"age_s": 12.0, "confirmed_s_ago": 0.0, "number": 64, "hash": "0x" + "ab" * 32})
        data["block"]["timestamp"] = 1_790_000_000
    data["timings_ms"] = {"total": 1.0}
    return data


HOSTILE_SYMBOL = "[@click=app.quit]OK[/]"
HOSTILE_NAME = "[red]Tether[/red] \u202eUSD\x1b[31m\u200b"
HOSTILE_TOKEN = "0x1111111111111111111111111111111111111111"


def hostile_token_doc() -> VerdictDoc:
    """A verdict whose token symbol is live Textual markup and whose name hides bidi, ANSI and
    zero-width characters: what a malicious token contract can return from symbol() and name()."""
    data: dict[str, Any] = {
        "schema": 1,
        "verdict": "warn",
        "score": 40,
        "method": "eth_sendTransaction",
        "sender": ALICE,
        "chain_id": 7357,
        "origin": "https://[b]uniswap[/b].org",
        "findings": [
            {
                "rule": "lookalike-token-symbol",
                "severity": "medium",
                "confidence": "high",
                "title": "Token symbol [@click=app.quit]imitates[/] another",
                "message": "The symbol [@click=app.quit]OK[/] is untrusted.",
                "evidence": {"token": HOSTILE_TOKEN, "symbol": HOSTILE_SYMBOL},
            }
        ],
        "intent": {
            "kind": "token-transfer",
            "summary": f"Send 5 {HOSTILE_SYMBOL} to 0x7948…026F",
            "target": HOSTILE_TOKEN,
            "token": HOSTILE_TOKEN,
            "amount": "5000000",
            "counterparty": BOB,
            "value": "0",
            "call": {
                "selector": "0xa9059cbb",
                "signature": "transfer(address,uint256)",
                "name": "transfer",
                "arguments": [
                    {"name": "to", "type": "address", "value": BOB},
                    {"name": "amount", "type": "uint256", "value": "5000000"},
                ],
                "source": "txfirewall-core",
                "candidates": [],
            },
            "notes": [],
            "allowances": [],
            "children": [],
            "delegations": [],
        },
        "simulation": {
            "status": "success",
            "block_number": 65,
            "gas_used": 34000,
            "approvals": [],
            "asset_changes": [
                {"address": ALICE, "kind": "erc20", "token": HOSTILE_TOKEN, "delta": "-5000000", "token_id": None},
                {"address": BOB, "kind": "erc20", "token": HOSTILE_TOKEN, "delta": "5000000", "token_id": None},
            ],
            "code_changes": [],
            "signature_effect": False,
        },
        "addresses": [],
        "tokens": {HOSTILE_TOKEN: {"symbol": HOSTILE_SYMBOL, "name": HOSTILE_NAME, "decimals": 6}},
        "block": {"number": 64, "age_s": 12.0, "confirmed_s_ago": 0.0},
        "error": None,
    }
    return read_verdict(data)


def with_trail(verdict: Mapping[str, Any]) -> dict[str, Any]:
    """The block sample's verdict JSON with an address graph's answer for its spender (what
    ``--graph`` adds): two hops to a drainer cluster."""
    data: dict[str, Any] = json.loads(json.dumps(dict(verdict)))
    spender, seed = "0x16a0029531043bC55d2185ea1d0B69B5095139EB", "0xB38E7814ce3321bD42971365d0e72d5e3Db5a63B"
    for facts in data["addresses"]:
        if facts["address"] == spender:
            facts["proximity"] = {
                "hops": 2,
                "hops_from_illicit": None,
                "hops_to_illicit": 2,
                "score": 0.42,
                "path": [spender, "0x7a1c4F3a9B2d0E1f5C6b8A9d0e1F2a3B4c5D0d2e", seed],
                "cluster": {"id": 17, "size": 9, "labels": ["Fake_Phishing1"], "categories": ["drainer", "phishing"]},
            }
    data["addresses"].append(
        {"address": seed, "roles": [], "labels": [{"label": "drainer", "source": "forta", "category": "drainer"}]}
    )
    return data
