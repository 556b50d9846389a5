"""Snapshots of the main screens (pytest-textual-snapshot): the verdict of an allow, a warn and a
block, the confirmation of a warn, the queue with a proxy's holds, the history and the rules.

The verdicts are real (the fixture chain's samples, ``conftest.sample_docs``) with what varies
between runs fixed: the block's age and timings (``support.deterministic``), the app's clock, the
time zone. Update them after a deliberate change with ``pytest tests/tui --snapshot-update``
and look at the report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from txfirewall.tui.app import TxFirewallApp
from txfirewall.tui.options import TuiOptions
from txfirewall.tui.queue_model import ItemState, QueueItem, Source
from txfirewall.tui.screens.history import HistoryScreen
from txfirewall.tui.verdict_doc import VerdictDoc, read_verdict

from .support import ALICE, FIXED_TIME, wait_for, with_trail

pytestmark = pytest.mark.usefixtures("utc")

Snap = Callable[..., bool]
DATA = Path(__file__).parent / "data"


def app_with(docs: list[tuple[str, VerdictDoc]], **options: Any) -> TxFirewallApp:
    app = TxFirewallApp(TuiOptions(simulate=False, **options), clock=lambda: FIXED_TIME)
    for i, (title, doc) in enumerate(docs):
        app.add_verdict(title, doc, created=FIXED_TIME - 60 * (len(docs) - i))
    return app


def test_verdict_allow(snap_compare: Snap, sample_docs: dict[str, VerdictDoc]) -> None:
    assert snap_compare(app_with([("USDX to carol", sample_docs["allow"])]), terminal_size=(100, 30))


def test_verdict_warn(snap_compare: Snap, sample_docs: dict[str, VerdictDoc]) -> None:
    assert snap_compare(app_with([("NFT operator", sample_docs["warn"])]), terminal_size=(100, 30))


def test_verdict_block(snap_compare: Snap, sample_docs: dict[str, VerdictDoc]) -> None:
    assert snap_compare(app_with([("approve max", sample_docs["block"])]), terminal_size=(100, 30))


def test_verdict_block_at_80x24(snap_compare: Snap, sample_docs: dict[str, VerdictDoc]) -> None:
    assert snap_compare(app_with([("drainer claim", sample_docs["drainer"])]), terminal_size=(80, 24))


def test_verdict_with_details(snap_compare: Snap, sample_docs: dict[str, VerdictDoc]) -> None:
    assert snap_compare(app_with([("permit2", sample_docs["permit"])]), press=["d", "tab"], terminal_size=(100, 30))


def test_verdict_with_a_trail_to_illicit_funds(snap_compare: Snap, sample_docs: dict[str, VerdictDoc]) -> None:
    """The block sample with an address graph's answer for its spender (what --graph adds)."""
    data = with_trail(sample_docs["block"].data)
    app = app_with([("approve max", read_verdict(data))])
    assert snap_compare(app, press=["tab", "end"], terminal_size=(100, 30))


def test_confirming_a_warn(snap_compare: Snap, sample_docs: dict[str, VerdictDoc]) -> None:
    assert snap_compare(
        app_with([("NFT operator", sample_docs["warn"])]), press=["a", "enter"], terminal_size=(100, 30)
    )


def test_queue_with_proxy_holds(snap_compare: Snap, sample_docs: dict[str, VerdictDoc]) -> None:
    app = app_with([("drainer claim", sample_docs["drainer"])])
    for n, (origin, name) in enumerate(
        (("https://opensea.io", "warn"), ("https://app.uniswap.org.claim-rewards.xyz", "permit"))
    ):
        doc = sample_docs[name]
        app.add_item(
            QueueItem(
                key=f"p-h{n}",
                source=Source.PROXY,
                title="",
                method=doc.method,
                origin=origin,
                created=FIXED_TIME - 30 + n,
                state=ItemState.HELD,
                doc=doc,
                held_id=f"h{n}",
                expires=FIXED_TIME + 90 + n,
            )
        )
    assert snap_compare(app, press=["down", "down"], terminal_size=(100, 30))


def _audit_log(path: Path) -> Path:
    """A hand-written audit log (fixed times; the chain hashes are not what History reads)."""
    rows = [
        ("forwarded", "allow", 0, "eth_sendTransaction", "https://app.uniswap.org", []),
        (
            "blocked",
            "block",
            85,
            "eth_sendTransaction",
            "https://claim-rewards.xyz",
            [("value-to-scam-selector", "high", "This calls Claim() and pays it 1 ETH.")],
        ),
        (
            "confirmed",
            "warn",
            55,
            "eth_sendTransaction",
            "https://opensea.io",
            [("drainer-shape-spender", "medium", "Spender moves tokens to a hard-coded address.")],
        ),
        (
            "rejected",
            "warn",
            50,
            "eth_signTypedData_v4",
            "https://[@click=app.quit]x[/]",
            [("permit-to-unfamiliar-spender", "medium", "Unlimited permit.")],
        ),
        ("timeout", "warn", 40, "personal_sign", None, [("opaque-message-signature", "medium", "Not readable.")]),
    ]
    lines = []
    for seq, (choice, verdict, score, method, origin, findings) in enumerate(rows, 1):
        record = {
            "method": method,
            "origin": origin,
            "request": "{}",
            "choice": choice,
            "reason": None,
            "verdict": verdict,
            "score": score,
            "sender": ALICE,
            "findings": [{"rule": r, "severity": s, "message": m} for r, s, m in findings],
        }
        lines.append(
            json.dumps(
                {
                    "seq": seq,
                    "time": f"2026-09-21T14:0{seq}:00.000Z",
                    "prev": "0" * 64,
                    "hash": "0" * 64,
                    "record": record,
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return path


async def _open_history(pilot: Pilot[Any]) -> None:
    """h, then wait until the log has been read (in a thread)."""
    await pilot.press("h")
    screen = pilot.app.screen
    assert isinstance(screen, HistoryScreen)
    await wait_for(pilot, lambda: screen.loaded, what="the audit log read")


def test_history(snap_compare: Snap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the screen names the log's path: a relative one is the same every run
    app = app_with([], audit_path=Path(_audit_log(tmp_path / "audit.jsonl").name))
    assert snap_compare(app, run_before=_open_history, terminal_size=(100, 30))


def test_history_search(snap_compare: Snap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = app_with([], audit_path=Path(_audit_log(tmp_path / "audit.jsonl").name))
    assert snap_compare(app, run_before=_open_history, press=[*"warn opensea"], terminal_size=(100, 30))


def test_rules(snap_compare: Snap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("policy.toml").write_text(
        "[rules.first-transfer-to-address]\nenabled = false\n\n[rules.value-to-scam-selector]\nparams = { min_value_wei = 1000 }\n"
    )
    app = app_with([], policy_path=Path("policy.toml"))
    assert snap_compare(app, press=["u"], terminal_size=(100, 30))


def test_verdict_block_without_colour(
    snap_compare: Snap, sample_docs: dict[str, VerdictDoc], monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR at 80x24: greys only; the verdict word, the signs and the severity words remain."""
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(app_with([("approve max", sample_docs["block"])]), terminal_size=(80, 24))
