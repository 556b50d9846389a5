"""The app's pieces that need no screen: the confirmation words, the look-alike marks, the graph
picture, reading requests, editing the policy file, reading the audit log; the help and the
README name every key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.screen import Screen

from txfirewall.errors import InputFileError, InvalidRequestError
from txfirewall.proxy.audit import AuditLog
from txfirewall.tui.audit_history import read_history
from txfirewall.tui.challenge import challenge_for, mark_differences, matches
from txfirewall.tui.graph_picture import draw_trail, trails
from txfirewall.tui.policy_file import PolicyFile, RuleSetting, editable_policy_path
from txfirewall.tui.queue_model import ItemState, held_item
from txfirewall.tui.request_input import to_request
from txfirewall.tui.screens.analyse import AnalyseScreen
from txfirewall.tui.screens.confirm import ConfirmScreen
from txfirewall.tui.screens.help import SECTIONS
from txfirewall.tui.screens.history import HistoryScreen
from txfirewall.tui.screens.main import MainScreen
from txfirewall.tui.screens.message_box import MessageBox
from txfirewall.tui.screens.override import OverrideScreen
from txfirewall.tui.screens.rule_params import RuleParamsScreen
from txfirewall.tui.screens.rules import RulesScreen
from txfirewall.tui.screens.settings import SettingsScreen
from txfirewall.tui.verdict_doc import VerdictDoc, read_verdict
from txfirewall.tui.verdict_sections import amount_text, approvals_section, changes_section

from .support import ALICE, BOB, hostile_token_doc, rendered

SPENDER = "0x16a0029531043bC55d2185ea1d0B69B5095139EB"
SEED = "0xB38E7814ce3321bD42971365d0e72d5e3Db5a63B"
MIDDLE = "0x7a1c00000000000000000000000000000000d2e0"


def _doc(**intent: object) -> VerdictDoc:
    return read_verdict(
        {"verdict": "warn", "score": 50, "method": "eth_sendTransaction", "sender": ALICE, "intent": intent}
    )


# --- the words to type ---------------------------------------------------------------------------


def test_the_word_comes_from_the_request() -> None:
    assert challenge_for(_doc(kind="native-transfer", value=str(45_300_000_000_000_000_000))) == "send 45"
    assert challenge_for(_doc(kind="native-transfer", value=str(5 * 10**17))) == "send 0.5"
    assert challenge_for(_doc(kind="native-transfer", value=str(1_234_000_000_000_000))) == "send 0.0012"
    assert challenge_for(hostile_token_doc()) == "send 5", "decimals 6; never the (hostile) symbol"
    assert challenge_for(_doc(kind="token-approval", counterparty=SPENDER)) == "approve 39eb"
    assert challenge_for(_doc(kind="contract-call", target=SEED)) == "confirm a63b"


def test_matching_is_exact_but_forgiving_of_case_and_spaces() -> None:
    assert matches("  Approve   39EB ", "approve 39eb")
    assert not matches("", "approve 39eb") and not matches("approve", "approve 39eb")
    assert not matches("approve 39eb\n", "approve 39ec")


def test_lookalike_addresses_are_marked_character_by_character() -> None:
    friend, this = BOB, "0x7948a1c09e5b3D27f0C44e18bB2a9e61F3e1026f"
    shown = rendered(mark_differences(friend, this), 80).splitlines()
    marks = shown[2][len("            ") :]
    assert not marks[:6].strip(), "the first six characters match"
    differ = [i for i, (a, b) in enumerate(zip(friend, this, strict=True)) if a.lower() != b.lower()]
    assert [i for i, c in enumerate(marks) if c == "^"] == differ


# --- the graph picture -----------------------------------------------------------------------------


def _graph_doc(path: list[str], *, towards: bool) -> VerdictDoc:
    proximity = {
        "hops": len(path) - 1,
        "hops_from_illicit": None if towards else len(path) - 1,
        "hops_to_illicit": len(path) - 1 if towards else None,
        "score": 0.42,
        "path": path,
        "cluster": {"id": 17, "size": 9, "labels": ["Fake_Phishing123 [@click=app.quit]"], "categories": ["drainer"]},
    }
    return read_verdict(
        {
            "verdict": "warn",
            "sender": ALICE,
            "addresses": [
                {"address": SPENDER, "roles": ["spender"], "labels": [], "proximity": proximity},
                {
                    "address": SEED,
                    "roles": [],
                    "labels": [{"label": "drainer", "source": "forta", "category": "drainer"}],
                },
            ],
        }
    )


def test_the_trail_is_drawn_with_nodes_arrows_labels_and_hops() -> None:
    doc = _graph_doc([SPENDER, MIDDLE, SEED], towards=True)
    ((facts, prox),) = trails(doc)
    picture = rendered(draw_trail(doc, facts, prox, width=100), 120)
    assert "you ─(spender)─▶ 0x16a0…39EB ──▶ 0x7a1c…d2e0 ──▶ 0xB38E…a63B ■ drainer" in picture
    assert "2 hops · sends funds to illicit addresses · exposure 0.42 · cluster #17 (9 addresses: drainer)" in picture


def test_a_trail_from_illicit_funds_points_the_other_way_and_folds_when_narrow() -> None:
    doc = _graph_doc([SEED, MIDDLE, SPENDER], towards=False)
    ((facts, prox),) = trails(doc)
    wide = rendered(draw_trail(doc, facts, prox, width=100), 120)
    assert "0x16a0…39EB ◀── 0x7a1c…d2e0 ◀── 0xB38E…a63B ■ drainer" in wide and "received funds from" in wide
    narrow = rendered(draw_trail(doc, facts, prox, width=40), 60)
    assert "▲" in narrow and len(narrow.splitlines()) >= 6 and all(len(line) <= 60 for line in narrow.splitlines())


def test_a_cluster_label_is_untrusted_text() -> None:
    doc = _graph_doc([SPENDER, "0x9999999999999999999999999999999999999999"], towards=True)
    ((facts, prox),) = trails(doc)
    assert "■ Fake_Phishing123 [@click=app.qui…" in rendered(draw_trail(doc, facts, prox), 140)


# --- requests typed or pasted ------------------------------------------------------------------------


def test_every_kind_of_request_is_read() -> None:
    rpc = {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [{"to": BOB, "value": "0x1"}]}
    filled = to_request(json.dumps(rpc), account=ALICE)
    assert isinstance(filled, dict) and filled["params"][0]["from"] == ALICE
    assert to_request("  0x02f8ab  ") == "0x02f8ab"
    typed = {"types": {"EIP712Domain": []}, "primaryType": "EIP712Domain", "domain": {}, "message": {}}
    wrapped = to_request(json.dumps(typed), account=ALICE)
    assert isinstance(wrapped, dict) and wrapped["method"] == "eth_signTypedData_v4" and wrapped["params"][0] == ALICE
    message = to_request("hello [b]world[/b]", account=ALICE)
    assert isinstance(message, dict) and message["method"] == "personal_sign"
    assert bytes.fromhex(message["params"][0][2:]).decode() == "hello [b]world[/b]"


def test_unreadable_requests_say_why() -> None:
    with pytest.raises(InvalidRequestError):
        to_request("")
    with pytest.raises(InputFileError, match="your address"):
        to_request("a message with no signer")
    with pytest.raises(InvalidRequestError):
        to_request('{"method": "eth_sendTransaction", "METHOD": "eth_sign"}')


# --- the policy file ---------------------------------------------------------------------------------


POLICY = """# my policy
[thresholds]
warn = "medium"

[rules.first-transfer-to-address]
enabled = false

# why the scam rule is stricter
[rules.value-to-scam-selector]
severity = "critical"

[allowlist]
addresses = []
"""


def test_a_rule_is_switched_off_and_on_and_everything_else_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    policy = PolicyFile.load(path)
    off = policy.with_rule("unusual-for-you", RuleSetting(enabled=False))
    off.save()
    text = path.read_text()
    assert text.startswith(POLICY.rstrip("\n")) and "[rules.unusual-for-you]\nenabled = false" in text
    assert PolicyFile.load(path).policy.override("unusual-for-you").enabled is False
    back = off.with_rule("first-transfer-to-address", RuleSetting())
    assert "[rules.first-transfer-to-address]" not in back.text
    assert "# why the scam rule is stricter\n[rules.value-to-scam-selector]" in back.text, (
        "a comment stays with its table"
    )
    assert back.rule("value-to-scam-selector").severity == "critical"


def test_parameters_are_checked_before_saving(tmp_path: Path) -> None:
    policy = PolicyFile.load(tmp_path / "absent.toml")
    changed = policy.with_rule("value-to-scam-selector", RuleSetting(params={"min_value_wei": 10**15}))
    assert "params = { min_value_wei = 1000000000000000 }" in changed.text
    with pytest.raises(InputFileError, match="min_value_wei"):
        policy.with_rule("value-to-scam-selector", RuleSetting(params={"min_value_wei": "lots"}))
    with pytest.raises(InputFileError, match="no such rule"):
        policy.with_rule("no-such-rule", RuleSetting(enabled=False))


def test_a_rule_set_in_another_form_is_not_guessed_at(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("[rules]\nunusual-for-you = { enabled = false }\n")
    with pytest.raises(InputFileError):
        PolicyFile.load(path).with_rule("unusual-for-you", RuleSetting(enabled=True, severity="low"))


def test_the_policy_is_saved_where_the_user_keeps_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TXFIREWALL_POLICY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert editable_policy_path(None) == tmp_path / "txfirewall" / "policy.toml"
    assert editable_policy_path(Path("/x.toml")) == Path("/x.toml")


# --- the audit log ---------------------------------------------------------------------------------


def test_history_reads_the_proxy_audit_log_newest_first(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditLog(path) as log:
        for choice in ("forwarded", "blocked", "confirmed"):
            log.append({"method": "eth_sendTransaction", "origin": "https://x.example", "choice": choice,
                        "verdict": "warn", "score": 50, "sender": ALICE, "findings": [{"rule": "r", "severity": "medium", "message": "m"}]})  # fmt: skip
    with path.open("a") as out:
        out.write("not json\n")
    rows, unreadable, error = read_history(path)
    assert [r.choice for r in rows] == ["confirmed", "blocked", "forwarded"] and unreadable == 1 and error is None
    assert [r.choice for r in rows if r.matches("BLOCKED x.example")] == ["blocked"]
    assert read_history(tmp_path / "none.jsonl")[:2] == ([], 0)


def _key_name(key: str) -> str:
    return {"question_mark": "?", "space": "space"}.get(key, key)


HELP_SECTION = {
    MainScreen: "Queue and verdict",
    ConfirmScreen: "Confirming",
    OverrideScreen: "Confirming",
    AnalyseScreen: "Open or paste",
    HistoryScreen: "History",
    RulesScreen: "Rules",
    RuleParamsScreen: "Rules",
    SettingsScreen: "Settings",
    MessageBox: "Boxes",
}


@pytest.mark.parametrize("screen", list(HELP_SECTION), ids=lambda s: s.__name__)
def test_help_names_every_key_of_every_screen(screen: type[Screen[Any]]) -> None:
    section = next(keys for title, keys in SECTIONS if title.startswith(HELP_SECTION[screen]))
    shown = " ".join(key for key, _ in section)
    for binding in screen.BINDINGS:
        assert isinstance(binding, Binding)
        assert _key_name(binding.key) in shown, f"{screen.__name__}: {binding.key} is not in the help"
    assert "q" in " ".join(k for k, _ in SECTIONS[0][1]), "quit, from every screen"


def test_the_readme_names_the_keys_and_screens() -> None:
    """The README's terminal-app section: every key of the main screen, every screen's keys."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Terminal app") : readme.index("## JSON-RPC proxy")]
    for binding in MainScreen.BINDINGS:
        assert isinstance(binding, Binding)
        assert f"`{_key_name(binding.key)}`" in section, f"the README does not name {binding.key}"
    for key in ("space", "e", "ctrl+s", "ctrl+r", "ctrl+l", "override", "Escape"):
        assert key in section, key
    for screen in ("History", "Rules", "Settings"):
        assert f"{screen}" in section


# --- proxy holds ---------------------------------------------------------------------------------


def test_a_held_block_is_overridable_only_when_the_proxy_marks_it_so(sample_docs: dict[str, VerdictDoc]) -> None:
    """A proxy holds a block only when its policy lets the user override it, and then says
    ``"override": true``: only that makes the app offer the two confirmations (and send the
    override with the confirmation)."""
    block = dict(sample_docs["block"].data)
    held = {"id": "h1", "method": "eth_sendTransaction", "origin": "https://x.example", "verdict": block}
    assert (item := held_item(held, {}, now=0.0)) is not None and not item.overridable
    assert (item := held_item({**held, "override": "yes"}, {}, now=0.0)) is not None and not item.overridable
    assert (item := held_item({**held, "override": True}, {}, now=0.0)) is not None and item.overridable
    warn = {**held, "verdict": dict(sample_docs["warn"].data), "override": True}
    assert (item := held_item(warn, {}, now=0.0)) is not None and not item.overridable and item.state is ItemState.HELD
    assert held_item({"verdict": block}, {}, now=0.0) is None, "no id: not a hold"


# --- the verdict's sections ----------------------------------------------------------------------


def test_changes_show_signs_colours_units_and_nft_ids_and_delegations_are_listed() -> None:
    nft, usd = "0x2222222222222222222222222222222222222222", "0x3333333333333333333333333333333333333333"
    doc = read_verdict(
        {
            "verdict": "warn",
            "method": "eth_sendTransaction",
            "sender": ALICE,
            "simulation": {
                "status": "success",
                "asset_changes": [
                    {"address": ALICE, "kind": "erc721", "token": nft, "delta": "-1", "token_id": "42"},
                    {"address": BOB, "kind": "erc721", "token": nft, "delta": "1", "token_id": "42"},
                    {"address": ALICE, "kind": "erc20", "token": usd, "delta": "-2500000"},
                    {"address": BOB, "kind": "native", "token": None, "delta": str(10**17)},
                ],
            },
            "tokens": {nft: {"symbol": "TNFT", "decimals": 0}, usd: {"symbol": "USDX", "decimals": 6}},
            "intent": {"delegations": [{"authority": ALICE, "delegate": BOB}]},
        }
    )
    text = rendered(changes_section(doc), 100)
    assert "verified by simulation" in text
    assert "-1 NFT  TNFT #42" in text and "+1 NFT  TNFT #42" in text
    assert "-2.5  USDX" in text and "+0.1  ETH" in text
    assert text.index("you") < text.index("0x7948…026F"), "the user's own changes first"
    loss, gain = amount_text(doc, "erc20", usd, -2_500_000), amount_text(doc, "native", None, 10**17)
    assert (loss.plain, loss.style, gain.plain, gain.style) == ("-2.5", "red", "+0.1", "green")
    granted = approvals_section(doc)
    assert granted is not None and "code of you delegated to 0x7948…026F" in rendered(granted, 100)
