"""Ledger's ERC-7730 registry vectors are real benign mainnet traffic (swaps, bridges, staking,
permits, orders a user signs on a hardware wallet). Offline, on their own chain: no block, at most
5 % warned. The unsigned transactions are analysed as what they are (eth_signTransaction of the hex),
for the account that would sign them."""

from __future__ import annotations

import collections
import json
from typing import Any

import pytest

from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.model.verdict import Decision
from txfirewall.parse.unsigned_tx import looks_unsigned

from .erc7730_vectors import SIGNER, load_vectors

MAX_WARN_SHARE = 0.05


_SIGNER_FIELDS = ("owner", "holder", "maker", "offerer", "trader", "from", "signer", "user", "account", "sender")


def _signer(document: dict[str, Any]) -> str:
    """The account that signs a typed-data vector: its message's owner (or maker, offerer...), as a
    wallet would be asked; the placeholder when the message names none."""
    message = document.get("message", {})
    for key in _SIGNER_FIELDS:
        value = message.get(key) if isinstance(message, dict) else None
        if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
            return value
    return SIGNER


def _request(test: dict[str, Any]) -> dict[str, Any]:
    if "rawTx" in test:
        raw = bytes.fromhex(test["rawTx"].removeprefix("0x"))
        if looks_unsigned(raw):
            return {"jsonrpc": "2.0", "id": 1, "method": "eth_signTransaction", "params": [test["rawTx"], SIGNER]}
        return {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [test["rawTx"]]}
    document = json.loads(test["data"]) if isinstance(test["data"], str) else test["data"]
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_signTypedData_v4",
        "params": [_signer(document), json.dumps(document)],
    }


def _chain(test: dict[str, Any]) -> int | None:
    data = test.get("data")
    if isinstance(data, str):
        data = json.loads(data)
    if isinstance(data, dict):
        chain = data.get("domain", {}).get("chainId")
        return int(chain) if chain is not None else None
    return None


@pytest.mark.asyncio(loop_scope="session")
async def test_registry_vectors_are_never_blocked_and_rarely_warned() -> None:
    vectors = load_vectors()
    decisions: collections.Counter[str] = collections.Counter()
    why: collections.Counter[str] = collections.Counter()
    firewalls: dict[int | None, Firewall] = {}
    try:
        for _name, test in vectors:
            chain = _chain(test)
            if chain not in firewalls:
                firewalls[chain] = Firewall(FirewallConfig(simulate=False, chain_id=chain))
            verdict = await firewalls[chain].analyze(_request(test))
            decisions[verdict.decision.value] += 1
            if verdict.decision is not Decision.ALLOW:
                why.update(f"{verdict.decision.value}:{f.rule}" for f in verdict.findings if f.severity.rank >= 2)
    finally:
        for fw in firewalls.values():
            await fw.close()
    assert len(vectors) >= 300
    assert decisions["block"] == 0, why.most_common(8)
    assert decisions["warn"] <= MAX_WARN_SHARE * len(vectors), why.most_common(8)
