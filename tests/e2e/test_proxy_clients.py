"""Real clients through the real proxy: ``txfirewall proxy`` run as a process, web3.py and
Foundry's ``cast`` pointed at it, the fixture chain behind it.

The chain is a private copy (transactions are really mined); alice signs locally, as a wallet
does, so the proxy sees ``eth_sendRawTransaction`` and must analyse the raw transaction.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3 import HTTPProvider, Web3
from web3.exceptions import Web3RPCError
from web3.middleware import SignAndSendRawMiddlewareBuilder

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions, free_port

from ..conftest import FIXTURES

pytestmark = pytest.mark.e2e

CHAIN_ID = 7357


@dataclass
class Proxy:
    audit_log: Path
    url: str
    node_url: str
    control_url: str
    token: str
    process: subprocess.Popen[bytes]

    def held(self) -> list[dict[str, Any]]:
        reply = httpx.get(f"{self.control_url}/v1/held", headers={"Authorization": f"Bearer {self.token}"})
        return list(reply.json()["held"])

    def decide(self, held_id: str, action: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        assert httpx.post(f"{self.control_url}/v1/held/{held_id}/{action}", headers=headers).status_code == 200

    def wait_held(self) -> dict[str, Any]:
        for _ in range(600):
            held = self.held()
            if held:
                return held[0]
            time.sleep(0.05)
        raise AssertionError("no request was held")


@pytest.fixture(scope="module")
def chain() -> Iterator[AnvilNode]:
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=CHAIN_ID, accounts=0)
    with AnvilNode.start(options) as node:
        yield node


@pytest.fixture(scope="module")
def proxy(chain: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    tmp = tmp_path_factory.mktemp("proxy")
    port = free_port()
    control_file = tmp / "control.json"
    argv = [
        sys.executable, "-m", "txfirewall.cli.main", "proxy",
        "--upstream", chain.url, "--listen", f"127.0.0.1:{port}", "--chain-id", str(CHAIN_ID),
        "--history", str(FIXTURES / "history.jsonl"), "--hold-timeout", "20",
        "--control-file", str(control_file), "--audit-log", str(tmp / "audit.jsonl"),
    ]  # fmt: skip
    env = {**os.environ, "XDG_STATE_HOME": str(tmp / "state")}
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        for _ in range(600):
            if control_file.exists() and process.poll() is None:
                break
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            time.sleep(0.05)
        data = json.loads(control_file.read_text())
        yield Proxy(tmp / "audit.jsonl", f"http://127.0.0.1:{port}", chain.url, data["url"], data["token"], process)
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def keys(manifest: dict[str, Any]) -> dict[str, str]:
    return {role: account["private_key"] for role, account in manifest["accounts"].items()}


def wallet(proxy: Proxy, key: str) -> Web3:
    """web3.py as a wallet: signs locally, talks only to the proxy."""
    w3 = Web3(HTTPProvider(proxy.url, request_kwargs={"timeout": 60}))
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(key), layer=0)
    w3.eth.default_account = w3.eth.account.from_key(key).address
    return w3


def request_tx(name: str) -> dict[str, Any]:
    tx: dict[str, Any] = json.loads((FIXTURES / "requests" / name).read_text())["params"][0]
    return {k: v for k, v in tx.items() if k in ("from", "to", "value", "data")}


# --- web3.py -------------------------------------------------------------------------------------


def test_web3_reads_are_what_the_node_says(proxy: Proxy, manifest: dict[str, Any]) -> None:
    through, direct = Web3(HTTPProvider(proxy.url)), Web3(HTTPProvider(proxy.node_url))
    alice = manifest["accounts"]["alice"]["address"]
    assert through.eth.chain_id == direct.eth.chain_id == CHAIN_ID
    assert through.eth.get_balance(alice) == direct.eth.get_balance(alice)
    assert through.eth.get_block("latest") == direct.eth.get_block("latest")
    assert through.eth.get_code(manifest["contracts"]["drainer"]) == direct.eth.get_code(
        manifest["contracts"]["drainer"]
    )


def test_web3_drainer_is_refused_with_4001_and_not_mined(proxy: Proxy, keys: dict[str, str]) -> None:
    w3 = wallet(proxy, keys["alice"])
    nonce = w3.eth.get_transaction_count(w3.eth.default_account)  # type: ignore[arg-type]
    with pytest.raises(Web3RPCError) as refused:
        w3.eth.send_transaction(request_tx("e_drainer_claim.json"))  # type: ignore[arg-type]
    assert refused.value.rpc_response is not None
    error = refused.value.rpc_response["error"]
    assert error["code"] == 4001 and error["data"]["verdict"] == "block"
    assert w3.eth.get_transaction_count(w3.eth.default_account) == nonce  # type: ignore[arg-type]


def test_web3_plain_send_is_mined_through_the_proxy(
    proxy: Proxy, keys: dict[str, str], manifest: dict[str, Any]
) -> None:
    w3 = wallet(proxy, keys["alice"])
    bob = manifest["accounts"]["bob"]["address"]
    before = w3.eth.get_balance(bob)
    tx_hash = w3.eth.send_transaction({"to": bob, "value": 12345})  # type: ignore[typeddict-item]
    assert w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)["status"] == 1
    assert Web3(HTTPProvider(proxy.node_url)).eth.get_balance(bob) == before + 12345


def test_web3_warned_request_waits_for_the_control_channel(proxy: Proxy, keys: dict[str, str]) -> None:
    w3 = wallet(proxy, keys["alice"])
    tx = request_tx("j_nft_approval_for_all_drainer.json")
    with ThreadPoolExecutor(1) as pool:
        rejected = pool.submit(w3.eth.send_transaction, tx)  # type: ignore[arg-type]
        held = proxy.wait_held()
        assert held["verdict"]["verdict"] == "warn" and held["method"] == "eth_sendRawTransaction"
        proxy.decide(held["id"], "reject")
        with pytest.raises(Web3RPCError, match="rejected by the user"):
            rejected.result(timeout=60)
        released = pool.submit(w3.eth.send_transaction, tx)  # type: ignore[arg-type]
        proxy.decide(proxy.wait_held()["id"], "confirm")
        tx_hash = released.result(timeout=60)
    assert w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)["status"] == 1, "confirmed: sent and mined"


def test_proxy_process_states_where_it_listens(proxy: Proxy) -> None:
    assert proxy.process.poll() is None
    assert httpx.post(proxy.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}).json()["result"] == "0x1cbd"


# --- Foundry's cast ------------------------------------------------------------------------------


def cast(cast_bin: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(cast_bin), *args], capture_output=True, text=True, timeout=120)


def test_cast_reads_match_the_node(proxy: Proxy, cast_bin: Path, manifest: dict[str, Any]) -> None:
    alice = manifest["accounts"]["alice"]["address"]
    for args in (["block-number"], ["chain-id"], ["balance", alice], ["code", manifest["contracts"]["drainer"]]):
        through = cast(cast_bin, *args, "--rpc-url", proxy.url)
        direct = cast(cast_bin, *args, "--rpc-url", proxy.node_url)
        assert through.returncode == 0 and through.stdout == direct.stdout, (args, through.stderr)


def test_cast_send_is_mined_through_the_proxy(
    proxy: Proxy, cast_bin: Path, keys: dict[str, str], manifest: dict[str, Any]
) -> None:
    carol = manifest["accounts"]["carol"]["address"]
    before = Web3(HTTPProvider(proxy.node_url)).eth.get_balance(carol)
    sent = cast(
        cast_bin, "send", "--private-key", keys["bob"], carol, "--value", "7wei", "--rpc-url", proxy.url, "--json"
    )
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["status"] == "0x1"
    assert Web3(HTTPProvider(proxy.node_url)).eth.get_balance(carol) == before + 7


def test_cast_send_to_the_drainer_is_refused(
    proxy: Proxy, cast_bin: Path, keys: dict[str, str], manifest: dict[str, Any]
) -> None:
    drainer = manifest["contracts"]["drainer"]
    w3 = Web3(HTTPProvider(proxy.node_url))
    alice = manifest["accounts"]["alice"]["address"]
    nonce = w3.eth.get_transaction_count(alice)
    sent = cast(
        cast_bin,
        "send",
        "--private-key",
        keys["alice"],
        drainer,
        "Claim()",
        "--value",
        "1ether",
        "--rpc-url",
        proxy.url,
    )
    assert sent.returncode != 0
    assert "4001" in sent.stderr and "txfirewall blocked this request" in sent.stderr
    assert w3.eth.get_transaction_count(alice) == nonce


# --- the audit log (runs last: it reads what the tests above decided) ------------------------------


def test_the_audit_log_holds_every_decision_and_verifies(proxy: Proxy) -> None:
    lines = [json.loads(line) for line in proxy.audit_log.read_text().splitlines()]
    records = [line["record"] for line in lines if "record" in line]
    choices = {r["choice"] for r in records}
    assert {"blocked", "forwarded", "rejected", "confirmed"} <= choices, choices
    blocked = next(r for r in records if r["choice"] == "blocked")
    assert blocked["verdict"] == "block" and blocked["findings"] and blocked["method"] == "eth_sendRawTransaction"
    verify = subprocess.run(
        [sys.executable, "-m", "txfirewall.cli.main", "audit", "verify", str(proxy.audit_log)],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
