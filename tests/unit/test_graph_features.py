"""The Numba risk features equal a plain-Python version (``reference_features``) on random graphs,
and the personalised PageRank kernel equals NetworkX's ``pagerank`` with a personalization vector.
Graphs include cycles, self-loops, parallel transfers, zero values, unknown times, hubs, services,
contracts and graphs with no seed."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from txfirewall.graph.csr import from_ids
from txfirewall.graph.features import FEATURES, PropagationParams, compute_features, personalised_pagerank
from txfirewall.graph.proximity import ProximityParams, precompute, relay_mask
from txfirewall.graph.reference import reference_features, reference_pagerank

T0 = 1_600_000_000

Transfer = tuple[int, int, float, int, int]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, list[Transfer], np.ndarray, np.ndarray, np.ndarray, ProximityParams]:
    n = draw(st.integers(1, 25))
    node = st.integers(0, n - 1)
    value = st.sampled_from([0.0, 1e15, 2.5e17, 1e18, 3e18, 4.2e20])
    count = st.sampled_from([1, 1, 1, 2, 7])
    when = st.one_of(st.just(-1), st.integers(T0, T0 + 5 * 86400), st.integers(T0, T0 + 7200))
    transfers = draw(st.lists(st.tuples(node, node, value, count, when), max_size=70))
    if draw(st.booleans()):  # a hub: one node talking to many
        hub = draw(node)
        transfers += [
            (hub, v, 1e18, 1, T0 + i) if i % 2 else (v, hub, 2e18, 1, T0 + 60 * i) for i, v in enumerate(range(n))
        ]
    bools = st.lists(st.booleans(), min_size=n, max_size=n)
    seed = np.array(draw(bools)) & np.array(draw(bools))
    service = np.array(draw(st.lists(st.sampled_from([False] * 5 + [True]), min_size=n, max_size=n)))
    contract = np.array(draw(bools))
    params = ProximityParams(max_hops=draw(st.integers(1, 5)), hub_degree=draw(st.integers(2, 40)))
    return n, transfers, seed, service, contract, params


def kernel_features(
    n: int,
    transfers: list[Transfer],
    seed: np.ndarray,
    service: np.ndarray,
    contract: np.ndarray,
    params: ProximityParams,
) -> np.ndarray:
    src = np.array([t[0] for t in transfers], dtype=np.int64)
    dst = np.array([t[1] for t in transfers], dtype=np.int64)
    g = from_ids(
        n,
        src,
        dst,
        np.array([t[2] for t in transfers]),
        np.array([t[4] for t in transfers], dtype=np.int64),
        count=np.array([t[3] for t in transfers], dtype=np.int64),
        is_contract=contract,
    )
    arrays = precompute(g, seed, service, params)
    prop = PropagationParams(max_iter=1000, tol=1e-15)
    return compute_features(
        g, seed, relay_mask(arrays.flags), arrays.hops_from, arrays.hops_to, arrays.score_from, arrays.score_to, prop
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(graphs())
def test_numba_features_equal_the_python_reference(case: tuple) -> None:  # type: ignore[type-arg]
    n, transfers, seed, service, contract, params = case
    got = kernel_features(n, transfers, seed, service, contract, params)
    want = reference_features(n, transfers, contract, seed, service, params)
    assert got.shape == (n, len(FEATURES)) and got.dtype == np.float32
    for i, name in enumerate(FEATURES):
        assert np.allclose(got[:, i], want[:, i], rtol=2e-5, atol=1e-6), (name, got[:, i], want[:, i])


def test_features_of_a_phisher_in_words_and_numbers() -> None:
    """Five victims pay a phisher; it forwards everything to a collector within minutes."""
    victims = [(v, 5, 1e17 * (v + 1), 1, T0 + 600 * v) for v in range(5)]
    out = [(5, 6, 1.4e18, 1, T0 + 600 * 4 + 120)]
    f = kernel_features(7, victims + out, np.zeros(7, bool), np.zeros(7, bool), np.zeros(7, bool), ProximityParams())
    row = dict(zip(FEATURES, f[5].tolist(), strict=True))
    assert row["in_degree"] == 5 and row["out_degree"] == 1 and row["counterparties"] == 6
    assert row["value_in"] == pytest.approx(1.5) and row["forwarded_share"] == pytest.approx(1.4 / 1.5)
    assert row["hour_forward_share"] == 1.0 and row["forward_delay"] == 120
    assert row["one_transfer_sender_share"] == 1.0 and row["top_sender_share"] == pytest.approx(0.5 / 1.5)
    assert row["lifetime"] == 600 * 4 + 120 and row["burst_share"] == 1.0 and row["active_days"] == 1


@st.composite
def walk_graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, float]], np.ndarray, np.ndarray, float]:
    n = draw(st.integers(1, 40))
    node = st.integers(0, n - 1)
    edges = draw(st.lists(st.tuples(node, node, st.sampled_from([0.0, 1.0, 2.5, 1e18])), max_size=120))
    seed = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    if not seed.any():
        seed[draw(node)] = True
    relay = np.array(draw(st.lists(st.sampled_from([True] * 4 + [False]), min_size=n, max_size=n)))
    return n, edges, seed, relay, draw(st.sampled_from([0.5, 0.85, 0.95]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(walk_graphs(), st.booleans(), st.booleans())
def test_personalised_pagerank_equals_networkx(case: tuple, forward: bool, weighted: bool) -> None:  # type: ignore[type-arg]
    n, edges, seed, relay, alpha = case
    g = from_ids(
        n,
        np.array([e[0] for e in edges], dtype=np.int64),
        np.array([e[1] for e in edges], dtype=np.int64),
        np.array([e[2] for e in edges]),
    )
    params = PropagationParams(alpha=alpha, max_iter=1000, tol=1e-15)
    got = personalised_pagerank(g, seed, relay, forward=forward, weighted=weighted, params=params)
    want = reference_pagerank(n, edges, seed, relay.tolist(), forward=forward, weighted=weighted, alpha=alpha)
    assert np.allclose(got, want, rtol=0, atol=1e-9)
    assert got.sum() == pytest.approx(1.0)


def test_pagerank_parallel_kernel_equals_serial_and_networkx_on_a_larger_graph() -> None:
    """The threaded kernel (used from 50k nodes) against the serial one and NetworkX directly."""
    from txfirewall.graph import feature_kernels as fk

    rng = np.random.default_rng(3)
    n, m = 3000, 20000
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.pareto(1.5, m)
    g = from_ids(n, src, dst, w)
    seed = rng.random(n) < 0.01
    relay = np.ones(n, bool)
    personal = seed / seed.sum()
    args = (g.in_indptr, g.in_indices, g.in_weight, g.out_indptr, g.out_weight, True, relay, personal, 0.85, 500, 1e-15)
    fast, slow = fk.ppr(*args), fk.ppr_serial(*args)
    assert np.allclose(fast, slow, atol=1e-12)
    dg: nx.DiGraph[int] = nx.DiGraph()
    dg.add_nodes_from(range(n))
    for i in range(g.n_nodes):
        for e in range(int(g.out_indptr[i]), int(g.out_indptr[i + 1])):
            dg.add_edge(i, int(g.out_indices[e]), weight=float(g.out_weight[e]))
    pr = nx.pagerank(
        dg, alpha=0.85, personalization={int(s): 1 for s in np.flatnonzero(seed)}, tol=1e-14, max_iter=1000
    )
    assert np.allclose(fast, [pr[i] for i in range(n)], atol=1e-9)


def test_no_seed_means_no_walk() -> None:
    g = from_ids(3, np.array([0, 1]), np.array([1, 2]), np.array([1.0, 1.0]))
    assert personalised_pagerank(g, np.zeros(3, bool), np.ones(3, bool), forward=True, weighted=False).tolist() == [
        0,
        0,
        0,
    ]


def test_kernels_match_their_python_functions() -> None:
    """The compiled kernels and their plain-Python bodies (``py_func``) agree on a small graph."""
    from txfirewall.graph import feature_kernels as fk

    transfers = [(0, 1, 1e18, 1, T0), (1, 2, 9e17, 2, T0 + 30), (2, 0, 1e17, 1, T0 + 90000), (3, 1, 5e17, 1, -1)]
    n = 4
    g = from_ids(
        n,
        np.array([t[0] for t in transfers]),
        np.array([t[1] for t in transfers]),
        np.array([t[2] for t in transfers]),
        np.array([t[4] for t in transfers]),
        count=np.array([t[3] for t in transfers]),
    )
    seed = np.array([True, False, False, False])
    args = (g.out_indptr, g.out_indices, g.out_weight, g.out_count, g.out_time)
    args += (g.in_indptr, g.in_indices, g.in_weight, g.in_count, g.in_time, g.is_contract, seed)
    fast = np.zeros((n, 20), np.float32)
    slow = np.zeros((n, 20), np.float32)
    fk.base_features_serial(*args, fast)
    fk.base_features.py_func(*args, slow)
    assert np.allclose(fast, slow)
