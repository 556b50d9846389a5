"""``txfirewall graph build|scan|proximity``: the address graph from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from txfirewall.cli.exit_codes import EXIT_ENVIRONMENT, EXIT_USAGE
from txfirewall.errors import EnvironmentFailure, InputFileError
from txfirewall.model.text import terminal_safe


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    graph = sub.add_parser("graph", help="address graph: build, scan a node, proximity to illicit seeds")
    gsub = graph.add_subparsers(dest="graph_command", required=True)
    build = gsub.add_parser("build", help="edge files + labels -> graph directory with proximity precomputed")
    build.add_argument(
        "--edges",
        type=Path,
        action="append",
        required=True,
        help="transfers: CSV / JSON lines (.gz ok) / Parquet; repeatable",
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
    graph, arrays = build_from_files(
        args.edges, labels, args.out, params, risk_model=model, with_risk=model is not None
    )
    seeds = int(((arrays.flags & 1) != 0).sum())
    scored = "" if model is None else ", risk scored"
    print(
        f"graph: {graph.n_nodes} addresses, {graph.n_edges} edges, {seeds} illicit seeds in the graph, "
        f"{int(arrays.seed_cluster.max(initial=-1)) + 1} clusters{scored} -> {args.out} "
        f"({time.perf_counter() - started:.1f} s)"
    )
    return 0


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
