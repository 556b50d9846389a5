"""Per-address features of the transfer graph: how an address receives, forwards and whom it
touches, how close money from illicit seeds comes, and what its counterparties look like.

All of them come from the CSR arrays by Numba kernels (``feature_kernels``), one pass over each
node's edges per kernel, no per-node Python; ``reference.py``'s ``reference_features`` is the plain
Python twin they are tested against. The column order is ``FEATURES``; a model names the columns
it reads, so adding a feature never breaks a shipped model.

Values: ether amounts are base units / 1e18 (token transfers in the same graph add their own base
units: the model leans on counts, shares and times, which do not care); times are seconds; a share
or a time that is undefined for this address (nothing received, no known times) is -1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from txfirewall.graph.csr import CsrGraph

BASE_FEATURES: tuple[str, ...] = (
    "in_degree",
    "out_degree",
    "counterparties",
    "in_transfers",
    "out_transfers",
    "value_in",
    "value_out",
    "mean_in_value",
    "top_sender_share",
    "one_transfer_sender_share",
    "forwarded_share",
    "hour_forward_share",
    "day_forward_share",
    "forward_delay",
    "lifetime",
    "active_days",
    "burst_share",
    "contract_share",
    "seed_sender_share",
    "seed_recipient_share",
)
"""In the kernel's column order (``feature_kernels.IN_DEGREE`` ...)."""

PROPAGATION_FEATURES: tuple[str, ...] = ("ppr_from", "ppr_to", "ppr_value_from", "ppr_value_to")
PROXIMITY_FEATURES: tuple[str, ...] = ("hops_from", "hops_to", "score_from", "score_to")
AGGREGATED: tuple[str, ...] = (
    "counterparties",
    "value_in",
    "hour_forward_share",
    "forwarded_share",
    "ppr_from",
    "ppr_to",
)
"""Features whose mean and max over an address's counterparties are features too."""
NEIGHBOUR_FEATURES: tuple[str, ...] = tuple(f"nb_{kind}_{name}" for name in AGGREGATED for kind in ("mean", "max"))
FEATURES: tuple[str, ...] = BASE_FEATURES + PROPAGATION_FEATURES + PROXIMITY_FEATURES + NEIGHBOUR_FEATURES
NO_TRAIL = 99
MAX_FORWARDED = 10.0
"""``forwarded_share`` is capped here: an address that sends far more than it received (a funder,
an exchange) is not more of a forwarder for sending a thousand times more."""
"""``hops_from`` / ``hops_to`` when no seed is within the graph's hop bound."""

DESCRIPTIONS: dict[str, str] = {
    "in_degree": "distinct senders",
    "out_degree": "distinct recipients",
    "counterparties": "distinct counterparties (senders and recipients)",
    "in_transfers": "transfers received",
    "out_transfers": "transfers sent",
    "value_in": "value received (base units / 1e18)",
    "value_out": "value sent (base units / 1e18)",
    "mean_in_value": "value received per transfer",
    "top_sender_share": "share of the value received that came from its largest sender",
    "one_transfer_sender_share": "share of senders that sent exactly once",
    "forwarded_share": f"value sent / value received (capped at {MAX_FORWARDED:g})",
    "hour_forward_share": "share of the value sent that left within an hour of the latest receipt before it",
    "day_forward_share": "the same within a day",
    "forward_delay": "median seconds from the latest receipt to each send",
    "lifetime": "seconds from its first to its last transfer",
    "active_days": "distinct days with a transfer",
    "burst_share": "largest share of its transfers within any 24 hours",
    "contract_share": "share of counterparties known to be contracts",
    "seed_sender_share": "share of senders that are illicit seeds",
    "seed_recipient_share": "share of recipients that are illicit seeds",
    "ppr_from": "personalised PageRank from the seeds along transfers, x number of seeds",
    "ppr_to": "the same against the direction of transfers (towards the seeds)",
    "ppr_value_from": "ppr_from with edges weighted by value",
    "ppr_value_to": "ppr_to with edges weighted by value",
    "hops_from": f"transfers from the nearest seed ({NO_TRAIL}: none within the hop bound)",
    "hops_to": f"transfers to the nearest seed ({NO_TRAIL}: none)",
    "score_from": "value-weighted exposure score from the seeds (graph proximity)",
    "score_to": "the same towards the seeds",
    **{
        f"nb_{kind}_{name}": f"{kind} over its counterparties of {name}"
        for name in ("counterparties", "value_in", "hour_forward_share", "forwarded_share", "ppr_from", "ppr_to")
        for kind in ("mean", "max")
    },
}


@dataclass(frozen=True)
class PropagationParams:
    """Random walk with restart from the seeds: ``alpha`` is the chance of following a transfer
    at each step (1 - alpha: back to a seed); stops when the L1 change falls below ``n * tol`` or
    after ``max_iter`` rounds."""

    alpha: float = 0.85
    max_iter: int = 20
    tol: float = 1e-10

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ValueError("alpha must be in (0, 1)")
        if not 1 <= self.max_iter <= 1000:
            raise ValueError("max_iter must be between 1 and 1000")


_PARALLEL_FROM = 50_000
"""Nodes from which the threaded kernels pay for starting threads."""


def personalised_pagerank(
    graph: CsrGraph,
    is_seed: np.ndarray,
    relay: np.ndarray,
    *,
    forward: bool,
    weighted: bool,
    params: PropagationParams = PropagationParams(),
) -> np.ndarray:
    """PageRank with restart to the seeds (uniformly): ``forward`` walks along transfers (where
    money from the seeds goes), otherwise against them (who sends towards the seeds); ``weighted``
    follows an edge in proportion to its value. A node that does not ``relay`` (a service, a hub)
    is a dead end: the walk restarts. All zeros when there is no seed."""
    from txfirewall.graph import feature_kernels as fk

    n = graph.n_nodes
    seeds = np.asarray(is_seed, dtype=bool)
    count = int(seeds.sum())
    if count == 0 or n == 0:
        return np.zeros(n)
    personal = seeds / float(count)
    if forward:
        pull = (graph.in_indptr, graph.in_indices, graph.in_weight)
        push = (graph.out_indptr, graph.out_weight)
    else:
        pull = (graph.out_indptr, graph.out_indices, graph.out_weight)
        push = (graph.in_indptr, graph.in_weight)
    kernel = fk.ppr if n >= _PARALLEL_FROM else fk.ppr_serial
    result: np.ndarray = kernel(
        *pull, *push, weighted, np.asarray(relay, dtype=bool), personal, params.alpha, params.max_iter, params.tol
    )
    return result


def compute_features(
    graph: CsrGraph,
    is_seed: np.ndarray,
    relay: np.ndarray,
    hops_from: np.ndarray,
    hops_to: np.ndarray,
    score_from: np.ndarray,
    score_to: np.ndarray,
    params: PropagationParams = PropagationParams(),
) -> np.ndarray:
    """The ``FEATURES`` matrix, float32, one row per node. ``hops_*`` and ``score_*`` are the
    proximity precompute's (``ProximityArrays``); ``relay`` its relay mask."""
    from txfirewall.graph import feature_kernels as fk

    n = graph.n_nodes
    seeds = np.asarray(is_seed, dtype=bool)
    out = np.empty((n, len(FEATURES)), dtype=np.float32)
    if n == 0:
        return out
    parallel = n >= _PARALLEL_FROM
    (fk.base_features if parallel else fk.base_features_serial)(
        graph.out_indptr,
        graph.out_indices,
        graph.out_weight,
        graph.out_count,
        graph.out_time,
        graph.in_indptr,
        graph.in_indices,
        graph.in_weight,
        graph.in_count,
        graph.in_time,
        np.asarray(graph.is_contract, dtype=bool),
        seeds,
        out,
    )
    at = len(BASE_FEATURES)
    scale = float(seeds.sum())
    for forward, weighted in ((True, False), (False, False), (True, True), (False, True)):
        ppr = personalised_pagerank(graph, seeds, relay, forward=forward, weighted=weighted, params=params)
        out[:, at] = ppr * scale
        at += 1
    for hops in (hops_from, hops_to):
        h = np.asarray(hops)
        out[:, at] = np.where(h >= 0, h, NO_TRAIL)
        at += 1
    out[:, at] = score_from
    out[:, at + 1] = score_to
    at += 2
    cols = np.array([FEATURES.index(name) for name in AGGREGATED], dtype=np.int64)
    (fk.neighbour_aggregates if parallel else fk.neighbour_aggregates_serial)(
        graph.out_indptr, graph.out_indices, graph.in_indptr, graph.in_indices, out, cols, at
    )
    return out
