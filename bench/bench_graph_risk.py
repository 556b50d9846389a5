"""Graph risk benchmark: the risk features and the personalised PageRank for a 10M-transfer graph
on 2 threads (time and working memory against the graph's own size), scoring every address with
the shipped model, and a lookup that carries ``risk`` and ``reasons``.

The graph is ``bench_graph.power_law_graph`` (heavy-tailed endpoints) with transfer times spread
over a year; 0.1% of addresses are seeds. The measured part runs in a fresh process that loads the
graph into memory (not memory-mapped, so its size is counted once and exactly), compiles nothing
(Numba's cache is warmed on a small graph first), then resets the kernel's peak-RSS counter, so
"working memory" is what features and propagation add on top of the graph and proximity arrays.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_graph import power_law_graph  # noqa: E402
from txfirewall.graph.csr import from_ids  # noqa: E402

THREADS = 2

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[2])
import numba
from txfirewall.graph.build import graph_features, propagation_params
from txfirewall.graph.csr import CsrGraph, from_ids
from txfirewall.graph.proximity import ProximityArrays, SEED
from txfirewall.graph.risk import RiskModel, risk_for_graph

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0

out = Path(sys.argv[1])
model = RiskModel.load()
for k in (50, 60_000):  # warm both the serial and the threaded kernels (from Numba's disk cache)
    small = from_ids(k, np.arange(k - 1), np.arange(1, k), np.ones(k - 1), np.arange(k - 1) + 1_600_000_000)
    flags = np.zeros(k, np.uint8)
    flags[0] = SEED
    sp = ProximityArrays(flags, np.full(k, -1, np.int32), np.zeros(k, np.int8), np.zeros(k, np.int8),
                         np.zeros(k, np.int32), np.zeros(k, np.int32), np.zeros(k), np.zeros(k))
    risk_for_graph(model, graph_features(small, sp, propagation_params(model)), flags == SEED)
g = CsrGraph.load(out, mmap=False)
arrays, _ = ProximityArrays.load(out, mmap=False)
open("/proc/self/clear_refs", "w").write("5")
base = status("VmRSS:")
t0 = time.perf_counter()
matrix = graph_features(g, arrays, propagation_params(model))
features_s = time.perf_counter() - t0
peak = status("VmHWM:")
t0 = time.perf_counter()
x, risk = risk_for_graph(model, matrix, (np.asarray(arrays.flags) & SEED) != 0)
score_s = time.perf_counter() - t0
np.save(out / "features.npy", x)
np.save(out / "risk.npy", risk)
model.save(out / "risk_model.json")
print(json.dumps({"threads": numba.get_num_threads(), "features_s": features_s, "score_s": score_s,
                  "graph_bytes": g.nbytes(), "proximity_bytes": arrays.nbytes(), "extra_peak": peak - base,
                  "matrix_bytes": matrix.nbytes, "model_features": len(model.features),
                  "high_risk": float((risk >= 0.95).mean())}))
"""


def bench(m: int) -> list[str]:
    from txfirewall.graph.index import ProximityIndex
    from txfirewall.graph.proximity import ProximityParams, precompute

    n, src, dst, value = power_law_graph(m)
    rng = np.random.default_rng(3)
    when = 1_600_000_000 + rng.integers(0, 365 * 86400, m)
    g = from_ids(n, src, dst, value, when)
    is_seed = rng.random(n) < 0.001
    t0 = time.perf_counter()
    arrays = precompute(g, is_seed, np.zeros(n, dtype=bool), ProximityParams())
    prox_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        g.save(out)
        arrays.save(out, ProximityParams())
        (out / "clusters.json").write_text("[]")
        del g, arrays
        env = {**os.environ, "NUMBA_NUM_THREADS": str(THREADS)}
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(out), str(REPO)], env=env, capture_output=True, text=True, check=True
        )
        r = json.loads(child.stdout.strip().splitlines()[-1])
        index = ProximityIndex.open(out)
        keys = ["0x" + index.graph.address_bytes(int(i)).hex() for i in rng.integers(0, n, 3000)]
        index.lookup(keys[0], with_path=False)
        passes = []
        for _ in range(2):  # first pass: pages of the memory-mapped arrays still cold
            times = []
            for k in keys:
                t0 = time.perf_counter()
                found = index.lookup(k, with_path=False)
                times.append(time.perf_counter() - t0)
                assert found is not None and found.proximity.risk is not None
            passes.append(np.array(times) * 1e3)
        cold, lat = passes
        edges = index.graph.n_edges
    graph_mb = r["graph_bytes"] / 2**20
    extra_mb = r["extra_peak"] / 2**20
    return [
        f"| {edges:,} merged edges ({m:,} transfers), {n:,} addresses | proximity precompute (all threads; for reference) | {prox_s:.1f} s |",
        f"| | features + personalised PageRank x4, {r['threads']} threads | **{r['features_s']:.1f} s** |",
        f"| | working memory of that step (peak RSS above the loaded graph) / graph in memory | {extra_mb:,.0f} MB / {graph_mb:,.0f} MB = **{extra_mb / graph_mb:.2f}x** (of which the {len(__import__('txfirewall.graph.features', fromlist=['FEATURES']).FEATURES)}-column float32 feature matrix: {r['matrix_bytes'] / 2**20:,.0f} MB) |",
        f"| | scoring every address ({r['model_features']} features, shipped model) | {r['score_s']:.2f} s ({r['score_s'] / n * 1e9:.0f} ns per address); {r['high_risk']:.2%} score >= 0.95 |",
        f"| | lookup with risk and reasons (memory-mapped, no path), {len(keys):,} random addresses | p50 {np.percentile(lat, 50):.3f} ms, p99 {np.percentile(lat, 99):.3f} ms, mean {lat.mean():.3f} ms (first pass, pages cold: p50 {np.percentile(cold, 50):.3f} ms, p99 {np.percentile(cold, 99):.3f} ms) |",
    ]


def run() -> list[str]:
    sizes = [int(s) for s in os.environ.get("TXFIREWALL_BENCH_RISK_EDGES", "10000000").split(",")]
    lines = [
        "## Address graph risk",
        "",
        f"Generated power-law graphs with transfer times over a year; 0.1% of addresses seeded; the "
        f"feature step pinned to {THREADS} threads (NUMBA_NUM_THREADS) on a {os.cpu_count()}-CPU machine. "
        "Goals (issue 14): features and propagation <= 20 s on 2 cores with working memory <= 2x the "
        "graph; lookup with risk <= 1 ms.",
        "",
        "| graph | measure | value |",
        "|---|---|---|",
    ]
    for m in sizes:
        lines += bench(m)
    load = os.getloadavg()
    lines += ["", f"Load average over the last 1 / 5 minutes when it finished: {load[0]:.1f} / {load[1]:.1f}."]
    return [*lines, ""]


if __name__ == "__main__":
    print("\n".join(run()))
