"""Edge files in (CSV, JSON lines, gzip), CSR out, memory-mapped back, with typed errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from txfirewall.errors import InputFileError
from txfirewall.graph.csr import CsrGraph, from_batch
from txfirewall.graph.ingest import read_edges

A, B, C = "0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "cc" * 20


def test_csv_jsonl_gzip_agree_and_parallel_edges_merge(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text(f"from,to,value,timestamp\n{A},{B},5,100\n{A},{B},7,50\n{B},{C},0x10,\n")
    lines = [
        f'{{"from": "{A}", "to": "{B}", "value": "5", "timestamp": 100}}',
        f'{{"from": "{A}", "to": "{B}", "value": 7, "timestamp": "1970-01-01T00:00:50Z"}}',
        f'{{"from": "{B}", "to": "{C}", "value": "16"}}',
        f'{{"from": "{B}", "to": null}}',
    ]
    (tmp_path / "e.jsonl.gz").write_bytes(gzip.compress("\n".join(lines).encode()))
    g1 = from_batch(read_edges(tmp_path / "e.csv"))
    g2 = from_batch(read_edges(tmp_path / "e.jsonl.gz"))
    for g in (g1, g2):
        assert g.n_nodes == 3 and g.n_edges == 2
        assert g.out_weight.tolist() == [12.0, 16.0] and g.first_seen.tolist() == [50, 50, -1]
    g1.save(tmp_path / "g")
    loaded = CsrGraph.load(tmp_path / "g")
    assert isinstance(loaded.out_indices, np.memmap)
    assert loaded.node_id(bytes.fromhex("bb" * 20)) == 1 and loaded.node_id(bytes(20)) is None


def test_bad_edge_rows_name_their_line(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text(f"from,to,value\n{A},{B},1\n{A},0xnope,1\n")
    with pytest.raises(InputFileError, match=r"e\.csv line 3"):
        read_edges(tmp_path / "e.csv")
    (tmp_path / "e.jsonl").write_text(f'{{"from": "{A}", "to": "{B}"}}\n{{oops\n')
    with pytest.raises(InputFileError, match="line 2"):
        read_edges(tmp_path / "e.jsonl")


def test_parquet_reads_like_csv_and_a_broken_file_is_a_typed_error(tmp_path: Path) -> None:
    import pyarrow as pa  # a dev extra (and the `parquet` extra): `make test` installs it
    import pyarrow.parquet as pq

    (tmp_path / "e.csv").write_text(f"from,to,value,timestamp\n{A},{B},5,100\n{A},{B},7,50\n{B},{C},16,\n")
    table = pa.table({"from": [A, A, B], "to": [B, B, C], "value": ["5", "7", "16"], "timestamp": [100, 50, None]})
    pq.write_table(table, tmp_path / "e.parquet")
    from_csv, from_parquet = read_edges(tmp_path / "e.csv"), read_edges(tmp_path / "e.parquet")
    for field in ("src", "dst", "weight", "timestamp"):
        assert getattr(from_csv, field).tolist() == getattr(from_parquet, field).tolist()
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really parquet")
    with pytest.raises(InputFileError, match="not a readable Parquet file"):
        read_edges(tmp_path / "bad.parquet")


def test_deeply_nested_edge_line_is_a_typed_error(tmp_path: Path) -> None:
    import eth_account  # noqa: F401 - raises the recursion limit, as once a raw transaction was decoded

    (tmp_path / "deep.jsonl").write_text("[" * 200_000 + "\n")
    with pytest.raises(InputFileError, match="nested too deeply"):
        read_edges(tmp_path / "deep.jsonl")


def test_counts_first_times_and_contracts_are_kept(tmp_path: Path) -> None:
    """Parallel transfers keep their number and the first time; a token column and a creation row
    mark contracts; an aggregated dump's count column is honoured."""
    token = "0x" + "dd" * 20
    lines = [
        f'{{"from": "{A}", "to": "{B}", "value": "5", "timestamp": 100, "token": "{token}"}}',
        f'{{"from": "{A}", "to": "{B}", "value": "7", "timestamp": 50}}',
        f'{{"from": "{B}", "to": "{C}", "value": "1", "timestamp": 70, "kind": "create"}}',
        f'{{"from": "{C}", "to": "{A}", "value": "1", "count": 4}}',
    ]
    (tmp_path / "e.jsonl").write_text("\n".join(lines))
    g = from_batch(read_edges(tmp_path / "e.jsonl"))
    assert g.n_nodes == 3  # the token is no node: it sent and received nothing itself
    a, b, c = (g.node_id(bytes.fromhex(x[2:])) for x in (A, B, C))
    assert g.is_contract.tolist() == [False, False, True]
    edges = {
        (int(u), int(g.out_indices[e])): (int(g.out_count[e]), int(g.out_time[e]))
        for u in range(g.n_nodes)
        for e in range(int(g.out_indptr[u]), int(g.out_indptr[u + 1]))
    }
    assert edges == {(a, b): (2, 50), (b, c): (1, 70), (c, a): (4, 0)}
    by_in = {
        (int(g.in_indices[e]), v): (int(g.in_count[e]), int(g.in_time[e]))
        for v in range(g.n_nodes)
        for e in range(int(g.in_indptr[v]), int(g.in_indptr[v + 1]))
    }
    assert by_in == edges
    (tmp_path / "bad.csv").write_text(f"from,to,count\n{A},{B},0\n")
    with pytest.raises(InputFileError, match="count"):
        read_edges(tmp_path / "bad.csv")
