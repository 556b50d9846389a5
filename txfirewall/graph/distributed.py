"""``graph build --engine dask``: the whole build (merge edges, seeds, hops both ways, clusters,
exposure, risk features, propagation, scores) on a Dask cluster, written as the same index the
single-machine build writes (``CsrGraph``, ``ProximityArrays``, ``clusters.json``, ``RiskArrays``).

The data is cut into *blocks*, contiguous ranges of node ids (``graph.blocks``). What runs where:

- reading and parsing the edge files: one task per file, on the workers;
- routing transfers to their sender's block, merging parallel transfers, building both CSR sides
  and giving every address its id: shuffles between blocks (each a task per pair of blocks);
- flags, degrees, base features, neighbour aggregates, scoring: per block;
- hops, exposure and PageRank: one task per block per round, with the neighbour values of the last
  round fetched from the blocks that own them (one small task per pair of neighbouring blocks);
  the rounds are submitted at once and run without the client waiting between them;
- seed clusters: each block lists the links between seeds that its rows show; the link list
  (bounded by the transfers that touch seeds, a few per seed) is gathered and its components found
  on the client;
- writing: the client fetches one block at a time and writes it into the ``.npy`` files at its
  offset, so it holds one block, never the graph.

The incremental update (``update_distributed``) starts from a built index and a delta of edge
files: see ``docs/graph_at_scale.md`` for what it reuses and what it recomputes.

Data goes to the workers through ``_scatter`` only (see why there).
"""

from __future__ import annotations

import json
import operator
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from txfirewall.errors import InputFileError
from txfirewall.graph import blocks as B
from txfirewall.graph import edge_files
from txfirewall.graph.build import UNPLACED_CONTRACTS as UNPLACED
from txfirewall.graph.clusters import clusters_json, summarise_seed_clusters
from txfirewall.graph.csr import FORMAT_VERSION
from txfirewall.graph.features import AGGREGATED, BASE_FEATURES, PropagationParams
from txfirewall.graph.proximity import ProximityParams
from txfirewall.graph.risk import RiskModel
from txfirewall.intel.categories import is_seed, is_service
from txfirewall.model.facts import Label
from txfirewall.model.primitives import Address

_WHOLE = 4
"""A block takes another block's values whole when it needs at least 1/_WHOLE of them."""
_SAMPLE = 256
"""Sampled keys per input file for choosing the block boundaries."""


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A client of the cluster at ``scheduler`` (``tcp://host:8786``), or of a local cluster of
    ``workers`` processes (one thread each; default: one per core) started for this build."""
    import distributed

    Client: Any = distributed.Client
    LocalCluster: Any = distributed.LocalCluster
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    n = workers or os.cpu_count() or 1
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@dataclass(frozen=True)
class DistributedSummary:
    nodes: int
    edges: int
    seeds: int
    clusters: int
    blocks: int
    rescored: int | None = None
    recomputed_rows: int | None = None
    phases: tuple[tuple[str, float], ...] = ()
    """Seconds per phase, when the build was ``timed`` (a barrier after each phase)."""


class _Run:
    """One build on one client: the blocks' futures and the rounds submitted on them."""

    def __init__(self, client: Any, timed: bool = False) -> None:
        self.client = client
        self.timed = timed
        self.phases: list[tuple[str, float]] = []
        self.last = time.perf_counter()
        self.blocks: list[Any] = []
        self.recv: list[list[int]] = []
        self.whole: list[list[bool]] = []
        self.sizes: list[int] = []

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def each(self, fn: Callable[..., Any], *per_block: Sequence[Any], extra: Sequence[Any] = ()) -> list[Any]:
        """``fn(blocks[k], per_block[0][k], ..., *extra)`` for every block."""
        return [self.submit(fn, b, *(p[k] for p in per_block), *extra) for k, b in enumerate(self.blocks)]

    def exchange(self, own: Sequence[Any]) -> list[list[Any]]:
        """For each block, the pieces of ``own`` (values per row of each block) it needs: cut by a
        task on the owner when the block needs few of the owner's rows, else the owner's values
        whole (one task per owner strips a step's state down to the exchanged values, so the other
        arrays of the state never travel)."""
        whole: dict[int, Any] = {}

        def values(j: int) -> Any:
            if j not in whole:
                whole[j] = self.submit(B.payload, own[j])
            return whole[j]

        return [
            [
                values(j) if self.whole[k][i] else self.submit(B.take, self.blocks[j], own[j], k)
                for i, j in enumerate(self.recv[k])
            ]
            for k in range(len(self.blocks))
        ]

    def gather(self, futures: Any) -> Any:
        return self.client.gather(futures)

    def mark(self, phase: str, futures: Sequence[Any]) -> None:
        """End of a phase: when timed, wait for ``futures`` and note the time since the last."""
        if self.timed:
            import distributed

            wait: Any = distributed.wait
            wait([f for f in futures if f is not None])
            now = time.perf_counter()
            self.phases.append((phase, now - self.last))
            self.last = now

    def plan_exchanges(self) -> None:
        """Which blocks each block needs values from, and the rows each block sends to each."""
        found = self.gather([self.submit(_recv_of, b) for b in self.blocks])
        k = len(self.blocks)
        self.recv = [[j for j, _size in f] for f in found]
        self.whole = [[size * _WHOLE >= self.sizes[j] for j, size in f] for f in found]
        need = {(a, j): self.submit(B.needs, self.blocks[a], j) for a in range(k) for j in self.recv[a]}
        senders = [[a for a in range(k) if j in self.recv[a]] for j in range(k)]
        self.blocks = [
            self.submit(B.with_sends, self.blocks[j], senders[j], *(need[a, j] for a in senders[j])) for j in range(k)
        ]

    # --- graph ------------------------------------------------------------------------------------

    def route(self, urls: Sequence[str], splitters: Any, k: int) -> list[list[Any]]:
        """Per block, the routed share of every file (in file order)."""
        parts = [self.submit(edge_files.read_batch, u) for u in urls]
        return self._route_parts(parts, splitters, k)

    def _route_parts(self, parts: Sequence[Any], splitters: Any, k: int) -> list[list[Any]]:
        routed = [self.submit(B.route_batch, p, splitters) for p in parts]
        return [[self.submit(operator.getitem, r, b) for r in routed] for b in range(k)]

    def merge(
        self, pieces: list[list[Any]], tables: list[Any], bounds: np.ndarray, splitters: Any
    ) -> tuple[list[Any], list[Any], list[list[Any]]]:
        """(merged out-sides, in-sides, replies[k][j]) of the transfers in ``pieces``."""
        k = len(tables)
        merged = [self.submit(B.merge_transfers, tables[b], splitters, *pieces[b]) for b in range(k)]
        insides = [
            self.submit(
                B.merge_in,
                tables[j],
                int(bounds[j]),
                *(self.submit(B.in_piece, merged[a], int(bounds[a]), j) for a in range(k)),
            )
            for j in range(k)
        ]
        replies = [[self.submit(_reply, insides[j], a) for j in range(k)] for a in range(k)]
        return merged, insides, replies

    # --- proximity --------------------------------------------------------------------------------

    def bfs(self, flags: list[Any], seed_cluster: list[Any], forward: bool, max_hops: int) -> list[Any]:
        state = [self.submit(B.bfs_start, seed_cluster[k], flags[k]) for k in range(len(self.blocks))]
        for level in range(max_hops):
            pieces = self.exchange(state)
            state = [
                self.submit(B.bfs_step, b, state[k], flags[k], level, forward, *pieces[k])
                for k, b in enumerate(self.blocks)
            ]
        return state

    def exposure(
        self, flags: list[Any], relay: list[Any], hops: list[Any], forward: bool, params: ProximityParams
    ) -> list[Any]:
        start = self.each(B.exposure_start, flags, extra=(forward,))
        t = [self.submit(operator.getitem, s, 1) for s in start]
        for _ in range(params.max_hops):
            pieces = self.exchange(t)
            t = [
                self.submit(
                    B.exposure_step, b, t[k], start[k], flags[k], relay[k], hops[k], forward, params.decay, *pieces[k]
                )
                for k, b in enumerate(self.blocks)
            ]
        return t

    def ppr(self, flags: list[Any], seeds: int, n: int, params: PropagationParams) -> list[Any]:
        """The four walks of ``blocks.WALKS`` together, one task per block and round."""
        start = self.each(B.ppr_start, flags, extra=(seeds,))
        state = [self.submit(B.ppr_begin, s) for s in start]
        control: Any = (np.full(len(B.WALKS), -1.0), np.ones(len(B.WALKS), dtype=bool))
        for r in range(params.max_iter):
            control = self.submit(B.ppr_control, control, n, params.alpha, params.tol, r == 0, *state)
            pieces = self.exchange(state)
            state = [
                self.submit(B.ppr_step, blk, state[b], start[b], control, params.alpha, *pieces[b])
                for b, blk in enumerate(self.blocks)
            ]
        return state


def _recv_of(block: B.Block) -> list[tuple[int, int]]:
    return [(j, b - a) for j, a, b in block.recv]


def _reply(inside: B.InSide, k: int) -> np.ndarray:
    return inside.replies[k]


def _contracts(*routed: B.Routed) -> np.ndarray:
    return np.unique(np.concatenate([np.empty(0, "S20"), *(r.contracts for r in routed)]))


def _size(x: Any) -> int:
    return len(x)


def _label_arrays(
    labels: Mapping[Address, tuple[Label, ...]],
) -> tuple[np.ndarray, list[Address], np.ndarray, np.ndarray]:
    addresses = sorted(labels)
    keys = np.array([bytes.fromhex(a[2:]) for a in addresses], dtype="S20") if addresses else np.empty(0, "S20")
    seed = np.array([is_seed(labels[a]) for a in addresses], dtype=bool)
    service = np.array([is_service("", labels[a]) for a in addresses], dtype=bool)
    return keys, addresses, seed, service


def _scatter(client: Any, value: Any, *, broadcast: bool = True) -> Any:
    """``value`` placed on the workers under a key of its own. Dask's default names scattered data
    by a hash of its content, so two builds on one client scattering equal arrays (the empty
    splitters of one block, say) share a key, and the first build releasing its future drops the
    data under the second one's tasks ("lost dependencies"): hence ``hash=False``."""
    return client.scatter(value, broadcast=broadcast, hash=False)


def default_blocks(client: Any) -> int:
    """Two blocks per worker thread: a straggler block costs half a worker."""
    threads = sum(client.nthreads().values()) or 1
    return 2 * threads


def build_distributed(
    client: Any,
    edge_specs: Sequence[str],
    labels: Mapping[Address, tuple[Label, ...]],
    out: Path,
    params: ProximityParams = ProximityParams(),
    *,
    risk_model: RiskModel | None = None,
    with_risk: bool = True,
    blocks: int | None = None,
    timed: bool = False,
) -> DistributedSummary:
    """The full build of ``edge_specs`` (files, directories, globs, fsspec URLs) on ``client``'s
    cluster, written to ``out``."""
    urls = edge_files.expand_paths(edge_specs)
    run = _Run(client, timed)
    k = blocks or default_blocks(client)
    parts = [run.submit(edge_files.read_batch, u) for u in urls]
    samples = run.gather([run.submit(B.sample_keys, p, _SAMPLE) for p in parts])
    splitters_np = B.choose_splitters(samples, k)
    k = splitters_np.size + 1
    splitters = _scatter(client, splitters_np)
    pieces = run._route_parts(parts, splitters, k)
    del parts
    tables = [run.submit(B.address_table, *pieces[b]) for b in range(k)]
    counts = run.gather([run.submit(_size, t) for t in tables])
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    merged, insides, replies = run.merge(pieces, tables, bounds, splitters)
    contracts = [run.submit(_contracts, *pieces[b]) for b in range(k)]
    run.blocks = [
        run.submit(B.make_block, b, bounds, tables[b], merged[b], insides[b], contracts[b], *replies[b])
        for b in range(k)
    ]
    del pieces, tables, merged, insides, replies, contracts
    run.sizes = [int(x) for x in np.diff(bounds)]
    run.plan_exchanges()
    run.mark("read, merge, blocks", run.blocks)
    model = (risk_model if risk_model is not None else RiskModel.load()) if with_risk else None
    return _finish(run, bounds, labels, out, params, model, with_risk)


def update_distributed(
    client: Any,
    previous: Path,
    edge_specs: Sequence[str],
    labels: Mapping[Address, tuple[Label, ...]],
    out: Path,
    params: ProximityParams = ProximityParams(),
    *,
    risk_model: RiskModel | None = None,
    with_risk: bool = True,
    blocks: int | None = None,
    timed: bool = False,
) -> DistributedSummary:
    """The index of ``previous``'s edges plus those of ``edge_specs`` (a delta), written to
    ``out`` (a new directory: ``previous`` is read while it is written), equal to a full build of
    all the edges: the old edges are not read again (the previous index is the merged state), base
    features are recomputed only for the rows the delta touches (and rows next to a node whose
    seed or contract flag changed), risk is rescored only for rows whose features changed; hops,
    clusters, exposure, PageRank and neighbour aggregates run again over the merged graph (see
    ``docs/graph_at_scale.md``)."""
    from txfirewall.graph.csr import CsrGraph
    from txfirewall.graph.proximity import SEED, ProximityArrays
    from txfirewall.graph.risk import RiskArrays

    if out.resolve() == previous.resolve():
        raise InputFileError("the update writes a new directory: --out must differ from --update")
    graph = CsrGraph.load(previous)
    old_arrays, _old_params = ProximityArrays.load(previous)
    old_risk = RiskArrays.load(previous)
    model = (risk_model if risk_model is not None else RiskModel.load()) if with_risk else None
    reuse = _reusable_base(old_risk.model if old_risk else None)
    same_model = model is not None and old_risk is not None and old_risk.model.to_json() == model.to_json()
    urls = edge_files.expand_paths(edge_specs)
    run = _Run(client, timed)
    n_old = graph.n_nodes
    k = min(blocks or default_blocks(client), max(1, n_old))
    ends = np.asarray(graph.out_indptr) + np.asarray(graph.in_indptr)
    cut = np.searchsorted(ends, (np.arange(1, k) * int(ends[-1])) // k)
    old_bounds = np.unique(np.concatenate([[0], cut, [n_old]])).astype(np.int64)
    k = old_bounds.size - 1
    splitters_np = np.asarray(graph.addresses[old_bounds[1:-1]])
    splitters = _scatter(client, splitters_np)
    old = []
    unplaced = read_unplaced(previous)
    unplaced_block = B.block_of(unplaced, splitters_np)
    for b in range(k):
        prev = _read_previous(
            graph, old_arrays.flags, old_risk if reuse else None, int(old_bounds[b]), int(old_bounds[b + 1]), SEED
        )
        prev = replace(prev, unplaced=unplaced[unplaced_block == b])
        old.append(_scatter(client, prev, broadcast=False))
    pieces = run.route(urls, splitters, k)
    fresh = [run.submit(B.new_addresses, old[b], *pieces[b]) for b in range(k)]
    inserted = run.gather([run.submit(operator.getitem, f, 1) for f in fresh])
    ins = np.concatenate([np.empty(0, np.int64), *inserted])
    counts = np.diff(old_bounds) + np.array([x.size for x in inserted], dtype=np.int64)
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    ins_f = _scatter(client, ins)
    tables = [run.submit(operator.getitem, f, 0) for f in fresh]
    merged, insides, replies = run.merge(pieces, tables, bounds, splitters)
    contracts = [run.submit(_contracts, *pieces[b]) for b in range(k)]
    updated = [
        run.submit(
            B.update_block, b, bounds, tables[b], old[b], ins_f, merged[b], insides[b], contracts[b], *replies[b]
        )
        for b in range(k)
    ]
    run.blocks = [run.submit(operator.getitem, u, 0) for u in updated]
    del pieces, tables, merged, insides, replies, contracts, fresh, old
    run.sizes = [int(x) for x in np.diff(bounds)]
    run.plan_exchanges()
    run.mark("read, merge, blocks", run.blocks)
    incremental = B.Incremental(reuse and old_risk is not None, same_model)
    return _finish(run, bounds, labels, out, params, model, with_risk, updated=updated, incremental=incremental)


def _reusable_base(model: RiskModel | None) -> bool:
    """The previous index keeps every base feature the update needs (the model's and the
    aggregated ones) among its stored columns."""
    if model is None:
        return False
    needed = {f for f in model.features if f in BASE_FEATURES} | {f for f in AGGREGATED if f in BASE_FEATURES}
    return needed <= set(model.features)


def read_unplaced(directory: Path) -> np.ndarray:
    """The contracts a build saw that were not nodes (none for an index built before this file)."""
    path = directory / UNPLACED
    return np.load(path) if path.exists() else np.empty(0, "S20")


def _read_previous(graph: Any, flags: np.ndarray, risk: Any, lo: int, hi: int, seed_bit: int) -> B.Previous:
    o0, o1 = int(graph.out_indptr[lo]), int(graph.out_indptr[hi])
    i0, i1 = int(graph.in_indptr[lo]), int(graph.in_indptr[hi])
    contract = np.asarray(graph.is_contract[lo:hi], dtype=bool)
    bits = (np.asarray(flags[lo:hi]) & seed_bit) | (contract.astype(np.uint8) * np.uint8(B.CONTRACT))
    return B.Previous(
        lo,
        np.array(graph.addresses[lo:hi]),
        np.asarray(graph.out_indptr[lo : hi + 1]) - o0,
        np.asarray(graph.out_indices[o0:o1], dtype=np.int64),
        np.array(graph.out_weight[o0:o1]),
        np.array(graph.out_count[o0:o1]),
        np.array(graph.out_time[o0:o1]),
        np.asarray(graph.in_indptr[lo : hi + 1]) - i0,
        np.asarray(graph.in_indices[i0:i1], dtype=np.int64),
        np.array(graph.in_weight[i0:i1]),
        np.array(graph.in_count[i0:i1]),
        np.array(graph.in_time[i0:i1]),
        np.array(graph.first_seen[lo:hi]),
        bits.astype(np.uint8),
        np.empty(0, "S20"),
        None if risk is None else _base_from(risk.model, np.asarray(risk.features[lo:hi])),
        None if risk is None else np.array(risk.risk[lo:hi]),
    )


def _base_from(model: RiskModel, x: np.ndarray) -> np.ndarray:
    """The model's stored columns laid out as ``BASE_FEATURES`` (NaN where the model has none)
    next to the stored columns themselves: ``[base | model columns]``."""
    base = np.full((x.shape[0], len(BASE_FEATURES)), np.nan, dtype=np.float32)
    for i, name in enumerate(BASE_FEATURES):
        if name in model.features:
            base[:, i] = x[:, model.features.index(name)]
    return np.concatenate([base, x.astype(np.float32)], axis=1)


def _finish(
    run: _Run,
    bounds: np.ndarray,
    labels: Mapping[Address, tuple[Label, ...]],
    out: Path,
    params: ProximityParams,
    model: RiskModel | None,
    with_risk: bool,
    *,
    updated: list[Any] | None = None,
    incremental: B.Incremental | None = None,
) -> DistributedSummary:
    """Everything after the graph: flags, clusters, hops, exposure, features, scores, the index."""
    from txfirewall.graph.build import propagation_params

    client = run.client
    k = len(run.blocks)
    n = int(bounds[-1])
    keys_np, addresses, seed_key, service_key = _label_arrays(labels)
    keys = _scatter(client, keys_np)
    flags = run.each(B.node_flags, extra=(keys, seed_key, service_key, params.hub_degree))
    bits = run.each(B.node_bits, flags)
    bit_pieces = run.exchange(bits)
    links = [run.submit(B.seed_links, run.blocks[b], flags[b], *bit_pieces[b]) for b in range(k)]
    seeds_per_block = run.each(B.seed_rows, flags)
    hits = run.each(B.label_rows, extra=(keys,))
    found = run.gather([*links, *seeds_per_block, *hits])
    pairs, seed_lists, hit_lists = found[:k], found[k : 2 * k], found[2 * k :]
    seeds = np.concatenate([np.empty(0, np.int64), *seed_lists])
    a = np.concatenate([np.empty(0, np.int64), *(p[0] for p in pairs)])
    b_ = np.concatenate([np.empty(0, np.int64), *(p[1] for p in pairs)])
    cluster = B.clusters_of_seeds(seeds, a, b_)
    seeds_f, cluster_f = _scatter(client, [seeds, cluster])
    seed_cluster = run.each(B.seed_cluster_rows, extra=(seeds_f, cluster_f))
    run.mark("flags, seeds, clusters", seed_cluster)
    relay = [run.submit(B.relay_local, run.blocks[b], flags[b], *p) for b, p in enumerate(run.exchange(flags))]
    hops_from = run.bfs(flags, seed_cluster, True, params.max_hops)
    hops_to = run.bfs(flags, seed_cluster, False, params.max_hops)
    score_from = run.exposure(flags, relay, hops_from, True, params)
    run.mark("hops both ways", [*hops_from, *hops_to])
    score_to = run.exposure(flags, relay, hops_to, False, params)
    run.mark("exposure both ways", [*score_from, *score_to])
    scored: list[Any] = [None] * k
    rescored = recomputed = None
    if with_risk and model is not None:
        propagation = propagation_params(model)
        ppr = run.ppr(flags, int(seeds.size), n, propagation)
        run.mark("PageRank x4", ppr)
        if updated is not None and incremental is not None and incremental.reuse_base:
            changed = [run.submit(B.changed_bits, u, bits[b]) for b, u in enumerate(updated)]
            dirty = [
                run.submit(B.dirty_rows, run.blocks[b], updated[b], changed[b], *p)
                for b, p in enumerate(run.exchange(changed))
            ]
            base = [
                run.submit(B.base_features_update, run.blocks[b], flags[b], dirty[b], updated[b], *bit_pieces[b])
                for b in range(k)
            ]
            recomputed = int(sum(run.gather([run.submit(_size, d) for d in dirty])))
        else:
            base = [run.submit(B.base_features_all, run.blocks[b], flags[b], *bit_pieces[b]) for b in range(k)]
        matrix = [
            run.submit(
                B.fill_columns,
                base[b],
                int(seeds.size),
                hops_from[b],
                hops_to[b],
                score_from[b],
                score_to[b],
                ppr[b],
            )
            for b in range(k)
        ]
        agg = [run.submit(B.aggregated, m) for m in matrix]
        matrix = [
            run.submit(B.neighbour_aggregates, run.blocks[b], matrix[b], *p) for b, p in enumerate(run.exchange(agg))
        ]
        run.mark("features", matrix)
        model_f = _scatter(client, model)
        if updated is not None and incremental is not None and incremental.same_model:
            scored = [run.submit(B.score_update, model_f, matrix[b], flags[b], updated[b]) for b in range(k)]
        else:
            scored = [run.submit(B.score_all, model_f, matrix[b], flags[b]) for b in range(k)]
        if updated is not None and incremental is not None and incremental.same_model:
            rescored = int(sum(run.gather([run.submit(operator.getitem, s, 2) for s in scored])))
        run.mark("scoring", scored)
    exports = [
        run.submit(
            B.export,
            run.blocks[b],
            flags[b],
            seed_cluster[b],
            hops_from[b],
            hops_to[b],
            score_from[b],
            score_to[b],
            scored[b],
            params.max_hops,
        )
        for b in range(k)
    ]
    edges = run.gather([run.submit(B.edge_counts, blk) for blk in run.blocks])
    node_labels = {int(g): labels[addresses[int(i)]] for hl in hit_lists for g, i in zip(*hl, strict=True)}
    clusters = summarise_seed_clusters(seeds, cluster, node_labels)
    _write_index(run, exports, out, n, edges, params, model if with_risk else None)
    (out / "clusters.json").write_text(json.dumps(clusters_json(clusters), indent=1) + "\n")
    run.mark("write the index", [])
    return DistributedSummary(
        n,
        int(sum(e[0] for e in edges)),
        int(seeds.size),
        int(cluster.max(initial=-1)) + 1,
        k,
        rescored,
        recomputed,
        tuple(run.phases),
    )


_GRAPH = (
    ("addresses", "S20"),
    ("out_indptr", np.int64),
    ("out_indices", np.int32),
    ("out_weight", np.float64),
    ("out_count", np.uint32),
    ("out_time", np.uint32),
    ("in_indptr", np.int64),
    ("in_indices", np.int32),
    ("in_weight", np.float64),
    ("in_count", np.uint32),
    ("in_time", np.uint32),
    ("first_seen", np.int64),
    ("is_contract", np.bool_),
)
_PROXIMITY = ("flags", "seed_cluster", "hops_from", "hops_to", "cluster_from", "cluster_to", "score_from", "score_to")


def _write_index(
    run: _Run,
    exports: list[Any],
    out: Path,
    n: int,
    edges: list[tuple[int, int]],
    params: ProximityParams,
    model: RiskModel | None,
) -> None:
    """Fetch one block at a time and write it at its offset in every ``.npy`` file."""
    from numpy.lib.format import open_memmap

    out.mkdir(parents=True, exist_ok=True)
    for name in ("features.npy", "risk.npy", "risk_model.json"):
        (out / name).unlink(missing_ok=True)
    m_out = sum(e[0] for e in edges)
    m_in = sum(e[1] for e in edges)
    files: dict[str, Any] = {}
    unplaced: list[np.ndarray] = []
    node_at = 0
    out_at = 0
    in_at = 0
    for b, fut in enumerate(exports):
        part = run.client.gather(fut)
        fut.release()
        exports[b] = None
        unplaced.append(part.pop("unplaced_contracts"))
        if not files:
            for name, arr in part.items():
                length = {"out_indptr": n + 1, "in_indptr": n + 1}.get(name)
                if name.startswith("out_") and name != "out_indptr":
                    length = m_out
                elif name.startswith("in_") and name != "in_indptr":
                    length = m_in
                elif length is None:
                    length = n
                files[name] = open_memmap(
                    out / f"{name}.npy", mode="w+", dtype=arr.dtype, shape=(length, *arr.shape[1:])
                )
        rows = part["addresses"].shape[0]
        for name, arr in part.items():
            if name == "out_indptr":
                files[name][node_at : node_at + rows + 1] = arr + out_at
            elif name == "in_indptr":
                files[name][node_at : node_at + rows + 1] = arr + in_at
            elif name.startswith("out_"):
                files[name][out_at : out_at + arr.shape[0]] = arr
            elif name.startswith("in_"):
                files[name][in_at : in_at + arr.shape[0]] = arr
            else:
                files[name][node_at : node_at + rows] = arr
        node_at += rows
        out_at += edges[b][0]
        in_at += edges[b][1]
    if not files:
        raise InputFileError("the edge files hold no transfers")
    for arr in files.values():
        arr.flush()
    del files
    np.save(out / UNPLACED, np.concatenate([np.empty(0, "S20"), *unplaced]))
    meta = {"format": FORMAT_VERSION, "nodes": n, "edges": m_out}
    (out / "graph.json").write_text(json.dumps(meta, indent=1) + "\n")
    from dataclasses import asdict

    (out / "proximity.json").write_text(json.dumps(asdict(params), indent=1) + "\n")
    if model is not None:
        model.save(out / "risk_model.json")
