"""The other screens, driven by the pilot: the demo's queue, History (search), Rules (saved to
the policy file and used from the next analysis), Settings, help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input
from textual.widgets._footer import FooterKey

from txfirewall.chain.anvil_node import AnvilNode
from txfirewall.cli.demo import demo_options, load_samples
from txfirewall.proxy.audit import AuditLog
from txfirewall.tui.app import TxFirewallApp
from txfirewall.tui.options import TuiOptions
from txfirewall.tui.queue_model import ItemState
from txfirewall.tui.screens.history import HistoryScreen
from txfirewall.tui.screens.message_box import MessageBox
from txfirewall.tui.screens.rules import RulesScreen
from txfirewall.tui.screens.settings import SettingsScreen
from txfirewall.tui.verdict_doc import VerdictDoc

from ..conftest import FIXTURES
from .support import ALICE, pane_text, rendered, showing, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def test_the_demo_queues_every_sample_and_analyses_them_in_turn(mainnet: AnvilNode) -> None:
    app = TxFirewallApp(demo_options(FIXTURES, mainnet.url, 7357))
    async with app.run_test(size=(100, 30)) as pilot:
        assert len(app.queue) == len(load_samples(FIXTURES))
        first = list(app.queue.values())[:3]
        await wait_for(pilot, lambda: all(i.doc is not None for i in first), what="the first samples")
        assert [i.doc.decision for i in first if i.doc] == ["allow", "allow", "allow"]
        await showing(pilot, "demo", "Send 0.5 ETH to 0x7948…026F")
        await pilot.press("q")
    assert app.return_code == 0


async def test_history_lists_the_audit_log_and_searches_it(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditLog(path) as log:
        for choice, origin in (
            ("forwarded", "https://app.uniswap.org"),
            ("blocked", "https://claim.example"),
            ("rejected", "https://opensea.io"),
        ):
            log.append({"method": "eth_sendTransaction", "origin": origin, "choice": choice, "verdict": "warn",
                        "score": 50, "sender": ALICE, "findings": []})  # fmt: skip
    app = TxFirewallApp(TuiOptions(simulate=False, audit_path=path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("h")
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        await wait_for(pilot, lambda: screen.loaded, what="the audit log read")
        table = screen.query_one(DataTable)
        assert table.row_count == 3
        await pilot.press(*"claim")
        await wait_for(pilot, lambda: table.row_count == 1, what="the search")
        screen = await showing(pilot, "claim.example")
        assert "opensea.io" not in screen
        await pilot.press("escape")
        assert not isinstance(app.screen, HistoryScreen)


async def test_rules_are_switched_off_saved_to_the_policy_file_and_used(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('# mine\n[thresholds]\nwarn = "medium"\n')
    app = TxFirewallApp(TuiOptions(simulate=False, policy_path=path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("u")
        screen = app.screen
        assert isinstance(screen, RulesScreen)
        first = screen.rules[0].id
        await pilot.press("space")
        await showing(pilot, "unsaved", "OFF")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (
            path.read_text().startswith("# mine\n[thresholds]")
            and f"[rules.{first}]\nenabled = false" in path.read_text()
        )
        assert app.options.policy.override(first).enabled is False
        assert app.analyser is not None and app.analyser.policy.override(first).enabled is False
        await pilot.press("e")  # the parameters dialog opens and closes
        await pilot.press("escape", "escape")
        assert not isinstance(app.screen, RulesScreen)


async def test_settings_change_the_rpc_for_the_next_analysis() -> None:
    app = TxFirewallApp(TuiOptions())
    async with app.run_test(size=(100, 30)) as pilot:
        await showing(pilot, "fork no rpc")
        assert app.analyser is None
        await pilot.press("s")
        assert isinstance(app.screen, SettingsScreen)
        app.screen.query_one("#rpc", Input).value = "http://127.0.0.1:1"
        await pilot.press("ctrl+s")
        assert app.options.rpc_url == "http://127.0.0.1:1" and app.analyser is not None
        await showing(pilot, "fork idle")


async def test_an_unreachable_node_is_an_error_shown_in_a_titled_box() -> None:
    app = TxFirewallApp(TuiOptions(rpc_url="http://127.0.0.1:1"))
    async with app.run_test(size=(100, 30)) as pilot:
        request = {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [{"from": ALICE, "to": ALICE}]}
        key = app.queue_text(json.dumps(request), "x")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageBox), what="the error box")
        await showing(pilot, "Analysis failed")
        assert app.queue[key].state is ItemState.FAILED
        await pilot.press("escape")
        await showing(pilot, "fork failed")


async def test_help_lists_the_keys() -> None:
    app = TxFirewallApp(TuiOptions(simulate=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, MessageBox)
        await showing(pilot, "Keys and marks")
        text = rendered(app.screen.body, 100)
        assert "Enter alone never does" in text and "claims nobody verified" in text


async def test_without_colour_the_words_carry_the_meaning(
    sample_docs: dict[str, VerdictDoc], monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR: every colour on screen is a grey, and the verdict, the loss and the severity are
    still there as words and signs."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = TxFirewallApp(TuiOptions(simulate=False))
    app.add_verdict("drainer claim", sample_docs["drainer"])
    async with app.run_test(size=(80, 24)) as pilot:
        await showing(pilot, "BLOCK", "-1", "ETH")
        assert app.no_color and "■ high" in pane_text(app), "the severity as a word, further down"
        colours = {
            colour.triplet
            for strip in app.screen._compositor.render_strips()
            for segment in strip
            if segment.style is not None
            for colour in (segment.style.color, segment.style.bgcolor)
            if colour is not None and colour.triplet is not None
        }
        assert colours and all(r == g == b for r, g, b in colours), f"not grey: {colours}"


async def test_the_mouse_chooses_a_request_and_presses_keys(sample_docs: dict[str, VerdictDoc]) -> None:
    """A click on a queue entry shows its verdict; a click on the key bar does what the key does."""
    app = TxFirewallApp(TuiOptions(simulate=False))
    app.add_verdict("USDX to carol", sample_docs["allow"])
    second = app.add_verdict("approve max", sample_docs["block"])
    async with app.run_test(size=(80, 24)) as pilot:
        await showing(pilot, "ALLOW")
        await pilot.click("#queue", offset=(3, 4))  # the second entry's first line (border, 3 lines each)
        await wait_for(pilot, lambda: app.main.selected_key == second, what="the second entry selected")
        await showing(pilot, "BLOCK   score")
        key = next(k for k in app.screen.query(FooterKey) if k.key == "question_mark")
        await pilot.click(key)
        await wait_for(pilot, lambda: isinstance(app.screen, MessageBox), what="help from a click")
        await showing(pilot, "Keys and marks")
