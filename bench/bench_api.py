"""The Python API under load: analyses per second with 1, 8 and 64 concurrent callers on one
``Firewall``, and what the head check before each analysis costs."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions  # noqa: E402
from txfirewall.enrich.history_file import load_history  # noqa: E402
from txfirewall.firewall import Firewall, FirewallConfig  # noqa: E402
from txfirewall.model.verdict import Verdict  # noqa: E402

FIXTURES = REPO / "anvil_fixtures"
MIX = [
    "a_eth_to_bob.json",
    "b_usdx_transfer_carol.json",
    "d_usdx_approve_max_scammer.json",
    "e_drainer_claim.json",
    "m_swap_usdx_for_eth.json",
    "o_personal_sign_login.json",
]
PER_LEVEL = 480
"""Analyses per concurrency level (a multiple of every caller count)."""


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _load(fw: Firewall, callers: int, total: int, requests: list[bytes]) -> tuple[float, list[float]]:
    """``callers`` tasks share ``total`` analyses; returns (analyses per second, latencies in ms)."""
    latencies: list[float] = []

    async def caller(k: int) -> None:
        for i in range(total // callers):
            start = time.perf_counter()
            verdict: Verdict = await fw.analyze(requests[(k + i) % len(requests)])
            latencies.append((time.perf_counter() - start) * 1000)
            assert "analysis-stage-failed" not in {f.rule for f in verdict.findings}

    start = time.perf_counter()
    await asyncio.gather(*(caller(k) for k in range(callers)))
    return total / (time.perf_counter() - start), latencies


async def _throughput(url: str, chain_id: int, requests: list[bytes]) -> list[str]:
    history = load_history(FIXTURES / "history.jsonl")
    rows = []
    for max_concurrency in (16, 64):
        config = FirewallConfig(rpc_url=url, chain_id=chain_id, history=history, max_concurrency=max_concurrency)
        async with Firewall(config) as fw:
            await _load(fw, 8, 96, requests)  # warm: fork caches, kernels, connections
            for callers in (1, 8, 64):
                if max_concurrency == 64 and callers < 64:
                    continue
                rate, lat = await _load(fw, callers, PER_LEVEL, requests)
                rows.append(
                    f"| {callers} | {max_concurrency} | {rate:.0f} | {statistics.median(lat):.1f} | {_p(lat, 0.99):.1f} |"
                )
    return rows


async def _head_check(url: str, chain_id: int, requests: list[bytes]) -> list[str]:
    """The same sequential load with and without head checks, alternated in rounds on two
    Firewalls (machines drift; a ratio taken in alternation is fair), and one check alone."""
    history = load_history(FIXTURES / "history.jsonl")
    n, rounds = 150, 4
    labels = {0.0: "before every analysis (default)", 3600.0: "never (interval 1 h)"}
    medians: dict[float, list[float]] = {0.0: [], 3600.0: []}
    checks: dict[float, int] = {0.0: 0, 3600.0: 0}
    firewalls = {
        interval: Firewall(
            FirewallConfig(rpc_url=url, chain_id=chain_id, history=history, head_check_interval=interval)
        )
        for interval in labels
    }
    try:
        for fw in firewalls.values():
            await _load(fw, 1, 60, requests)
        for _ in range(rounds):
            for interval, fw in firewalls.items():
                before = fw.head_checks
                _, lat = await _load(fw, 1, n, requests)
                checks[interval] += fw.head_checks - before
                medians[interval].append(statistics.median(lat))
        rt = firewalls[0.0]._rt
        assert rt is not None and rt.heads is not None
        alone = []
        for _ in range(500):
            start = time.perf_counter()
            await rt.heads.refresh()  # interval 0: always due
            alone.append((time.perf_counter() - start) * 1000)
    finally:
        for fw in firewalls.values():
            await fw.close()
    rows = [
        f"| head check {labels[i]} | {statistics.median(medians[i]):.2f} | {checks[i] / (n * rounds):.2f} |"
        for i in labels
    ]
    added = statistics.median(medians[0.0]) - statistics.median(medians[3600.0])
    return [
        *rows,
        "",
        f"One head check alone (`eth_blockNumber` on the warm upstream connection): "
        f"**{statistics.median(alone):.3f} ms** p50, {_p(alone, 0.99):.3f} ms p99 (goal <= 0.3 ms warm). "
        f"Median latency it adds to a sequential analysis, which it runs alongside: **{added:+.3f} ms** "
        f"({rounds} alternated rounds of {n}).",
    ]


def run() -> list[str]:
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    chain_id = manifest["chain_id"]
    requests = [(FIXTURES / "requests" / name).read_bytes() for name in MIX]
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=chain_id, accounts=0)
    with AnvilNode.start(options) as mainnet:
        throughput = asyncio.run(_throughput(mainnet.url, chain_id, requests))
        head = asyncio.run(_head_check(mainnet.url, chain_id, requests))
    return [
        "## The Python API: concurrent callers and the head check",
        "",
        f"One `Firewall` on a fork of the fixture chain; callers loop over {len(MIX)} samples (transfers,",
        "approvals, a drainer, a swap, a login signature), every analysis with its head check.",
        f"{PER_LEVEL} analyses per row; latency is per analysis, waiting for a slot included.",
        "",
        "| callers | max_concurrency | analyses/s | p50 ms | p99 ms |",
        "|---|---|---|---|---|",
        *throughput,
        "",
        "Sequential analyses (1 caller, same mix), with and without the head check:",
        "",
        "| configuration | p50 ms | checks per analysis |",
        "|---|---|---|",
        *head,
    ]


if __name__ == "__main__":
    print("\n".join(run()))
