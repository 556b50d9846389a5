"""Numba kernels of the proximity precompute, over flat CSR arrays.

With ``feature_kernels``, the only module that imports Numba; it is imported lazily by
``proximity.precompute`` so that ``import txfirewall`` compiles nothing. ``cache=True`` keeps compiled code across runs.
``relay[u]`` says whether taint passes *through* u: false for service addresses (exchanges,
bridges, protocols, hubs) unless u is itself a seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar, cast

import numpy as np
import numpy.typing as npt
from numba import njit, prange

Ints: TypeAlias = npt.NDArray[np.integer[Any]]
Bools: TypeAlias = npt.NDArray[np.bool_]
Floats: TypeAlias = npt.NDArray[np.float64]
_F = TypeVar("_F", bound=Callable[..., Any])


def _jit(*, parallel: bool = False) -> Callable[[_F], _F]:
    """``numba.njit`` with the compiled code cached on disk, typed as returning the function it
    compiles (a dispatcher is called with the same arguments)."""
    return cast(Callable[[_F], _F], njit(cache=True, parallel=parallel))


@_jit()
def _relayed_taint(
    v: int,
    indptr: Ints,
    indices: Ints,
    weight: Floats,
    total: Floats,
    relay: Bools,
    t: Floats,
    decay: float,
    keep: float,
) -> float:
    """One node's new taint: decay times the value-weighted mean of its relaying neighbours'
    taint (equal weights when its edges carry none); ``keep`` for a node with no edges. Shared by
    the whole-graph kernel and the distributed build's block step, so both sum in the same order."""
    acc = 0.0
    count = indptr[v + 1] - indptr[v]
    if total[v] > 0.0:
        for e in range(indptr[v], indptr[v + 1]):
            u = indices[e]
            if relay[u]:
                acc += weight[e] * t[u]
        return float(decay * acc / total[v])
    if count > 0:
        for e in range(indptr[v], indptr[v + 1]):
            u = indices[e]
            if relay[u]:
                acc += t[u]
        return float(decay * acc / count)
    return keep


@_jit()
def bfs_levels(
    indptr: Ints, indices: Ints, sources: Ints, source_cluster: Ints, relay: Bools, max_hops: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Multi-source BFS, level by level: hop distance (-1 beyond ``max_hops``) and, among the
    sources at that distance, the smallest cluster id."""
    n = indptr.size - 1
    dist = np.full(n, -1, np.int32)
    cluster = np.full(n, -1, np.int32)
    frontier = np.empty(n, np.int32)
    nxt = np.empty(n, np.int32)
    nf = 0
    for i in range(sources.size):
        s = sources[i]
        if dist[s] == -1:
            dist[s] = 0
            cluster[s] = source_cluster[i]
            frontier[nf] = s
            nf += 1
        elif source_cluster[i] < cluster[s]:
            cluster[s] = source_cluster[i]
    d = 0
    while nf > 0 and d < max_hops:
        nn = 0
        for fi in range(nf):
            u = frontier[fi]
            if not relay[u]:
                continue
            cu = cluster[u]
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                if dist[v] == -1:
                    dist[v] = d + 1
                    cluster[v] = cu
                    nxt[nn] = v
                    nn += 1
                elif dist[v] == d + 1 and cu < cluster[v]:
                    cluster[v] = cu
        frontier, nxt = nxt, frontier
        nf = nn
        d += 1
    return dist, cluster


def _exposure(
    indptr: Ints,
    indices: Ints,
    weight: Floats,
    is_seed: Bools,
    relay: Bools,
    reached: Bools,
    decay: float,
    rounds: int,
) -> Floats:
    """Value-weighted taint: ``rounds`` Jacobi steps of t[v] = decay * sum(w t[u]) / sum(w) over
    v's neighbours u in this CSR (senders for received taint, recipients for sent exposure).
    Seeds stay at 1; a node with no weight on its edges weighs them equally."""
    n = indptr.size - 1
    t = np.zeros(n)
    total = np.zeros(n)
    for v in prange(n):
        if is_seed[v]:
            t[v] = 1.0
        acc = 0.0
        for e in range(indptr[v], indptr[v + 1]):
            acc += weight[e]
        total[v] = acc
    nt = t.copy()
    for _ in range(rounds):
        for v in prange(n):
            if is_seed[v] or not reached[v]:
                continue
            nt[v] = _relayed_taint(v, indptr, indices, weight, total, relay, t, decay, nt[v])
        t, nt = nt, t
    return t


exposure = _jit(parallel=True)(_exposure)
exposure_serial = _jit()(_exposure)
"""The same kernel without threads: cheaper on small graphs, where starting threads dominates."""


@_jit()
def _find(parent: npt.NDArray[np.int32], x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        nxt = parent[x]
        parent[x] = root
        x = nxt
    return root


@_jit()
def _union(parent: npt.NDArray[np.int32], a: int, b: int) -> None:
    ra = _find(parent, a)
    rb = _find(parent, b)
    if ra < rb:
        parent[rb] = ra
    elif rb < ra:
        parent[ra] = rb


@_jit()
def seed_components(
    out_indptr: Ints, out_indices: Ints, in_indptr: Ints, in_indices: Ints, seeds: Ints, is_seed: Bools, relay: Bools
) -> npt.NDArray[np.int32]:
    """Union-find over seeds: linked by a transfer between them, or by a common funder that is not
    a service address. Returns each node's component root (a seed id), -1 for non-seeds."""
    n = out_indptr.size - 1
    parent = np.arange(n).astype(np.int32)
    first_funded = np.full(n, -1, np.int32)
    for i in range(seeds.size):
        s = seeds[i]
        for e in range(out_indptr[s], out_indptr[s + 1]):
            v = out_indices[e]
            if is_seed[v]:
                _union(parent, s, v)
        for e in range(in_indptr[s], in_indptr[s + 1]):
            u = in_indices[e]
            if is_seed[u]:
                _union(parent, s, u)
            elif relay[u]:
                if first_funded[u] == -1:
                    first_funded[u] = s
                else:
                    _union(parent, s, first_funded[u])
    root = np.full(n, -1, np.int32)
    for i in range(seeds.size):
        root[seeds[i]] = _find(parent, seeds[i])
    return root


# One round at a time, over one block of rows: the distributed build (``graph.blocks``) exchanges
# neighbour values between rounds. Rows are the block's own nodes; ``indices`` point into the
# block's local space (its own nodes and their neighbours, sorted by node id, so the order of a
# row is the same as in the whole graph and every sum adds the same terms in the same order).

NO_FRONT = np.int32(2**31 - 1)
"""A neighbour that is not on the BFS frontier (or does not relay)."""


@_jit()
def bfs_pull_step(
    indptr: Ints,
    indices: Ints,
    front: npt.NDArray[np.int32],
    dist: npt.NDArray[np.int32],
    cluster: npt.NDArray[np.int32],
    level: int,
) -> None:
    """One BFS level pulled instead of pushed: an undiscovered row with a neighbour on the frontier
    (``front`` holds that neighbour's cluster, ``NO_FRONT`` otherwise) is at ``level + 1``, in the
    smallest such cluster: what ``bfs_levels`` gives (the push finds the same rows and keeps the
    same minimum). In place."""
    for v in range(indptr.size - 1):
        if dist[v] != -1:
            continue
        best = NO_FRONT
        for e in range(indptr[v], indptr[v + 1]):
            c = front[indices[e]]
            if c < best:
                best = c
        if best != NO_FRONT:
            dist[v] = level + 1
            cluster[v] = best


@_jit()
def row_totals(indptr: Ints, weight: Floats) -> Floats:
    """Sum of each row's weights, in row order (as ``_exposure`` sums them)."""
    n = indptr.size - 1
    total = np.zeros(n)
    for v in range(n):
        acc = 0.0
        for e in range(indptr[v], indptr[v + 1]):
            acc += weight[e]
        total[v] = acc
    return total


@_jit()
def exposure_step(
    indptr: Ints,
    indices: Ints,
    weight: Floats,
    total: Floats,
    is_seed: Bools,
    reached: Bools,
    relay: Bools,
    t: Floats,
    own_at: int,
    decay: float,
) -> Floats:
    """One Jacobi round of ``_exposure`` for the block's rows; ``relay`` and ``t`` over the local
    space (the row ``v`` is at ``own_at + v`` there). Returns the rows' new values."""
    n = indptr.size - 1
    out = np.empty(n)
    for v in range(n):
        if is_seed[v] or not reached[v]:
            out[v] = t[own_at + v]
            continue
        out[v] = _relayed_taint(v, indptr, indices, weight, total, relay, t, decay, t[own_at + v])
    return out


@_jit()
def link_components(n: int, a: Ints, b: Ints) -> npt.NDArray[np.int32]:
    """Union-find over ``n`` items linked by the pairs (a[i], b[i]): each item's root, the smallest
    item of its component (as ``seed_components`` roots a component at its smallest node)."""
    parent = np.arange(n).astype(np.int32)
    for i in range(a.size):
        _union(parent, a[i], b[i])
    root = np.empty(n, np.int32)
    for i in range(n):
        root[i] = _find(parent, i)
    return root


@_jit()
def segment_sums(values: Floats, starts: Ints, init: Floats) -> Floats:
    """Left-to-right sums of ``values`` in segments starting at ``starts``, each starting from
    ``init``: a merged edge's weight is its transfers added in file order, so a later delta of
    transfers continues the very same sum (``np.add.reduceat`` adds pairwise, which no stored
    total can continue)."""
    n = starts.size
    out = np.empty(n)
    for i in range(n):
        acc = init[i]
        end = values.size if i + 1 == n else starts[i + 1]
        for e in range(starts[i], end):
            acc += values[e]
        out[i] = acc
    return out


@_jit()
def search_keys(table: npt.NDArray[np.uint8], keys: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """``np.searchsorted(table, keys)`` (left) for fixed-width byte keys given as rows of uint8
    (20-byte addresses): a plain binary search with byte compares, several times faster than
    NumPy's on ``S20`` arrays."""
    t = table.shape[0]
    w = table.shape[1]
    out = np.empty(keys.shape[0], np.int64)
    for i in range(keys.shape[0]):
        lo = 0
        hi = t
        while lo < hi:
            mid = (lo + hi) >> 1
            less = False
            for b in range(w):
                x = table[mid, b]
                y = keys[i, b]
                if x != y:
                    less = x < y
                    break
            if less:
                lo = mid + 1
            else:
                hi = mid
        out[i] = lo
    return out


@_jit()
def _fnv(keys: npt.NDArray[np.uint8], i: int) -> np.uint64:
    h = np.uint64(0xCBF29CE484222325)
    for b in range(keys.shape[1]):
        h = (h ^ np.uint64(keys[i, b])) * np.uint64(0x100000001B3)
    return h


@_jit()
def locate_keys(table: npt.NDArray[np.uint8], keys: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """Row of each key in ``table`` (rows of uint8, unique), -1 when absent: an open-addressing
    hash table over the table's rows, so each key costs a cache miss or two instead of a binary
    search's twenty (lookups of millions of addresses in millions)."""
    t = table.shape[0]
    w = table.shape[1]
    size = 1
    while size < 2 * t + 1:
        size *= 2
    mask = np.uint64(size - 1)
    slots = np.full(size, -1, np.int64)
    for r in range(t):
        s = _fnv(table, r) & mask
        while slots[s] != -1:
            s = (s + np.uint64(1)) & mask
        slots[s] = r
    out = np.empty(keys.shape[0], np.int64)
    for i in range(keys.shape[0]):
        s = _fnv(keys, i) & mask
        found = -1
        while slots[s] != -1:
            r = slots[s]
            same = True
            for b in range(w):
                if table[r, b] != keys[i, b]:
                    same = False
                    break
            if same:
                found = r
                break
            s = (s + np.uint64(1)) & mask
        out[i] = found
    return out
