"""Simulation benchmarks: warm latency against a bare eth_simulateV1, cold start through a
20 ms-delay loopback upstream, and throughput with 8 concurrent simulations."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.prefetch_alternative import prefetch_overrides  # noqa: E402
from tests.support.delay_proxy import DelayProxy  # noqa: E402
from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions  # noqa: E402
from txfirewall.chain.rpc_client import RpcClient  # noqa: E402
from txfirewall.firewall import Firewall, FirewallConfig  # noqa: E402
from txfirewall.parse.request import parse_request  # noqa: E402
from txfirewall.simulate.fork import Fork  # noqa: E402
from txfirewall.simulate.simulator import call_object, simulate_calls  # noqa: E402
from txfirewall.simulate.variants import block_variants  # noqa: E402

FIXTURES = REPO / "anvil_fixtures"
CASES = {
    "ETH transfer": "a_eth_to_bob.json",
    "router swap": "m_swap_usdx_for_eth.json",
    "drainer Claim()": "e_drainer_claim.json",
}
N = 300


def _tx(name: str) -> Any:
    tx = parse_request((FIXTURES / "requests" / name).read_bytes()).transaction
    assert tx is not None
    return tx


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _warm(fork: Fork) -> list[str]:
    env = fork.head.env
    rows = []
    for label, name in CASES.items():
        tx = _tx(name)
        bare_payload = [
            {"blockStateCalls": [{"calls": [call_object(tx)]}], "traceTransfers": True, "validation": False},
            "latest",
        ]
        for _ in range(20):
            await fork.client.call("eth_simulateV1", bare_payload)
            await simulate_calls(fork.client, [tx], env=env, variants=block_variants(env))
        bare: list[float] = []
        full: list[float] = []
        for _ in range(N):  # interleaved, so both see the same machine noise
            t = time.perf_counter()
            await fork.client.call("eth_simulateV1", bare_payload)
            bare.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            await simulate_calls(fork.client, [tx], env=env, variants=block_variants(env))
            full.append((time.perf_counter() - t) * 1000)
        ratio = statistics.median(full) / statistics.median(bare)
        rows.append(
            f"| {label} | {statistics.median(bare):.2f} / {_p(bare, 0.99):.2f} | "
            f"{statistics.median(full):.2f} / {_p(full, 0.99):.2f} | {ratio:.2f}x |"
        )
    return rows


async def _throughput(fork: Fork) -> str:
    env = fork.head.env
    txs = [_tx(n) for n in CASES.values()]
    total = 600
    sem = asyncio.Semaphore(8)

    async def one(i: int) -> None:
        async with sem:
            await simulate_calls(fork.client, [txs[i % len(txs)]], env=env, variants=block_variants(env))

    t = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(total)))
    elapsed = time.perf_counter() - t
    return f"| 8 concurrent full simulations (3 requests mixed), {total} total | {total / elapsed:.0f} sims/s |"


async def _cold(mainnet_url: str) -> list[str]:
    claim = (FIXTURES / "requests" / "e_drainer_claim.json").read_bytes()
    rows = []
    async with DelayProxy(mainnet_url, delay=0.02) as proxy:
        for mode, label in (
            ("fork", "simulate on the cold fork"),
            ("upstream", "eth_simulateV1 on the upstream (default)"),
        ):
            async with Firewall(FirewallConfig(rpc_url=proxy.url, cold_start=mode, repin_interval=None)) as fw:
                proxy.reset()
                t = time.perf_counter()
                await fw.analyze(claim)
                ms = (time.perf_counter() - t) * 1000
                rows.append(f"| {label}: whole first analysis | {proxy.rounds()} | {proxy.count()} | {ms:.0f} |")
        fork = await Fork.open(proxy.url)
        try:
            tx = _tx("e_drainer_claim.json")
            proxy.reset()
            t = time.perf_counter()
            async with RpcClient(proxy.url) as upstream:
                overrides = await prefetch_overrides(upstream, tx, fork.head.block_number)
            env = fork.head.env
            await simulate_calls(fork.client, [tx], env=env, variants=block_variants(env), state_overrides=overrides)
            ms = (time.perf_counter() - t) * 1000
            rows.append(
                f"| access-list prefetch + fork with overrides: simulation only | {proxy.rounds()} | "
                f"{proxy.count()} | {ms:.0f} |"
            )
        finally:
            await fork.close()
    return rows


async def _main() -> list[str]:
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    with AnvilNode.start(AnvilOptions(load_state=FIXTURES / "state.json", chain_id=manifest["chain_id"])) as main:
        fork = await Fork.open(main.url)
        try:
            warm = await _warm(fork)
            throughput = await _throughput(fork)
        finally:
            await fork.close()
        cold = await _cold(main.url)
    return [
        "## Simulation (issue 4)",
        "",
        f"Warm, on a pinned fork, N = {N} interleaved runs each (ms, p50 / p99). *Full* is what the",
        "pipeline runs: one batch with eth_simulateV1 in the realistic next block, the two differential",
        "environments, the prestate diff and the call tree, all parsed into effects. Goal: at most 2x.",
        "",
        "| request | bare eth_simulateV1 | full simulation | ratio |",
        "|---|---|---|---|",
        *warm,
        "",
        "| throughput | |",
        "|---|---|",
        throughput,
        "",
        "Cold first request through a loopback proxy adding 20 ms per upstream request (drainer",
        "Claim(); goal: at most 4 sequential round trips, under 100 ms).",
        "",
        "| path | sequential round trips | upstream requests | ms |",
        "|---|---|---|---|",
        *cold,
    ]


def run() -> list[str]:
    return asyncio.run(_main())


if __name__ == "__main__":
    print("\n".join(run()))
