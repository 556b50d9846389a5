"""A small real graph: Lazarus Group's Ronin-heist transfers (dspytdao/Eth_Data, MIT; tests/data)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from txfirewall.graph.build import build_from_files
from txfirewall.graph.index import ProximityIndex
from txfirewall.graph.proximity import ProximityParams
from txfirewall.model.facts import Label, LabelCategory
from txfirewall.model.primitives import to_address

DATA = Path(__file__).resolve().parents[1] / "data" / "dspytdao_lazarus"
EDGES = DATA / "LazarusTabularTxs1322519.csv"


def _lazarus() -> list[str]:
    with (DATA / "LazarusGroup_addresses.csv").open() as f:
        return [to_address(r["address"]) for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def held_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[ProximityIndex, list[str], list[str]]:
    """Seed with half of the Lazarus addresses; the other half must come out close."""
    lazarus = _lazarus()
    seeds, hidden = lazarus[::2], lazarus[1::2]
    labels = {a: (Label(a, "Lazarus Group", "test", LabelCategory.SANCTIONED),) for a in seeds}
    out = tmp_path_factory.mktemp("lazarus")
    build_from_files([EDGES], labels, out, ProximityParams(max_hops=4))  # type: ignore[arg-type]
    return ProximityIndex.open(out), seeds, hidden


def test_hidden_lazarus_addresses_come_out_close(held_out: tuple[ProximityIndex, list[str], list[str]]) -> None:
    index, seeds, hidden = held_out
    found = [index.lookup(a) for a in hidden]
    in_graph = [f for f in found if f is not None]
    assert len(in_graph) >= 4
    for f in in_graph:
        assert f.proximity.hops is not None and f.proximity.hops <= 2, f.address
        assert f.proximity.cluster is not None and f.proximity.cluster.categories == ("sanctioned",)
        path = f.proximity.path
        assert path[0] in seeds or path[-1] in seeds  # the path starts (or ends) at a seed
        assert f.address in (path[0], path[-1])


def test_seeds_are_hop_zero_with_full_score(held_out: tuple[ProximityIndex, list[str], list[str]]) -> None:
    index, seeds, _ = held_out
    f = index.lookup(seeds[0])
    assert f is not None and f.proximity.hops == 0 and f.proximity.score == 1.0
    assert f.first_seen is not None and f.first_seen > 1_600_000_000


def test_cli_proximity_json(held_out: tuple[ProximityIndex, list[str], list[str]], tmp_path: Path) -> None:
    lazarus = _lazarus()
    (tmp_path / "labels.csv").write_text("".join(f"{a},OFAC sanctioned: Lazarus Group\n" for a in lazarus[::2]))
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "txfirewall.cli.main",
            "graph",
            "build",
            "--edges",
            str(EDGES),
            "--labels",
            str(tmp_path / "labels.csv"),
            "--no-shipped-intel",
            "--out",
            str(tmp_path / "g"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "clusters" in build.stdout
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "txfirewall.cli.main",
            "graph",
            "proximity",
            "--graph",
            str(tmp_path / "g"),
            lazarus[1],
            "0x" + "12" * 20,
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(out.stdout)
    assert [r["in_graph"] for r in rows] == [True, False]
    assert {"address", "hops", "score", "path", "cluster", "risk", "reasons"} <= set(rows[0])
    assert rows[0]["hops"] is not None and rows[0]["path"]
    assert 0.0 <= rows[0]["risk"] <= 1.0 and rows[0]["reasons"] and all(isinstance(r, str) for r in rows[0]["reasons"])
    assert rows[1]["risk"] is None and rows[1]["reasons"] == []
