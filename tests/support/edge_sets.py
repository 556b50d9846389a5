"""Random transfer sets written as partitioned edge files (CSV, gzipped CSV, Parquet) with labels,
for the distributed build's parity and incremental tests; and the comparison of two built
indexes, array by array."""

from __future__ import annotations

import csv
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from txfirewall.graph.csr import CsrGraph
from txfirewall.graph.proximity import ProximityArrays
from txfirewall.graph.risk import RiskArrays
from txfirewall.model.facts import Label, LabelCategory
from txfirewall.model.primitives import Address, to_address

T0 = 1_600_000_000
ETH = 10**18


@dataclass(frozen=True)
class Transfers:
    src: np.ndarray  # node numbers
    dst: np.ndarray
    value: list[int]  # base units (may exceed 2**63)
    when: np.ndarray  # unix seconds, -1 unknown
    count: np.ndarray
    token: list[int | None]  # node number of the token contract, if a token transfer

    def __len__(self) -> int:
        return int(self.src.size)

    def slice(self, lo: int, hi: int) -> Transfers:
        return Transfers(
            self.src[lo:hi], self.dst[lo:hi], self.value[lo:hi], self.when[lo:hi], self.count[lo:hi], self.token[lo:hi]
        )


def address(i: int) -> str:
    """Node number -> a spread-out address (not sorted like the numbers, so ids are shuffled)."""
    return "0x" + ((i * 0x9E3779B97F4A7C15 + 12345) % (1 << 160)).to_bytes(20, "big").hex()


def random_transfers(rng: np.random.Generator, n: int, m: int, *, hub: bool = True) -> Transfers:
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    if hub and m:  # a busy address, so some nodes pass the hub degree
        k = m // 5
        src[:k:2] = 0
        dst[1:k:2] = 0
    src[: m // 10] = dst[: m // 10]  # some self-transfers
    src[m // 10 : m // 5] = src[m // 5 : m // 5 + (m // 5 - m // 10)]  # parallel transfers
    dst[m // 10 : m // 5] = dst[m // 5 : m // 5 + (m // 5 - m // 10)]
    value = [int(x) for x in rng.choice([0, 1, 3 * ETH, 10**24 + 7, 123456789], m)]
    when = np.where(rng.random(m) < 0.1, -1, T0 + rng.integers(0, 30 * 86400, m))
    count = np.where(rng.random(m) < 0.2, rng.integers(1, 5, m), 1)
    token = [int(t) if t >= 0 else None for t in np.where(rng.random(m) < 0.1, rng.integers(0, n, m), -1)]
    return Transfers(src, dst, value, when, count, token)


def write_csv(path: Path, t: Transfers, *, gz: bool = False) -> Path:
    rows = [["from", "to", "value", "timestamp", "count", "token"]]
    for i in range(len(t)):
        rows.append(
            [
                address(int(t.src[i])),
                address(int(t.dst[i])),
                str(t.value[i]),
                "" if t.when[i] < 0 else str(int(t.when[i])),
                str(int(t.count[i])),
                "" if t.token[i] is None else address(int(t.token[i])),
            ]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if gz else open
    with opener(path, "wt", newline="") as f:  # type: ignore[operator]
        csv.writer(f).writerows(rows)
    return path


def write_parquet(path: Path, t: Transfers) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "from": [address(int(x)) for x in t.src],
            "to": [address(int(x)) for x in t.dst],
            "value": [str(v) for v in t.value],
            "timestamp": pa.array([None if w < 0 else int(w) for w in t.when], pa.int64()),
            "count": pa.array([int(c) for c in t.count], pa.int64()),
            "token": [None if x is None else address(x) for x in t.token],
        }
    )
    pq.write_table(table, path)
    return path


def write_parts(directory: Path, t: Transfers, parts: int, *, first: int = 0) -> list[Path]:
    """``t`` cut into ``parts`` files, alternating CSV, gzipped CSV and Parquet, named in order."""
    bounds = np.linspace(0, len(t), parts + 1).astype(int)
    out = []
    for i in range(parts):
        piece = t.slice(int(bounds[i]), int(bounds[i + 1]))
        name = directory / f"part-{first + i:04d}"
        kind = (first + i) % 3
        if kind == 0:
            out.append(write_csv(name.with_suffix(".csv"), piece))
        elif kind == 1:
            out.append(write_csv(name.with_suffix(".csv.gz"), piece, gz=True))
        else:
            out.append(write_parquet(name.with_suffix(".parquet"), piece))
    return out


def random_labels(
    rng: np.random.Generator, n: int, seeds: float = 0.1, services: float = 0.03
) -> dict[Address, tuple[Label, ...]]:
    labels: dict[Address, tuple[Label, ...]] = {}
    for i in range(n):
        r = rng.random()
        if r < seeds:
            category = LabelCategory.PHISHING
        elif r < seeds + services:
            category = LabelCategory.EXCHANGE
        else:
            continue
        a = to_address(address(i))
        labels[a] = (Label(a, f"label {i}", "test", category),)
    outside = to_address(address(n + 7))  # a labelled address that is not in the graph
    labels[outside] = (Label(outside, "elsewhere", "test", LabelCategory.SCAM),)
    return labels


def index_arrays(directory: Path) -> dict[str, np.ndarray]:
    graph = CsrGraph.load(directory, mmap=False)
    arrays, _params = ProximityArrays.load(directory, mmap=False)
    out = {name: np.asarray(getattr(graph, name)) for name in graph.__dataclass_fields__}
    out.update({name: np.asarray(getattr(arrays, name)) for name in arrays.__dataclass_fields__})
    risk = RiskArrays.load(directory, mmap=False)
    if risk is not None:
        out["features"] = np.asarray(risk.features)
        out["risk"] = np.asarray(risk.risk)
    return out


EXACT = (
    "addresses",
    "out_indptr",
    "out_indices",
    "out_count",
    "out_time",
    "in_indptr",
    "in_indices",
    "in_count",
    "in_time",
    "first_seen",
    "is_contract",
    "flags",
    "seed_cluster",
    "hops_from",
    "hops_to",
    "cluster_from",
    "cluster_to",
)


def assert_same_index(got_dir: Path, want_dir: Path, *, atol: float = 1e-9) -> None:
    """Identical structure, flags, hops and clusters; weights equal; scores, features and risk
    within ``atol`` (features relative to their size: float32)."""
    got, want = index_arrays(got_dir), index_arrays(want_dir)
    assert sorted(got) == sorted(want)
    for name in EXACT:
        assert got[name].dtype == want[name].dtype, name
        assert np.array_equal(got[name], want[name]), name
    for name in ("out_weight", "in_weight"):
        assert np.array_equal(got[name], want[name]), name
    for name in ("score_from", "score_to", "risk"):
        if name in want:
            assert got[name].dtype == want[name].dtype, name
            assert np.allclose(got[name], want[name], rtol=0, atol=atol), (name, np.abs(got[name] - want[name]).max())
    if "features" in want:
        assert np.allclose(got["features"], want["features"], rtol=1e-6, atol=atol), "features"
    assert np.array_equal(np.load(got_dir / "unplaced_contracts.npy"), np.load(want_dir / "unplaced_contracts.npy"))
    for name in ("graph.json", "proximity.json", "clusters.json"):
        assert json.loads((got_dir / name).read_text()) == json.loads((want_dir / name).read_text()), name
    if (want_dir / "risk_model.json").exists():
        assert (got_dir / "risk_model.json").read_text() == (want_dir / "risk_model.json").read_text()
