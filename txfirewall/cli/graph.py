"""``txfirewall graph build|scan|proximity``: the address graph from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from txfirewall.cli.exit_codes import EXIT_ENVIRONMENT, EXIT_USAGE
from txfirewall.errors import EnvironmentFailure, InputFileError
from txfirewall.model.text import terminal_safe


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    graph = sub.add_parser("graph", help="address graph: build, scan a node, proximity to illicit seeds")
    gsub = graph.add_subparsers(dest="graph_command", required=True)
    build = gsub.add_parser("build", help="edge files + labels -> graph directory with proximity precomputed")
    build.add_argument(
        "--edges",
        action="append",
        required=True,
        help="transfers: CSV / JSON lines (.gz ok) / Parquet; repeatable. With --engine dask: files, "
        "directories or globs of Parquet / CSV, local or any fsspec URL (s3://..., gs://...)",
    )
    build.add_argument(
        "--labels", type=Path, action="append", default=[], help="labels CSV address,label[,source]; repeatable"
    )
    build.add_argument("--out", type=Path, required=True)
    build.add_argument("--store", type=Path, help="also use this intel store (imports, allow/deny lists)")
    build.add_argument("--no-shipped-intel", action="store_true", help="seed only from --labels / --store")
    build.add_argument("--max-hops", type=int, default=4)
    build.add_argument("--decay", type=float, default=0.5)
    build.add_argument("--hub-degree", type=int, default=1000)
    build.add_argument(
        "--risk-model", type=Path, help="score with this model (`make train`) instead of the shipped one"
    )
    build.add_argument("--no-risk", action="store_true", help="skip the risk features and model (proximity only)")
    build.add_argument(
        "--engine",
        choices=("numba", "dask"),
        default="numba",
        help="numba: this machine (default); dask: a Dask cluster (pip install 'txfirewall[dask]'), "
        "same index, see docs/graph_at_scale.md",
    )
    build.add_argument("--scheduler", help="dask: the scheduler to use (tcp://host:8786); default a local cluster")
    build.add_argument("--workers", type=int, help="dask, local cluster: worker processes (default: one per core)")
    build.add_argument("--blocks", type=int, help="dask: node blocks (default: two per worker thread)")
    build.add_argument(
        "--update",
        type=Path,
        metavar="DIR",
        help="dask: add the --edges (a delta) to the graph built in DIR, writing --out, without reading "
        "the old edges again (equal to a full build of all of them)",
    )
    scan = gsub.add_parser("scan", help="scan blocks of an RPC node into an edge file (resumable)")
    scan.add_argument("--rpc", required=True)
    scan.add_argument("--from-block", type=int, default=0)
    scan.add_argument("--to-block", type=int, help="default: the head")
    scan.add_argument("--out", type=Path, required=True, help="edges, JSON lines")
    scan.add_argument("--chunk", type=int, default=100)
    prox = gsub.add_parser("proximity", help="hops, score, path, cluster and risk of addresses")
    prox.add_argument("addresses", nargs="+")
    prox.add_argument("--graph", type=Path, required=True)
    prox.add_argument("--json", action="store_true")


def _build(args: argparse.Namespace) -> int:
    from txfirewall.enrich.labels import load_labels
    from txfirewall.graph.build import build_from_files
    from txfirewall.graph.proximity import ProximityParams
    from txfirewall.graph.risk import RiskModel
    from txfirewall.intel.store import IntelStore
    from txfirewall.model.facts import Label
    from txfirewall.model.primitives import Address

    started = time.perf_counter()
    labels: dict[Address, tuple[Label, ...]] = {}
    if not args.no_shipped_intel or args.store:
        with IntelStore(args.store, shipped=not args.no_shipped_intel) as store:
            labels.update(store.all_labels())
    for path in args.labels:
        for address, items in load_labels(path).items():
            labels[address] = labels.get(address, ()) + items
    params = ProximityParams(max_hops=args.max_hops, decay=args.decay, hub_degree=args.hub_degree)
    model = None if args.no_risk else RiskModel.load(args.risk_model)
    scored = "" if model is None else ", risk scored"
    if args.engine == "dask":
        summary = _build_dask(args, labels, params, model)
        nodes, edges, seeds, clusters = summary.nodes, summary.edges, summary.seeds, summary.clusters
        scored += f", {summary.blocks} blocks on dask"
        if summary.recomputed_rows is not None:
            scored += f", base features recomputed for {summary.recomputed_rows} addresses"
        if summary.rescored is not None:
            scored += f", {summary.rescored} rescored"
    else:
        if args.update is not None or args.scheduler or args.workers or args.blocks:
            raise InputFileError("--update, --scheduler, --workers and --blocks need --engine dask")
        graph, arrays = build_from_files(
            [Path(e) for e in args.edges], labels, args.out, params, risk_model=model, with_risk=model is not None
        )
        nodes, edges = graph.n_nodes, graph.n_edges
        seeds = int(((arrays.flags & 1) != 0).sum())
        clusters = int(arrays.seed_cluster.max(initial=-1)) + 1
    print(
        f"graph: {nodes} addresses, {edges} edges, {seeds} illicit seeds in the graph, "
        f"{clusters} clusters{scored} -> {args.out} ({time.perf_counter() - started:.1f} s)"
    )
    return 0


def _build_dask(args: argparse.Namespace, labels: Any, params: Any, model: Any) -> Any:
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise EnvironmentFailure(
            "--engine dask needs Dask", hint="pip install 'txfirewall[dask]' (dask.distributed and pyarrow)"
        ) from exc
    from txfirewall.graph.distributed import build_distributed, dask_client, update_distributed

    with dask_client(args.scheduler, args.workers) as client:
        if args.update is not None:
            return update_distributed(
                client,
                args.update,
                args.edges,
                labels,
                args.out,
                params,
                risk_model=model,
                with_risk=model is not None,
                blocks=args.blocks,
            )
        return build_distributed(
            client,
            args.edges,
            labels,
            args.out,
            params,
            risk_model=model,
            with_risk=model is not None,
            blocks=args.blocks,
        )


def _scan(args: argparse.Namespace) -> int:
    from txfirewall.chain.rpc_client import RpcClient
    from txfirewall.graph.rpc_scan import scan_blocks

    def show(done: int, total: int, edges: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        print(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} blocks, {edges} edges",
            end="" if done < total else "\n",
            file=sys.stderr,
            flush=True,
        )

    async def go() -> int:
        async with RpcClient(args.rpc, timeout=60.0) as client:
            last = args.to_block if args.to_block is not None else int(await client.call("eth_blockNumber", []), 16)
            return await scan_blocks(client, args.from_block, last, args.out, chunk=args.chunk, progress=show)

    import asyncio

    written = asyncio.run(go())
    print(f"wrote {written} edges to {args.out}")
    return 0


def _proximity(args: argparse.Namespace) -> int:
    from txfirewall.graph.index import ProximityIndex
    from txfirewall.model.primitives import is_address

    index = ProximityIndex.open(args.graph)
    rows = []
    for address in args.addresses:
        if not is_address(address):
            raise InputFileError(f"not an address: {address!r}")
        found = index.lookup(address)
        if found is None:
            rows.append(
                {
                    "address": address,
                    "in_graph": False,
                    "hops": None,
                    "hops_from_illicit": None,
                    "hops_to_illicit": None,
                    "score": 0.0,
                    "path": [],
                    "cluster": None,
                    "risk": None,
                    "reasons": [],
                    "first_seen": None,
                }
            )
        else:
            rows.append(
                {
                    "address": found.address,
                    "in_graph": True,
                    **found.proximity.to_json(),
                    "first_seen": found.first_seen,
                }
            )
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for row in rows:
            where = (
                "not in the graph"
                if not row["in_graph"]
                else (
                    "no illicit trail within the hop bound"
                    if row["hops"] is None
                    else f"{row['hops']} hop(s) (from illicit: {row['hops_from_illicit']}, to illicit: {row['hops_to_illicit']}), "
                    f"score {row['score']:.3f}"
                )
            )
            print(terminal_safe(f"{row['address']}: {where}"))
            if row["risk"] is not None:
                reasons = ": " + "; ".join(row["reasons"]) if row["reasons"] else ""
                print(terminal_safe(f"  risk {row['risk']:.2f}{reasons}"))
            if row["path"]:
                print(terminal_safe("  path: " + " -> ".join(row["path"])))
            if row["cluster"]:
                c = row["cluster"]
                print(terminal_safe(f"  cluster {c['id']}: {c['size']} seeds, {', '.join(c['categories'])}"))
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        if args.graph_command == "build":
            return _build(args)
        if args.graph_command == "scan":
            return _scan(args)
        return _proximity(args)
    except (InputFileError, ValueError) as exc:
        print(f"txfirewall: {terminal_safe(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except EnvironmentFailure as exc:
        print(f"txfirewall: {terminal_safe(str(exc))}", file=sys.stderr)
        return EXIT_ENVIRONMENT
