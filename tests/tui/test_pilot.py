"""The terminal app driven by Textual's pilot: against the real fixture chain and a real proxy.

* a fixture request analysed by the app shows its stages, then its verdict;
* a request held by a running ``ProxyServer`` appears in the queue and is released only by the
  typed confirmation (a single Enter, a wrong word do nothing); the choice is in the proxy's
  audit log, listed by History;
* a block is final unless the policy allows an override, and then needs two confirmations, also
  when a proxy holds it (the proxy releases it only for a confirmation that says override);
* markup in a token's symbol shows literally; control and bidi characters show as escapes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from textual.pilot import Pilot

from txfirewall.chain.anvil_node import AnvilNode
from txfirewall.decide.policy import Policy
from txfirewall.enrich.history_file import load_history
from txfirewall.firewall import FirewallConfig
from txfirewall.proxy.audit import AuditLog
from txfirewall.proxy.config import ProxyConfig
from txfirewall.proxy.control import read_control_file
from txfirewall.proxy.service import ProxyServer
from txfirewall.tui.app import TxFirewallApp
from txfirewall.tui.challenge import SECOND_CONFIRMATION, challenge_for
from txfirewall.tui.options import ProxyAddress, StartRequest, TuiOptions
from txfirewall.tui.queue_model import ItemState
from txfirewall.tui.screens.confirm import ConfirmScreen
from txfirewall.tui.screens.history import HistoryScreen
from txfirewall.tui.screens.message_box import MessageBox
from txfirewall.tui.screens.override import OverrideScreen
from txfirewall.tui.verdict_doc import VerdictDoc

from ..conftest import FIXTURES, load_request
from .support import HOSTILE_NAME, HOSTILE_SYMBOL, hostile_token_doc, pane_text, rendered, showing, shown, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

CHAIN_ID = 7357
HISTORY = FIXTURES / "history.jsonl"


def local_app(**options: Any) -> TxFirewallApp:
    return TxFirewallApp(TuiOptions(simulate=False, **options))


# --- analyse ---------------------------------------------------------------------------------


async def test_a_fixture_request_is_analysed_stage_by_stage_and_its_verdict_shown(mainnet: AnvilNode) -> None:
    options = TuiOptions(
        rpc_url=mainnet.url,
        chain_id=CHAIN_ID,
        knowledge={"history": load_history(HISTORY)},
        requests=(StartRequest(FIXTURES / "requests" / "e_drainer_claim.json", "drainer claim"),),
    )
    app = TxFirewallApp(options)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot,
            lambda: bool(app.queue) and next(iter(app.queue.values())).state is not ItemState.ANALYSING,
            what="the verdict",
        )
        (item,) = app.queue.values()
        assert item.state is ItemState.READY, item.error
        assert item.stages[:3] == ["parse", "fork", "decode"] and {"simulate", "enrich", "evaluate"} <= set(item.stages)
        await showing(pilot, "BLOCK", "score", "Call Claim() on 0x3Da5…f8e0, sending 1 ETH")
        text = pane_text(app)
        assert "-1 ETH" in text.replace("  ", " ") and "value-to-scam-selector" in text
        assert "verified by simulation" in text and "Claims" in text
        assert "cannot be approved" in text, "a block says why a cannot approve it"
        await pilot.press("a")
        assert not isinstance(app.screen, ConfirmScreen), "no confirmation is offered for a final block"
        await pilot.press("q")
    assert app.return_code == 0


async def test_a_pasted_request_is_analysed(mainnet: AnvilNode) -> None:
    app = TxFirewallApp(TuiOptions(rpc_url=mainnet.url, chain_id=CHAIN_ID))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("o")
        area = app.screen.query_one("#pasted")
        area.load_text(load_request("a_eth_to_bob.json").decode())  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(i.doc is not None for i in app.queue.values()), what="the verdict")
        (item,) = app.queue.values()
        assert item.doc is not None and item.doc.decision == "allow" and item.title == "pasted request"
        await showing(pilot, "Send 0.5 ETH to 0x7948…026F")


# --- the proxy's queue ------------------------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def proxy(mainnet: AnvilNode, tmp_path: Path) -> AsyncIterator[ProxyServer]:
    config = ProxyConfig(
        upstream=mainnet.url, listen_port=0, control_file=tmp_path / "control.json", hold_timeout=60, rate_burst=1000
    )
    firewall = FirewallConfig(rpc_url=mainnet.url, chain_id=CHAIN_ID, history=load_history(HISTORY))
    audit = AuditLog(tmp_path / "audit.jsonl", durable=False)
    async with ProxyServer(config, firewall, audit=audit) as server:
        await server.firewall.start()
        yield server


async def _held_now(server: ProxyServer) -> list[dict[str, Any]]:
    url, token = read_control_file(server.control_file)
    async with httpx.AsyncClient() as client:
        return list((await client.get(f"{url}/v1/held", headers={"Authorization": f"Bearer {token}"})).json()["held"])


async def _choices_in_history(pilot: Pilot[Any], app: TxFirewallApp) -> list[str]:
    """The choices the History screen lists (newest first): what the proxy's audit log holds (a held
    request is recorded when the hold starts and again when it is decided)."""
    await pilot.press("h")
    screen = app.screen
    assert isinstance(screen, HistoryScreen)
    await wait_for(pilot, lambda: screen.loaded, what="the audit log read")
    choices = [row.choice for row in screen.shown]
    await pilot.press("escape")
    return choices


async def test_a_held_request_appears_and_is_released_only_by_the_typed_confirmation(proxy: ProxyServer) -> None:
    assert proxy.audit is not None
    app = local_app(proxy=ProxyAddress(control_file=proxy.control_file), audit_path=proxy.audit.path)
    async with httpx.AsyncClient(timeout=90) as wallet, app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.proxy_connected, what="the control channel")
        sent = asyncio.create_task(
            wallet.post(
                proxy.url,
                content=load_request("j_nft_approval_for_all_drainer.json"),
                headers={"content-type": "application/json"},
            )
        )
        await wait_for(pilot, lambda: any(i.state is ItemState.HELD for i in app.queue.values()), what="the hold")
        (item,) = app.queue.values()
        assert item.doc is not None and item.doc.decision == "warn" and item.method == "eth_sendTransaction"
        await showing(pilot, "WARN", "1 held")
        phrase = challenge_for(item.doc)
        assert phrase == "approve f8e0", "the word comes from the spender's address"

        await pilot.press("a")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # a stray Enter
        await showing(pilot, "Enter alone does not approve")  # it was read, and refused
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press(*"approve", "enter")  # not the whole word
        await showing(pilot, "That is not it")
        assert isinstance(app.screen, ConfirmScreen)
        assert len(await _held_now(proxy)) == 1 and not sent.done(), "still held: nothing confirmed it"

        await pilot.press(*phrase, "enter")
        reply = (await asyncio.wait_for(sent, 60)).json()
        assert reply["error"]["message"] == "No Signer available", "forwarded to the node: the proxy released it"
        await wait_for(pilot, lambda: item.state is ItemState.APPROVED, what="the resolution")
        assert "Approved: the proxy checks it once more and sends it on" in pane_text(app)
        assert await _held_now(proxy) == []
        assert await _choices_in_history(pilot, app) == ["confirmed", "held"], (
            "the hold and the choice are in the audit log"
        )


async def test_reject_on_a_held_request_refuses_it_to_the_wallet(proxy: ProxyServer) -> None:
    assert proxy.audit is not None
    app = local_app(proxy=ProxyAddress(control_file=proxy.control_file), audit_path=proxy.audit.path)
    async with httpx.AsyncClient(timeout=90) as wallet, app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.proxy_connected, what="the control channel")
        sent = asyncio.create_task(
            wallet.post(
                proxy.url,
                content=load_request("j_nft_approval_for_all_drainer.json"),
                headers={"content-type": "application/json"},
            )
        )
        await wait_for(pilot, lambda: any(i.state is ItemState.HELD for i in app.queue.values()), what="the hold")
        await pilot.press("r")
        reply = (await asyncio.wait_for(sent, 60)).json()
        assert reply["error"]["code"] == 4001 and "rejected by the user" in reply["error"]["message"]
        (item,) = app.queue.values()
        await wait_for(pilot, lambda: item.state is ItemState.REJECTED, what="the resolution")
        assert await _choices_in_history(pilot, app) == ["rejected", "held"], (
            "the hold and the choice are in the audit log"
        )


@pytest_asyncio.fixture(loop_scope="session")
async def overriding_proxy(mainnet: AnvilNode, tmp_path: Path) -> AsyncIterator[ProxyServer]:
    """A proxy whose policy allows overriding a block (``[confirm] allow_block_override``)."""
    config = ProxyConfig(
        upstream=mainnet.url, listen_port=0, control_file=tmp_path / "control.json", hold_timeout=60, rate_burst=1000
    )
    firewall = FirewallConfig(
        rpc_url=mainnet.url,
        chain_id=CHAIN_ID,
        history=load_history(HISTORY),
        policy=Policy(allow_block_override=True),
    )
    audit = AuditLog(tmp_path / "audit.jsonl", durable=False)
    async with ProxyServer(config, firewall, audit=audit) as server:
        await server.firewall.start()
        yield server


async def test_a_held_block_is_released_only_after_the_phrase_and_the_override(overriding_proxy: ProxyServer) -> None:
    """The drainer claim (value-to-scam-selector: a block, not unconditional), held by a proxy whose
    policy allows overrides: a single Enter does nothing at either step, the typed phrase alone
    releases nothing, and only then typing ``override`` sends it to the node."""
    proxy = overriding_proxy
    assert proxy.audit is not None
    app = local_app(proxy=ProxyAddress(control_file=proxy.control_file), audit_path=proxy.audit.path)
    async with httpx.AsyncClient(timeout=90) as wallet, app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.proxy_connected, what="the control channel")
        sent = asyncio.create_task(
            wallet.post(
                proxy.url, content=load_request("e_drainer_claim.json"), headers={"content-type": "application/json"}
            )
        )
        await wait_for(pilot, lambda: any(i.state is ItemState.HELD for i in app.queue.values()), what="the hold")
        (item,) = app.queue.values()
        assert item.doc is not None and item.doc.decision == "block" and item.overridable
        await showing(pilot, "BLOCK", "1 held")
        assert "allows an override" in pane_text(app)

        await pilot.press("enter")  # a stray Enter on the queue
        await pilot.press("a")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # Enter alone
        await showing(pilot, "Enter alone does not approve")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press(*challenge_for(item.doc), "enter")
        assert isinstance(app.screen, OverrideScreen), "the phrase leads to the second confirmation, not the node"
        await pilot.press("enter")  # Enter alone, again
        await pilot.pause(0.2)
        assert isinstance(app.screen, OverrideScreen) and item.state is ItemState.HELD
        assert len(await _held_now(proxy)) == 1 and not sent.done(), "still held: no override was confirmed"

        await pilot.press(*SECOND_CONFIRMATION, "enter")
        reply = (await asyncio.wait_for(sent, 60)).json()
        assert reply["error"]["message"] == "No Signer available", "forwarded to the node: the proxy released it"
        await wait_for(pilot, lambda: item.state is ItemState.APPROVED, what="the resolution")
        assert "Block overridden" in pane_text(app)
        assert await _held_now(proxy) == []
        assert await _choices_in_history(pilot, app) == ["overridden", "held"], (
            "the hold and the override are in the audit log"
        )


async def test_a_proxy_that_is_not_running_is_shown_as_lost(tmp_path: Path) -> None:
    app = local_app(proxy=ProxyAddress(control_file=tmp_path / "nothing.json"))
    async with app.run_test(size=(100, 30)) as pilot:
        await showing(pilot, "LOST")
        assert not app.proxy_connected


# --- warn and block, locally ---------------------------------------------------------------------


async def test_a_single_enter_does_not_confirm_a_warn(sample_docs: dict[str, VerdictDoc]) -> None:
    app = local_app()
    key = app.add_verdict("nft approval", sample_docs["warn"])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a", "enter")
        await pilot.pause(0.2)
        await pilot.press("enter", "enter")
        assert app.queue[key].state is ItemState.READY and isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        assert app.queue[key].state is ItemState.READY and not isinstance(app.screen, ConfirmScreen)
        await pilot.press("a", *challenge_for(sample_docs["warn"]), "enter")
        assert app.queue[key].state is ItemState.APPROVED


async def test_a_block_is_final_unless_the_policy_allows_an_override(sample_docs: dict[str, VerdictDoc]) -> None:
    block = sample_docs["block"]
    app = local_app(knowledge={"policy": Policy(allow_block_override=True)})
    final = app.add_verdict("final", block, overridable=False)
    allowed = app.add_verdict("overridable", block, overridable=True)
    async with app.run_test(size=(100, 30)) as pilot:
        app.main.select(final)
        await pilot.press("a")
        assert not isinstance(app.screen, ConfirmScreen) and app.queue[final].state is ItemState.READY
        app.main.select(allowed)
        await pilot.pause()
        assert "allows an override" in pane_text(app)
        await pilot.press("a", *challenge_for(block), "enter")
        assert isinstance(app.screen, OverrideScreen), "a second confirmation"
        assert app.queue[allowed].state is ItemState.READY
        await pilot.press("enter")  # Enter alone: nothing
        assert isinstance(app.screen, OverrideScreen)
        await pilot.press(*SECOND_CONFIRMATION, "enter")
        assert app.queue[allowed].state is ItemState.APPROVED


# --- untrusted text ---------------------------------------------------------------------------------


async def test_markup_in_a_token_name_shows_literally_and_controls_are_escaped() -> None:
    app = local_app()
    app.add_verdict("hostile token", hostile_token_doc())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = pane_text(app, width=140)
        assert HOSTILE_SYMBOL in text, "the symbol's markup is shown as characters"
        assert "[red]Tether[/red]" in text
        assert "https://[b]uniswap[/b].org" in text
        assert "\\u202e" in text and "\\x1b" in text and "\\u200b" in text
        assert not {"\u202e", "\x1b", "\u200b"} & set(text), "no raw control or bidi character reaches the screen"
        # Click right on the symbol: had it been parsed, [@click=app.quit] would quit the app.
        lines = (await shown(pilot)).splitlines()
        y = next(i for i, line in enumerate(lines) if "[@click=app.quit]" in line)
        await pilot.click(offset=(lines[y].index("[@click=app.quit]") + 2, y))
        await pilot.pause(0.2)
        assert app.is_running and app.return_code is None, "clicking the symbol ran nothing"
        await pilot.press("j")  # the JSON view escapes everything outside ASCII
        assert isinstance(app.screen, MessageBox)
        as_json = rendered(app.screen.body, 140)
        assert "\\u202e" in as_json and "[@click=app.quit]OK[/]" in as_json and "\u202e" not in as_json
        await pilot.press("escape")
    assert HOSTILE_NAME not in text


async def test_a_real_lookalike_token_is_marked(mainnet: AnvilNode, manifest: dict[str, Any]) -> None:
    """The fixture chain's LookalikeToken: symbol ``USDТ`` with a Cyrillic TE, sent by alice."""
    token = manifest["contracts"]["lookalike_token"]
    bob = (
        manifest["accounts"]["bob"]["address"]
        if isinstance(manifest["accounts"]["bob"], dict)
        else manifest["accounts"]["bob"]
    )
    data = "0xa9059cbb" + bob[2:].lower().rjust(64, "0") + hex(10**6)[2:].rjust(64, "0")
    request = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_sendTransaction",
        "params": [{"from": "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4", "to": token, "data": data}],
    }
    app = TxFirewallApp(TuiOptions(rpc_url=mainnet.url, chain_id=CHAIN_ID))
    async with app.run_test(size=(120, 40)) as pilot:
        app.queue_text(json.dumps(request), "lookalike")
        await wait_for(pilot, lambda: any(i.doc is not None for i in app.queue.values()), what="the verdict")
        text = pane_text(app, width=140)
        assert "USDТ" in text and "⚠ non-ASCII U+0422" in text
        assert "lookalike-token-symbol" in text
