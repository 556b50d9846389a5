"""The proximity precompute written plainly with NetworkX: the reference the Numba kernels are
tested against, on small graphs only (it is orders of magnitude slower)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from txfirewall.graph.proximity import ProximityParams


@dataclass(frozen=True)
class ReferenceResult:
    seed_cluster: np.ndarray
    hops_from: np.ndarray
    hops_to: np.ndarray
    cluster_from: np.ndarray
    cluster_to: np.ndarray
    score_from: np.ndarray
    score_to: np.ndarray


def transfer_digraph(n: int, edges: Sequence[tuple[int, int, float]]) -> nx.DiGraph[int]:
    """Parallel transfers merged into one edge whose weight is their summed value."""
    g: nx.DiGraph[int] = nx.DiGraph()
    g.add_nodes_from(range(n))
    for u, v, w in edges:
        if g.has_edge(u, v):
            g[u][v]["weight"] += w
        else:
            g.add_edge(u, v, weight=w)
    return g


def _clusters(g: nx.DiGraph[int], seeds: set[int], relay: list[bool]) -> np.ndarray:
    link: nx.Graph[int] = nx.Graph()
    link.add_nodes_from(seeds)
    link.add_edges_from((u, v) for u, v in g.edges if u in seeds and v in seeds)
    for u in g.nodes:
        if u in seeds or not relay[u]:
            continue
        funded = sorted(v for v in g.successors(u) if v in seeds)
        link.add_edges_from(itertools.pairwise(funded))
    out = np.full(g.number_of_nodes(), -1, dtype=np.int32)
    components = sorted((sorted(c) for c in nx.connected_components(link)), key=lambda c: c[0])
    for cid, members in enumerate(components):
        out[members] = cid
    return out


def _hops(walk: nx.DiGraph[int], seed_cluster: np.ndarray, max_hops: int) -> tuple[np.ndarray, np.ndarray]:
    n = walk.number_of_nodes()
    hops = np.full(n, -1, dtype=np.int32)
    cluster = np.full(n, -1, dtype=np.int32)
    for cid in sorted({int(c) for c in seed_cluster if c >= 0}):
        sources = [int(s) for s in np.flatnonzero(seed_cluster == cid)]
        lengths = nx.multi_source_dijkstra_path_length(walk, sources, cutoff=max_hops, weight=lambda u, v, d: 1)
        for v, d in lengths.items():
            if hops[v] == -1 or d < hops[v]:
                hops[v], cluster[v] = d, cid
    return hops, cluster


def _score(
    g: nx.DiGraph[int], seeds: set[int], relay: list[bool], backward: bool, params: ProximityParams
) -> np.ndarray:
    n = g.number_of_nodes()
    t = [1.0 if v in seeds else 0.0 for v in range(n)]
    for _ in range(params.max_hops):
        nt = list(t)
        for v in range(n):
            if v in seeds:
                continue
            edges: list[tuple[int, int, float]] = list(
                g.out_edges(v, data="weight") if backward else g.in_edges(v, data="weight")
            )
            others = [(b if backward else a, w) for a, b, w in edges]
            total = sum(w for _, w in others)
            if total > 0:
                nt[v] = params.decay * sum(w * t[u] for u, w in others if relay[u]) / total
            elif others:
                nt[v] = params.decay * sum(t[u] for u, _ in others if relay[u]) / len(others)
            else:
                nt[v] = 0.0
        t = nt
    return np.array(t, dtype=np.float64)


def reference_proximity(
    n: int,
    edges: Sequence[tuple[int, int, float]],
    is_seed: np.ndarray,
    is_service: np.ndarray,
    params: ProximityParams = ProximityParams(),
) -> ReferenceResult:
    g = transfer_digraph(n, edges)
    seeds = {int(s) for s in np.flatnonzero(is_seed)}
    degree = dict(g.in_degree())
    hub = [degree[v] + g.out_degree(v) > params.hub_degree for v in range(n)]
    relay = [v in seeds or not (bool(is_service[v]) or hub[v]) for v in range(n)]
    seed_cluster = _clusters(g, seeds, relay)
    forward: nx.DiGraph[int] = nx.DiGraph()
    forward.add_nodes_from(range(n))
    forward.add_edges_from((u, v) for u, v in g.edges if relay[u])
    backward: nx.DiGraph[int] = nx.DiGraph()
    backward.add_nodes_from(range(n))
    backward.add_edges_from((v, u) for u, v in g.edges if relay[v])
    hops_from, cluster_from = _hops(forward, seed_cluster, params.max_hops)
    hops_to, cluster_to = _hops(backward, seed_cluster, params.max_hops)
    return ReferenceResult(
        seed_cluster,
        hops_from,
        hops_to,
        cluster_from,
        cluster_to,
        _score(g, seeds, relay, False, params),
        _score(g, seeds, relay, True, params),
    )
