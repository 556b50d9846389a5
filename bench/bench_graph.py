"""Address-graph benchmark: proximity precompute on generated power-law graphs (1M and 10M edges),
Numba against a NetworkX baseline on the same graph, lookup latency, bytes per edge.

The NetworkX baseline does the same work (both directions: multi-source BFS with the service
stop, and the value-weighted exposure rounds) the plain way; it runs on the 1M graph only.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from txfirewall.graph.csr import CsrGraph, from_ids  # noqa: E402
from txfirewall.graph.index import ProximityIndex  # noqa: E402
from txfirewall.graph.proximity import ProximityParams, precompute, relay_mask  # noqa: E402


def power_law_graph(m: int, seed: int = 7) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """m transfers over m/5 addresses; endpoints drawn from a heavy-tailed (Zipf-like) law."""
    rng = np.random.default_rng(seed)
    n = max(10, m // 5)
    perm = rng.permutation(n)
    src = perm[np.minimum((n * rng.random(m) ** 3).astype(np.int64), n - 1)]
    dst = perm[np.minimum((n * rng.random(m) ** 2).astype(np.int64), n - 1)]
    value = rng.pareto(1.2, m) * 1e18
    return n, src, dst, value


def networkx_baseline(g: CsrGraph, is_seed: np.ndarray, flags: np.ndarray, params: ProximityParams) -> float:
    import networkx as nx

    start = time.perf_counter()
    relay = relay_mask(flags)
    src = np.repeat(np.arange(g.n_nodes), np.diff(g.out_indptr))
    dg = nx.DiGraph()
    dg.add_weighted_edges_from(zip(src.tolist(), g.out_indices.tolist(), g.out_weight.tolist(), strict=True))
    seeds = [int(s) for s in np.flatnonzero(is_seed) if s in dg]
    fwd = nx.subgraph_view(dg, filter_edge=lambda u, v: bool(relay[u]))
    bwd = nx.subgraph_view(dg.reverse(copy=False), filter_edge=lambda u, v: bool(relay[u]))
    for view in (fwd, bwd):
        reach = nx.multi_source_dijkstra_path_length(view, seeds, cutoff=params.max_hops, weight=lambda u, v, d: 1)
        t = dict.fromkeys(reach, 0.0)
        t.update(dict.fromkeys(seeds, 1.0))
        for _ in range(params.max_hops):
            nt = {}
            for v in reach:
                if v in seeds:
                    nt[v] = 1.0
                    continue
                edges = dg.in_edges(v, data="weight") if view is fwd else dg.out_edges(v, data="weight")
                pairs = [(a if view is fwd else b, w) for a, b, w in edges]
                total = sum(w for _, w in pairs) or 1.0
                nt[v] = params.decay * sum(w * t.get(u, 0.0) for u, w in pairs if relay[u]) / total
            t = nt
    return time.perf_counter() - start


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_one(m: int, with_networkx: bool) -> list[str]:
    n, src, dst, value = power_law_graph(m)
    t0 = time.perf_counter()
    g = from_ids(n, src, dst, value)
    build_s = time.perf_counter() - t0
    rng = np.random.default_rng(1)
    is_seed = rng.random(n) < 0.001
    is_service = np.zeros(n, dtype=bool)
    params = ProximityParams()
    precompute(from_ids(100, src[:500] % 100, dst[:500] % 100, value[:500]), is_seed[:100], is_service[:100], params)
    t0 = time.perf_counter()
    arrays = precompute(g, is_seed, is_service, params)
    numba_s = time.perf_counter() - t0
    rows = [
        f"| {g.n_edges:,} merged edges ({m:,} transfers), {n:,} addresses | build CSR | {build_s:.2f} s |",
        f"| | Numba precompute (clusters, hops x2, exposure x2) | {numba_s:.2f} s |",
        f"| | process peak RSS after precompute (includes generating the graph) | {_rss_mb():.0f} MB |",
        f"| | reached within {params.max_hops} hops (from / to) | {(arrays.hops_from >= 0).mean():.1%} / {(arrays.hops_to >= 0).mean():.1%} |",
    ]
    if with_networkx:
        nx_s = networkx_baseline(g, is_seed, arrays.flags, params)
        rows.append(f"| | NetworkX baseline (same work) | {nx_s:.1f} s ({nx_s / numba_s:.0f}x slower) |")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        g.save(out)
        arrays.save(out, params)
        (out / "clusters.json").write_text("[]")
        disk = sum(f.stat().st_size for f in out.iterdir())
        index = ProximityIndex.open(out)
        keys = ["0x" + g.address_bytes(int(i)).hex() for i in rng.integers(0, n, 2000)]
        index.lookup(keys[0])
        t0 = time.perf_counter()
        for k in keys:
            index.lookup(k, with_path=False)
        lookup_us = (time.perf_counter() - t0) / len(keys) * 1e6
        near = [k for k in keys if (f := index.lookup(k, with_path=False)) and f.proximity.hops]
        t0 = time.perf_counter()
        for k in near[:200]:
            index.lookup(k)
        path_ms = (time.perf_counter() - t0) / max(1, len(near[:200])) * 1e3
    mem = g.nbytes() + arrays.nbytes()
    rows += [
        f"| | lookup (memory-mapped; hops, score, cluster) | {lookup_us:.1f} µs |",
        f"| | lookup with the NetworkX path | {path_ms:.2f} ms |",
        f"| | bytes per edge on disk / in memory (graph + precompute) | {disk / g.n_edges:.1f} / {mem / g.n_edges:.1f} |",
    ]
    return rows


def run() -> list[str]:
    sizes = [int(s) for s in os.environ.get("TXFIREWALL_BENCH_GRAPH_EDGES", "1000000,10000000").split(",")]
    lines = [
        "## Address graph proximity",
        "",
        f"Generated power-law graphs; 0.1% of addresses seeded; max_hops 4; {os.cpu_count()} CPUs.",
        "",
        "| graph | measure | value |",
        "|---|---|---|",
    ]
    for m in sizes:
        lines += bench_one(m, with_networkx=m <= 1_000_000)
    return [*lines, ""]


if __name__ == "__main__":
    print("\n".join(run()))
