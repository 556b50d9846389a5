"""The online side: open a built graph directory (memory-mapped) and answer per-address proximity
and risk in well under a millisecond. NetworkX is loaded only to draw the human-readable path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from txfirewall.errors import InputFileError
from txfirewall.graph.csr import CsrGraph
from txfirewall.graph.proximity import SEED, ProximityArrays, ProximityParams, relay_mask
from txfirewall.graph.risk import SEED_REASON, RiskArrays
from txfirewall.model.facts import AddressProximity, ClusterInfo, Proximity
from txfirewall.model.primitives import Address, to_address

_LAYER_WIDTH = 32
"""Nodes kept per layer of the ego graph: enough for a path, bounded for hubs."""


class ProximityIndex:
    """``ProximityIndex.open(dir).lookup("0x...")``; None for an address not in the graph."""

    def __init__(
        self,
        graph: CsrGraph,
        arrays: ProximityArrays,
        params: ProximityParams,
        clusters: list[ClusterInfo],
        risk: RiskArrays | None = None,
    ) -> None:
        self.graph = graph
        self.arrays = arrays
        self.params = params
        self.clusters = clusters
        self.risk = risk

    @classmethod
    def open(cls, directory: Path) -> ProximityIndex:
        graph = CsrGraph.load(directory)
        arrays, params = ProximityArrays.load(directory)
        try:
            raw = json.loads((directory / "clusters.json").read_text())
            clusters = [
                ClusterInfo(
                    int(c["id"]),
                    int(c["size"]),
                    tuple(str(x) for x in c["labels"]),
                    tuple(str(x) for x in c["categories"]),
                )
                for c in raw
            ]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputFileError(f"{directory}/clusters.json is unreadable: {exc}") from exc
        return cls(graph, arrays, params, clusters, RiskArrays.load(directory))

    def node(self, address: str) -> int | None:
        try:
            key = bytes.fromhex(address[2:]) if len(address) == 42 else b""
        except ValueError:
            return None
        return self.graph.node_id(key) if len(key) == 20 else None

    def lookup(self, address: str, *, with_path: bool = True) -> AddressProximity | None:
        node = self.node(address)
        if node is None:
            return None
        a = self.arrays
        hf, ht = int(a.hops_from[node]), int(a.hops_to[node])
        hops_from, hops_to = (hf if hf >= 0 else None), (ht if ht >= 0 else None)
        cluster_id = -1
        backward = False
        if hops_from is not None or hops_to is not None:
            backward = hops_from is None or (hops_to is not None and hops_to < hops_from)
            cluster_id = int(a.cluster_to[node] if backward else a.cluster_from[node])
        path: tuple[Address, ...] = ()
        if with_path and cluster_id >= 0:
            path = self.path(node, backward=backward)
        score = max(float(a.score_from[node]), float(a.score_to[node]))
        first = int(self.graph.first_seen[node])
        risk, reasons = self.risk_of(node)
        proximity = Proximity(
            hops_from,
            hops_to,
            score,
            path,
            self.clusters[cluster_id] if 0 <= cluster_id < len(self.clusters) else None,
            risk,
            reasons,
        )
        return AddressProximity(
            to_address("0x" + self.graph.address_bytes(node).hex()), proximity, first if first >= 0 else None
        )

    def risk_of(self, node: int) -> tuple[float | None, tuple[str, ...]]:
        """The precomputed risk and, from the node's stored features, the reasons for it."""
        if self.risk is None:
            return None, ()
        risk = float(self.risk.risk[node])
        if self.arrays.flags[node] & SEED:
            return risk, (SEED_REASON,)
        return risk, self.risk.model.reasons(np.asarray(self.risk.features[node]), risk=risk)

    def path(self, node: int, *, backward: bool) -> tuple[Address, ...]:
        """Shortest path seed -> node (or node -> seed when ``backward``), found by NetworkX in the
        small ego graph of nodes one hop nearer the seeds at each step."""
        import networkx as nx

        g = self.graph
        hops = self.arrays.hops_to if backward else self.arrays.hops_from
        indptr, indices = (g.out_indptr, g.out_indices) if backward else (g.in_indptr, g.in_indices)
        relay = relay_mask(np.asarray(self.arrays.flags))
        ego: nx.DiGraph[int] = nx.DiGraph()
        ego.add_node(node)
        layer = [node]
        seeds: list[int] = [node] if int(hops[node]) == 0 else []
        for depth in range(int(hops[node]), 0, -1):
            nearer: list[int] = []
            for x in layer:
                for e in range(int(indptr[x]), int(indptr[x + 1])):
                    u = int(indices[e])
                    if int(hops[u]) == depth - 1 and relay[u]:
                        ego.add_edge(u, x)
                        if u not in nearer and len(nearer) < _LAYER_WIDTH:
                            nearer.append(u)
            layer = nearer
            if depth == 1:
                seeds = [u for u in layer if self.arrays.flags[u] & SEED]
        if not seeds:
            return ()
        _, nodes = nx.multi_source_dijkstra(ego, sorted(seeds), target=node, weight=lambda u, v, d: 1)
        addresses = tuple(to_address("0x" + g.address_bytes(int(x)).hex()) for x in nodes)
        return tuple(reversed(addresses)) if backward else addresses
