"""``make train DATA=DIR`` on a labelled graph of your own (edges + labels.csv), end to end: the
tool trains, measures and writes a model that ``graph build --risk-model`` can use. Needs
scikit-learn (the ``train`` extra, and the ``dev`` extra the suite installs; scoring never needs
it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from txfirewall.graph.risk import RiskModel

from ..support.planted import planted_graph

REPO = Path(__file__).resolve().parents[2]


def test_training_on_your_own_labelled_graph(tmp_path: Path) -> None:
    p = planted_graph(5, n_normal=1500, crews=12)
    g = p.graph
    data = tmp_path / "mine"
    data.mkdir()
    rows = ["from,to,value,timestamp"]
    for u in range(g.n_nodes):
        a = "0x" + g.address_bytes(u).hex()
        for e in range(int(g.out_indptr[u]), int(g.out_indptr[u + 1])):
            b = "0x" + g.address_bytes(int(g.out_indices[e])).hex()
            rows.append(f"{a},{b},{int(g.out_weight[e])},{int(g.out_time[e])}")
    (data / "edges.csv").write_text("\n".join(rows) + "\n")
    rng = np.random.default_rng(0)
    normal = rng.choice(p.normal, 120, replace=False)
    labels = ["address,label"] + [f"0x{g.address_bytes(int(v)).hex()},1" for v in p.phishers]
    labels += [f"0x{g.address_bytes(int(v)).hex()},0" for v in normal]
    (data / "labels.csv").write_text("\n".join(labels) + "\n")
    out = tmp_path / "model.json"
    run = subprocess.run(
        [sys.executable, str(REPO / "tools" / "train_graph_risk.py"), "--data", str(data), "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    assert "test_half_hidden AUC" in run.stdout
    model = RiskModel.load(out)
    meta = model.metadata
    assert meta["training_data"][0].startswith("mine: edges.csv + labels.csv")
    metrics = meta["metrics"]
    assert metrics["half_hidden"]["model"]["mean"] > metrics["half_hidden"]["shortest_path"]["mean"]
    assert json.loads(out.read_text())["kind"] == "gradient-boosted-trees"
    check = subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "train_graph_risk.py"),
            "--data",
            str(data),
            "--out",
            str(out),
            "--check",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert check.returncode == 0, check.stdout[-500:]
