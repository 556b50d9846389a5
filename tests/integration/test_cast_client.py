"""Foundry's ``cast``, a real JSON-RPC client, against the fixture chain: what it reads matches what the
node answers, and a transaction it signs and sends is mined. The proxy's end-to-end tests build on this."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[2] / "anvil_fixtures"


def rpc(url: str, method: str, params: list[Any]) -> Any:
    reply = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).json()
    assert "error" not in reply, reply
    return reply["result"]


def cast(binary: Path, *args: str, cwd: Path) -> str:
    """Run cast (in an empty folder, so no foundry.toml is picked up) and return its stdout."""
    proc = subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False)
    assert proc.returncode == 0, f"cast {' '.join(args)} exited {proc.returncode}: {proc.stderr}"
    return proc.stdout.strip()


@pytest.fixture
def private_mainnet(manifest: dict[str, Any]) -> Iterator[AnvilNode]:
    """A fixture chain of this test's own: the shared ``mainnet`` is never written to."""
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=manifest["chain_id"], accounts=0)
    with AnvilNode.start(options) as node:
        yield node


def test_cast_is_the_pinned_foundry_release(cast_bin: Path, tmp_path: Path) -> None:
    from txfirewall.chain.anvil_provision import CAST_NPM_VERSION

    first_line = cast(cast_bin, "--version", cwd=tmp_path).splitlines()[0]
    assert first_line.startswith("cast Version: ")
    if "node_modules" in cast_bin.parts:  # the npm build; $TXFIREWALL_CAST or PATH may hold another
        assert first_line == f"cast Version: {CAST_NPM_VERSION}"


def test_cast_reads_block_number_chain_id_and_balance(
    cast_bin: Path, mainnet: AnvilNode, manifest: dict[str, Any], tmp_path: Path
) -> None:
    url = mainnet.url
    assert int(cast(cast_bin, "block-number", "--rpc-url", url, cwd=tmp_path)) == int(
        rpc(url, "eth_blockNumber", []), 16
    )
    assert int(cast(cast_bin, "chain-id", "--rpc-url", url, cwd=tmp_path)) == manifest["chain_id"]
    alice = manifest["accounts"]["alice"]["address"]
    balance = int(cast(cast_bin, "balance", alice, "--rpc-url", url, cwd=tmp_path))
    assert balance == int(rpc(url, "eth_getBalance", [alice, "latest"]), 16)
    assert balance > 0, "alice is funded on the fixture chain"


def test_cast_send_is_signed_sent_and_mined(
    cast_bin: Path, private_mainnet: AnvilNode, manifest: dict[str, Any], tmp_path: Path
) -> None:
    url = private_mainnet.url
    bob, carol = manifest["accounts"]["bob"], manifest["accounts"]["carol"]
    carol_before = int(rpc(url, "eth_getBalance", [carol["address"], "latest"]), 16)
    head_before = int(rpc(url, "eth_blockNumber", []), 16)
    out = cast(
        cast_bin,
        "send",
        "--rpc-url",
        url,
        "--private-key",
        bob["private_key"],
        carol["address"],
        "--value",
        "1wei",
        "--json",
        cwd=tmp_path,
    )
    receipt = json.loads(out)
    assert receipt["status"] == "0x1"
    assert receipt["from"].lower() == bob["address"].lower()
    assert receipt["to"].lower() == carol["address"].lower()
    # the node agrees: mined in a new block, 1 wei moved
    mined = rpc(url, "eth_getTransactionReceipt", [receipt["transactionHash"]])
    assert mined["status"] == "0x1"
    assert int(mined["blockNumber"], 16) == head_before + 1
    tx = rpc(url, "eth_getTransactionByHash", [receipt["transactionHash"]])
    assert int(tx["value"], 16) == 1
    assert int(rpc(url, "eth_getBalance", [carol["address"], "latest"]), 16) == carol_before + 1
