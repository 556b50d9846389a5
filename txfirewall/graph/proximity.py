"""The proximity precompute: from illicit seeds, for every address, hops each way, exposure score
and nearest cluster. Runs the Numba kernels; ``reference.py`` is the NetworkX twin it is tested
against.

Direction: *from* illicit follows transfers forward from a seed (this address received tainted
funds); *to* illicit follows them backward (this address sends funds towards a seed). Service
addresses are reached but never relay: money through an exchange is not a trail, and without this
rule two hops reach almost every address.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from txfirewall.errors import InputFileError
from txfirewall.graph.csr import CsrGraph

SEED, SERVICE, HUB = 1, 2, 4
_PARALLEL_FROM = 50_000
"""Nodes from which the threaded exposure kernel pays for its start-up."""
_ARRAYS = ("flags", "seed_cluster", "hops_from", "hops_to", "cluster_from", "cluster_to", "score_from", "score_to")


@dataclass(frozen=True)
class ProximityParams:
    """``max_hops`` bounds the walk; ``decay`` multiplies the score per hop; an address with more
    than ``hub_degree`` counterparties (in + out) counts as a service."""

    max_hops: int = 4
    decay: float = 0.5
    hub_degree: int = 1000

    def __post_init__(self) -> None:
        if not 1 <= self.max_hops <= 100:
            raise ValueError("max_hops must be between 1 and 100")
        if not 0.0 < self.decay <= 1.0:
            raise ValueError("decay must be in (0, 1]")


@dataclass(frozen=True)
class ProximityArrays:
    """Per node: flags (SEED | SERVICE | HUB), the seed's cluster (-1 otherwise), hops each way
    (-1: none within max_hops), the nearest cluster each way, and the score each way in [0, 1]."""

    flags: np.ndarray
    seed_cluster: np.ndarray
    hops_from: np.ndarray
    hops_to: np.ndarray
    cluster_from: np.ndarray
    cluster_to: np.ndarray
    score_from: np.ndarray
    score_to: np.ndarray

    def nbytes(self) -> int:
        return sum(int(getattr(self, name).nbytes) for name in _ARRAYS)

    def save(self, directory: Path, params: ProximityParams) -> None:
        for name in _ARRAYS:
            np.save(directory / f"{name}.npy", np.ascontiguousarray(getattr(self, name)))
        (directory / "proximity.json").write_text(json.dumps(asdict(params), indent=1) + "\n")

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> tuple[ProximityArrays, ProximityParams]:
        try:
            params = ProximityParams(**json.loads((directory / "proximity.json").read_text()))
            arrays = {n: np.load(directory / f"{n}.npy", mmap_mode="r" if mmap else None) for n in _ARRAYS}
        except (OSError, ValueError, TypeError) as exc:
            raise InputFileError(
                f"{directory} has no proximity precompute: {exc}", hint="run `txfirewall graph build`"
            ) from exc
        return cls(**arrays), params


def node_flags(graph: CsrGraph, is_seed: np.ndarray, is_service: np.ndarray, params: ProximityParams) -> np.ndarray:
    flags = np.zeros(graph.n_nodes, dtype=np.uint8)
    flags[is_seed] |= SEED
    flags[is_service] |= SERVICE
    flags[graph.degree() > params.hub_degree] |= HUB
    return flags


def relay_mask(flags: np.ndarray) -> np.ndarray:
    """Taint passes through seeds and through anything that is neither a service nor a hub."""
    relay: np.ndarray = ((flags & SEED) != 0) | ((flags & (SERVICE | HUB)) == 0)
    return relay


def number_clusters(roots: np.ndarray) -> np.ndarray:
    """Component roots -> cluster ids 0..k-1 in order of each component's smallest node id."""
    out = np.full(roots.size, -1, dtype=np.int32)
    seeds = np.flatnonzero(roots >= 0)
    if seeds.size:
        _uniq, inverse = np.unique(roots[seeds], return_inverse=True)  # a root is its component's min id
        out[seeds] = inverse.astype(np.int32)
    return out


def precompute(
    graph: CsrGraph, is_seed: np.ndarray, is_service: np.ndarray, params: ProximityParams = ProximityParams()
) -> ProximityArrays:
    """Everything the online lookup needs, in O(edges x max_hops)."""
    from txfirewall.graph import kernels

    flags = node_flags(graph, is_seed, is_service, params)
    relay = relay_mask(flags)
    seed_flag = (flags & SEED) != 0
    seeds = np.flatnonzero(seed_flag).astype(np.int32)
    roots = kernels.seed_components(
        graph.out_indptr, graph.out_indices, graph.in_indptr, graph.in_indices, seeds, seed_flag, relay
    )
    seed_cluster = number_clusters(roots)
    source_cluster = seed_cluster[seeds]
    hops_from, cluster_from = kernels.bfs_levels(
        graph.out_indptr, graph.out_indices, seeds, source_cluster, relay, params.max_hops
    )
    hops_to, cluster_to = kernels.bfs_levels(
        graph.in_indptr, graph.in_indices, seeds, source_cluster, relay, params.max_hops
    )
    exposure = kernels.exposure if graph.n_nodes >= _PARALLEL_FROM else kernels.exposure_serial
    score_from = exposure(
        graph.in_indptr,
        graph.in_indices,
        graph.in_weight,
        seed_flag,
        relay,
        hops_from >= 0,
        params.decay,
        params.max_hops,
    )
    score_to = exposure(
        graph.out_indptr,
        graph.out_indices,
        graph.out_weight,
        seed_flag,
        relay,
        hops_to >= 0,
        params.decay,
        params.max_hops,
    )
    small = np.int8 if params.max_hops < 127 else np.int16
    return ProximityArrays(
        flags,
        seed_cluster,
        hops_from.astype(small),
        hops_to.astype(small),
        cluster_from,
        cluster_to,
        score_from,
        score_to,
    )
