"""Distributed build benchmark (``graph build --engine dask``) against the Numba build on the same
graphs: the whole build (read the edge files, merge, proximity, features, PageRank, scores, write
the index) from partitioned Parquet files of generated power-law transfers.

- Numba: one process, 2 Numba threads, the same files read by the same column parser
  (``edge_files.read_all``), then ``csr.from_batch`` and ``build.build_graph``.
- Dask: a local cluster of 2 worker processes (one thread each) on this 2-core machine, started
  before the clock; the build is timed with a barrier after each phase. Peak memory per worker is
  each worker's peak RSS during the build (the kernel's high-water mark, reset before it).
- Parity: the two indexes compared array by array (hops, clusters, flags, CSR identical; the
  largest difference of scores, features and risk).
- Incremental (at 10M, ``TXFIREWALL_BENCH_DIST_EXTRAS_AT`` to move it): the index of 99% of the transfers, updated with the last 1% (a daily delta),
  against the full build of all of them (time, rows whose base features were recomputed, parity).
- Scaling (same size): the same build on 1 worker; CPU seconds of the workers and of the client
  (with the scheduler) give the projected time per added core.

Sizes: ``TXFIREWALL_BENCH_DIST_EDGES`` (default 1M and 10M, about 15 minutes on this machine);
100M does not fit in its 24 GiB (docs/graph_at_scale.md), ``TXFIREWALL_BENCH_DIST_EDGES=30000000``
runs the largest that does (about 20 minutes more).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_graph import power_law_graph  # noqa: E402
from txfirewall.graph.csr import synthetic_addresses  # noqa: E402

WORKERS = 2
ROWS_PER_FILE = 500_000
DELTA = 0.01

NUMBA_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from txfirewall.enrich.labels import load_labels
from txfirewall.graph.build import build_graph, save_unplaced_contracts
from txfirewall.graph.csr import from_batch
from txfirewall.graph.edge_files import read_all

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0

files, labels, out = json.loads(sys.argv[2]), load_labels(Path(sys.argv[3])), Path(sys.argv[4])
t0 = time.perf_counter()
batch = read_all(files)
t1 = time.perf_counter()
graph = from_batch(batch)
t2 = time.perf_counter()
build_graph(graph, labels, out)
save_unplaced_contracts(out, graph, batch.contracts)
t3 = time.perf_counter()
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"read": t1 - t0, "csr": t2 - t1, "build": t3 - t2, "total": t3 - t0, "peak": status("VmHWM:"),
                  "cpu": use.ru_utime + use.ru_stime}))
"""

DASK_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from txfirewall.enrich.labels import load_labels
from txfirewall.graph.distributed import build_distributed, dask_client, update_distributed

def reset():
    open("/proc/self/clear_refs", "w").write("5")

def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0

def cpu():
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime

def main():
    files, labels, out, workers = json.loads(sys.argv[2]), load_labels(Path(sys.argv[3])), Path(sys.argv[4]), int(sys.argv[5])
    previous = Path(sys.argv[6]) if len(sys.argv) > 6 else None
    with dask_client(workers=workers) as client:
        client.run(reset)
        reset()
        before = client.run(cpu)
        mine = cpu()
        t0 = time.perf_counter()
        if previous is None:
            s = build_distributed(client, files, labels, out, timed=True)
        else:
            s = update_distributed(client, previous, files, labels, out, timed=True)
        total = time.perf_counter() - t0
        mine = cpu() - mine
        after = client.run(cpu)
        peaks = sorted(client.run(peak).values())
        work = sum(after[w] - before[w] for w in after)
    print(json.dumps({"total": total, "phases": s.phases, "workers": peaks, "client": peak(), "blocks": s.blocks,
                      "recomputed": s.recomputed_rows, "rescored": s.rescored, "nodes": s.nodes, "edges": s.edges,
                      "worker_cpu": work, "client_cpu": mine}))

if __name__ == "__main__":
    main()
"""


def hex_addresses(n: int) -> Any:
    """The generated graph's addresses as a pyarrow string array of 0x hex (built from buffers)."""
    import pyarrow as pa

    raw = synthetic_addresses(n).view(np.uint8).reshape(n, 20)
    digits = np.frombuffer(b"0123456789abcdef", np.uint8)
    text = np.empty((n, 42), np.uint8)
    text[:, 0], text[:, 1] = ord("0"), ord("x")
    text[:, 2::2] = digits[raw >> 4]
    text[:, 3::2] = digits[raw & 15]
    offsets = (np.arange(n + 1, dtype=np.int64) * 42).astype(np.int64)
    return pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(text.tobytes())])


def write_graph(m: int, directory: Path) -> tuple[list[str], list[str], Path, int]:
    """(files of 99% of the transfers, the delta file(s) of the last 1%, labels CSV, addresses)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n, src, dst, value = power_law_graph(m)
    rng = np.random.default_rng(3)
    when = 1_600_000_000 + rng.integers(0, 365 * 86400, m)
    keys = hex_addresses(n)
    wei = np.minimum(value, 9.2e18).astype(np.int64)
    cut = int(m * (1 - DELTA))
    bounds = [*range(0, cut, ROWS_PER_FILE), cut, m]
    files = []
    directory.mkdir(parents=True, exist_ok=True)
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        path = directory / f"part-{i:05d}.parquet"
        table = pa.table(
            {
                "from": keys.take(pa.array(src[lo:hi])),
                "to": keys.take(pa.array(dst[lo:hi])),
                "value": pa.array(wei[lo:hi]),
                "timestamp": pa.array(when[lo:hi]),
            }
        )
        pq.write_table(table, path)
        files.append(str(path))
    seeds = np.flatnonzero(np.random.default_rng(1).random(n) < 0.001)
    labels = directory / "labels.csv"
    labels.write_text("address,label\n" + "".join(f"{keys[int(i)].as_py()},phishing\n" for i in seeds))
    return files[:-1], files[-1:], labels, n


def _child(code: str, *args: str, threads: int = WORKERS) -> dict[str, Any]:
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(code)
    try:
        out = subprocess.run(
            [sys.executable, f.name, str(REPO), *args], env=env, capture_output=True, text=True, check=False
        )
    finally:
        os.unlink(f.name)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def numba_build(files: list[str], labels: Path, out: Path) -> dict[str, Any]:
    return _child(NUMBA_CHILD, json.dumps(files), str(labels), str(out))


def dask_build(files: list[str], labels: Path, out: Path, workers: int, previous: Path | None = None) -> dict[str, Any]:
    args = [json.dumps(files), str(labels), str(out), str(workers)] + ([str(previous)] if previous else [])
    return _child(DASK_CHILD, *args, threads=1)


def compare(got: Path, want: Path) -> dict[str, float]:
    """Largest differences between two indexes (memory-mapped); exact arrays must be equal."""
    exact = [
        "addresses", "out_indptr", "out_indices", "out_weight", "out_count", "out_time", "in_indptr", "in_indices",
        "in_weight", "in_count", "in_time", "first_seen", "is_contract", "flags", "seed_cluster", "hops_from",
        "hops_to", "cluster_from", "cluster_to",
    ]  # fmt: skip
    for name in exact:
        a, b = np.load(got / f"{name}.npy", mmap_mode="r"), np.load(want / f"{name}.npy", mmap_mode="r")
        if a.shape != b.shape or a.dtype != b.dtype or not np.array_equal(a, b):
            raise AssertionError(f"{name} differs between {got} and {want}")
    out = {}
    for name in ("score_from", "score_to", "risk", "features"):
        a, b = np.load(got / f"{name}.npy", mmap_mode="r"), np.load(want / f"{name}.npy", mmap_mode="r")
        out[name] = float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)), initial=0.0))
    if (got / "clusters.json").read_text() != (want / "clusters.json").read_text():
        raise AssertionError("clusters.json differs")
    return out


def _mb(x: float) -> str:
    return f"{x / 2**20:,.0f} MB"


def bench(m: int, scratch: Path) -> list[str]:
    base = scratch / f"g{m}"
    t0 = time.perf_counter()
    old, delta, labels, n = write_graph(m, base / "edges")
    gen_s = time.perf_counter() - t0
    files = old + delta
    size = sum(Path(f).stat().st_size for f in files)
    nb = numba_build(files, labels, base / "numba")
    dk = dask_build(files, labels, base / "dask", WORKERS)
    diff = compare(base / "dask", base / "numba")
    phases = ", ".join(f"{name} {s:.1f}" for name, s in dk["phases"])
    rows = [
        f"| {m:,} transfers, {n:,} addresses, {dk['edges']:,} merged edges ({len(files)} Parquet files, {_mb(size)}; generated in {gen_s:.0f} s) "
        f"| Numba build, one process, 2 threads: read {nb['read']:.1f} s, CSR {nb['csr']:.1f} s, proximity + features + PageRank + scores + write {nb['build']:.1f} s "
        f"| **{nb['total']:.1f} s** ({nb['cpu']:.0f} CPU-s), peak RSS {_mb(nb['peak'])} |",
        f"| | Dask build, {WORKERS} workers x 1 thread, {dk['blocks']} blocks ({phases}) "
        f"| **{dk['total']:.1f} s** ({dk['total'] / nb['total']:.1f}x the Numba build); CPU: workers {dk['worker_cpu']:.0f} s, client and scheduler {dk['client_cpu']:.0f} s "
        f"({(dk['worker_cpu'] + dk['client_cpu']) / nb['cpu']:.1f}x the Numba build's); peak RSS per worker {' / '.join(_mb(p) for p in dk['workers'])}, client {_mb(dk['client'])} |",
        f"| | parity (Dask index vs Numba index) | CSR, flags, hops, clusters identical; max abs difference: scores {diff['score_from']:.1e} / {diff['score_to']:.1e}, features {diff['features']:.1e}, risk {diff['risk']:.1e} |",
    ]
    if m == int(os.environ.get("TXFIREWALL_BENCH_DIST_EXTRAS_AT", "10000000")):
        dk_old = dask_build(old, labels, base / "old", WORKERS)
        up = dask_build(delta, labels, base / "updated", WORKERS, previous=base / "old")
        udiff = compare(base / "updated", base / "dask")
        ok = all(v == 0.0 for v in udiff.values())
        rows.append(
            f"| | incremental: the last {DELTA:.0%} of transfers ({int(m * DELTA):,}) added to the index of the other {1 - DELTA:.0%} (built in {dk_old['total']:.1f} s) "
            f"| **{up['total']:.1f} s** ({up['total'] / dk['total']:.0%} of the full Dask build: {', '.join(f'{name} {s:.1f}' for name, s in up['phases'])}); base features recomputed for {up['recomputed']:,} of {up['nodes']:,} addresses, "
            f"{up['rescored']:,} rescored; {'bit-identical to' if ok else 'max difference ' + str(udiff) + ' from'} the full build |"
        )
        one = dask_build(files, labels, base / "one", 1)
        rows.append(
            f"| | the same Dask build on 1 worker | {one['total']:.1f} s wall; CPU: worker {one['worker_cpu']:.0f} s, client and scheduler {one['client_cpu']:.0f} s; "
            f"peak RSS {_mb(one['workers'][0])} |"
        )
        client_cpu, worker_cpu = dk["client_cpu"], dk["worker_cpu"]
        projected = ", ".join(f"p = {p}: {client_cpu + worker_cpu / p:.0f} s" for p in (1, 2, 4, 8, 16))
        rows.append(
            f"| | projected wall time on p idle cores for the workers, T(p) = client + worker CPU / p (from the 2-worker run) "
            f"| {projected}; each added core saves "
            f"worker CPU / (p (p + 1)): {dk['worker_cpu'] / 2:.0f} s from 1 to 2, {dk['worker_cpu'] / 12:.0f} s from 3 to 4 |"
        )
    shutil.rmtree(base, ignore_errors=True)
    return rows


def run() -> list[str]:
    sizes = [int(s) for s in os.environ.get("TXFIREWALL_BENCH_DIST_EDGES", "1000000,10000000").split(",")]
    lines = [
        "## Address graph: the distributed build (Dask) against the Numba build",
        "",
        f"Generated power-law transfers with times over a year (`bench_graph.power_law_graph`), 0.1% of "
        f"addresses labelled phishing, written as Parquet files of {ROWS_PER_FILE:,} rows; the whole build "
        f"with the shipped risk model, on this {os.cpu_count()}-core machine. See docs/graph_at_scale.md.",
        "",
        "| graph | build | time, memory |",
        "|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(dir=os.environ.get("TXFIREWALL_BENCH_SCRATCH")) as tmp:
        for m in sizes:
            lines += bench(m, Path(tmp))
    load = os.getloadavg()
    lines += ["", f"Load average over the last 1 / 5 minutes when it finished: {load[0]:.1f} / {load[1]:.1f}."]
    lines.append("Run alone with `python bench/bench_graph_dist.py` (`TXFIREWALL_BENCH_DIST_EDGES` sets the sizes).")
    return [*lines, ""]


if __name__ == "__main__":
    print("\n".join(run()))
