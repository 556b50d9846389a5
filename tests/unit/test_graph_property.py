"""The Numba precompute equals the NetworkX reference on thousands of random small graphs:
hops and clusters exactly, scores within 1e-9. Graphs include cycles, self-loops, hubs, service
addresses and disconnected parts."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from txfirewall.graph.csr import from_ids
from txfirewall.graph.proximity import ProximityParams, precompute
from txfirewall.graph.reference import reference_proximity


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, float]], np.ndarray, np.ndarray, ProximityParams]:
    n = draw(st.integers(1, 30))
    node = st.integers(0, n - 1)
    weight = st.sampled_from([0.0, 1.0, 3.0, 1e18, 12345.678])
    edges = draw(st.lists(st.tuples(node, node, weight), max_size=80))
    if draw(st.booleans()):  # a hub: one node talking to many
        hub = draw(node)
        edges += [(hub, v, 1.0) if i % 2 else (v, hub, 2.0) for i, v in enumerate(range(n))]
    seed = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    seed &= np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))  # sparser seeds
    service = np.array(draw(st.lists(st.sampled_from([False] * 5 + [True]), min_size=n, max_size=n)))
    params = ProximityParams(
        max_hops=draw(st.integers(1, 6)),
        decay=draw(st.sampled_from([0.5, 0.9, 1.0])),
        hub_degree=draw(st.integers(2, 40)),
    )
    return n, edges, seed, service, params


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(graphs())
def test_numba_precompute_equals_networkx_reference(case: tuple) -> None:  # type: ignore[type-arg]
    n, edges, seed, service, params = case
    src = np.array([e[0] for e in edges], dtype=np.int64)
    dst = np.array([e[1] for e in edges], dtype=np.int64)
    w = np.array([e[2] for e in edges], dtype=np.float64)
    got = precompute(from_ids(n, src, dst, w), seed, service, params)
    want = reference_proximity(n, edges, seed, service, params)
    for name in ("seed_cluster", "hops_from", "hops_to", "cluster_from", "cluster_to"):
        assert np.array_equal(getattr(got, name).astype(np.int64), getattr(want, name).astype(np.int64)), name
    for name in ("score_from", "score_to"):
        assert np.allclose(getattr(got, name), getattr(want, name), rtol=0, atol=1e-9), name
        assert ((getattr(got, name) >= 0) & (getattr(got, name) <= 1)).all()


def test_kernels_match_their_python_functions() -> None:
    from txfirewall.graph import kernels

    g = from_ids(5, np.array([0, 1, 2, 3, 3]), np.array([1, 2, 3, 3, 4]), np.array([1.0, 2.0, 0.0, 1.0, 5.0]))
    seeds = np.array([0], dtype=np.int32)
    relay = np.array([True, True, True, False, True])
    for fn in (kernels.bfs_levels, kernels.bfs_levels.py_func):
        dist, cluster = fn(g.out_indptr, g.out_indices, seeds, np.array([0], np.int32), relay, 4)
        assert dist.tolist() == [0, 1, 2, 3, -1] and cluster.tolist() == [0, 0, 0, 0, -1]
    is_seed = np.array([True, False, False, False, False])
    reached = dist >= 0
    fast = kernels.exposure(g.in_indptr, g.in_indices, g.in_weight, is_seed, relay, reached, 0.5, 4)
    slow = kernels.exposure.py_func(g.in_indptr, g.in_indices, g.in_weight, is_seed, relay, reached, 0.5, 4)
    assert np.allclose(fast, slow, atol=1e-12) and fast[1] == 0.5 and fast[2] == 0.25
