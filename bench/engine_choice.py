"""Which engine first: the same two steps on the same Parquet files with Spark (PySpark,
``local[2]``) and with Dask (``graph.distributed``, a local cluster of 2 workers), on this
machine. Not part of ``make bench`` (it needs PySpark and a JVM, which the project does not
install); the numbers it printed are in docs/graph_at_scale.md.

Steps: (1) read the edge files and merge parallel transfers per (from, to) (sum of values, count,
earliest time), with the degrees; (2) hops from 0.1% seeds both ways, 4 levels (Spark: one join and
one group-by per level and direction, the DataFrame way; Dask: the distributed build's pull BFS
over its blocks, which also numbers the addresses and builds both CSR sides first).

    python bench/engine_choice.py write DIR [EDGES]     # the files (project venv)
    python bench/engine_choice.py dask DIR              # project venv with the dask extra
    SPARK_PYTHON=... python bench/engine_choice.py spark DIR   # a venv with pyspark, Java 17+
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def peak_children_kb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def run_spark(directory: Path) -> dict[str, float]:
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    t0 = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.memory", "6g")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    start_s = time.perf_counter() - t0
    seeds = [line.split(",")[0] for line in (directory / "labels.csv").read_text().splitlines()[1:]]
    t0 = time.perf_counter()
    raw = spark.read.parquet(str(directory / "edges"))
    edges = (
        raw.groupBy("from", "to")
        .agg(F.sum(F.col("value").cast("double")).alias("w"), F.count("*").alias("c"), F.min("timestamp").alias("t"))
        .cache()
    )
    m = edges.count()
    degree = edges.select(F.col("from").alias("a")).union(edges.select(F.col("to").alias("a"))).groupBy("a").count()
    n = degree.count()
    merge_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    seed_df = spark.createDataFrame([(s, i) for i, s in enumerate(seeds)], ["node", "cluster"]).cache()
    reached = {}
    for src, dst in (("from", "to"), ("to", "from")):
        visited = seed_df.withColumn("hops", F.lit(0))
        frontier = seed_df
        for level in range(1, 5):
            step = (
                frontier.join(edges, frontier.node == edges[src])
                .select(F.col(dst).alias("node"), "cluster")
                .groupBy("node")
                .agg(F.min("cluster").alias("cluster"))
                .join(visited.select("node"), "node", "left_anti")
                .cache()
            )
            step.count()
            visited = visited.unionByName(step.withColumn("hops", F.lit(level))).cache()
            visited.count()
            frontier = step
        reached[src] = visited.count()
    hops_s = time.perf_counter() - t0
    spark.stop()
    return {
        "start": start_s,
        "merge": merge_s,
        "hops": hops_s,
        "edges": m,
        "nodes": n,
        "reached_from": reached["from"],
        "reached_to": reached["to"],
        "jvm_peak_mb": peak_children_kb() / 1024,
    }


def run_dask(directory: Path) -> dict[str, float]:
    from txfirewall.enrich.labels import load_labels
    from txfirewall.graph.distributed import build_distributed, dask_client

    labels = load_labels(directory / "labels.csv")
    t0 = time.perf_counter()
    with dask_client(workers=2) as client:
        start_s = time.perf_counter() - t0
        s = build_distributed(
            client, [str(directory / "edges")], labels, directory / "dask_out", with_risk=False, timed=True
        )
        peaks = client.run(_peak)
    phases = dict(s.phases)
    return {
        "start": start_s,
        "merge": phases["read, merge, blocks"],
        "hops": phases["hops both ways"],
        "edges": s.edges,
        "nodes": s.nodes,
        "worker_peak_mb": max(peaks.values()) / 2**20,
    }


def _peak() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def write(directory: Path, m: int) -> None:
    from bench.bench_graph_dist import write_graph

    _old, _delta, labels, _n = write_graph(m, directory / "edges")
    labels.rename(directory / "labels.csv")


if __name__ == "__main__":
    what, where = sys.argv[1], Path(sys.argv[2])
    if what == "write":
        write(where, int(sys.argv[3]) if len(sys.argv) > 3 else 10_000_000)
    else:
        result = run_spark(where) if what == "spark" else run_dask(where)
        print(json.dumps({"engine": what, "cpus": os.cpu_count(), **result}))
