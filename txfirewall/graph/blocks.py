"""The distributed build's unit of data: a *block*, the nodes of one contiguous range of node ids
(so of one range of sorted addresses) with their out- and in-rows, and the functions the engine
runs on blocks. Plain NumPy and the Numba kernels: no engine here, so every step is testable alone
and an engine (``graph.distributed``) only moves the results between workers.

How the steps stay exactly the single-machine ones:

- Edges are merged per sender block after concatenating the pieces of each input file in file
  order (the same stable sort as ``csr.from_ids`` and the same left-to-right sums,
  ``kernels.segment_sums``, over the same sequence of transfers: equal sums bit for bit; an
  update continues a stored sum with the delta's transfers).
- A block's *local space* is its own nodes and all their neighbours, sorted by node id; its rows
  point into it. The map from node ids to local positions keeps order, so every row lists its
  neighbours in the whole graph's order and each kernel adds the same terms in the same order.
- Each round of an iterative step (a BFS level, a Jacobi round of the exposure, a PageRank round)
  runs on every block with its neighbours' values of the previous round, fetched from the blocks
  that own them (``take``; the ids a block needs from another are contiguous in its local space,
  ``local_vector``). So hops and clusters are identical and per-node sums equal; only PageRank's
  two global sums (dangling mass, L1 change) add the blocks' partial sums in block order instead of
  the threads' order (a difference of a few ulp).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from txfirewall.graph.features import AGGREGATED, BASE_FEATURES, FEATURES, NO_TRAIL
from txfirewall.graph.ingest import EdgeBatch
from txfirewall.graph.proximity import HUB, SEED, SERVICE

CONTRACT = 8
"""A bit next to the proximity flags in the exchanged node bits: the node is a contract."""
_BIG = np.iinfo(np.int64).max
_U32 = np.iinfo(np.uint32).max
_EMPTY_KEYS = np.empty(0, "S20")


def unique_keys(keys: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting (on ``S20`` keys and int64 ids several times faster than NumPy's
    hash-based ``unique``)."""
    s = np.sort(keys)
    if s.size < 2:
        return s
    out: np.ndarray = s[np.concatenate(([True], s[1:] != s[:-1]))]
    return out


def search(table: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``np.searchsorted(table, keys)`` for sorted 20-byte keys (``kernels.search_keys``)."""
    from txfirewall.graph.kernels import search_keys

    if not table.size or not keys.size:
        return np.zeros(keys.size, dtype=np.int64)
    rows = np.ascontiguousarray(table).view(np.uint8).reshape(-1, 20)
    return search_keys(rows, np.ascontiguousarray(keys).view(np.uint8).reshape(-1, 20))


def locate(table: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Position of each 20-byte key in the sorted unique ``table``, -1 when absent
    (``kernels.locate_keys``: a hash table, for the many lookups of a block)."""
    from txfirewall.graph.kernels import locate_keys

    if not table.size or not keys.size:
        return np.full(keys.size, -1, dtype=np.int64)
    rows = np.ascontiguousarray(table).view(np.uint8).reshape(-1, 20)
    return locate_keys(rows, np.ascontiguousarray(keys).view(np.uint8).reshape(-1, 20))


def block_of(keys: np.ndarray, splitters: np.ndarray) -> np.ndarray:
    """The block of each 20-byte key: splitters are the first addresses of blocks 1..K-1."""
    if not splitters.size or not keys.size:
        return np.zeros(keys.size, dtype=np.int64)
    pos = search(splitters, keys)
    out: np.ndarray = pos + (splitters[np.minimum(pos, splitters.size - 1)] == keys)
    return out


def sample_keys(batch: EdgeBatch, size: int) -> np.ndarray:
    """Evenly spaced keys of the sorted endpoints (so the blocks get similar numbers of edge ends)."""
    keys = np.concatenate([batch.src, batch.dst])
    stride = max(1, keys.size // (16 * size))
    keys = np.sort(keys[::stride])
    if keys.size <= size:
        return keys
    return keys[(np.arange(size) * keys.size) // size]


def choose_splitters(samples: Sequence[np.ndarray], blocks: int) -> np.ndarray:
    keys = np.sort(np.concatenate([*samples, _EMPTY_KEYS]))
    if keys.size == 0 or blocks <= 1:
        return _EMPTY_KEYS
    at = (np.arange(1, blocks) * keys.size) // blocks
    return np.unique(keys[at])


@dataclass(frozen=True)
class Routed:
    """One input file's share for one sender block: its transfers in file order, the addresses
    it names that fall in the block's range, and the contracts it shows there."""

    edges: EdgeBatch
    addresses: np.ndarray
    contracts: np.ndarray


def route_batch(batch: EdgeBatch, splitters: np.ndarray) -> list[Routed]:
    k = splitters.size + 1
    by_src = block_of(batch.src, splitters)
    ends = unique_keys(np.concatenate([batch.src, batch.dst]))
    by_end = block_of(ends, splitters)
    by_contract = block_of(batch.contracts, splitters)
    out = []
    for b in range(k):
        sel = by_src == b
        edges = EdgeBatch(
            batch.src[sel], batch.dst[sel], batch.weight[sel], batch.timestamp[sel], batch.count[sel], _EMPTY_KEYS
        )
        out.append(Routed(edges, ends[by_end == b], batch.contracts[by_contract == b]))
    return out


def address_table(*routed: Routed) -> np.ndarray:
    """The block's addresses: every address the files name in its range, sorted, unique."""
    return unique_keys(np.concatenate([_EMPTY_KEYS, *(r.addresses for r in routed)]))


@dataclass(frozen=True)
class Merged:
    """Merged edges of one block as *sender*: (row, recipient) sorted; recipients still keys
    (their ids are known only to their own block). Each merged edge keeps its transfers' values
    (``raw[starts[i]:starts[i+1]]``, in file order): its weight is their left-to-right sum, onto
    the stored weight when an update adds to an edge already in the index."""

    row: np.ndarray  # int64, local row of the sender
    dst: np.ndarray  # S20
    raw: np.ndarray  # float64 values of the transfers, merged edge by merged edge
    starts: np.ndarray  # int64
    count: np.ndarray  # int64, not clipped yet
    first: np.ndarray  # int64 earliest known timestamp of the merged transfers, _BIG unknown
    dst_block: np.ndarray  # int64


@dataclass(frozen=True)
class InPiece:
    """Merged edges sent from a sender block to a recipient block, in the sender's order."""

    dst: np.ndarray  # S20
    src: np.ndarray  # int64 global id
    raw: np.ndarray
    lengths: np.ndarray
    count: np.ndarray
    first: np.ndarray


def _sums(raw: np.ndarray, starts: np.ndarray, init: np.ndarray | None = None) -> np.ndarray:
    from txfirewall.graph.kernels import segment_sums

    return segment_sums(raw, starts, np.zeros(starts.size) if init is None else init)


def merge_transfers(table: np.ndarray, splitters: np.ndarray, *routed: Routed) -> Merged:
    """``csr.from_ids``' merge for the block's senders: concatenate the files' transfers in file
    order, stable-sort by (sender, recipient), one merged edge per pair."""
    src = np.concatenate([_EMPTY_KEYS, *(r.edges.src for r in routed)])
    dst = np.concatenate([_EMPTY_KEYS, *(r.edges.dst for r in routed)])
    weight = np.concatenate([np.empty(0), *(r.edges.weight for r in routed)])
    stamp = np.concatenate([np.empty(0, np.int64), *(r.edges.timestamp for r in routed)])
    count = np.concatenate([np.empty(0, np.int64), *(r.edges.count for r in routed)])
    row = locate(table, src)
    uniq = unique_keys(dst)
    dinv = locate(uniq, dst)
    width = max(1, uniq.size)
    key = row * width + dinv.astype(np.int64).reshape(-1)
    order = np.argsort(key, kind="stable")
    key = key[order]
    if key.size:
        starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
        c = np.add.reduceat(count[order], starts)
        t = np.minimum.reduceat(np.where(stamp >= 0, stamp, _BIG)[order], starts)
        key = key[starts]
    else:
        starts, c, t = np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
    d = uniq[key % width] if key.size else _EMPTY_KEYS
    return Merged(key // width, d, weight[order], starts, c, t, block_of(d, splitters).astype(np.int64))


def _lengths(starts: np.ndarray, total: int) -> np.ndarray:
    return np.diff(np.append(starts, total))


def in_piece(merged: Merged, lo: int, j: int) -> InPiece:
    sel = merged.dst_block == j
    lengths = _lengths(merged.starts, merged.raw.size)
    per_raw = np.repeat(sel, lengths)
    return InPiece(
        merged.dst[sel], merged.row[sel] + lo, merged.raw[per_raw], lengths[sel], merged.count[sel], merged.first[sel]
    )


@dataclass(frozen=True)
class InSide:
    """A block's merged edges as *recipient*, in the order the pieces came (sender blocks in
    order); ``order`` sorts them by (row, sender)."""

    row: np.ndarray
    src: np.ndarray
    raw: np.ndarray
    starts: np.ndarray
    count: np.ndarray
    first: np.ndarray
    order: np.ndarray
    replies: tuple[np.ndarray, ...]
    """Per sender block, the recipients' global ids of the piece it sent, in its order."""


def merge_in(table: np.ndarray, lo: int, *pieces: InPiece) -> InSide:
    rows = [locate(table, p.dst) for p in pieces]
    row = np.concatenate([np.empty(0, np.int64), *rows])
    lengths = np.concatenate([np.empty(0, np.int64), *(p.lengths for p in pieces)])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if lengths.size else np.empty(0, np.int64)
    return InSide(
        row,
        np.concatenate([np.empty(0, np.int64), *(p.src for p in pieces)]),
        np.concatenate([np.empty(0), *(p.raw for p in pieces)]),
        starts,
        np.concatenate([np.empty(0, np.int64), *(p.count for p in pieces)]),
        np.concatenate([np.empty(0, np.int64), *(p.first for p in pieces)]),
        np.argsort(row, kind="stable"),  # pieces come in sender order: senders stay ascending
        tuple(r + lo for r in rows),
    )


def _recipients(merged: Merged, replies: Sequence[np.ndarray]) -> np.ndarray:
    dst = np.empty(merged.row.size, dtype=np.int64)
    for j, reply in enumerate(replies):
        dst[merged.dst_block == j] = reply
    return dst


def _contract_rows(table: np.ndarray, contracts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(per node: shown to be a contract, the contracts shown that are not nodes). The second
    list is kept in the index (``unplaced_contracts.npy``) so that an update which makes one of
    them a node marks it as a full build would."""
    is_contract = np.zeros(table.size, dtype=bool)
    found = np.zeros(contracts.size, dtype=bool)
    if contracts.size and table.size:
        pos = np.minimum(search(table, contracts), table.size - 1)
        found = table[pos] == contracts
        is_contract[pos[found]] = True
    return is_contract, contracts[~found]


def make_block(
    k: int,
    bounds: np.ndarray,
    table: np.ndarray,
    merged: Merged,
    inside: InSide,
    contracts: np.ndarray,
    *replies: np.ndarray,
) -> Block:
    """The block from its merged out-edges (recipient ids from ``replies``, one per recipient
    block), its in-edges, and the contract addresses the files show in its range."""
    n = int(bounds[k + 1] - bounds[k])
    o = inside.order
    fs = np.minimum(_first_by_row(merged.row, merged.first, n), _first_by_row(inside.row, inside.first, n))
    return with_space(
        k,
        bounds,
        table,
        _indptr(merged.row, n),
        _recipients(merged, replies),
        _sums(merged.raw, merged.starts),
        _clip_count(merged.count),
        _clip_time(merged.first),
        _indptr(inside.row, n),
        inside.src[o],
        _sums(inside.raw, inside.starts)[o],
        _clip_count(inside.count[o]),
        _clip_time(inside.first[o]),
        np.where(fs == _BIG, -1, fs),
        *_contract_rows(table, contracts),
    )


def _clip_count(count: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.clip(count, 1, _U32).astype(np.uint32)
    return out


# --- the incremental update ----------------------------------------------------------------------


@dataclass(frozen=True)
class Previous:
    """One block of a built index, as the incremental update reads it (global ids)."""

    lo: int
    addresses: np.ndarray
    out_indptr: np.ndarray
    out_dst: np.ndarray
    out_weight: np.ndarray
    out_count: np.ndarray
    out_time: np.ndarray
    in_indptr: np.ndarray
    in_src: np.ndarray
    in_weight: np.ndarray
    in_count: np.ndarray
    in_time: np.ndarray
    first_seen: np.ndarray
    bits: np.ndarray  # SEED | CONTRACT as the previous build had them
    unplaced: np.ndarray  # contracts in the block's address range that were not nodes
    features: np.ndarray | None  # [BASE_FEATURES (NaN where not stored) | the model's stored columns]
    risk: np.ndarray | None


@dataclass(frozen=True)
class Update:
    """What the update keeps of the previous index, per row of the new block."""

    touched: np.ndarray  # bool: a new node, or one with a new or changed edge
    bits: np.ndarray  # previous SEED | CONTRACT bits (0 for new nodes)
    features: np.ndarray | None  # previous [base | model columns] (NaN for new nodes)
    risk: np.ndarray | None


@dataclass(frozen=True)
class Incremental:
    reuse_base: bool
    same_model: bool


def new_addresses(prev: Previous, *routed: Routed) -> tuple[np.ndarray, np.ndarray]:
    """(the block's new address table, where each new address goes in the old ids: the number of
    old addresses before it)."""
    named = address_table(*routed)
    old = prev.addresses
    pos = search(old, named)
    known = np.zeros(named.size, dtype=bool)
    if old.size:
        known = old[np.minimum(pos, old.size - 1)] == named
    fresh = named[~known]
    at = search(old, fresh)
    return np.insert(old, at, fresh), (prev.lo + at).astype(np.int64)


def _renumber(ids: np.ndarray, inserted: np.ndarray) -> np.ndarray:
    """Old global ids -> new ones, with ``inserted`` (sorted) the old id before which each new
    address went."""
    return ids + np.searchsorted(inserted, ids, side="right")


def _combine(
    n_total: int,
    old: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    new: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Old edges (row, other, weight, count, time; sorted) and the delta's merged edges (row,
    other, raw, starts, count, first; sorted) -> the edges of both: a delta edge already in the
    index adds its transfers to the stored weight left to right, its count to the stored count and
    keeps the earlier first time; the others are inserted in order."""
    o_row, o_other, o_w, o_c, o_t = old
    n_row, n_other, raw, starts, n_c, n_first = new
    ok = o_row * n_total + o_other
    nk = n_row * n_total + n_other
    pos = np.searchsorted(ok, nk)
    hit = pos < ok.size
    hit[hit] = ok[pos[hit]] == nk[hit]
    init = np.zeros(nk.size)
    init[hit] = o_w[pos[hit]]
    w_new = _sums(raw, starts, init)
    weight = o_w.copy()
    weight[pos[hit]] = w_new[hit]
    count = o_c.astype(np.int64)
    count[pos[hit]] += n_c[hit]
    first = np.where(o_t == 0, _BIG, o_t.astype(np.int64))
    first[pos[hit]] = np.minimum(first[pos[hit]], n_first[hit])
    miss = ~hit
    at = pos[miss]
    return (
        np.insert(o_row, at, n_row[miss]),
        np.insert(o_other, at, n_other[miss]),
        np.insert(weight, at, w_new[miss]),
        _clip_count(np.insert(count, at, n_c[miss])),
        _clip_time(np.insert(first, at, n_first[miss])),
    )


def update_block(
    k: int,
    bounds: np.ndarray,
    table: np.ndarray,
    prev: Previous,
    inserted: np.ndarray,
    merged: Merged,
    inside: InSide,
    contracts: np.ndarray,
    *replies: np.ndarray,
) -> tuple[Block, Update]:
    """The previous block with the delta's edges merged in, renumbered for the new addresses."""
    lo = int(bounds[k])
    n = int(bounds[k + 1]) - lo
    n_total = int(bounds[-1])
    moved = _renumber(prev.lo + np.arange(prev.addresses.size), inserted) - lo  # old row -> new row
    o_rows = np.repeat(moved, np.diff(prev.out_indptr))
    out = _combine(
        n_total,
        (o_rows, _renumber(prev.out_dst, inserted), prev.out_weight, prev.out_count, prev.out_time),
        (merged.row, _recipients(merged, replies), merged.raw, merged.starts, merged.count, merged.first),
    )
    i_rows = np.repeat(moved, np.diff(prev.in_indptr))
    o = inside.order
    raw, starts = _reorder_segments(inside.raw, inside.starts, o)
    into = _combine(
        n_total,
        (i_rows, _renumber(prev.in_src, inserted), prev.in_weight, prev.in_count, prev.in_time),
        (inside.row[o], inside.src[o], raw, starts, inside.count[o], inside.first[o]),
    )
    fs = np.full(n, _BIG, dtype=np.int64)
    fs[moved] = np.where(prev.first_seen < 0, _BIG, prev.first_seen)
    fs = np.minimum(
        fs, np.minimum(_first_by_row(merged.row, merged.first, n), _first_by_row(inside.row, inside.first, n))
    )
    is_contract, unplaced = _contract_rows(table, np.union1d(contracts, prev.unplaced))
    is_contract[moved] |= (prev.bits & CONTRACT) != 0
    touched = np.ones(n, dtype=bool)
    touched[moved] = False
    touched[merged.row] = True
    touched[inside.row] = True
    bits = np.zeros(n, dtype=np.uint8)
    bits[moved] = prev.bits
    features = risk = None
    if prev.features is not None and prev.risk is not None:
        features = np.full((n, prev.features.shape[1]), np.nan, dtype=np.float32)
        features[moved] = prev.features
        risk = np.zeros(n, dtype=np.float32)
        risk[moved] = prev.risk
    block = with_space(
        k,
        bounds,
        table,
        _indptr(out[0], n),
        out[1],
        out[2],
        out[3],
        out[4],
        _indptr(into[0], n),
        into[1],
        into[2],
        into[3],
        into[4],
        np.where(fs == _BIG, -1, fs),
        is_contract,
        unplaced,
    )
    return block, Update(touched, bits, features, risk)


def _reorder_segments(raw: np.ndarray, starts: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ragged segments of ``raw`` in the order ``order``: (values, new starts)."""
    lengths = _lengths(starts, raw.size)[order]
    new_starts = np.zeros(order.size, dtype=np.int64)
    if order.size:
        np.cumsum(lengths[:-1], out=new_starts[1:])
    at = np.repeat(starts[order] - new_starts, lengths) + np.arange(int(lengths.sum()))
    return raw[at], new_starts


def changed_bits(updated: tuple[Block, Update], bits: np.ndarray) -> np.ndarray:
    """Rows whose seed or contract flag differs from the previous build's."""
    out: np.ndarray = ((bits & (SEED | CONTRACT)) != updated[1].bits).astype(np.uint8)
    return out


def dirty_rows(block: Block, updated: tuple[Block, Update], changed: np.ndarray, *pieces: np.ndarray) -> np.ndarray:
    """Rows whose base features may differ from the previous build's: touched by the delta, or
    next to a node whose seed or contract flag changed (the seed and contract shares)."""
    near = local_vector(block, changed, pieces) != 0
    dirty = updated[1].touched.copy()
    for indptr, local in ((block.out_indptr, block.out_local), (block.in_indptr, block.in_local)):
        rows = np.repeat(np.arange(block.n), np.diff(indptr))
        dirty[rows[near[local]]] = True
    return np.flatnonzero(dirty)


@dataclass(frozen=True)
class Block:
    """Nodes ``lo .. hi-1`` (global ids) with their rows. ``space``: the local space (own nodes
    and all neighbours, sorted global ids); the own nodes sit at ``own_at ..``; the ids owned by
    block j sit at ``recv[j]`` (a contiguous range). ``sends[k]``: the own rows block k needs."""

    k: int
    lo: int
    hi: int
    bounds: np.ndarray
    addresses: np.ndarray
    space: np.ndarray
    own_at: int
    out_indptr: np.ndarray
    out_local: np.ndarray
    out_weight: np.ndarray
    out_count: np.ndarray
    out_time: np.ndarray
    in_indptr: np.ndarray
    in_local: np.ndarray
    in_weight: np.ndarray
    in_count: np.ndarray
    in_time: np.ndarray
    first_seen: np.ndarray
    is_contract: np.ndarray
    recv: tuple[tuple[int, int, int], ...] = ()
    sends: Mapping[int, np.ndarray] = field(default_factory=dict)
    unplaced: np.ndarray = field(default_factory=lambda: _EMPTY_KEYS)
    """Contracts the edge files showed in this block's range that are not nodes."""

    @property
    def n(self) -> int:
        return self.hi - self.lo

    def out_global(self) -> np.ndarray:
        out: np.ndarray = self.space[self.out_local]
        return out

    def in_global(self) -> np.ndarray:
        out: np.ndarray = self.space[self.in_local]
        return out


def _clip_time(first: np.ndarray) -> np.ndarray:
    t = np.where((first == _BIG) | (first <= 0), 0, np.minimum(first, _U32))
    return t.astype(np.uint32)


def _indptr(rows: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=out[1:])
    return out


def _first_by_row(rows: np.ndarray, first: np.ndarray, n: int) -> np.ndarray:
    fs = np.full(n, _BIG, dtype=np.int64)
    np.minimum.at(fs, rows, first)
    return fs


def with_space(
    k: int,
    bounds: np.ndarray,
    addresses: np.ndarray,
    out_indptr: np.ndarray,
    out_dst: np.ndarray,
    out_weight: np.ndarray,
    out_count: np.ndarray,
    out_time: np.ndarray,
    in_indptr: np.ndarray,
    in_src: np.ndarray,
    in_weight: np.ndarray,
    in_count: np.ndarray,
    in_time: np.ndarray,
    first_seen: np.ndarray,
    is_contract: np.ndarray,
    unplaced: np.ndarray,
) -> Block:
    """A block from rows in global ids: the local space and the ranges each other block fills."""
    lo, hi = int(bounds[k]), int(bounds[k + 1])
    space = unique_keys(np.concatenate([np.arange(lo, hi, dtype=np.int64), out_dst, in_src]))
    own_at = int(np.searchsorted(space, lo))
    edges = np.searchsorted(space, bounds)
    recv = tuple(
        (j, int(edges[j]), int(edges[j + 1])) for j in range(bounds.size - 1) if j != k and edges[j + 1] > edges[j]
    )
    return Block(
        k,
        lo,
        hi,
        bounds,
        addresses,
        space,
        own_at,
        out_indptr,
        np.searchsorted(space, out_dst).astype(np.int32),
        out_weight,
        out_count,
        out_time,
        in_indptr,
        np.searchsorted(space, in_src).astype(np.int32),
        in_weight,
        in_count,
        in_time,
        first_seen,
        is_contract,
        recv,
        unplaced=unplaced,
    )


def needs(block: Block, j: int) -> np.ndarray:
    """The rows of block j that ``block`` needs (their values fill its ``recv`` range for j)."""
    for jj, a, b in block.recv:
        if jj == j:
            return block.space[a:b] - int(block.bounds[j])
    return np.empty(0, np.int64)


def with_sends(block: Block, senders: Sequence[int], *rows: np.ndarray) -> Block:
    return replace(block, sends=dict(zip(senders, rows, strict=True)))


def payload(x: Any) -> np.ndarray:
    """The values a step exchanges: the array itself, or the first item of a step's state."""
    out: np.ndarray = x[0] if isinstance(x, tuple) else x
    return out


def take(block: Block, own: Any, k: int) -> np.ndarray:
    """What block ``k`` needs of these own values (per row, or rows of a matrix)."""
    out: np.ndarray = np.asarray(payload(own))[block.sends[k]]
    return out


def local_vector(block: Block, own: Any, pieces: Sequence[Any]) -> np.ndarray:
    """Values over the local space: own rows, and each other block's values at its range. A piece
    is what ``take`` cut for this block, or the other block's whole own values (cheaper to send
    whole than to cut when this block needs most of them)."""
    mine = payload(own)
    out = np.zeros((block.space.size, *mine.shape[1:]), dtype=mine.dtype)
    out[block.own_at : block.own_at + block.n] = mine
    for (j, a, b), piece in zip(block.recv, pieces, strict=True):
        values = payload(piece)
        if values.shape[0] != b - a:
            values = values[block.space[a:b] - int(block.bounds[j])]
        out[a:b] = values
    return out


# --- flags, labels and seed clusters -------------------------------------------------------------


def label_rows(block: Block, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(global id, index into ``keys``) of the labelled addresses that are nodes of this block."""
    if not keys.size or not block.n:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    pos = np.minimum(search(block.addresses, keys), block.n - 1)
    hit = np.flatnonzero(block.addresses[pos] == keys)
    return pos[hit].astype(np.int64) + block.lo, hit.astype(np.int64)


def node_flags(
    block: Block, keys: np.ndarray, seed_key: np.ndarray, service_key: np.ndarray, hub_degree: int
) -> np.ndarray:
    """``proximity.node_flags`` for the block's rows (the zero address is a service)."""
    flags = np.zeros(block.n, dtype=np.uint8)
    rows, at = label_rows(block, keys)
    rows -= block.lo
    flags[rows[seed_key[at]]] |= SEED
    flags[rows[service_key[at]]] |= SERVICE
    if block.n and not block.addresses[:1].view(np.uint8).any():  # the zero address sorts first
        flags[0] |= SERVICE
    degree = np.diff(block.out_indptr) + np.diff(block.in_indptr)
    flags[degree > hub_degree] |= HUB
    return flags


def node_bits(block: Block, flags: np.ndarray) -> np.ndarray:
    out: np.ndarray = flags | (block.is_contract.astype(np.uint8) * np.uint8(CONTRACT))
    return out


def relay_of(bits: np.ndarray) -> np.ndarray:
    relay: np.ndarray = ((bits & SEED) != 0) | ((bits & (SERVICE | HUB)) == 0)
    return relay


def seed_links(block: Block, flags: np.ndarray, *pieces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Links between seeds as ``kernels.seed_components`` makes them: a transfer from a seed to a
    seed, and seeds funded by the same relaying non-seed (consecutive pairs of its sorted seed
    recipients). Global ids; the component search runs on these pairs alone."""
    bits = local_vector(block, node_bits(block, flags), pieces)
    seed = (bits & SEED) != 0
    relay = relay_of(bits)
    rows = np.repeat(np.arange(block.n), np.diff(block.out_indptr))
    to_seed = seed[block.out_local]
    own_seed = seed[block.own_at + rows]
    direct = to_seed & own_seed
    a = [block.lo + rows[direct]]
    b = [block.space[block.out_local[direct]]]
    funder = to_seed & ~own_seed & relay[block.own_at + rows]
    fr, fv = rows[funder], block.space[block.out_local[funder]]
    same = np.flatnonzero(fr[1:] == fr[:-1])  # funded seeds are ascending within the funder's row
    a.append(fv[same])
    b.append(fv[same + 1])
    return np.concatenate(a), np.concatenate(b)


def seed_rows(block: Block, flags: np.ndarray) -> np.ndarray:
    return np.flatnonzero(flags & SEED).astype(np.int64) + block.lo


def clusters_of_seeds(seeds: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cluster id per seed (``seeds`` sorted global ids), numbered in order of each component's
    smallest node: ``proximity.number_clusters`` of ``kernels.seed_components``."""
    from txfirewall.graph import kernels

    if not seeds.size:
        return np.empty(0, np.int32)
    root = kernels.link_components(seeds.size, np.searchsorted(seeds, a), np.searchsorted(seeds, b))
    _uniq, inverse = np.unique(root, return_inverse=True)
    return inverse.astype(np.int32).reshape(-1)


def seed_cluster_rows(block: Block, seeds: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    out = np.full(block.n, -1, dtype=np.int32)
    lo, hi = np.searchsorted(seeds, [block.lo, block.hi])
    out[seeds[lo:hi] - block.lo] = cluster[lo:hi]
    return out


# --- hops, exposure ------------------------------------------------------------------------------


def _pull(block: Block, forward: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows a forward walk pulls along (senders), or a backward one (recipients)."""
    if forward:
        return block.in_indptr, block.in_local, block.in_weight
    return block.out_indptr, block.out_local, block.out_weight


Hops = tuple[np.ndarray, np.ndarray, np.ndarray]
"""A BFS state per block: (the frontier values to exchange, hops, cluster)."""


def _front(dist: np.ndarray, cluster: np.ndarray, flags: np.ndarray, level: int) -> np.ndarray:
    from txfirewall.graph.kernels import NO_FRONT

    on = (dist == level) & relay_of(flags)
    return np.where(on, cluster, NO_FRONT).astype(np.int32)


def bfs_start(seed_cluster: np.ndarray, flags: np.ndarray) -> Hops:
    seed = seed_cluster >= 0
    dist = np.where(seed, 0, -1).astype(np.int32)
    cluster = np.where(seed, seed_cluster, -1).astype(np.int32)
    return _front(dist, cluster, flags, 0), dist, cluster


def bfs_step(block: Block, state: Hops, flags: np.ndarray, level: int, forward: bool, *pieces: Any) -> Hops:
    """One level: rows pull from the frontier of their senders (``forward``) or recipients."""
    from txfirewall.graph import kernels

    dist, cluster = state[1].copy(), state[2].copy()
    indptr, local, _w = _pull(block, forward)
    kernels.bfs_pull_step(indptr, local, local_vector(block, state, pieces), dist, cluster, level)
    return _front(dist, cluster, flags, level + 1), dist, cluster


def exposure_start(block: Block, flags: np.ndarray, forward: bool) -> tuple[np.ndarray, np.ndarray]:
    """(row totals of the pulled weights, the start values: 1 at seeds)."""
    from txfirewall.graph import kernels

    indptr, _local, weight = _pull(block, forward)
    return kernels.row_totals(indptr, weight), ((flags & SEED) != 0).astype(np.float64)


def exposure_step(
    block: Block,
    t: np.ndarray,
    start: tuple[np.ndarray, np.ndarray],
    flags: np.ndarray,
    relay_local: np.ndarray,
    hops: Hops,
    forward: bool,
    decay: float,
    *pieces: Any,
) -> np.ndarray:
    from txfirewall.graph import kernels

    indptr, local, weight = _pull(block, forward)
    return kernels.exposure_step(
        indptr,
        local,
        weight,
        start[0],
        (flags & SEED) != 0,
        hops[1] >= 0,
        relay_local,
        local_vector(block, t, pieces),
        block.own_at,
        decay,
    )


def relay_local(block: Block, flags: np.ndarray, *pieces: np.ndarray) -> np.ndarray:
    return relay_of(local_vector(block, flags, pieces))


# --- personalised PageRank -------------------------------------------------------------------------


WALKS = ((True, False), (False, False), (True, True), (False, True))
"""(forward, weighted) of the four walks, in the order of ``features.PROPAGATION_FEATURES``."""

Walk = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""The four PageRank walks of a block, one column each: (y = x / out total, to exchange; x; the
L1 change of the round that made x; the dangling mass of x)."""


def ppr_start(block: Block, flags: np.ndarray, seeds: int) -> tuple[np.ndarray, np.ndarray]:
    """(out totals of each walk, the personalisation vector) for the block's rows."""
    from txfirewall.graph import feature_kernels as fk

    relay = relay_of(flags)
    totals = np.empty((block.n, len(WALKS)))
    for w, (forward, weighted) in enumerate(WALKS):
        indptr, weight = (block.out_indptr, block.out_weight) if forward else (block.in_indptr, block.in_weight)
        totals[:, w] = fk.ppr_out_total(indptr, weight, weighted, relay)
    personal = ((flags & SEED) != 0) / float(max(seeds, 1))
    return totals, personal


def _spread_all(x: np.ndarray, totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from txfirewall.graph import feature_kernels as fk

    y = np.empty_like(x)
    dangling = np.empty(x.shape[1])
    for w in range(x.shape[1]):
        col, d = fk.ppr_spread(np.ascontiguousarray(x[:, w]), np.ascontiguousarray(totals[:, w]))
        y[:, w] = col
        dangling[w] = d
    return y, dangling


def ppr_begin(start: tuple[np.ndarray, np.ndarray]) -> Walk:
    x = np.repeat(start[1][:, None], len(WALKS), axis=1)
    y, dangling = _spread_all(x, start[0])
    return y, x, np.full(len(WALKS), -1.0), dangling


def ppr_control(
    previous: tuple[np.ndarray, np.ndarray], n: int, alpha: float, tol: float, first: bool, *states: Walk
) -> tuple[np.ndarray, np.ndarray]:
    """Per walk, (restart mass, still iterating) for the next round: the dangling mass of the
    blocks' x, and whether the last round's L1 change (none before the ``first`` round) still
    reached ``n * tol`` (``_ppr`` stops after the round whose change falls below). The blocks'
    partial sums are added in block order."""
    dangling = np.zeros(len(WALKS))
    err = np.zeros(len(WALKS))
    for state in states:
        dangling += state[3]
        err += state[2]
    active = previous[1].copy()
    if not first:
        active &= ~(err < n * tol)
    return 1.0 - alpha + alpha * dangling, active


def ppr_step(
    block: Block,
    state: Walk,
    start: tuple[np.ndarray, np.ndarray],
    control: tuple[np.ndarray, np.ndarray],
    alpha: float,
    *pieces: Any,
) -> Walk:
    """One round of each walk still iterating (``feature_kernels.ppr_pull_step`` per walk)."""
    from txfirewall.graph import feature_kernels as fk

    restart, active = control
    y_local = local_vector(block, state, pieces)
    x = state[1].copy()
    err = np.zeros(len(WALKS))
    for w, (forward, weighted) in enumerate(WALKS):
        if not active[w]:
            continue
        indptr, local, weight = _pull(block, forward)
        new, e = fk.ppr_pull_step(
            indptr,
            local,
            weight,
            weighted,
            np.ascontiguousarray(y_local[:, w]),
            np.ascontiguousarray(state[1][:, w]),
            start[1],
            alpha,
            float(restart[w]),
        )
        x[:, w] = new
        err[w] = e
    y, dangling = _spread_all(x, start[0])
    return y, x, err, dangling


# --- features and risk ---------------------------------------------------------------------------


def base_features(
    block: Block,
    flags: np.ndarray,
    pieces: Sequence[np.ndarray],
    rows: np.ndarray | None = None,
    previous: np.ndarray | None = None,
) -> np.ndarray:
    """The ``FEATURES`` matrix of the block's rows with the base columns filled (by
    ``feature_kernels.base_features`` on the block's rows). With ``rows``, only those rows are
    computed and the others' base columns come from ``previous`` (the incremental update)."""
    from txfirewall.graph import feature_kernels as fk

    bits = local_vector(block, node_bits(block, flags), pieces)
    out = np.full((block.n, len(FEATURES)), np.nan, dtype=np.float32)
    nb = len(BASE_FEATURES)
    if rows is not None and previous is not None:
        out[:, :nb] = previous
    sel = np.arange(block.n) if rows is None else rows
    o_ptr, o = _sub_rows(block.out_indptr, sel)
    i_ptr, i = _sub_rows(block.in_indptr, sel)
    part = np.empty((sel.size, len(FEATURES)), dtype=np.float32)
    fk.base_features_serial(
        o_ptr,
        block.out_local[o],
        block.out_weight[o],
        block.out_count[o],
        block.out_time[o],
        i_ptr,
        block.in_local[i],
        block.in_weight[i],
        block.in_count[i],
        block.in_time[i],
        (bits & CONTRACT) != 0,
        (bits & SEED) != 0,
        part,
    )
    out[sel, :nb] = part[:, :nb]
    return out


def _sub_rows(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, Any]:
    """(indptr, edge positions) of a subset of rows (all rows: the arrays as they are)."""
    if rows.size == indptr.size - 1:
        return indptr, slice(None)
    lengths = indptr[rows + 1] - indptr[rows]
    sub = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=sub[1:])
    starts = np.repeat(indptr[rows] - sub[:-1], lengths)
    return sub, np.arange(int(sub[-1])) + starts


def fill_columns(
    matrix: np.ndarray,
    seeds: int,
    hops_from: Hops,
    hops_to: Hops,
    score_from: np.ndarray,
    score_to: np.ndarray,
    ppr: Walk,
) -> np.ndarray:
    """Propagation and proximity columns, as ``features.compute_features`` fills them (``ppr``:
    forward, backward, forward by value, backward by value)."""
    at = len(BASE_FEATURES)
    out = matrix.copy()
    scale = float(seeds)
    for w in range(len(WALKS)):
        out[:, at] = ppr[1][:, w] * scale
        at += 1
    for hops in (hops_from, hops_to):
        out[:, at] = np.where(hops[1] >= 0, hops[1], NO_TRAIL)
        at += 1
    out[:, at] = score_from
    out[:, at + 1] = score_to
    return out


AGGREGATED_COLUMNS = np.array([FEATURES.index(name) for name in AGGREGATED], dtype=np.int64)
FIRST_AGGREGATE = FEATURES.index("nb_mean_" + AGGREGATED[0])


def aggregated(matrix: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(matrix[:, AGGREGATED_COLUMNS])


def neighbour_aggregates(block: Block, matrix: np.ndarray, *pieces: np.ndarray) -> np.ndarray:
    from txfirewall.graph import feature_kernels as fk

    values = local_vector(block, aggregated(matrix), pieces)
    out = matrix.copy()
    fk.neighbour_aggregates_rows(
        block.out_indptr, block.out_local, block.in_indptr, block.in_local, values, out, FIRST_AGGREGATE
    )
    return out


def base_features_all(block: Block, flags: np.ndarray, *pieces: np.ndarray) -> np.ndarray:
    return base_features(block, flags, pieces)


def base_features_update(
    block: Block, flags: np.ndarray, rows: np.ndarray, updated: tuple[Block, Update], *pieces: np.ndarray
) -> np.ndarray:
    previous = updated[1].features
    assert previous is not None
    return base_features(block, flags, pieces, rows, previous[:, : len(BASE_FEATURES)])


def score_all(model: Any, matrix: np.ndarray, flags: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(the model's columns, risk, rows scored) as ``risk.risk_for_graph``."""
    from txfirewall.graph.risk import risk_for_graph

    x, risk = risk_for_graph(model, matrix, (flags & SEED) != 0)
    return x, risk, int(risk.size)


def score_update(
    model: Any, matrix: np.ndarray, flags: np.ndarray, updated: tuple[Block, Update]
) -> tuple[np.ndarray, np.ndarray, int]:
    """``score_all`` where only rows whose model columns changed (bit for bit) since the previous
    build (same model) are scored again: the model is a function of the row."""
    from txfirewall.graph.risk import risk_for_graph

    previous, old_risk = updated[1].features, updated[1].risk
    assert previous is not None and old_risk is not None
    seed = (flags & SEED) != 0
    x = np.ascontiguousarray(matrix[:, model.columns], dtype=np.float32)
    old_x = np.ascontiguousarray(previous[:, len(BASE_FEATURES) :], dtype=np.float32)
    changed = (x.view(np.uint32) != old_x.view(np.uint32)).any(axis=1) | seed
    risk = old_risk.copy()
    if changed.any():
        _x, fresh = risk_for_graph(model, matrix[changed], seed[changed])
        risk[changed] = fresh
    return x, risk, int(changed.sum())


def edge_counts(block: Block) -> tuple[int, int]:
    return int(block.out_local.size), int(block.in_local.size)


def export(
    block: Block,
    flags: np.ndarray,
    seed_cluster: np.ndarray,
    hops_from: Hops,
    hops_to: Hops,
    score_from: np.ndarray,
    score_to: np.ndarray,
    scored: tuple[np.ndarray, np.ndarray, int] | None,
    max_hops: int,
) -> dict[str, np.ndarray]:
    """The block's share of every array of the index, in the index's dtypes (``indptr`` local)."""
    small = np.int8 if max_hops < 127 else np.int16
    out = {
        "addresses": block.addresses,
        "out_indptr": block.out_indptr,
        "out_indices": block.out_global().astype(np.int32),
        "out_weight": block.out_weight,
        "out_count": block.out_count,
        "out_time": block.out_time,
        "in_indptr": block.in_indptr,
        "in_indices": block.in_global().astype(np.int32),
        "in_weight": block.in_weight,
        "in_count": block.in_count,
        "in_time": block.in_time,
        "first_seen": block.first_seen,
        "is_contract": block.is_contract,
        "unplaced_contracts": block.unplaced,
        "flags": flags,
        "seed_cluster": seed_cluster,
        "hops_from": hops_from[1].astype(small),
        "hops_to": hops_to[1].astype(small),
        "cluster_from": hops_from[2],
        "cluster_to": hops_to[2],
        "score_from": score_from,
        "score_to": score_to,
    }
    if scored is not None:
        out["features"] = scored[0]
        out["risk"] = scored[1]
    return out
