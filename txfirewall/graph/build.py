"""``graph build``: edge files + labels -> a graph directory (CSR, proximity, clusters, risk)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from txfirewall.graph.clusters import clusters_json, summarise_clusters
from txfirewall.graph.csr import CsrGraph, from_batch, keys_to_array
from txfirewall.graph.features import PropagationParams, compute_features
from txfirewall.graph.ingest import EdgeBatch, read_edges
from txfirewall.graph.proximity import SEED, ProximityArrays, ProximityParams, precompute, relay_mask
from txfirewall.graph.risk import RiskArrays, RiskModel, risk_for_graph
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


def propagation_params(model: RiskModel) -> PropagationParams:
    """The random-walk parameters the model was trained with (features must be computed alike)."""
    raw = model.metadata.get("propagation", {})
    return PropagationParams(**raw) if isinstance(raw, dict) else PropagationParams()


def graph_features(
    graph: CsrGraph, arrays: ProximityArrays, propagation: PropagationParams = PropagationParams()
) -> np.ndarray:
    """The full ``features.FEATURES`` matrix for ``graph`` with the seeds of ``arrays``."""
    seed = (np.asarray(arrays.flags) & SEED) != 0
    return compute_features(
        graph,
        seed,
        relay_mask(np.asarray(arrays.flags)),
        arrays.hops_from,
        arrays.hops_to,
        arrays.score_from,
        arrays.score_to,
        propagation,
    )


def precompute_risk(graph: CsrGraph, arrays: ProximityArrays, model: RiskModel) -> RiskArrays:
    """Features (the model's columns) and risk for every address; seeds are 1."""
    matrix = graph_features(graph, arrays, propagation_params(model))
    seed = (np.asarray(arrays.flags) & SEED) != 0
    features, risk = risk_for_graph(model, matrix, seed)
    return RiskArrays(features, risk, model)


def build_graph(
    graph: CsrGraph,
    labels: Mapping[Address, tuple[Label, ...]],
    out: Path,
    params: ProximityParams = ProximityParams(),
    *,
    risk_model: RiskModel | None = None,
    with_risk: bool = True,
) -> ProximityArrays:
    """Precompute proximity (and, unless ``with_risk`` is false, features and risk with
    ``risk_model``, by default the shipped model) and write everything the online index needs."""
    node_labels = label_nodes(graph, labels)
    seed, service = roles(graph, node_labels)
    arrays = precompute(graph, seed, service, params)
    graph.save(out)
    arrays.save(out, params)
    clusters = summarise_clusters(arrays.seed_cluster, node_labels)
    (out / "clusters.json").write_text(json.dumps(clusters_json(clusters), indent=1) + "\n")
    for name in ("features.npy", "risk.npy", "risk_model.json"):
        (out / name).unlink(missing_ok=True)
    if with_risk:
        model = risk_model if risk_model is not None else RiskModel.load()
        precompute_risk(graph, arrays, model).save(out)
    return arrays


def build_from_files(
    edge_files: Sequence[Path],
    labels: Mapping[Address, tuple[Label, ...]],
    out: Path,
    params: ProximityParams = ProximityParams(),
    *,
    risk_model: RiskModel | None = None,
    with_risk: bool = True,
) -> tuple[CsrGraph, ProximityArrays]:
    batch = EdgeBatch.concat(read_edges(p) for p in edge_files)
    graph = from_batch(batch)
    arrays = build_graph(graph, labels, out, params, risk_model=risk_model, with_risk=with_risk)
    save_unplaced_contracts(out, graph, batch.contracts)
    return graph, arrays


UNPLACED_CONTRACTS = "unplaced_contracts.npy"


def save_unplaced_contracts(out: Path, graph: CsrGraph, contracts: np.ndarray) -> None:
    """The contracts the edge files showed that are not nodes of the graph (a token seen only in
    a ``token`` column): not used by lookups, but an incremental update (``--engine dask
    --update``) that makes one of them a node must mark it as a contract, as a full build would."""
    if graph.n_nodes:
        pos = np.minimum(np.searchsorted(graph.addresses, contracts), graph.n_nodes - 1)
        contracts = contracts[graph.addresses[pos] != contracts]
    np.save(out / UNPLACED_CONTRACTS, np.ascontiguousarray(contracts, dtype="S20"))
