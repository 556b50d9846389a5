"""Ledger's ERC-7730 registry test vectors (real mainnet transactions and EIP-712 messages with
the texts a user should see) through the real parser and decoder; see ``erc7730_vectors.py``."""

from __future__ import annotations

import pytest

from txfirewall.model.intent import IntentKind
from txfirewall.signatures.erc7730 import load_index

from .erc7730_vectors import Score, VectorResult, load_vectors, run_vector, text_found

VECTORS = load_vectors()
RESULTS = {name: run_vector(name, test) for name, test in VECTORS}
# Every vector parses. (Hyperliquid's namespaced type name ``HyperliquidTransaction:Withdraw`` was
# rejected until the parser learned that real traffic, and eth-account, accept ':' in type names.)
EXPECTED_ERRORS: set[str] = set()


def _texts(name: str) -> list[str]:
    r = RESULTS[name]
    assert r.intent is not None, r.error
    return r.rendered


def test_every_vector_decodes_or_fails_with_a_typed_error() -> None:
    assert len(VECTORS) == 315
    failed = {n for n, r in RESULTS.items() if r.error is not None}
    assert failed == EXPECTED_ERRORS


def test_counts_hold_their_measured_floor(capsys: pytest.CaptureFixture[str]) -> None:
    score = Score()
    for r in RESULTS.values():
        score.add(r)
    with capsys.disabled():
        print("\n" + score.report())
    assert score.total == 315
    assert score.named == 315 and score.named_builtin >= 303
    assert score.described == 315
    assert score.header_matched >= 180
    assert score.labels_matched >= 935 and score.labels <= 1002
    assert score.values_matched >= 650 and score.values_matched / score.values_compared >= 0.95
    assert score.vectors_all_fields_matched >= 270


def test_cctp_bridge_renders_enums_slices_and_falls_back_on_token_decimals() -> None:
    name = "registry/hyperliquid/tests/calldata-CctpExtension.tests.json#0"
    usdc = "0xaf88d065e77c8cC2239327C5EDb3A432268e5831"
    assert _texts(name) == [
        "Bridge USDC via CCTP",
        "Amount",
        f"8080000 base units of token {usdc}",
        "Destination chain",
        "HyperEVM",
        "Mint recipient",
        "0xb21D281DEdb17AE5B501F6AA8256fe38C4e45757",
        "Destination caller",
        "0xb21D281DEdb17AE5B501F6AA8256fe38C4e45757",
        "Max fee",
        f"200000 base units of token {usdc}",
        "HyperEVM recipient",
        "0x9d7AE84C1E55C0f2dfd6909a88Ba93F48617e750",
        "Destination DEX",
        "Perp",
    ]
    intent = RESULTS[name].intent
    assert intent is not None and intent.summary.startswith("Bridge USDC via CCTP (Circle Internet Financial): ")
    assert intent.clear_fields[0].token == usdc and intent.clear_fields[0].value == 8080000
    assert intent.to_json()["clear_intent"] == "Bridge USDC via CCTP"


def test_deposit_contract_native_amount_and_bytes() -> None:
    name = "registry/consensus-specs/tests/calldata-DepositContract.tests.json#0"
    texts = _texts(name)
    assert texts[0] == "Stake ETH"
    assert texts[-2:] == ["Amount to deposit", "32 ETH"]
    assert all(text_found(t, texts) for t in RESULTS[name].expected[2:8])


def test_transfer_with_authorization_dates_match_the_device() -> None:
    r = RESULTS["registry/circle/tests/eip712-TransferWithAuthorization.tests.json#0"]
    assert r.intent is not None and r.intent.kind is IntentKind.TYPED_DATA
    assert r.rendered[-4:] == [
        "Valid after",
        "1970-01-01 12:00:00 AM UTC",
        "Valid before",
        "2025-02-07 12:00:00 AM UTC",
    ]
    assert [t for t in r.expected if not text_found(t, r.rendered)] == ["0.01 USDC"]


def test_descriptor_token_metadata_and_unlimited_threshold() -> None:
    assert _texts("registry/walletconnect/tests/calldata-wct.tests.json#0")[2] == "8,262.522497866777030611 WCT"
    assert _texts("registry/walletconnect/tests/calldata-wct.tests.json#1")[-2:] == ["Amount", "Unlimited WCT"]


def test_kiln_vault_constant_value_field() -> None:
    name = "registry/kiln/tests/calldata-Vault-EURC-Morpho-Gauntlet-Core.tests.json#0"
    texts = _texts(name)
    assert texts[0] == "Deposit" and texts[3:5] == ["Share ticker", "kmgcEURC"]
    assert RESULTS[name].intent is not None and RESULTS[name].intent.clear_owner == "Kiln"


def test_built_in_decoders_keep_the_summary_when_more_specific() -> None:
    r: VectorResult = RESULTS["registry/permit/tests/eip712-permit-arbitrum-arb.tests.json#0"]
    assert r.intent is not None and r.intent.kind is IntentKind.PERMIT
    assert r.intent.summary.startswith("Sign a permit letting")
    assert r.intent.clear_intent == "Authorize spending of tokens"


def test_index_is_loaded_once_from_the_package() -> None:
    index = load_index()
    assert index is load_index()
    assert index["license"] == "CC0-1.0" and index["descriptors"] >= 300
