"""Benchmarks for txfirewall. ``make bench`` runs this and writes docs/benchmarks.md.

Other benchmarks plug in as ``bench/bench_<name>.py`` modules exposing ``run() -> list[str]``
(markdown lines of their own section, starting with a ``## `` heading); they run after the
pipeline section, in name order.

Ratios are taken within one run (machines are noisy): the full pipeline against a bare
``eth_simulateV1`` of the same request on the same fork.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "anvil_fixtures"
sys.path.insert(0, str(REPO))

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions  # noqa: E402
from txfirewall.chain.anvil_provision import ensure_anvil  # noqa: E402
from txfirewall.chain.rpc_client import RpcClient  # noqa: E402
from txfirewall.enrich.history_file import load_history  # noqa: E402
from txfirewall.firewall import Firewall, FirewallConfig  # noqa: E402
from txfirewall.parse.request import parse_request  # noqa: E402
from txfirewall.signatures import decode_request  # noqa: E402
from txfirewall.simulate.simulator import call_object  # noqa: E402

SAMPLES = {
    "ETH transfer": "a_eth_to_bob.json",
    "ERC-20 transfer": "b_usdx_transfer_carol.json",
    "unlimited approve (block)": "d_usdx_approve_max_scammer.json",
    "drainer Claim() (block)": "e_drainer_claim.json",
    "router swap": "m_swap_usdx_for_eth.json",
    "eth_sign (block)": "g_eth_sign_hash.json",
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def timed(fn: Callable[[], Awaitable[object]], n: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        await fn()
    out = []
    for _ in range(n):
        start = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def sync_timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


async def pipeline_rows(rpc_url: str, chain_id: int, n: int) -> list[str]:
    config = FirewallConfig(rpc_url=rpc_url, chain_id=chain_id, history=load_history(FIXTURES / "history.jsonl"))
    rows = []
    async with Firewall(config) as fw:
        assert fw.fork is not None
        fork = RpcClient(fw.fork.node.url)
        for label, name in SAMPLES.items():
            raw = (FIXTURES / "requests" / name).read_bytes()
            request = parse_request(raw)
            full = await timed(lambda: fw.analyze(raw), n)
            row = f"| {label} | {statistics.median(full):.2f} | {pct(full, 0.99):.2f} |"
            if request.transaction is not None:
                payload = [
                    {
                        "blockStateCalls": [{"calls": [call_object(request.transaction)]}],
                        "traceTransfers": True,
                        "validation": False,
                    },
                    "latest",
                ]
                bare = await timed(lambda: fork.call("eth_simulateV1", payload), n)
                ratio = statistics.median(full) / statistics.median(bare)
                row += f" {statistics.median(bare):.2f} | {ratio:.1f}x |"
            else:
                row += " - | - |"
            rows.append(row)
        await fork.aclose()
    return rows


def decode_rows(n: int) -> list[str]:
    rows = []
    for label, name in SAMPLES.items():
        raw = (FIXTURES / "requests" / name).read_bytes()
        parse = sync_timed(lambda: parse_request(raw), n)
        parsed = parse_request(raw)
        decode = sync_timed(lambda: decode_request(parsed), n)
        rows.append(f"| {label} | {statistics.median(parse) * 1000:.0f} | {statistics.median(decode) * 1000:.0f} |")
    return rows


def anvil_rows(chain_id: int, n: int) -> tuple[list[str], str]:
    plain = []
    for _ in range(n):
        start = time.perf_counter()
        with AnvilNode.start(AnvilOptions(accounts=0)):
            plain.append((time.perf_counter() - start) * 1000)
    loaded = []
    for _ in range(n):
        start = time.perf_counter()
        with AnvilNode.start(AnvilOptions(load_state=FIXTURES / "state.json", chain_id=chain_id)):
            loaded.append((time.perf_counter() - start) * 1000)
    rows = [
        f"| plain (`--accounts 0`) | {statistics.median(plain):.1f} | {pct(plain, 0.95):.1f} |",
        f"| `--load-state` fixture chain | {statistics.median(loaded):.1f} | {pct(loaded, 0.95):.1f} |",
    ]
    version = subprocess.run([str(ensure_anvil()), "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return rows, version


async def fork_open_rows(rpc_url: str, n: int) -> list[str]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        async with Firewall(FirewallConfig(rpc_url=rpc_url)):
            times.append((time.perf_counter() - start) * 1000)
    return [
        f"| open a pinned fork (probe head + start anvil) | {statistics.median(times):.1f} | {pct(times, 0.95):.1f} |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("-n", type=int, default=200, help="runs per pipeline measurement")
    args = parser.parse_args()
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    chain_id = manifest["chain_id"]
    started = time.perf_counter()
    print("bench: anvil start-up...", file=sys.stderr)
    anvil, anvil_version = anvil_rows(chain_id, 10)
    print("bench: parse + decode...", file=sys.stderr)
    decode = decode_rows(2000)
    with AnvilNode.start(AnvilOptions(load_state=FIXTURES / "state.json", chain_id=chain_id)) as mainnet:
        print("bench: fork start-up...", file=sys.stderr)
        forks = asyncio.run(fork_open_rows(mainnet.url, 5))
        print(f"bench: full pipeline, {args.n} runs per request...", file=sys.stderr)
        pipeline = asyncio.run(pipeline_rows(mainnet.url, chain_id, args.n))
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    lines = [
        "# Benchmarks",
        "",
        f"Run on {dt.date.today().isoformat()} by `make bench` (ELAPSED).",
        f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}; "
        f"Python {platform.python_version()}; {anvil_version}.",
        "",
        "Client, anvil and the fixture chain share the same cores. Numbers are medians unless",
        "labelled; compare the ratios, which are taken in the same run.",
        "",
        "## Full pipeline on a warm fork (`Firewall.analyze`, ms)",
        "",
        "Parse, decode, simulate (`eth_simulateV1` + traceTransfers), enrich (batched `eth_getCode`",
        "and token metadata), evaluate, decide; against a bare `eth_simulateV1` of the same call on",
        "the same fork over the same client.",
        "",
        "| request | pipeline p50 | pipeline p99 | bare eth_simulateV1 p50 | ratio |",
        "|---|---|---|---|---|",
        *pipeline,
        "",
        "## Parse and decode of the fixture samples (offline, µs per request)",
        "",
        "| request | parse | decode |",
        "|---|---|---|",
        *decode,
        "",
        "## Anvil (ms, N = 10)",
        "",
        "| start | p50 | p95 |",
        "|---|---|---|",
        *anvil,
        *forks,
        "",
    ]
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        print(f"bench: {path.stem}...", file=sys.stderr)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        lines += [*module.run(), ""]
    text = "\n".join(lines).replace("ELAPSED", f"{time.perf_counter() - started:.0f} s in all")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
