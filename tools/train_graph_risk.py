"""Train the graph risk model (maintainer step): ``make train DATA=DIR``.

Reads labelled transfer graphs under DIR (default ``../shared/data``), computes the features with
the package's own code (``txfirewall.graph.features``, the same code ``graph build`` runs on a
user's graph), fits scikit-learn gradient-boosted trees, calibrates them, measures the held-out
AUC against shortest path and the proximity score in the same run, and writes the model as one
JSON file (``txfirewall/data/graph_risk/model.json``) that scoring reads without scikit-learn.

Data it understands (the first found wins):

- ``DIR/xblock_phishing_890_subgraph/``: ``edges.csv.gz`` (from,to,amount,n_transactions,
  timestamp; integer node ids) and ``nodes_train_test_split.csv.gz`` (id,label,has_label,
  is_train,is_test). Its ids are anonymised, so address lists (Forta, Etherscan) cannot be joined
  to it; it is read in place and never copied.
- ``DIR/edges.*`` (any format ``graph build`` reads) and ``DIR/labels.csv`` with columns
  ``address,label[,split]`` (label 1 illicit, 0 normal; split ``train`` / ``test``, else a
  seeded 70/30 split): your own labelled graph. Addresses listed as phishing / phish-hack in
  ``DIR/forta_labelled_datasets/`` or ``DIR/etherscan_labels_brianleect/`` that are in the graph
  are added as illicit labels.

Protocol (the docs describe it in full): labels of the training split are cut into two folds;
each fold's rows get features computed with the *other* fold's illicit labels as seeds, so no
row's own label is ever a seed. Evaluation on the test split: half of all illicit labels are
hidden (every test one plus a random part of the training ones), the rest are seeds; the hidden
test illicit addresses are ranked against the test normal ones. Repeated over five random hides.

``--check``: train again and compare the held-out AUC with the shipped model's (exit 1 when they
differ by more than ``--tolerance``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from txfirewall.graph.csr import CsrGraph, from_batch, from_ids, keys_to_array  # noqa: E402
from txfirewall.graph.features import FEATURES, PropagationParams, compute_features  # noqa: E402
from txfirewall.graph.ingest import EdgeBatch, read_edges  # noqa: E402
from txfirewall.graph.proximity import ProximityParams, precompute, relay_mask  # noqa: E402
from txfirewall.graph.risk import RiskModel  # noqa: E402
from txfirewall.model.primitives import to_address  # noqa: E402

OUT = REPO / "txfirewall" / "data" / "graph_risk" / "model.json"
SEED = 0
REPEATS = 5
GBT = {"n_estimators": 200, "max_depth": 2, "learning_rate": 0.1, "subsample": 0.8, "random_state": SEED}
LABEL_FEATURES = frozenset(
    {
        "seed_sender_share",
        "seed_recipient_share",
        "ppr_from",
        "ppr_to",
        "ppr_value_from",
        "ppr_value_to",
        "hops_from",
        "hops_to",
        "score_from",
        "score_to",
        "nb_mean_ppr_from",
        "nb_max_ppr_from",
        "nb_mean_ppr_to",
        "nb_max_ppr_to",
    }
)
"""Features that depend on which addresses are seeds (the rest are behaviour alone)."""


@dataclass
class Dataset:
    name: str
    graph: CsrGraph
    label: np.ndarray  # -1 unlabelled, 0 normal, 1 illicit
    train: np.ndarray  # bool
    test: np.ndarray  # bool
    sources: list[str]


def load_xblock(folder: Path) -> Dataset:
    with gzip.open(folder / "edges.csv.gz", "rt") as f:
        rows = list(csv.DictReader(f))
    with gzip.open(folder / "nodes_train_test_split.csv.gz", "rt") as f:
        nodes = list(csv.DictReader(f))
    src = np.array([int(r["from"]) for r in rows], dtype=np.int64)
    dst = np.array([int(r["to"]) for r in rows], dtype=np.int64)
    ids = np.array([int(r["id"]) for r in nodes], dtype=np.int64)
    low = int(min(src.min(), dst.min(), ids.min()))
    n = int(max(src.max(), dst.max(), ids.max())) - low + 1
    graph = from_ids(
        n,
        src - low,
        dst - low,
        np.array([float(r["amount"]) for r in rows]) * 1e18,  # ether -> wei, as a user's graph holds it
        np.array([int(r["timestamp"]) for r in rows], dtype=np.int64),
        count=np.array([int(r["n_transactions"]) for r in rows], dtype=np.int64),
    )
    label = np.full(n, -1, dtype=np.int64)
    train = np.zeros(n, dtype=bool)
    test = np.zeros(n, dtype=bool)
    for r in nodes:
        if r["has_label"] != "True":
            continue
        i = int(r["id"]) - low
        label[i] = int(float(r["label"]))
        train[i] = r["is_train"] == "True"
        test[i] = r["is_test"] == "True"
    name = folder.name
    sources = [
        f"{name}: XBlock Ethereum phishing transaction network, 890-node labelled subgraph "
        f"({graph.n_nodes:,} addresses, {graph.n_edges:,} edges; train split {int((train & (label == 1)).sum())} "
        f"phishing + {int((train & (label == 0)).sum())} normal, test split {int((test & (label == 1)).sum())} + "
        f"{int((test & (label == 0)).sum())}; anonymised ids, its own split)"
    ]
    return Dataset(name, graph, label, train, test, sources)


def _listed_illicit(data: Path) -> tuple[set[str], list[str]]:
    """Phishing / phish-hack addresses from the Forta and Etherscan lists under ``data``."""
    found: set[str] = set()
    used = []
    forta = data / "forta_labelled_datasets"
    for name in ("eth_phishing_scams.csv", "eth_etherscan_malicious_labels.csv"):
        path = forta / name
        if path.exists():
            with path.open() as f:
                for row in csv.DictReader(f):
                    address = (row.get("address") or row.get("banned_address") or "").strip().lower()
                    if len(address) == 42:
                        found.add(address)
            used.append(f"forta_labelled_datasets/{name}")
    risk = data / "etherscan_labels_brianleect" / "etherscan_risk_labels_2023-06.csv"
    if risk.exists():
        with risk.open() as f:
            for row in csv.DictReader(f):
                address = (row.get("address") or "").strip().lower()
                if len(address) == 42:
                    found.add(address)
        used.append("etherscan_labels_brianleect/etherscan_risk_labels_2023-06.csv")
    return found, used


def load_labelled_graph(data: Path) -> Dataset:
    edge_files = sorted(p for p in data.iterdir() if p.name.startswith("edges."))
    graph = from_batch(EdgeBatch.concat(read_edges(p) for p in edge_files))
    label = np.full(graph.n_nodes, -1, dtype=np.int64)
    split = np.full(graph.n_nodes, "", dtype=object)
    listed: dict[str, tuple[int, str]] = {}
    with (data / "labels.csv").open() as f:
        for row in csv.DictReader(f):
            listed[to_address(row["address"].strip())] = (int(row["label"]), (row.get("split") or "").strip())
    extra, used = _listed_illicit(data)
    for address in extra:
        listed.setdefault(to_address(address), (1, ""))
    addresses = list(listed)
    keys = keys_to_array([bytes.fromhex(a[2:]) for a in addresses])
    pos = np.minimum(np.searchsorted(graph.addresses, keys), graph.n_nodes - 1)
    for i in np.flatnonzero(graph.addresses[pos] == keys):
        label[pos[i]], split[pos[i]] = listed[addresses[i]]
    rng = np.random.default_rng(SEED)
    unsplit = (label >= 0) & (split == "")
    split[unsplit] = np.where(rng.random(int(unsplit.sum())) < 0.7, "train", "test")
    sources = [f"{data.name}: {', '.join(p.name for p in edge_files)} + labels.csv", *used]
    return Dataset(data.name, graph, label, split == "train", split == "test", sources)


def load(data: Path) -> Dataset:
    if (data / "xblock_phishing_890_subgraph" / "edges.csv.gz").exists():
        return load_xblock(data / "xblock_phishing_890_subgraph")
    if (data / "labels.csv").exists():
        return load_labelled_graph(data)
    raise SystemExit(f"{data}: no labelled graph found (see the docstring of {Path(__file__).name})")


def features_with_seeds(
    graph: CsrGraph, seed: np.ndarray, prox: ProximityParams, propagation: PropagationParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(FEATURES matrix, shortest-path hops (99 none), proximity score) with these seeds."""
    arrays = precompute(graph, seed, np.zeros(graph.n_nodes, dtype=bool), prox)
    matrix = compute_features(
        graph,
        seed,
        relay_mask(arrays.flags),
        arrays.hops_from,
        arrays.hops_to,
        arrays.score_from,
        arrays.score_to,
        propagation,
    )
    hf = np.where(arrays.hops_from >= 0, arrays.hops_from, 99)
    ht = np.where(arrays.hops_to >= 0, arrays.hops_to, 99)
    return matrix, np.minimum(hf, ht), np.maximum(arrays.score_from, arrays.score_to)


def export(gbt: object, columns: list[str], x_check: np.ndarray) -> RiskModel:
    """scikit-learn's GradientBoostingClassifier -> flat arrays; checked against its own
    decision_function on ``x_check``."""
    from sklearn.ensemble import GradientBoostingClassifier

    assert isinstance(gbt, GradientBoostingClassifier)
    lr = float(gbt.learning_rate)
    feature, threshold, left, right, value, roots = [], [], [], [], [], []
    for est in gbt.estimators_[:, 0]:
        t = est.tree_
        offset = len(feature)
        roots.append(offset)
        vals = t.value[:, 0, 0].astype(np.float64) * lr
        weight = t.weighted_n_node_samples.astype(np.float64)
        # inner nodes: the sample-weighted mean of their leaves (children come after parents)
        for i in range(t.node_count - 1, -1, -1):
            if t.children_left[i] >= 0:
                a, b = t.children_left[i], t.children_right[i]
                vals[i] = (vals[a] * weight[a] + vals[b] * weight[b]) / (weight[a] + weight[b])
        for i in range(t.node_count):
            inner = t.children_left[i] >= 0
            feature.append(int(t.feature[i]) if inner else -1)
            threshold.append(float(t.threshold[i]) if inner else 0.0)
            left.append(int(t.children_left[i]) + offset if inner else -1)
            right.append(int(t.children_right[i]) + offset if inner else -1)
            value.append(float(vals[i]))
    model = RiskModel(
        features=tuple(columns),
        base=0.0,
        feature=np.array(feature, dtype=np.int32),
        threshold=np.array(threshold),
        left=np.array(left, dtype=np.int32),
        right=np.array(right, dtype=np.int32),
        value=np.array(value),
        roots=np.array(roots, dtype=np.int32),
    )
    leaves_sum = model.margin(x_check)
    want = gbt.decision_function(x_check)
    base = float(np.mean(want - leaves_sum))
    model = replace(model, base=base)
    got = model.margin(x_check)
    assert np.allclose(got, want, atol=1e-9), float(np.abs(got - want).max())
    return model


def auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score))


def train(data: Path, shown: str) -> tuple[RiskModel, dict[str, object]]:
    """``shown``: DATA as the maintainer wrote it (recorded in the model's ``command``)."""
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss

    started = time.perf_counter()
    ds = load(data)
    g, label = ds.graph, ds.label
    prox, propagation = ProximityParams(), PropagationParams()
    rng = np.random.default_rng(SEED)
    train_ill = rng.permutation(np.flatnonzero(ds.train & (label == 1)))
    train_ok = rng.permutation(np.flatnonzero(ds.train & (label == 0)))
    folds = []
    for k in range(2):
        seed = np.zeros(g.n_nodes, dtype=bool)
        seed[train_ill[1 - k :: 2]] = True
        matrix, _, _ = features_with_seeds(g, seed, prox, propagation)
        rows = np.concatenate([train_ill[k::2], train_ok[k::2]])
        folds.append((matrix[rows], label[rows]))
    x_all = np.vstack([f[0] for f in folds])
    keep = [i for i in range(len(FEATURES)) if np.unique(x_all[:, i]).size > 1]
    columns = [FEATURES[i] for i in keep]
    dropped = [f for f in FEATURES if f not in columns]
    behaviour = [i for i, f in enumerate(columns) if f not in LABEL_FEATURES]
    # out-of-fold margins: the cross-validated AUC on the training split, and the calibration
    oof_margin, oof_y, cv_auc, cv_behaviour = [], [], [], []
    for k in range(2):
        (xa, ya), (xb, yb) = folds[k], folds[1 - k]
        m = GradientBoostingClassifier(**GBT).fit(xa[:, keep], ya)
        margin = m.decision_function(xb[:, keep])
        oof_margin.append(margin)
        oof_y.append(yb)
        cv_auc.append(auc(yb, margin))
        mb = GradientBoostingClassifier(**GBT).fit(xa[:, keep][:, behaviour], ya)
        cv_behaviour.append(auc(yb, mb.decision_function(xb[:, keep][:, behaviour])))
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(np.concatenate(oof_margin)[:, None], np.concatenate(oof_y))
    y_all = np.concatenate([f[1] for f in folds])
    final = GradientBoostingClassifier(**GBT).fit(x_all[:, keep], y_all)
    behaviour_only = GradientBoostingClassifier(**GBT).fit(x_all[:, keep][:, behaviour], y_all)
    model = export(final, columns, x_all[:, keep].astype(np.float32))
    model = replace(model, calibration_a=float(platt.coef_[0, 0]), calibration_b=float(platt.intercept_[0]))
    # held out: the test split, half of all illicit labels hidden, five random hides
    all_ill = np.flatnonzero(label == 1)
    test_ill = np.flatnonzero(ds.test & (label == 1))
    ev = ds.test & (label >= 0)
    y = label[ev]
    results: dict[str, list[float]] = {
        "model": [],
        "behaviour_only": [],
        "shortest_path": [],
        "proximity_score": [],
        "ppr_from": [],
    }
    brier_raw, brier_cal, seeds_used = [], [], []
    for r in range(REPEATS):
        hide_rng = np.random.default_rng(1000 + r)
        hidden_extra = max(0, (all_ill.size + 1) // 2 - test_ill.size)
        candidates = np.flatnonzero(ds.train & (label == 1))
        hidden = np.concatenate([test_ill, hide_rng.choice(candidates, min(hidden_extra, candidates.size), False)])
        seed = label == 1
        seed[hidden] = False
        seeds_used.append(int(seed.sum()))
        matrix, hops, score = features_with_seeds(g, seed, prox, propagation)
        xm = matrix[ev][:, model.columns].astype(np.float32)
        risk = model.score(xm)
        results["model"].append(auc(y, risk))
        results["behaviour_only"].append(auc(y, behaviour_only.decision_function(xm[:, behaviour])))
        results["shortest_path"].append(auc(y, -hops[ev]))
        results["proximity_score"].append(auc(y, score[ev]))
        results["ppr_from"].append(auc(y, matrix[ev, FEATURES.index("ppr_from")]))
        brier_raw.append(float(brier_score_loss(y, 1 / (1 + np.exp(-model.margin(xm))))))
        brier_cal.append(float(brier_score_loss(y, risk)))
    # the other held-out number: all training illicit labels as seeds, the test split ranked
    seed = ds.train & (label == 1)
    matrix, hops, score = features_with_seeds(g, seed, prox, propagation)
    xm = matrix[ev][:, model.columns].astype(np.float32)
    risk_a = model.score(xm)
    normal_risk = risk_a[y == 0]
    metrics: dict[str, object] = {
        "dataset": ds.name,
        "test_rows": {"illicit": int((y == 1).sum()), "normal": int((y == 0).sum())},
        "half_hidden": {
            "repeats": REPEATS,
            "seeds": seeds_used,
            **{k: {"mean": round(float(np.mean(v)), 4), "runs": [round(x, 4) for x in v]} for k, v in results.items()},
            "brier_uncalibrated": round(float(np.mean(brier_raw)), 4),
            "brier_calibrated": round(float(np.mean(brier_cal)), 4),
        },
        "train_seeds": {
            "seeds": int(seed.sum()),
            "model": round(auc(y, risk_a), 4),
            "shortest_path": round(auc(y, -hops[ev]), 4),
            "proximity_score": round(auc(y, score[ev]), 4),
            "normal_risk_at_least": {
                str(t): round(float((normal_risk >= t).mean()), 4) for t in (0.5, 0.8, 0.9, 0.95, 0.98)
            },
            "illicit_risk_at_least": {
                str(t): round(float((risk_a[y == 1] >= t).mean()), 4) for t in (0.5, 0.8, 0.9, 0.95, 0.98)
            },
        },
        "train_split_2fold_cv": {
            "model": round(float(np.mean(cv_auc)), 4),
            "behaviour_only": round(float(np.mean(cv_behaviour)), 4),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    import sklearn

    model = replace(
        model,
        metadata={
            "training_data": ds.sources,
            "features": columns,
            "dropped_features": dict.fromkeys(dropped, "constant on the training rows"),
            "heldout_auc": {
                "xblock_test_half_hidden" if ds.name.startswith("xblock") else "test_half_hidden": metrics[
                    "half_hidden"
                ]["model"]["mean"],  # type: ignore[index]
                "test_train_seeds": metrics["train_seeds"]["model"],  # type: ignore[index]
                "train_2fold_cv": metrics["train_split_2fold_cv"]["model"],  # type: ignore[index]
            },
            "metrics": metrics,
            "learner": f"scikit-learn {sklearn.__version__} GradientBoostingClassifier {GBT}",
            "calibration": "Platt scaling of the out-of-fold margins (2-fold on the training split)",
            "propagation": asdict(propagation),
            "proximity": asdict(prox),
            "trained": dt.date.today().isoformat(),
            "command": f"make train DATA={shown}",
        },
    )
    return model, metrics


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data", help="relative to the repository (default ../shared/data)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="compare with the shipped model instead of writing")
    parser.add_argument("--tolerance", type=float, default=0.01)
    args = parser.parse_args()
    model, metrics = train((REPO / args.data).resolve(), args.data)
    print(json.dumps(metrics, indent=1))
    key = next(iter(model.metadata["heldout_auc"]))
    if args.check:
        shipped = RiskModel.load(args.out if args.out != OUT else None).metadata["heldout_auc"]
        ours = model.metadata["heldout_auc"]
        print(f"held-out AUC: shipped {shipped[key]}, now {ours[key]} (tolerance {args.tolerance})")
        return 0 if abs(float(shipped[key]) - float(ours[key])) <= args.tolerance else 1
    model.save(args.out)
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB): {key} AUC {model.metadata['heldout_auc'][key]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
