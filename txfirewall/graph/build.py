"""``graph build``: edge files + labels -> a graph directory (CSR, proximity, clusters)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from txfirewall.graph.clusters import clusters_json, summarise_clusters
from txfirewall.graph.csr import CsrGraph, from_batch, keys_to_array
from txfirewall.graph.ingest import EdgeBatch, read_edges
from txfirewall.graph.proximity import ProximityArrays, ProximityParams, precompute
from txfirewall.intel.categories import is_seed, is_service
from txfirewall.model.facts import Label
from txfirewall.model.primitives import Address


def label_nodes(graph: CsrGraph, labels: Mapping[Address, tuple[Label, ...]]) -> dict[int, tuple[Label, ...]]:
    """Labels of the addresses that are in the graph, by node id (one vectorised search)."""
    if not labels or graph.n_nodes == 0:
        return {}
    addresses = list(labels)
    keys = keys_to_array([bytes.fromhex(a[2:]) for a in addresses])
    pos = np.minimum(np.searchsorted(graph.addresses, keys), graph.n_nodes - 1)
    hit = graph.addresses[pos] == keys
    return {int(pos[i]): labels[addresses[i]] for i in np.flatnonzero(hit)}


def roles(graph: CsrGraph, node_labels: Mapping[int, tuple[Label, ...]]) -> tuple[np.ndarray, np.ndarray]:
    seed = np.zeros(graph.n_nodes, dtype=bool)
    service = np.zeros(graph.n_nodes, dtype=bool)
    for node, items in node_labels.items():
        seed[node] = is_seed(items)
        service[node] = is_service("", items)
    zero = graph.node_id(bytes(20))
    if zero is not None:
        service[zero] = True
    return seed, service


def build_graph(
    graph: CsrGraph, labels: Mapping[Address, tuple[Label, ...]], out: Path, params: ProximityParams = ProximityParams()
) -> ProximityArrays:
    """Precompute proximity for ``graph`` and write everything the online index needs."""
    node_labels = label_nodes(graph, labels)
    seed, service = roles(graph, node_labels)
    arrays = precompute(graph, seed, service, params)
    graph.save(out)
    arrays.save(out, params)
    clusters = summarise_clusters(arrays.seed_cluster, node_labels)
    (out / "clusters.json").write_text(json.dumps(clusters_json(clusters), indent=1) + "\n")
    return arrays


def build_from_files(
    edge_files: Sequence[Path],
    labels: Mapping[Address, tuple[Label, ...]],
    out: Path,
    params: ProximityParams = ProximityParams(),
) -> tuple[CsrGraph, ProximityArrays]:
    batch = EdgeBatch.concat(read_edges(p) for p in edge_files)
    graph = from_batch(batch)
    return graph, build_graph(graph, labels, out, params)
