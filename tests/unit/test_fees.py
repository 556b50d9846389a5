"""The fee cap (RELIABILITY A8 case 38; issue 13): a transaction whose maximum fee (gas x
maxFeePerGas or gasPrice, plus the blobs' maximum fee) exceeds ``[rules.excessive-fee]
params.max_fee_wei`` (1 ETH by default, like geth's and reth's ``--rpc.txfeecap``) at least warns,
for raw signed transactions as for unsigned requests. Offline: no node is needed to read a fee."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import rlp
from eth_account import Account
from eth_keys import keys
from eth_utils import keccak

from txfirewall.decide.policy import policy_from_mapping
from txfirewall.errors import InputFileError
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.model.request import GAS_PER_BLOB
from txfirewall.model.verdict import Decision, Verdict

CHAIN = 7357
KEY = b"\x11" * 32
SENDER = Account.from_key(KEY)
BOB = "0x79482941438f16cC093e6Fb410BaA77A9823026F"
ETH = 10**18


def analyze(raw: bytes, policy: dict[str, Any] | None = None) -> Verdict:
    async def run() -> Verdict:
        config = FirewallConfig(simulate=False, chain_id=CHAIN, policy=policy_from_mapping(policy or {}))
        async with Firewall(config) as fw:
            return await fw.analyze(
                {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": ["0x" + raw.hex()]}
            )

    return asyncio.run(run())


def signed(**fields: Any) -> bytes:
    tx = {"nonce": 0, "to": BOB, "value": 1, "gas": 21_000, "chainId": CHAIN, **fields}
    return bytes(SENDER.sign_transaction(tx).raw_transaction)


def blob_tx(max_fee_per_blob_gas: int, blobs: int = 1, max_fee: int = 10**10) -> bytes:
    """A type-3 transaction (its signed body; the network wrapper's blobs are not needed to read fees)."""
    hashes = [b"\x01" + bytes([i]) * 31 for i in range(blobs)]
    body = [CHAIN, 0, 1, max_fee, 21_000, bytes.fromhex(BOB[2:]), 0, b"", [], max_fee_per_blob_gas, hashes]
    sig = keys.PrivateKey(KEY).sign_msg_hash(keccak(bytes([3]) + rlp.encode(body)))
    return bytes([3]) + rlp.encode([*body, sig.v, sig.r, sig.s])


def fee_finding(verdict: Verdict) -> Any:
    return next((f for f in verdict.findings if f.rule == "excessive-fee"), None)


@pytest.mark.parametrize(
    "fields",
    [
        {"gasPrice": 10**14, "gas": 21_000},  # legacy: 2.1 ETH
        {"type": 2, "maxFeePerGas": 2 * 10**13, "maxPriorityFeePerGas": 10**9, "gas": 100_000},  # 2 ETH
    ],
    ids=["legacy", "type2"],
)
def test_a_raw_transaction_with_a_2_eth_fee_warns(fields: dict[str, Any]) -> None:
    verdict = analyze(signed(**fields))
    finding = fee_finding(verdict)
    assert finding is not None and verdict.decision is not Decision.ALLOW
    assert finding.evidence["max_fee_wei"] in (str(21 * 10**17), str(2 * ETH))
    assert "above the 1 ETH cap" in finding.message and "max_fee_wei" in finding.message


def test_blob_fees_count_towards_the_cap() -> None:
    """Execution fee 21,000 x 10 gwei (0.00021 ETH); one blob at 10,000 gwei per blob gas adds
    1.31 ETH: over the cap only with the blob fee counted."""
    verdict = analyze(blob_tx(max_fee_per_blob_gas=10**13))
    finding = fee_finding(verdict)
    assert finding is not None, [f.rule for f in verdict.findings]
    assert finding.evidence["blob_fee_wei"] == str(GAS_PER_BLOB * 10**13)
    assert "for 1 blob(s)" in finding.message
    assert verdict.decision is not Decision.ALLOW


def test_ordinary_fees_and_cheap_blobs_do_not_warn() -> None:
    assert fee_finding(analyze(signed(gasPrice=30 * 10**9))) is None
    assert fee_finding(analyze(blob_tx(max_fee_per_blob_gas=10**9, blobs=6))) is None  # 0.0008 ETH of blobs


def test_the_cap_is_a_typed_policy_parameter() -> None:
    raw = signed(gasPrice=10**14, gas=21_000)
    assert fee_finding(analyze(raw, {"rules": {"excessive-fee": {"params": {"max_fee_wei": 3 * ETH}}}})) is None
    assert fee_finding(analyze(raw, {"rules": {"excessive-fee": {"params": {"max_fee_wei": ETH // 2}}}})) is not None
    with pytest.raises(InputFileError, match="max_fee_wei' must be int"):
        analyze(raw, {"rules": {"excessive-fee": {"params": {"max_fee_wei": "a lot"}}}})
