"""The shipped graph risk model: what it says about itself, how it scores, how it explains, and
that on generated graphs with planted phishers (half of them hidden) it ranks the hidden ones above
normal accounts better than shortest path does. Never reads ../shared: the model is package data."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from txfirewall.errors import InputFileError
from txfirewall.graph.build import precompute_risk
from txfirewall.graph.clusters import clusters_json
from txfirewall.graph.csr import CsrGraph
from txfirewall.graph.features import FEATURES
from txfirewall.graph.index import ProximityIndex
from txfirewall.graph.proximity import ProximityArrays, ProximityParams, precompute
from txfirewall.graph.risk import SEED_REASON, RiskArrays, RiskModel, describe

from ..support.planted import Planted, planted_graph


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """ROC AUC as the chance that a positive outranks a negative (ties count half)."""
    pos, neg = np.asarray(positive, dtype=np.float64), np.sort(np.asarray(negative, dtype=np.float64))
    below = np.searchsorted(neg, pos, side="left")
    ties = np.searchsorted(neg, pos, side="right") - below
    return float((below + 0.5 * ties).sum() / (pos.size * neg.size))


@pytest.fixture(scope="module")
def model() -> RiskModel:
    return RiskModel.load()


def half_hidden(p: Planted, seed: int) -> tuple[np.ndarray, np.ndarray, ProximityArrays, RiskArrays]:
    rng = np.random.default_rng(seed)
    hidden = rng.permutation(p.phishers)[: p.phishers.size // 2]
    is_seed = np.zeros(p.graph.n_nodes, dtype=bool)
    is_seed[p.phishers] = True
    is_seed[hidden] = False
    service = np.zeros(p.graph.n_nodes, dtype=bool)
    service[p.exchanges] = True
    arrays = precompute(p.graph, is_seed, service, ProximityParams())
    return hidden, is_seed, arrays, precompute_risk(p.graph, arrays, RiskModel.load())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_model_finds_hidden_planted_phishers_better_than_shortest_path(seed: int) -> None:
    p = planted_graph(seed)
    hidden, _, arrays, risk = half_hidden(p, seed)
    hops = np.minimum(
        np.where(arrays.hops_from >= 0, arrays.hops_from, 99), np.where(arrays.hops_to >= 0, arrays.hops_to, 99)
    )
    model_auc = auc(risk.risk[hidden], risk.risk[p.normal])
    path_auc = auc(-hops[hidden].astype(float), -hops[p.normal].astype(float))
    score = np.maximum(arrays.score_from, arrays.score_to)
    score_auc = auc(score[hidden], score[p.normal])
    assert model_auc >= 0.85, model_auc
    assert model_auc >= path_auc + 0.2, (model_auc, path_auc)
    assert model_auc >= score_auc + 0.2, (model_auc, score_auc)


def test_the_shipped_model_says_where_it_comes_from(model: RiskModel) -> None:
    meta = model.metadata
    assert any("xblock" in name.lower() for name in meta["training_data"])
    assert list(model.features) == meta["features"] and set(model.features) <= set(FEATURES)
    assert meta["heldout_auc"]["xblock_test_half_hidden"] >= 0.9
    halves = meta["metrics"]["half_hidden"]
    assert halves["model"]["mean"] > halves["shortest_path"]["mean"] + 0.1
    assert meta["command"].startswith("make train") and meta["trained"]
    assert meta["propagation"]["alpha"] == 0.85
    path = Path(__file__).resolve().parents[2] / "txfirewall" / "data" / "graph_risk" / "model.json"
    assert path.stat().st_size < 2_000_000


def test_scores_are_calibrated_probabilities_and_contributions_add_up(model: RiskModel) -> None:
    p = planted_graph(0, n_normal=500, crews=3)
    _, _, _, risk = half_hidden(p, 0)
    assert risk.risk.dtype == np.float32 and ((risk.risk >= 0) & (risk.risk <= 1)).all()
    roots = float(model.value[model.roots].sum())
    for node in range(0, p.graph.n_nodes, 37):
        row = np.asarray(risk.features[node])
        margin = float(model.margin(row[None, :])[0])
        assert model.contributions(row).sum() + model.base + roots == pytest.approx(margin, abs=1e-9)


def test_reasons_are_words_with_the_addresses_own_numbers(model: RiskModel) -> None:
    p = planted_graph(1)
    hidden, _, _, risk = half_hidden(p, 1)
    riskiest = int(hidden[np.argmax(risk.risk[hidden])])
    reasons = model.reasons(np.asarray(risk.features[riskiest]))
    assert 1 <= len(reasons) <= 3 and all(isinstance(r, str) and r for r in reasons)
    row = dict(zip(model.features, np.asarray(risk.features[riskiest], dtype=float).tolist(), strict=True))
    explained = [name for name, _ in model.explain(np.asarray(risk.features[riskiest]))]
    assert [describe(name, row) for name in explained] == list(reasons)
    values = {"in_degree": 212.0, "hour_forward_share": 0.98}
    assert describe("hour_forward_share", values) == "received from 212 addresses and forwarded 98 % within an hour"
    assert describe("in_degree", {"in_degree": 1.0}) == "received from 1 address"
    assert describe("hops_from", {"hops_from": 99.0}) == "no illicit trail from it within the hop bound"
    assert describe("forwarded_share", {"forwarded_share": 10.0}) == "sent at least 10 times the value it received"
    for name in FEATURES:  # every feature has words, defined or not
        for value in (-1.0, 0.0, 0.5, 3.0, 99.0):
            assert describe(name, {name: value, "in_degree": 4.0})


def test_lookup_carries_risk_and_reasons_fast(tmp_path: Path) -> None:
    p = planted_graph(2, n_normal=1500, crews=6)
    hidden, is_seed, arrays, risk = half_hidden(p, 2)
    p.graph.save(tmp_path)
    arrays.save(tmp_path, ProximityParams())
    (tmp_path / "clusters.json").write_text(json.dumps(clusters_json([])))
    risk.save(tmp_path)
    index = ProximityIndex.open(tmp_path)
    assert index.risk is not None and isinstance(index.risk.features, np.memmap)
    address = "0x" + p.graph.address_bytes(int(hidden[0])).hex()
    found = index.lookup(address, with_path=False)
    assert found is not None and found.proximity.risk == pytest.approx(float(risk.risk[hidden[0]]))
    assert found.proximity.reasons and found.proximity.to_json()["reasons"] == list(found.proximity.reasons)
    seed = index.lookup("0x" + p.graph.address_bytes(int(np.flatnonzero(is_seed)[0])).hex(), with_path=False)
    assert seed is not None and seed.proximity.risk == 1.0 and seed.proximity.reasons == (SEED_REASON,)
    keys = ["0x" + p.graph.address_bytes(int(v)).hex() for v in range(0, p.graph.n_nodes, 7)]
    started = time.perf_counter()
    for k in keys:
        index.lookup(k, with_path=False)
    assert (time.perf_counter() - started) / len(keys) < 0.005  # the bench measures it properly (~0.1 ms)


def test_a_directory_built_without_risk_still_answers(tmp_path: Path) -> None:
    p = planted_graph(0, n_normal=300, crews=2)
    _, _, arrays, _ = half_hidden(p, 0)
    p.graph.save(tmp_path)
    arrays.save(tmp_path, ProximityParams())
    (tmp_path / "clusters.json").write_text("[]")
    found = ProximityIndex.open(tmp_path).lookup("0x" + p.graph.address_bytes(5).hex())
    assert found is not None and found.proximity.risk is None and found.proximity.reasons == ()


def test_malformed_models_and_old_graphs_are_typed_errors(model: RiskModel, tmp_path: Path) -> None:
    data = model.to_json()
    assert RiskModel.from_json(json.loads(json.dumps(data))).to_json() == data
    bad = json.loads(json.dumps(data))
    bad["trees"]["left"][0] = 10**9
    with pytest.raises(InputFileError, match="malformed"):
        RiskModel.from_json(bad)
    with pytest.raises(InputFileError, match="does not compute"):
        replace(model, features=("no_such_feature", *model.features[1:]))
    with pytest.raises(InputFileError, match="not supported"):
        RiskModel.from_json({**data, "format": 99})
    p = planted_graph(0, n_normal=100, crews=1)
    p.graph.save(tmp_path)
    (tmp_path / "graph.json").write_text(json.dumps({"format": 1, "nodes": 1, "edges": 0}))
    with pytest.raises(InputFileError, match="rebuild"):
        CsrGraph.load(tmp_path)


def test_every_feature_is_documented() -> None:
    from txfirewall.graph.features import AGGREGATED, DESCRIPTIONS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "graph_risk.md").read_text()
    assert set(DESCRIPTIONS) == set(FEATURES)
    for name in FEATURES:
        if not name.startswith("nb_"):
            assert f"`{name}`" in doc, name
    for name in AGGREGATED:
        assert f"`{name}`" in doc and "`nb_mean_*`, `nb_max_*`" in doc
