"""The proxy: pass-through latency over direct, read throughput, and what analysis adds to a
signing request. Client, proxy and anvil share the machine's cores."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions  # noqa: E402
from txfirewall.chain.lean_http import LeanHttp  # noqa: E402
from txfirewall.enrich.history_file import load_history  # noqa: E402
from txfirewall.firewall import FirewallConfig  # noqa: E402
from txfirewall.proxy.config import ProxyConfig  # noqa: E402
from txfirewall.proxy.service import ProxyServer  # noqa: E402

FIXTURES = REPO / "anvil_fixtures"
READ = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_getBalance",
        "params": ["0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4", "latest"],
    }
).encode()
N = 2000
CONCURRENCY = 16


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _latencies(url: str, body: bytes, n: int) -> list[float]:
    client = LeanHttp(url)
    for _ in range(min(100, n)):
        await client.post(body)
    out = []
    for _ in range(n):
        start = time.perf_counter()
        await client.post(body)
        out.append((time.perf_counter() - start) * 1000)
    await client.aclose()
    return out


async def _throughput(url: str, body: bytes, n: int, concurrency: int) -> float:
    clients = [LeanHttp(url) for _ in range(concurrency)]

    async def worker(client: LeanHttp) -> None:
        for _ in range(n // concurrency):
            await client.post(body)

    await asyncio.gather(*(worker(c) for c in clients[:4]))  # warm connections
    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients))
    rate = n / (time.perf_counter() - start)
    for c in clients:
        await c.aclose()
    return rate


async def _run(node_url: str, chain_id: int) -> list[str]:
    send = (FIXTURES / "requests" / "a_eth_to_bob.json").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        config = ProxyConfig(
            upstream=node_url, listen_port=0, control_file=Path(tmp) / "control.json", rate_burst=10**6
        )
        firewall = FirewallConfig(rpc_url=node_url, chain_id=chain_id, history=load_history(FIXTURES / "history.jsonl"))
        async with ProxyServer(config, firewall) as proxy:
            await proxy.firewall.start()
            rows = []
            lat: dict[str, list[float]] = {}
            for _ in range(2):  # alternate: direct, proxied, direct, proxied
                for label, url in (("direct", node_url), ("proxied", proxy.url)):
                    lat.setdefault(label, []).extend(await _latencies(url, READ, N // 2))
            added = statistics.median(lat["proxied"]) - statistics.median(lat["direct"])
            rows.append(
                f"| read (`eth_getBalance`), sequential | {statistics.median(lat['direct']):.3f} | "
                f"{statistics.median(lat['proxied']):.3f} | **{added:+.3f}** | {_p(lat['proxied'], 0.99):.3f} |"
            )
            signing = {
                label: await _latencies(url, send, 200) for label, url in (("direct", node_url), ("proxied", proxy.url))
            }
            sign_added = [p - statistics.median(signing["direct"]) for p in signing["proxied"]]
            rows.append(
                f"| signing (`eth_sendTransaction`, allowed), sequential | {statistics.median(signing['direct']):.3f} | "
                f"{statistics.median(signing['proxied']):.3f} | **{statistics.median(sign_added):+.2f}** | "
                f"{_p(signing['proxied'], 0.99):.2f} |"
            )
            direct_rate = await _throughput(node_url, READ, N * 2, CONCURRENCY)
            proxied_rate = await _throughput(proxy.url, READ, N * 2, CONCURRENCY)
    return [
        "## JSON-RPC proxy",
        "",
        "`txfirewall proxy` in front of the fixture chain's anvil, on the same 2 cores as the client.",
        "Latency in ms (one keep-alive connection, requests one after the other; direct and proxied",
        "alternated); the signing row is the whole analysis plus the forward (anvil answers",
        "'no signer').",
        "",
        "| request | direct p50 | proxied p50 | added p50 (goal reads <= +0.5) | proxied p99 |",
        "|---|---|---|---|---|",
        *rows,
        "",
        f"Read throughput with {CONCURRENCY} concurrent keep-alive clients: direct **{direct_rate:,.0f}**/s, "
        f"through the proxy **{proxied_rate:,.0f}**/s (goal >= 2,000/s).",
    ]


def run() -> list[str]:
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=manifest["chain_id"], accounts=0)
    with AnvilNode.start(options) as node:
        return asyncio.run(_run(node.url, manifest["chain_id"]))


if __name__ == "__main__":
    print("\n".join(run()))
