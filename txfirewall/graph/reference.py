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


def reference_pagerank(
    n: int,
    edges: Sequence[tuple[int, int, float]],
    is_seed: np.ndarray,
    relay: Sequence[bool],
    *,
    forward: bool,
    weighted: bool,
    alpha: float,
) -> np.ndarray:
    """NetworkX's ``pagerank`` with the seeds as personalization: the walk follows transfers
    (``forward``) or goes against them, and leaves no node that does not relay (its edges are
    dropped, so NetworkX treats it as dangling and restarts at the seeds)."""
    g = transfer_digraph(n, edges)
    walk: nx.DiGraph[int] = nx.DiGraph()
    walk.add_nodes_from(range(n))
    for u, v, data in g.edges(data=True):
        a, b = (u, v) if forward else (v, u)
        if relay[a]:
            walk.add_edge(a, b, weight=data["weight"])
    seeds = {int(s): 1.0 for s in np.flatnonzero(is_seed)}
    if not seeds:
        return np.zeros(n)
    ranks = nx.pagerank(
        walk, alpha=alpha, personalization=seeds, weight="weight" if weighted else None, tol=1e-14, max_iter=10_000
    )
    return np.array([ranks[v] for v in range(n)])


def reference_features(
    n: int,
    transfers: Sequence[tuple[int, int, float, int, int]],
    is_contract: np.ndarray,
    is_seed: np.ndarray,
    is_service: np.ndarray,
    params: ProximityParams = ProximityParams(),
    alpha: float = 0.85,
) -> np.ndarray:
    """``features.FEATURES`` written plainly: ``transfers`` are (from, to, value, count, time), a
    time <= 0 unknown. Parallel transfers merge as in the CSR: values and counts add up, the time
    is the earliest known one."""
    from statistics import median

    from txfirewall.graph.features import AGGREGATED, BASE_FEATURES, FEATURES, NO_TRAIL

    merged: dict[tuple[int, int], tuple[float, int, int]] = {}
    for u, v, w, c, t in transfers:
        w0, c0, t0 = merged.get((u, v), (0.0, 0, 0))
        merged[(u, v)] = (w0 + w, c0 + c, t if t > 0 and (t0 == 0 or t < t0) else t0)
    ins: list[list[tuple[int, float, int, int]]] = [[] for _ in range(n)]
    outs: list[list[tuple[int, float, int, int]]] = [[] for _ in range(n)]
    for (u, v), (w, c, t) in merged.items():
        outs[u].append((v, w, int(c), int(t)))
        ins[v].append((u, w, int(c), int(t)))
    rows = []
    for v in range(n):
        f: dict[str, float] = {}
        senders = {u for u, *_ in ins[v]}
        recipients = {x for x, *_ in outs[v]}
        union = senders | recipients
        value_in = sum(w for _, w, _, _ in ins[v]) / 1e18
        value_out = sum(w for _, w, _, _ in outs[v]) / 1e18
        t_in = sorted(t for _, _, _, t in ins[v] if t > 0)
        f["in_degree"], f["out_degree"], f["counterparties"] = len(senders), len(recipients), len(union)
        f["in_transfers"] = sum(c for _, _, c, _ in ins[v])
        f["out_transfers"] = sum(c for _, _, c, _ in outs[v])
        f["value_in"], f["value_out"] = value_in, value_out
        f["mean_in_value"] = value_in / f["in_transfers"] if f["in_transfers"] else -1.0
        f["top_sender_share"] = max(w / 1e18 for _, w, _, _ in ins[v]) / value_in if value_in > 0 else -1.0
        f["one_transfer_sender_share"] = sum(c == 1 for _, _, c, _ in ins[v]) / len(ins[v]) if ins[v] else -1.0
        f["forwarded_share"] = min(value_out / value_in, 10.0) if value_in > 0 else -1.0
        sent = [(w, t) for _, w, _, t in outs[v] if t > 0]
        delays = []
        for w, t in sent:
            before = [s for s in t_in if s <= t]
            delays.append((w, t - before[-1]) if before else (w, None))
        known = [d for _, d in delays if d is not None]
        total_w = sum(w for w, _ in sent)
        for name, window in (("hour_forward_share", 3600), ("day_forward_share", 86400)):
            if total_w > 0:
                f[name] = sum(w for w, d in delays if d is not None and d <= window) / total_w
            elif sent:
                f[name] = sum(1 for _, d in delays if d is not None and d <= window) / len(sent)
            else:
                f[name] = -1.0
        f["forward_delay"] = float(median(known)) if known else -1.0
        stamps = [(t, c) for _, _, c, t in ins[v] + outs[v] if t > 0]
        if stamps:
            times = [t for t, _ in stamps]
            f["lifetime"] = max(times) - min(times)
            f["active_days"] = len({t // 86400 for t in times})
            total = sum(c for _, c in stamps)
            f["burst_share"] = max(sum(c for t, c in stamps if s <= t < s + 86400) for s in times) / total
        else:
            f["lifetime"], f["active_days"], f["burst_share"] = -1.0, 0.0, -1.0
        f["contract_share"] = sum(bool(is_contract[u]) for u in union) / len(union) if union else -1.0
        f["seed_sender_share"] = sum(bool(is_seed[u]) for u in senders) / len(senders) if senders else -1.0
        f["seed_recipient_share"] = sum(bool(is_seed[x]) for x in recipients) / len(recipients) if recipients else -1.0
        rows.append(f)
    edges = [(u, v, w) for u, v, w, _, _ in transfers]
    prox = reference_proximity(n, edges, is_seed, is_service, params)
    g = transfer_digraph(n, edges)
    hub = [g.in_degree(v) + g.out_degree(v) > params.hub_degree for v in range(n)]
    relay = [bool(is_seed[v]) or not (bool(is_service[v]) or hub[v]) for v in range(n)]
    scale = float(np.sum(is_seed))
    for name, forward, weighted in (
        ("ppr_from", True, False),
        ("ppr_to", False, False),
        ("ppr_value_from", True, True),
        ("ppr_value_to", False, True),
    ):
        ranks = reference_pagerank(n, edges, is_seed, relay, forward=forward, weighted=weighted, alpha=alpha)
        for v in range(n):
            rows[v][name] = ranks[v] * scale
    for v in range(n):
        rows[v]["hops_from"] = prox.hops_from[v] if prox.hops_from[v] >= 0 else NO_TRAIL
        rows[v]["hops_to"] = prox.hops_to[v] if prox.hops_to[v] >= 0 else NO_TRAIL
        rows[v]["score_from"], rows[v]["score_to"] = prox.score_from[v], prox.score_to[v]
    for v in range(n):
        union = {u for u, *_ in ins[v]} | {x for x, *_ in outs[v]}
        for name in AGGREGATED:
            defined = [rows[u][name] for u in union if rows[u][name] >= 0]
            rows[v][f"nb_mean_{name}"] = sum(defined) / len(defined) if defined else -1.0
            rows[v][f"nb_max_{name}"] = max(defined) if defined else -1.0
    assert len(BASE_FEATURES) + 4 + 4 + 2 * len(AGGREGATED) == len(FEATURES)
    return np.array([[row[name] for name in FEATURES] for row in rows], dtype=np.float64)
