"""The address graph as compressed sparse rows, both directions, saved as ``.npy`` files.

Node ids are positions in the sorted array of 20-byte addresses, so a lookup is a binary search
on a memory-mapped array and nothing has to be unpickled or rebuilt. Parallel transfers between
the same pair are merged (values summed left to right in file order, so that an incremental update
continues the same sum: ``kernels.segment_sums``); weights are float64 because they only feed the
value-weighted exposure score, never an amount shown to the user.

Per merged edge the graph also keeps how many transfers it merges and when the first of them
happened (``uint32`` unix seconds, 0 when unknown): the behaviour features of
``txfirewall.graph.features`` read them (fan-in, time from receiving to forwarding, bursts). Per
node it keeps whether the edge files showed it to be a contract (it emitted a token ``Transfer``
or was created by a transaction).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from txfirewall.errors import InputFileError
from txfirewall.graph.ingest import EdgeBatch

FORMAT_VERSION = 2
_ARRAYS = (
    "addresses",
    "out_indptr",
    "out_indices",
    "out_weight",
    "out_count",
    "out_time",
    "in_indptr",
    "in_indices",
    "in_weight",
    "in_count",
    "in_time",
    "first_seen",
    "is_contract",
)


@dataclass(frozen=True)
class CsrGraph:
    """``out_*``: edges by sender; ``in_*``: the same edges by recipient."""

    addresses: np.ndarray  # (n,) S20, sorted
    out_indptr: np.ndarray  # (n+1,) int64
    out_indices: np.ndarray  # (m,) int32
    out_weight: np.ndarray  # (m,) float64
    out_count: np.ndarray  # (m,) uint32, transfers merged into the edge
    out_time: np.ndarray  # (m,) uint32, unix seconds of the first of them, 0 unknown
    in_indptr: np.ndarray
    in_indices: np.ndarray
    in_weight: np.ndarray
    in_count: np.ndarray
    in_time: np.ndarray
    first_seen: np.ndarray  # (n,) int64, -1 unknown
    is_contract: np.ndarray  # (n,) bool, known to hold code (from the edge files)

    @property
    def n_nodes(self) -> int:
        return int(self.addresses.size)

    @property
    def n_edges(self) -> int:
        return int(self.out_indices.size)

    def degree(self) -> np.ndarray:
        return np.diff(self.out_indptr) + np.diff(self.in_indptr)

    def node_id(self, key: bytes) -> int | None:
        """Binary search for a 20-byte address; None when it is not in the graph."""
        i = int(np.searchsorted(self.addresses, np.bytes_(key)))
        if i < self.addresses.size and bytes(self.addresses[i : i + 1].view(np.uint8)) == key:
            return i
        return None

    def address_bytes(self, node: int) -> bytes:
        return bytes(self.addresses[node : node + 1].view(np.uint8))

    def nbytes(self) -> int:
        return sum(int(getattr(self, name).nbytes) for name in _ARRAYS)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS:
            np.save(directory / f"{name}.npy", np.ascontiguousarray(getattr(self, name)))
        meta = {"format": FORMAT_VERSION, "nodes": self.n_nodes, "edges": self.n_edges}
        (directory / "graph.json").write_text(json.dumps(meta, indent=1) + "\n")

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> CsrGraph:
        """Memory-mapped by default: opening a 10M-edge graph costs nothing until it is read."""
        try:
            meta = json.loads((directory / "graph.json").read_text())
            if meta.get("format") != FORMAT_VERSION:
                raise InputFileError(
                    f"{directory}: graph format {meta.get('format')} (expected {FORMAT_VERSION})",
                    hint="rebuild it with `txfirewall graph build` (format 2 adds transfer counts and times)",
                )
            arrays = {name: np.load(directory / f"{name}.npy", mmap_mode="r" if mmap else None) for name in _ARRAYS}
        except (OSError, ValueError) as exc:
            raise InputFileError(
                f"{directory} is not a txfirewall graph: {exc}", hint="build one with `txfirewall graph build`"
            ) from exc
        return cls(**arrays)


def from_ids(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    timestamp: np.ndarray | None = None,
    addresses: np.ndarray | None = None,
    *,
    count: np.ndarray | None = None,
    is_contract: np.ndarray | None = None,
) -> CsrGraph:
    """CSR from integer node ids (``addresses[i]`` is node i's address and must be sorted).

    ``timestamp`` (per transfer, -1 unknown), ``count`` (transfers each row stands for, default 1:
    some public dumps are already aggregated per pair) and ``is_contract`` (per node) are optional.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    if addresses is None:
        addresses = synthetic_addresses(n)
    first_seen = np.full(n, -1, dtype=np.int64)
    big = np.iinfo(np.int64).max
    ts = np.full(src.size, big, dtype=np.int64)
    if timestamp is not None and src.size:
        raw = np.asarray(timestamp, dtype=np.int64)
        known = raw >= 0
        ts[known] = raw[known]
        fs = np.full(n, big, dtype=np.int64)
        np.minimum.at(fs, src[known], raw[known])
        np.minimum.at(fs, dst[known], raw[known])
        first_seen = np.where(fs == big, -1, fs)
    counts = np.ones(src.size, dtype=np.int64) if count is None else np.asarray(count, dtype=np.int64)
    key = src * n + dst
    order = np.argsort(key, kind="stable")
    key = key[order]
    if key.size:
        starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
        from txfirewall.graph.kernels import segment_sums

        merged_w = segment_sums(weight[order], starts, np.zeros(starts.size))
        merged_c = np.add.reduceat(counts[order], starts)
        merged_t = np.minimum.reduceat(ts[order], starts)
        key = key[starts]
    else:
        merged_w = np.empty(0, dtype=np.float64)
        merged_c = np.empty(0, dtype=np.int64)
        merged_t = np.empty(0, dtype=np.int64)
    merged_c = np.clip(merged_c, 1, np.iinfo(np.uint32).max).astype(np.uint32)
    merged_t = np.where((merged_t == big) | (merged_t <= 0), 0, np.minimum(merged_t, np.iinfo(np.uint32).max))
    merged_t = merged_t.astype(np.uint32)
    s, d = key // n, key % n
    out_indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(s, minlength=n), out=out_indptr[1:])
    by_dst = np.argsort(d, kind="stable")  # keeps senders sorted within each recipient
    in_indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(d, minlength=n), out=in_indptr[1:])
    contract = np.zeros(n, dtype=bool) if is_contract is None else np.asarray(is_contract, dtype=bool)
    return CsrGraph(
        addresses=addresses,
        out_indptr=out_indptr,
        out_indices=d.astype(np.int32),
        out_weight=merged_w,
        out_count=merged_c,
        out_time=merged_t,
        in_indptr=in_indptr,
        in_indices=s[by_dst].astype(np.int32),
        in_weight=merged_w[by_dst],
        in_count=merged_c[by_dst],
        in_time=merged_t[by_dst],
        first_seen=first_seen,
        is_contract=contract,
    )


def from_batch(batch: EdgeBatch, extra_nodes: np.ndarray | None = None) -> CsrGraph:
    """CSR from an edge list keyed by address; ``extra_nodes`` (S20) are added even if isolated."""
    keys = [batch.src, batch.dst] + ([extra_nodes.astype("S20")] if extra_nodes is not None else [])
    addresses, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    m = len(batch)
    contract = np.zeros(addresses.size, dtype=bool)
    if batch.contracts.size:
        pos = np.minimum(np.searchsorted(addresses, batch.contracts), addresses.size - 1)
        contract[pos[addresses[pos] == batch.contracts]] = True
    return from_ids(
        addresses.size,
        inverse[:m],
        inverse[m : 2 * m],
        batch.weight,
        batch.timestamp,
        addresses,
        count=batch.count,
        is_contract=contract,
    )


def synthetic_addresses(n: int) -> np.ndarray:
    """Sorted 20-byte addresses for generated graphs (node i is 0x00..00<i>, big-endian)."""
    raw = np.zeros((n, 20), dtype=np.uint8)
    raw[:, 12:] = np.arange(n, dtype=">u8").view(np.uint8).reshape(n, 8)
    return raw.reshape(-1).view("S20")


def keys_to_array(keys: list[bytes]) -> np.ndarray:
    return np.array(keys, dtype="S20") if keys else np.empty(0, dtype="S20")
