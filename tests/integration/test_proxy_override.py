"""A block the policy lets the user override, through the real proxy in front of the fixture chain.

With ``[confirm] allow_block_override = true`` a block that no unconditional finding caused is held
like a warning, marked ``"override": true``; only a confirmation that says ``{"override": true}``
releases it, after the check before release finds nothing new blocking it. Unconditional blocks
(``eth-sign-raw-hash``, a deny-listed spender) are still refused at once, and with the switch off
(the default) every block is. Every choice is in the audit log, which verifies.

A delaying loopback proxy (delay 0) sits between txfirewall's proxy and the node, so each test
sees exactly what was forwarded: a refused request must never reach the node.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.decide.policy import DenyList, Policy
from txfirewall.enrich.history_file import load_history
from txfirewall.errors import ControlChannelError
from txfirewall.firewall import FirewallConfig
from txfirewall.model.primitives import to_address
from txfirewall.proxy.audit import AuditLog, tail_audit, verify_audit
from txfirewall.proxy.config import ProxyConfig
from txfirewall.proxy.control import read_control_file
from txfirewall.proxy.control_client import ControlClient
from txfirewall.proxy.service import ProxyServer

from ..conftest import FIXTURES, REPO, load_request
from ..support.delay_proxy import DelayProxy
from ..support.evasion_contracts import gas_gated_drainer

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

CHAIN_ID = 7357
JSON = {"content-type": "application/json"}
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
SCAMMER = to_address(MANIFEST["accounts"]["scammer"]["address"])
ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
KNOWN_SWEEPER = "0x00512D0000e0c24900008F3Fd3e12600B5bd00b0"
"""FlexibleAdvancedCrimeEnjoyor, on the shipped list of EIP-7702 sweeper delegates."""
OVERRIDE = Policy(allow_block_override=True, denylist=DenyList(spenders=frozenset({SCAMMER})))
"""Overrides allowed; the scammer's unlimited approval (otherwise an overridable block) deny-listed."""
DRAINER_CLAIM = "e_drainer_claim.json"
"""Blocked by value-to-scam-selector (high, not unconditional): overridable when the policy allows."""


@dataclass
class Proxy:
    server: ProxyServer
    tap: DelayProxy
    audit_path: Path
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=90))

    def forwarded(self, method: str) -> int:
        return self.tap.calls(method)

    def send(self, name: str) -> asyncio.Task[httpx.Response]:
        return asyncio.create_task(self.http.post(self.server.url, content=load_request(name), headers=JSON))

    def control(self) -> tuple[str, dict[str, str]]:
        url, token = read_control_file(self.server.control_file)
        return url, {"Authorization": f"Bearer {token}"}

    async def held(self, count: int = 1) -> list[dict[str, Any]]:
        url, auth = self.control()
        for _ in range(600):
            held: list[dict[str, Any]] = (await self.http.get(f"{url}/v1/held", headers=auth)).json()["held"]
            if len(held) >= count:
                return held
            await asyncio.sleep(0.05)
        raise AssertionError("nothing was held")

    async def confirm(self, held_id: str, body: Any = None) -> httpx.Response:
        url, auth = self.control()
        content = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        return await self.http.post(f"{url}/v1/held/{held_id}/confirm", headers={**auth, **JSON}, content=content)

    def records(self) -> list[dict[str, Any]]:
        """Every record in the audit log, oldest first."""
        return [
            line.entry["record"] for line in tail_audit(self.audit_path, 1000) if line.entry and "record" in line.entry
        ]

    def choices(self) -> list[tuple[str, str | None]]:
        """(choice, verdict) of every record in the audit log, oldest first."""
        return [(r["choice"], r["verdict"]) for r in self.records()]


@contextlib.asynccontextmanager
async def proxy_on(node_url: str, tmp_path: Path, policy: Policy) -> AsyncIterator[Proxy]:
    """A proxy with ``policy`` in front of ``node_url`` (through a tap), its Firewall started."""
    async with DelayProxy(node_url, delay=0.0) as tap:
        config = ProxyConfig(
            upstream=tap.url, listen_port=0, control_file=tmp_path / "control.json", hold_timeout=60, rate_burst=1000
        )
        firewall = FirewallConfig(
            rpc_url=node_url, chain_id=CHAIN_ID, history=load_history(FIXTURES / "history.jsonl"), policy=policy
        )
        audit = AuditLog(tmp_path / "audit.jsonl", durable=False)
        async with ProxyServer(config, firewall, audit=audit) as server:
            await server.firewall.start()
            proxy = Proxy(server, tap, audit.path)
            try:
                yield proxy
            finally:
                await proxy.http.aclose()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def overriding(mainnet: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Proxy]:
    """Overrides allowed, on the shared fixture chain (nothing it forwards is mined: no signer)."""
    async with proxy_on(mainnet.url, tmp_path_factory.mktemp("overriding"), OVERRIDE) as proxy:
        yield proxy


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The real console script (this checkout first on the path)."""
    env = {k: v for k, v in os.environ.items() if k not in ("TXFIREWALL_AUDIT_LOG", "XDG_STATE_HOME")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    script = Path(sys.executable).parent / "txfirewall"
    return subprocess.run(
        [str(script), *map(str, args)], capture_output=True, text=True, cwd=REPO, env=env, timeout=120, check=False
    )


# --- the switch on -------------------------------------------------------------------------------


async def test_an_overridable_block_is_held_and_released_only_by_an_explicit_override(overriding: Proxy) -> None:
    before = overriding.forwarded("eth_sendTransaction")
    sent = overriding.send(DRAINER_CLAIM)
    (held,) = await overriding.held()
    assert held["override"] is True and held["verdict"]["verdict"] == "block"
    assert "value-to-scam-selector" in {f["rule"] for f in held["verdict"]["findings"]}

    # Confirmed like a warning: refused, and the hold stays.
    plain = await overriding.confirm(held["id"])
    assert plain.status_code == 409 and plain.json()["override_required"] is True
    assert '{"override": true}' in plain.json()["error"]
    assert (await overriding.confirm(held["id"], {"override": False})).status_code == 409
    for bad in ({"override": "yes"}, {"override": True, "also": 1}, [True], b"override"):
        assert (await overriding.confirm(held["id"], bad)).status_code == 400, bad
    await asyncio.sleep(0.2)
    assert [h["id"] for h in await overriding.held()] == [held["id"]] and not sent.done(), "still held"
    assert overriding.forwarded("eth_sendTransaction") == before, "nothing reached the node"
    # Each refused confirmation is a choice on record (the malformed bodies decided nothing).
    refusals = [r for r in overriding.records() if r["choice"] == "override-refused"][-2:]
    assert [(r["verdict"], r["method"]) for r in refusals] == [("block", "eth_sendTransaction")] * 2
    assert all(
        '{"override": true}' in str(r["reason"]) and held["verdict"]["sender"].lower() in str(r["request"]).lower()
        for r in refusals
    )
    assert overriding.choices()[-3:] == [
        ("held", "block"),
        ("override-refused", "block"),
        ("override-refused", "block"),
    ]

    # The explicit override releases it, after the check before release.
    confirmed = await overriding.confirm(held["id"], {"override": True})
    assert confirmed.status_code == 200 and confirmed.json() == {"id": held["id"], "action": "confirm"}
    reply = (await sent).json()
    assert reply["error"]["message"] == "No Signer available", "forwarded: the node (not txfirewall) answered"
    assert overriding.forwarded("eth_sendTransaction") == before + 1
    assert overriding.server.holds.pending() == []
    assert overriding.choices()[-1] == ("overridden", "block")


async def test_the_control_client_sends_the_override_only_when_asked(overriding: Proxy) -> None:
    sent = overriding.send(DRAINER_CLAIM)
    (held,) = await overriding.held()
    async with ControlClient.from_control_file(overriding.server.control_file) as client:
        with pytest.raises(ControlChannelError, match="override"):
            await client.confirm(held["id"])
        assert [h["id"] for h in await client.held()] == [held["id"]], "the hold stays"
        assert await client.confirm(held["id"], override=True) is True
        assert await client.confirm(held["id"], override=True) is False, "decided: no such hold"
    assert (await sent).json()["error"]["message"] == "No Signer available"


async def test_a_held_block_rejected_or_unconfirmed_is_refused(overriding: Proxy) -> None:
    before = overriding.forwarded("eth_sendTransaction")
    sent = overriding.send(DRAINER_CLAIM)
    (held,) = await overriding.held()
    url, auth = overriding.control()
    assert (await overriding.http.post(f"{url}/v1/held/{held['id']}/reject", headers=auth)).status_code == 200
    error = (await sent).json()["error"]
    assert error["code"] == 4001 and "held it for an override" in error["message"]
    assert "rejected by the user" in error["message"] and error["data"]["verdict"] == "block"
    assert overriding.forwarded("eth_sendTransaction") == before
    assert overriding.choices()[-1] == ("rejected", "block")


async def test_a_warning_is_still_confirmed_without_the_override(overriding: Proxy) -> None:
    sent = overriding.send("j_nft_approval_for_all_drainer.json")
    (held,) = await overriding.held()
    assert held["override"] is False and held["verdict"]["verdict"] == "warn"
    assert (await overriding.confirm(held["id"])).status_code == 200
    assert (await sent).json()["error"]["message"] == "No Signer available"
    assert overriding.choices()[-1] == ("confirmed", "warn")


async def test_unconditional_blocks_are_refused_at_once_even_with_overrides_allowed(overriding: Proxy) -> None:
    """eth_sign of a raw hash (an unconditional rule) and an approval to a deny-listed spender."""
    for name, rule in (
        ("g_eth_sign_hash.json", "eth-sign-raw-hash"),
        ("d_usdx_approve_max_scammer.json", "policy-denylist"),
    ):
        method = json.loads(load_request(name))["method"]
        before = overriding.forwarded(method)
        reply = (await overriding.send(name)).json()
        assert reply["error"]["code"] == 4001 and reply["error"]["data"]["verdict"] == "block", name
        assert rule in {f["rule"] for f in reply["error"]["data"]["findings"]}, name
        assert overriding.server.holds.pending() == [], f"{name}: refused at once, never held"
        assert overriding.forwarded(method) == before, name
        assert overriding.choices()[-1] == ("blocked", "block")


async def test_the_audit_log_verifies_and_shows_the_override(overriding: Proxy) -> None:
    sent = overriding.send(DRAINER_CLAIM)
    (held,) = await overriding.held()
    assert (await overriding.confirm(held["id"], {"override": True})).status_code == 200
    await sent
    report = verify_audit(overriding.audit_path)
    assert report.ok and report.entries >= 2, report.problems
    verified = cli("audit", "verify", overriding.audit_path)
    assert verified.returncode == 0 and "intact" in verified.stdout, verified.stderr
    shown = cli("audit", "show", overriding.audit_path, "--json")
    assert shown.returncode == 0, shown.stderr
    records = [json.loads(line)["record"] for line in shown.stdout.splitlines() if '"record"' in line]
    override = records[-1]
    assert override["choice"] == "overridden", "the newest entry: the override, recorded as one"
    assert override["verdict"] == "block" and override["method"] == "eth_sendTransaction"
    assert "value-to-scam-selector" in {f["rule"] for f in override["findings"]}


# --- the switch off (the default) ----------------------------------------------------------------


async def test_without_the_switch_every_block_is_refused_at_once(mainnet: AnvilNode, tmp_path: Path) -> None:
    async with proxy_on(mainnet.url, tmp_path, Policy()) as proxy:
        before = proxy.forwarded("eth_sendTransaction")
        reply = (await proxy.send(DRAINER_CLAIM)).json()
        assert reply["error"]["code"] == 4001 and "txfirewall blocked this request" in reply["error"]["message"]
        assert reply["error"]["data"]["verdict"] == "block"
        assert proxy.server.holds.pending() == [] and proxy.forwarded("eth_sendTransaction") == before
        assert proxy.choices() == [("blocked", "block")]


# --- the check before release ----------------------------------------------------------------------


def _rpc(url: str, method: str, params: list[Any]) -> None:
    reply = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=30).json()
    assert "error" not in reply, reply


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ("sweeper", "cannot be overridden (delegation-to-known-sweeper)"),
        ("gas-gated", "now other rules block it (simulation-divergence)"),
    ],
)
async def test_an_override_is_refused_when_the_check_before_release_finds_something_new(
    tmp_path: Path, change: str, why: str
) -> None:
    """A chain of its own (its code is rewritten while the request is held): alice's account
    delegated to a known sweeper (an unconditional finding), or the drainer's code swapped for one
    that branches on gasleft (another rule, simulation-divergence, now blocks). Either way the user
    overrode something else: refused, never forwarded, and the audit log says why."""
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=CHAIN_ID, accounts=0)
    with AnvilNode.start(options) as node:
        async with proxy_on(node.url, tmp_path, OVERRIDE) as proxy:
            sent = proxy.send(DRAINER_CLAIM)
            (held,) = await proxy.held()
            assert held["override"] is True
            if change == "sweeper":
                _rpc(node.url, "anvil_setCode", [ALICE, "0xef0100" + KNOWN_SWEEPER[2:].lower()])
            else:
                drainer = json.loads(load_request(DRAINER_CLAIM))["params"][0]["to"]
                owner = MANIFEST["accounts"]["drainer_owner"]["address"]
                _rpc(node.url, "anvil_setCode", [drainer, "0x" + gas_gated_drainer(owner).hex()])
            _rpc(node.url, "evm_mine", [])
            assert (await proxy.confirm(held["id"], {"override": True})).status_code == 200
            error = (await sent).json()["error"]
            assert error["code"] == 4001 and "txfirewall refused this request" in error["message"], error
            assert why in error["message"]
            assert proxy.forwarded("eth_sendTransaction") == 0
            assert proxy.choices()[-2:] == [("overridden", "block"), ("refused", None)]
