"""RELIABILITY.md A1, what Clef validates before showing a transaction, and NCC-EF-Clef-007 (malformed
calldata only warned, so it failed open): on the fixture chain, calldata that is not whole ABI words
for its function (the short-address attack, a stray trailing byte) and a contract creation whose data
is really a call are never allowed. A warning is held by the proxy until the user confirms it, so
the default is refusal with an explicit override, as Clef's fix made it."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak

from txfirewall.firewall import Firewall
from txfirewall.model.verdict import Decision

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
USDX = "0x38A41bE4b4161A4d6bb4Facb9151020420D1b769"


def _call(signature: str, types: list[str], args: list[Any]) -> bytes:
    return keccak(text=signature)[:4] + encode(types, args)


def _send(tx: dict[str, str]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [{"from": ALICE, **tx}]}


async def test_a1_calldata_that_is_not_whole_abi_words_is_not_allowed(
    firewall: Firewall, manifest: dict[str, Any]
) -> None:
    bob = manifest["accounts"]["bob"]["address"]
    transfer = _call("transfer(address,uint256)", ["address", "uint256"], [bob, 5 * 10**6])
    whole = await firewall.analyze(_send({"to": USDX, "data": "0x" + transfer.hex()}))
    assert whole.decision is Decision.ALLOW, "the well-formed transfer is fine"
    short_address = transfer[:4] + transfer[5:]  # one byte of the address left out: the rest shifts
    for data in (short_address, transfer + b"\x00"):
        verdict = await firewall.analyze(_send({"to": USDX, "data": "0x" + data.hex()}))
        assert verdict.decision is not Decision.ALLOW
        assert "undecodable-calldata-to-contract" in {f.rule for f in verdict.findings}


async def test_a1_a_creation_whose_data_is_a_call_is_not_allowed(firewall: Firewall) -> None:
    """No ``to``: the data is deployed as init code. An ``approve`` call sent that way (the app
    dropped the token address) deploys nothing useful."""
    approve = _call("approve(address,uint256)", ["address", "uint256"], [ALICE, 5])
    verdict = await firewall.analyze(_send({"data": "0x" + approve.hex()}))
    assert verdict.decision is not Decision.ALLOW, [f.rule for f in verdict.findings]
