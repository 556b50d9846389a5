"""Cluster summaries: size, categories and a few label texts of each group of linked seeds.

Label texts come from outside (public lists, user files): they are kept as data, truncated,
never interpreted.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from txfirewall.model.facts import ClusterInfo, Label

MAX_LABELS = 5
MAX_LABEL_CHARS = 80


def summarise_clusters(seed_cluster: np.ndarray, node_labels: Mapping[int, tuple[Label, ...]]) -> list[ClusterInfo]:
    """One ClusterInfo per cluster id, in id order."""
    seeds = np.flatnonzero(np.asarray(seed_cluster) >= 0)
    return summarise_seed_clusters(seeds, np.asarray(seed_cluster)[seeds], node_labels)


def summarise_seed_clusters(
    seeds: np.ndarray, ids: np.ndarray, node_labels: Mapping[int, tuple[Label, ...]]
) -> list[ClusterInfo]:
    """``summarise_clusters`` from the seeds (node ids, ascending) and their cluster ids alone."""
    if not seeds.size:
        return []
    sizes = np.bincount(ids)
    texts: list[list[str]] = [[] for _ in range(sizes.size)]
    cats: list[set[str]] = [set() for _ in range(sizes.size)]
    for node, cid in zip(seeds.tolist(), ids.tolist(), strict=True):
        for label in node_labels.get(node, ()):
            cats[cid].add(label.category.value)
            text = label.label[:MAX_LABEL_CHARS]
            if len(texts[cid]) < MAX_LABELS and text not in texts[cid]:
                texts[cid].append(text)
    return [ClusterInfo(cid, int(sizes[cid]), tuple(texts[cid]), tuple(sorted(cats[cid]))) for cid in range(sizes.size)]


def clusters_json(clusters: list[ClusterInfo]) -> list[dict[str, object]]:
    return [dict(c.to_json()) for c in clusters]
