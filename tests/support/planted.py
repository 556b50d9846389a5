"""Generated transfer graphs with planted phishing behaviour, for the risk model's tests.

Normal accounts trade with a few regular counterparties and with a handful of exchange hubs, at a
human pace (hours to weeks between transfers), in amounts spread over four orders of magnitude.
Phishers are planted in crews: each phisher is paid once by many victims (normal accounts, over a
day or two) and forwards nearly everything within minutes to its crew's collectors; the collectors
cash out at an exchange. Some phishers were funded with gas by a crew mate. Nothing here knows the
model: the behaviour is what the issue describes (fan-in from many victims, fast fan-out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from txfirewall.graph.csr import CsrGraph, from_ids

T0 = 1_650_000_000
DAY = 86_400
ETH = 1e18


@dataclass(frozen=True)
class Planted:
    graph: CsrGraph
    phishers: np.ndarray  # node ids
    normal: np.ndarray  # node ids of normal accounts
    exchanges: np.ndarray


def planted_graph(seed: int = 0, n_normal: int = 4000, crews: int = 12, per_crew: int = 5) -> Planted:
    rng = np.random.default_rng(seed)
    n_exchanges = 5
    n_phish = crews * per_crew
    n_collect = crews * 2
    normal = np.arange(n_normal)
    exchanges = np.arange(n_normal, n_normal + n_exchanges)
    phishers = np.arange(exchanges[-1] + 1, exchanges[-1] + 1 + n_phish)
    collectors = np.arange(phishers[-1] + 1, phishers[-1] + 1 + n_collect)
    n = int(collectors[-1]) + 1
    src: list[int] = []
    dst: list[int] = []
    val: list[float] = []
    when: list[int] = []

    def add(a: int, b: int, v: float, t: float) -> None:
        src.append(a)
        dst.append(b)
        val.append(v)
        when.append(int(t))

    # normal life: a few friends, exchange deposits and withdrawals, spread over months
    for u in normal:
        start = T0 + rng.uniform(0, 300 * DAY)
        friends = rng.choice(n_normal, rng.integers(1, 6), replace=False)
        for _ in range(rng.integers(2, 25)):
            t = start + rng.exponential(20 * DAY)
            amount = 10 ** rng.uniform(-2.5, 1.5) * ETH
            kind = rng.random()
            if kind < 0.45:
                add(int(u), int(rng.choice(friends)), amount, t)
            elif kind < 0.7:
                add(int(u), int(rng.choice(exchanges)), amount, t)
            else:
                add(int(rng.choice(exchanges)), int(u), amount, t)
    # phishing crews
    for c in range(crews):
        crew = phishers[c * per_crew : (c + 1) * per_crew]
        mine = collectors[2 * c : 2 * c + 2]
        for i, p in enumerate(crew):
            start = T0 + rng.uniform(30 * DAY, 300 * DAY)
            if i > 0 and rng.random() < 0.5:  # gas from a crew mate
                add(int(crew[i - 1]), int(p), 0.05 * ETH, start - 3600)
            victims = rng.choice(n_normal, rng.integers(15, 80), replace=False)
            for v in victims:
                t = start + rng.uniform(0, 2 * DAY)
                amount = 10 ** rng.uniform(-1.5, 1.0) * ETH
                add(int(v), int(p), amount, t)
                add(int(p), int(rng.choice(mine)), amount * 0.97, t + rng.uniform(30, 1800))
        for k in mine:
            for _ in range(3):
                add(int(k), int(rng.choice(exchanges)), 10 ** rng.uniform(0, 2) * ETH, T0 + rng.uniform(60, 330) * DAY)
    graph = from_ids(n, np.array(src), np.array(dst), np.array(val), np.array(when, dtype=np.int64))
    return Planted(graph, phishers, normal, exchanges)
