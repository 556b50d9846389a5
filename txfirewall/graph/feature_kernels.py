"""Numba kernels of the risk features, the seed propagation and the model, over flat CSR arrays.

Imported lazily (by ``features``, ``propagation`` and ``risk``), like ``kernels``: ``import
txfirewall`` compiles nothing. Every kernel is one pass over each node's edges (``prange`` over
nodes, so the two directions never write the same row). Column numbers are the ``BASE``
constants below; ``features.BASE_FEATURES`` names them in the same order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar, cast

import numpy as np
import numpy.typing as npt
from numba import njit, prange

from txfirewall.graph.features import MAX_FORWARDED

Ints: TypeAlias = npt.NDArray[np.integer[Any]]
Bools: TypeAlias = npt.NDArray[np.bool_]
Floats: TypeAlias = npt.NDArray[np.floating[Any]]
F32: TypeAlias = npt.NDArray[np.float32]
F64: TypeAlias = npt.NDArray[np.float64]
_F = TypeVar("_F", bound=Callable[..., Any])

WEI = 1e18
HOUR = 3600
DAY = 86400

# Base feature columns (one row per node).
IN_DEGREE = 0
OUT_DEGREE = 1
COUNTERPARTIES = 2
IN_TRANSFERS = 3
OUT_TRANSFERS = 4
VALUE_IN = 5
VALUE_OUT = 6
MEAN_IN_VALUE = 7
TOP_SENDER_SHARE = 8
ONE_TRANSFER_SENDER_SHARE = 9
FORWARDED_SHARE = 10
HOUR_FORWARD_SHARE = 11
DAY_FORWARD_SHARE = 12
FORWARD_DELAY = 13
LIFETIME = 14
ACTIVE_DAYS = 15
BURST_SHARE = 16
CONTRACT_SHARE = 17
SEED_SENDER_SHARE = 18
SEED_RECIPIENT_SHARE = 19
N_BASE = 20


def _jit(*, parallel: bool = False) -> Callable[[_F], _F]:
    return cast(Callable[[_F], _F], njit(cache=True, parallel=parallel))


@_jit()
def _share(part: float, total: float) -> float:
    return part / total if total > 0.0 else -1.0


@_jit()
def _node_base(
    v: int,
    out_indptr: Ints,
    out_indices: Ints,
    out_weight: Floats,
    out_count: Ints,
    out_time: Ints,
    in_indptr: Ints,
    in_indices: Ints,
    in_weight: Floats,
    in_count: Ints,
    in_time: Ints,
    is_contract: Bools,
    is_seed: Bools,
    row: F32,
    tin: npt.NDArray[np.int64],
    delays: F64,
    packed: npt.NDArray[np.uint64],
) -> None:
    """One node's base features; ``tin``, ``delays`` and ``packed`` are scratch of at least the
    node's degree (reused across nodes: no allocation per node)."""
    a_in, b_in = in_indptr[v], in_indptr[v + 1]
    a_out, b_out = out_indptr[v], out_indptr[v + 1]
    n_in, n_out = b_in - a_in, b_out - a_out
    # distinct counterparties: both rows are sorted, walk their union once
    i, j = a_in, a_out
    union = 0
    contracts = 0
    while i < b_in or j < b_out:
        if j >= b_out or (i < b_in and in_indices[i] < out_indices[j]):
            u = in_indices[i]
            i += 1
        elif i >= b_in or out_indices[j] < in_indices[i]:
            u = out_indices[j]
            j += 1
        else:
            u = in_indices[i]
            i += 1
            j += 1
        union += 1
        if is_contract[u]:
            contracts += 1
    seed_in = 0
    value_in = 0.0
    transfers_in = 0
    top = 0.0
    single = 0
    for e in range(a_in, b_in):
        if is_seed[in_indices[e]]:
            seed_in += 1
        w = in_weight[e] / WEI
        value_in += w
        top = max(top, w)
        transfers_in += in_count[e]
        if in_count[e] == 1:
            single += 1
    seed_out = 0
    value_out = 0.0
    transfers_out = 0
    for e in range(a_out, b_out):
        if is_seed[out_indices[e]]:
            seed_out += 1
        value_out += out_weight[e] / WEI
        transfers_out += out_count[e]
    # times: known (non-zero) first-transfer times of the edges
    k = 0
    for e in range(a_in, b_in):
        if in_time[e] != 0:
            tin[k] = in_time[e]
            k += 1
    received = tin[:k]
    received.sort()
    hour_w = 0.0
    day_w = 0.0
    known_w = 0.0
    hour_n = 0
    day_n = 0
    known_n = 0
    nd = 0
    for e in range(a_out, b_out):
        t = out_time[e]
        if t == 0:
            continue
        w = out_weight[e]
        known_w += w
        known_n += 1
        p = np.searchsorted(received, np.int64(t), side="right") - 1
        if p >= 0:
            d = float(np.int64(t) - received[p])
            delays[nd] = d
            nd += 1
            if d <= HOUR:
                hour_w += w
                hour_n += 1
            if d <= DAY:
                day_w += w
                day_n += 1
    if known_w > 0.0:
        hour_share, day_share = hour_w / known_w, day_w / known_w
    elif known_n > 0:
        hour_share, day_share = hour_n / known_n, day_n / known_n
    else:
        hour_share, day_share = -1.0, -1.0
    delay = -1.0
    if nd > 0:
        ds = delays[:nd]
        ds.sort()
        delay = ds[nd // 2] if nd % 2 == 1 else 0.5 * (ds[nd // 2 - 1] + ds[nd // 2])
    # lifetime, active days, the busiest 24 hours: (time << 32 | count) sorted in place
    nt = 0
    for e in range(a_in, b_in):
        if in_time[e] != 0:
            packed[nt] = (np.uint64(in_time[e]) << np.uint64(32)) | np.uint64(min(in_count[e], 0xFFFFFFFF))
            nt += 1
    for e in range(a_out, b_out):
        if out_time[e] != 0:
            packed[nt] = (np.uint64(out_time[e]) << np.uint64(32)) | np.uint64(min(out_count[e], 0xFFFFFFFF))
            nt += 1
    lifetime, days, burst = -1.0, 0.0, -1.0
    if nt > 0:
        stamps = packed[:nt]
        stamps.sort()
        mask = np.uint64(0xFFFFFFFF)
        first = np.int64(stamps[0] >> np.uint64(32))
        last = np.int64(stamps[nt - 1] >> np.uint64(32))
        lifetime = float(last - first)
        days = 1.0
        total = np.int64(0)
        window = np.int64(0)
        best = np.int64(0)
        lo = 0
        prev_day = first // DAY
        for j in range(nt):
            tj = np.int64(stamps[j] >> np.uint64(32))
            cj = np.int64(stamps[j] & mask)
            if tj // DAY != prev_day:
                days += 1.0
                prev_day = tj // DAY
            total += cj
            window += cj
            while tj - np.int64(stamps[lo] >> np.uint64(32)) >= DAY:
                window -= np.int64(stamps[lo] & mask)
                lo += 1
            best = max(best, window)
        burst = best / total
    row[IN_DEGREE] = n_in
    row[OUT_DEGREE] = n_out
    row[COUNTERPARTIES] = union
    row[IN_TRANSFERS] = transfers_in
    row[OUT_TRANSFERS] = transfers_out
    row[VALUE_IN] = value_in
    row[VALUE_OUT] = value_out
    row[MEAN_IN_VALUE] = value_in / transfers_in if transfers_in > 0 else -1.0
    row[TOP_SENDER_SHARE] = _share(top, value_in)
    row[ONE_TRANSFER_SENDER_SHARE] = single / n_in if n_in > 0 else -1.0
    row[FORWARDED_SHARE] = min(value_out / value_in, MAX_FORWARDED) if value_in > 0.0 else -1.0
    row[HOUR_FORWARD_SHARE] = hour_share
    row[DAY_FORWARD_SHARE] = day_share
    row[FORWARD_DELAY] = delay
    row[LIFETIME] = lifetime
    row[ACTIVE_DAYS] = days
    row[BURST_SHARE] = burst
    row[CONTRACT_SHARE] = contracts / union if union > 0 else -1.0
    row[SEED_SENDER_SHARE] = seed_in / n_in if n_in > 0 else -1.0
    row[SEED_RECIPIENT_SHARE] = seed_out / n_out if n_out > 0 else -1.0


def _base_features(
    out_indptr: Ints,
    out_indices: Ints,
    out_weight: Floats,
    out_count: Ints,
    out_time: Ints,
    in_indptr: Ints,
    in_indices: Ints,
    in_weight: Floats,
    in_count: Ints,
    in_time: Ints,
    is_contract: Bools,
    is_seed: Bools,
    out: F32,
) -> None:
    """Fill ``out[:, :N_BASE]`` (float32, one row per node). Nodes go in contiguous blocks, each
    with its own scratch buffers, so no node allocates."""
    n = out_indptr.size - 1
    widest = 1
    for v in range(n):
        widest = max(widest, in_indptr[v + 1] - in_indptr[v] + out_indptr[v + 1] - out_indptr[v])
    blocks = min(n, 256)
    for b in prange(blocks):
        tin = np.empty(widest, np.int64)
        delays = np.empty(widest, np.float64)
        packed = np.empty(widest, np.uint64)
        for v in range(b * n // blocks, (b + 1) * n // blocks):
            _node_base(
                v,
                out_indptr,
                out_indices,
                out_weight,
                out_count,
                out_time,
                in_indptr,
                in_indices,
                in_weight,
                in_count,
                in_time,
                is_contract,
                is_seed,
                out[v],
                tin,
                delays,
                packed,
            )


base_features = _jit(parallel=True)(_base_features)
base_features_serial = _jit()(_base_features)


@_jit()
def _aggregate_one(
    v: int,
    out_indptr: Ints,
    out_indices: Ints,
    in_indptr: Ints,
    in_indices: Ints,
    source: F32,
    cols: Ints,
    matrix: F32,
    first: int,
    total: F64,
    high: F64,
    seen: Ints,
) -> None:
    """Row ``v``'s neighbour aggregates: mean and max of ``source[u, cols[c]]`` over v's distinct
    counterparties u (a merge of its sorted in- and out-lists), written to ``matrix[v, first + 2c]``
    and ``first + 2c + 1``. Shared by the whole-graph kernel and the distributed block step."""
    k = cols.size
    total[:] = 0.0
    high[:] = -1.0
    seen[:] = 0
    a_in, b_in = in_indptr[v], in_indptr[v + 1]
    a_out, b_out = out_indptr[v], out_indptr[v + 1]
    i, j = a_in, a_out
    while i < b_in or j < b_out:
        if j >= b_out or (i < b_in and in_indices[i] < out_indices[j]):
            u = in_indices[i]
            i += 1
        elif i >= b_in or out_indices[j] < in_indices[i]:
            u = out_indices[j]
            j += 1
        else:
            u = in_indices[i]
            i += 1
            j += 1
        for c in range(k):
            x = source[u, cols[c]]
            if x >= 0.0:
                total[c] += x
                seen[c] += 1
                if x > high[c]:
                    high[c] = x
    for c in range(k):
        matrix[v, first + 2 * c] = total[c] / seen[c] if seen[c] > 0 else -1.0
        matrix[v, first + 2 * c + 1] = high[c]


def _neighbour_aggregates(
    out_indptr: Ints, out_indices: Ints, in_indptr: Ints, in_indices: Ints, matrix: F32, cols: Ints, first: int
) -> None:
    """For each column ``c`` in ``cols``: the mean and the max of ``matrix[u, c]`` over v's distinct
    counterparties u whose value is defined (>= 0), written at ``first + 2k`` (mean) and
    ``first + 2k + 1`` (max); -1 when no counterparty has one."""
    n = out_indptr.size - 1
    k = cols.size
    blocks = min(n, 256)
    for b in prange(blocks):
        total = np.empty(k, np.float64)
        high = np.empty(k, np.float64)
        seen = np.empty(k, np.int64)
        for v in range(b * n // blocks, (b + 1) * n // blocks):
            _aggregate_one(
                v, out_indptr, out_indices, in_indptr, in_indices, matrix, cols, matrix, first, total, high, seen
            )


neighbour_aggregates = _jit(parallel=True)(_neighbour_aggregates)
neighbour_aggregates_serial = _jit()(_neighbour_aggregates)


def _ppr(
    pull_indptr: Ints,
    pull_indices: Ints,
    pull_weight: Floats,
    push_indptr: Ints,
    push_weight: Floats,
    weighted: bool,
    relay: Bools,
    personal: F64,
    alpha: float,
    max_iter: int,
    tol: float,
) -> F64:
    """Personalised PageRank by power iteration, pulling along ``pull_*`` (the CSR of the walk's
    *incoming* edges) and normalising by each node's total on ``push_*`` (its outgoing edges):
    x'[v] = alpha * sum_u x[u] w(u,v) / W(u) + (1 - alpha + alpha * dangling) * p[v], where the
    dangling mass is what sits on nodes with no outgoing weight or that do not relay. This is
    NetworkX's ``pagerank`` (dangling mass returns along the personalization vector); it stops when
    the L1 change is below ``n * tol`` as NetworkX does, or after ``max_iter`` rounds."""
    n = pull_indptr.size - 1
    out_total = np.zeros(n)
    for u in prange(n):
        acc = 0.0
        if relay[u]:
            for e in range(push_indptr[u], push_indptr[u + 1]):
                acc += push_weight[e] if weighted else 1.0
        out_total[u] = acc
    x = personal.copy()
    y = np.zeros(n)
    nx = np.zeros(n)
    for _ in range(max_iter):
        dangling = 0.0
        for u in prange(n):
            if out_total[u] > 0.0:
                y[u] = x[u] / out_total[u]
            else:
                y[u] = 0.0
                dangling += x[u]
        restart = 1.0 - alpha + alpha * dangling
        err = 0.0
        for v in prange(n):
            acc = 0.0
            for e in range(pull_indptr[v], pull_indptr[v + 1]):
                acc += y[pull_indices[e]] * (pull_weight[e] if weighted else 1.0)
            new = alpha * acc + restart * personal[v]
            err += abs(new - x[v])
            nx[v] = new
        x, nx = nx, x
        if err < n * tol:
            break
    return x


ppr = _jit(parallel=True)(_ppr)
ppr_serial = _jit()(_ppr)


def _forest_margin(
    feature: Ints, threshold: F64, left: Ints, right: Ints, value: F64, roots: Ints, x: F32, base: float
) -> F64:
    """Sum of the trees' leaf values plus ``base`` for every row of ``x`` (the model's log-odds)."""
    n = x.shape[0]
    out = np.empty(n)
    for i in prange(n):
        acc = base
        for t in range(roots.size):
            node = roots[t]
            while left[node] >= 0:
                go_right = x[i, feature[node]] > threshold[node]  # no branch: trees meet random rows
                node = left[node] + go_right * (right[node] - left[node])
            acc += value[node]
        out[i] = acc
    return out


forest_margin = _jit(parallel=True)(_forest_margin)
forest_margin_serial = _jit()(_forest_margin)


# One round at a time over one block of rows, for the distributed build (``graph.blocks``): rows
# are the block's own nodes, ``indices`` point into its local space (own nodes and neighbours,
# sorted by node id), so each row adds the same terms in the same order as the kernels above.


@_jit()
def ppr_out_total(push_indptr: Ints, push_weight: Floats, weighted: bool, relay: Bools) -> F64:
    """``_ppr``'s ``out_total`` for the block's rows (``relay`` over the rows)."""
    n = push_indptr.size - 1
    out_total = np.zeros(n)
    for u in range(n):
        acc = 0.0
        if relay[u]:
            for e in range(push_indptr[u], push_indptr[u + 1]):
                acc += push_weight[e] if weighted else 1.0
        out_total[u] = acc
    return out_total


@_jit()
def ppr_spread(x: F64, out_total: F64) -> tuple[F64, float]:
    """``_ppr``'s ``y`` for the block's rows, and the dangling mass they hold."""
    n = x.size
    y = np.zeros(n)
    dangling = 0.0
    for u in range(n):
        if out_total[u] > 0.0:
            y[u] = x[u] / out_total[u]
        else:
            dangling += x[u]
    return y, dangling


@_jit()
def ppr_pull_step(
    pull_indptr: Ints,
    pull_indices: Ints,
    pull_weight: Floats,
    weighted: bool,
    y: F64,
    x: F64,
    personal: F64,
    alpha: float,
    restart: float,
) -> tuple[F64, float]:
    """One round of ``_ppr`` for the block's rows (``y`` over the local space, ``x`` and
    ``personal`` over the rows): the new values and their L1 change."""
    n = pull_indptr.size - 1
    out = np.empty(n)
    err = 0.0
    for v in range(n):
        acc = 0.0
        for e in range(pull_indptr[v], pull_indptr[v + 1]):
            acc += y[pull_indices[e]] * (pull_weight[e] if weighted else 1.0)
        new = alpha * acc + restart * personal[v]
        err += abs(new - x[v])
        out[v] = new
    return out, err


@_jit()
def neighbour_aggregates_rows(
    out_indptr: Ints,
    out_indices: Ints,
    in_indptr: Ints,
    in_indices: Ints,
    values: F32,
    matrix: F32,
    first: int,
) -> None:
    """``neighbour_aggregates`` for the block's rows: ``values`` (local space x columns) holds the
    aggregated columns of every node of the local space; results go to ``matrix[v, first + 2c]``
    (mean) and ``first + 2c + 1`` (max)."""
    n = out_indptr.size - 1
    k = values.shape[1]
    cols = np.arange(k)
    total = np.empty(k, np.float64)
    high = np.empty(k, np.float64)
    seen = np.empty(k, np.int64)
    for v in range(n):
        _aggregate_one(
            v, out_indptr, out_indices, in_indptr, in_indices, values, cols, matrix, first, total, high, seen
        )
