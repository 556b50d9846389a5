"""The graph risk model: gradient-boosted trees over the ``features`` matrix, calibrated to [0, 1].

The model is trained by a maintainer step (``make train``, ``tools/train_graph_risk.py`` with
scikit-learn) and shipped as one JSON file: the trees as flat arrays, the calibration, the feature
names it reads, and where it came from (training data, held-out AUC, date, command). Scoring needs
only NumPy and Numba: every address at build time (``score``), and one address's reasons at lookup
time (``explain``: the features that moved its score most, by the path each tree takes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from txfirewall.errors import InputFileError
from txfirewall.graph.features import FEATURES, MAX_FORWARDED, NO_TRAIL

MODEL_FORMAT = 1
SHIPPED = "graph_risk/model.json"
"""The shipped model, under ``txfirewall/data``."""
SEED_REASON = "labelled illicit (a seed of this graph)"
_PARALLEL_FROM = 20_000


@dataclass(frozen=True)
class RiskModel:
    """Trees as flat arrays (node ``i``: split on ``feature[i]`` at ``threshold[i]``, children
    ``left[i]`` / ``right[i]``, -1 for a leaf; ``value[i]`` is the margin the node predicts, for
    inner nodes the average of its leaves weighted by training samples); ``roots`` are the trees'
    first nodes. risk = 1 / (1 + exp(-(a * margin + b))) with margin = base + sum of leaf values."""

    features: tuple[str, ...]
    base: float
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    calibration_a: float = 1.0
    calibration_b: float = 0.0
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown:
            raise InputFileError(f"risk model reads features this version does not compute: {unknown}")
        size = self.feature.size
        if not all(a.size == size for a in (self.threshold, self.left, self.right, self.value)):
            raise InputFileError("risk model: tree arrays differ in length")
        inner = self.left >= 0
        if (
            (self.roots < 0).any()
            or (self.roots >= size).any()
            or (self.left >= size).any()
            or (self.right >= size).any()
            or (self.right[inner] < 0).any()
            or (inner & ((self.left <= np.arange(size)) | (self.right <= np.arange(size)))).any()
            or (self.feature[inner] < 0).any()
            or (self.feature[inner] >= len(self.features)).any()
        ):
            raise InputFileError("risk model: malformed trees")

    @property
    def columns(self) -> np.ndarray:
        """Where the model's features sit in ``FEATURES``."""
        return np.array([FEATURES.index(f) for f in self.features], dtype=np.int64)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RiskModel:
        try:
            if data.get("format") != MODEL_FORMAT or data.get("kind") != "gradient-boosted-trees":
                raise InputFileError(
                    f"risk model format {data.get('format')!r} / {data.get('kind')!r} is not supported"
                )
            trees = data["trees"]
            return cls(
                features=tuple(str(f) for f in data["features"]),
                base=float(data["base"]),
                feature=np.asarray(trees["feature"], dtype=np.int32),
                threshold=np.asarray(trees["threshold"], dtype=np.float64),
                left=np.asarray(trees["left"], dtype=np.int32),
                right=np.asarray(trees["right"], dtype=np.int32),
                value=np.asarray(trees["value"], dtype=np.float64),
                roots=np.asarray(trees["roots"], dtype=np.int32),
                calibration_a=float(data["calibration"]["a"]),
                calibration_b=float(data["calibration"]["b"]),
                metadata=dict(data.get("metadata", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputFileError(f"not a risk model: {exc}") from exc

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "kind": "gradient-boosted-trees",
            "features": list(self.features),
            "base": self.base,
            "calibration": {"a": self.calibration_a, "b": self.calibration_b},
            "trees": {
                "roots": self.roots.tolist(),
                "feature": self.feature.tolist(),
                "threshold": self.threshold.tolist(),
                "left": self.left.tolist(),
                "right": self.right.tolist(),
                "value": self.value.tolist(),
            },
            "metadata": dict(self.metadata),
        }

    @classmethod
    def load(cls, path: Path | None = None) -> RiskModel:
        """The model at ``path``, or the shipped one."""
        try:
            if path is None:
                text = resources.files("txfirewall").joinpath("data", SHIPPED).read_text(encoding="utf-8")
            else:
                text = path.read_text(encoding="utf-8")
            data = json.loads(text)
        except (OSError, ValueError) as exc:
            raise InputFileError(f"cannot read the risk model {path or SHIPPED}: {exc}") from exc
        if not isinstance(data, dict):
            raise InputFileError("not a risk model: not a JSON object")
        return cls.from_json(data)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")

    def calibrate(self, margin: np.ndarray) -> np.ndarray:
        z = np.clip(self.calibration_a * np.asarray(margin, dtype=np.float64) + self.calibration_b, -60.0, 60.0)
        out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
        return out

    def margin(self, x: np.ndarray) -> np.ndarray:
        """Log-odds before calibration for each row of ``x`` (the model's columns, float32)."""
        from txfirewall.graph import feature_kernels as fk

        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != len(self.features):
            raise ValueError(f"expected rows of {len(self.features)} features, got shape {x.shape}")
        kernel = fk.forest_margin if x.shape[0] >= _PARALLEL_FROM else fk.forest_margin_serial
        result: np.ndarray = kernel(
            self.feature, self.threshold, self.left, self.right, self.value, self.roots, x, self.base
        )
        return result

    def score(self, x: np.ndarray) -> np.ndarray:
        """Calibrated risk in [0, 1] for each row of ``x`` (the model's columns)."""
        return self.calibrate(self.margin(x))

    def contributions(self, row: np.ndarray) -> np.ndarray:
        """Per feature, how much it moved this row's margin away from the average (the root
        values): along each tree's path, the change of node value at a split is credited to the
        split's feature. They sum to margin - (base + sum of root values)."""
        x = np.asarray(row, dtype=np.float32)
        node = self.roots.astype(np.int64)
        out = np.zeros(len(self.features))
        while True:
            inner = self.left[node] >= 0
            if not inner.any():
                return out
            at = node[inner]
            f = self.feature[at]
            go_left = x[f].astype(np.float64) <= self.threshold[at]
            child = np.where(go_left, self.left[at], self.right[at]).astype(np.int64)
            out += np.bincount(f, weights=self.value[child] - self.value[at], minlength=len(self.features))
            node[inner] = child

    def explain(self, row: np.ndarray, *, top: int = 3, risk: float | None = None) -> list[tuple[str, float]]:
        """The (feature, contribution) pairs that moved this row's risk most, in the direction of
        its score (up when the risk is at least one half, down otherwise), largest first. Pass the
        precomputed ``risk`` to skip scoring the row (and loading Numba) again."""
        contrib = self.contributions(row)
        if risk is None:
            risk = float(self.score(np.asarray(row, dtype=np.float32)[None, :])[0])
        sign = 1.0 if risk >= 0.5 else -1.0
        order = np.argsort(-sign * contrib, kind="stable")
        return [(self.features[i], float(contrib[i])) for i in order[:top] if sign * contrib[i] > 0]

    def reasons(self, row: np.ndarray, *, top: int = 3, risk: float | None = None) -> tuple[str, ...]:
        """``explain`` in words, with this address's own numbers."""
        values = {name: float(v) for name, v in zip(self.features, np.asarray(row, dtype=np.float64), strict=True)}
        return tuple(describe(name, values) for name, _ in self.explain(row, top=top, risk=risk))


def _count(x: float) -> str:
    return f"{round(x):,}"


def _n(x: float, noun: str) -> str:
    """ "1 address", "212 addresses"."""
    plural = noun + ("es" if noun.endswith(("s", "x")) else "s")
    return f"{_count(x)} {noun if round(x) == 1 else plural}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _eth(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _duration(seconds: float) -> str:
    s = max(0.0, seconds)
    for unit, size in (("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0)):
        if s >= size:
            return f"{s / size:.3g} {unit}"
    return f"{s:.0f} seconds"


def _has(values: Mapping[str, float], name: str) -> bool:
    return name in values and values[name] >= 0


def describe(name: str, values: Mapping[str, float]) -> str:
    """One feature of one address in words ("received from 212 addresses"); ``values`` holds the
    address's feature values by name (at least ``name``'s)."""
    v = values[name]
    if name == "in_degree":
        return f"received from {_n(v, 'address')}"
    if name == "out_degree":
        return f"sent to {_n(v, 'address')}"
    if name == "counterparties":
        return f"dealt with {_n(v, 'distinct address')}"
    if name == "in_transfers":
        return f"received {_n(v, 'transfer')}"
    if name == "out_transfers":
        return f"sent {_n(v, 'transfer')}"
    if name == "value_in":
        return f"received {_eth(v)} ETH in all"
    if name == "value_out":
        return f"sent {_eth(v)} ETH in all"
    if name == "mean_in_value":
        return f"received {_eth(v)} ETH per transfer on average" if v >= 0 else "received nothing"
    if name == "top_sender_share":
        return f"its largest sender gave {_pct(v)} of what it received" if v >= 0 else "received no value"
    if name == "one_transfer_sender_share":
        return f"{_pct(v)} of its senders sent exactly once" if v >= 0 else "has no senders"
    if name == "forwarded_share":
        if v < 0:
            return "received no value"
        if v >= MAX_FORWARDED:
            return f"sent at least {MAX_FORWARDED:.0f} times the value it received"
        return f"sent on {_pct(v)} of the value it received"
    if name in ("hour_forward_share", "day_forward_share"):
        window = "an hour" if name == "hour_forward_share" else "a day"
        if v < 0:
            return "sent nothing after receiving"
        head = f"received from {_n(values['in_degree'], 'address')} and " if _has(values, "in_degree") else ""
        return f"{head}forwarded {_pct(v)} within {window}"
    if name == "forward_delay":
        return f"forwarded a median {_duration(v)} after receiving" if v >= 0 else "never forwarded what it received"
    if name == "lifetime":
        return f"active for {_duration(v)}" if v >= 0 else "no known transfer times"
    if name == "active_days":
        return f"active on {_n(v, 'distinct day')}"
    if name == "burst_share":
        return f"{_pct(v)} of its transfers fell within one day" if v >= 0 else "no known transfer times"
    if name == "contract_share":
        return f"{_pct(v)} of its counterparties are contracts" if v >= 0 else "no counterparties"
    if name == "seed_sender_share":
        return f"{_pct(v)} of its senders are labelled illicit" if v >= 0 else "has no senders"
    if name == "seed_recipient_share":
        return f"{_pct(v)} of its recipients are labelled illicit" if v >= 0 else "has no recipients"
    if name in ("ppr_from", "ppr_value_from"):
        how = " (by value)" if name == "ppr_value_from" else ""
        return f"random walks from illicit seeds along transfers{how} reach it with weight {v:.2g}"
    if name in ("ppr_to", "ppr_value_to"):
        how = " (by value)" if name == "ppr_value_to" else ""
        return f"random walks from illicit seeds against transfers{how} reach it with weight {v:.2g}"
    if name in ("hops_from", "hops_to"):
        way = "from" if name == "hops_from" else "to"
        return (
            f"no illicit trail {way} it within the hop bound"
            if v >= NO_TRAIL
            else f"{_n(v, 'transfer')} {way} illicit funds"
        )
    if name in ("score_from", "score_to"):
        way = "received from" if name == "score_from" else "sent towards"
        return f"exposure score {v:.2f} for value {way} illicit addresses"
    if name.startswith("nb_"):
        _, kind, base = name.split("_", 2)
        what = {"mean": "on average", "max": "at most"}[kind]
        if v < 0:
            return f"its counterparties have no {base.replace('_', ' ')}"
        sub = describe(base, {**values, base: v, "in_degree": -1.0})
        return f"its counterparties {what}: {sub}"
    return f"{name} = {v:.3g}"


def shipped_model() -> RiskModel:
    return RiskModel.load(None)


def model_summary(model: RiskModel) -> dict[str, Any]:
    """What a graph directory records about the model that scored it."""
    meta = model.metadata
    return {
        "features": list(model.features),
        "training_data": meta.get("training_data", []),
        "heldout_auc": meta.get("heldout_auc", {}),
        "trained": meta.get("trained"),
    }


def risk_for_graph(
    model: RiskModel, matrix: np.ndarray, is_seed: np.ndarray, chunk: int = 1 << 20
) -> tuple[np.ndarray, np.ndarray]:
    """(the model's columns of ``matrix`` as float32, risk per node as float32); seeds are 1."""
    cols = model.columns
    x = np.ascontiguousarray(matrix[:, cols], dtype=np.float32)
    risk = np.empty(x.shape[0], dtype=np.float32)
    for start in range(0, x.shape[0], chunk):
        risk[start : start + chunk] = model.score(x[start : start + chunk])
    risk[np.asarray(is_seed, dtype=bool)] = 1.0
    return x, risk


@dataclass(frozen=True)
class RiskArrays:
    """What a graph directory keeps for risk: the model's feature columns per node (for reasons at
    lookup), the risk per node, and the model itself (so reasons use the trees that scored)."""

    features: np.ndarray
    risk: np.ndarray
    model: RiskModel

    def nbytes(self) -> int:
        return int(self.features.nbytes + self.risk.nbytes)

    def save(self, directory: Path) -> None:
        np.save(directory / "features.npy", np.ascontiguousarray(self.features))
        np.save(directory / "risk.npy", np.ascontiguousarray(self.risk))
        self.model.save(directory / "risk_model.json")

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> RiskArrays | None:
        """None when the graph was built without risk."""
        if not (directory / "risk_model.json").exists():
            return None
        model = RiskModel.load(directory / "risk_model.json")
        try:
            features = np.load(directory / "features.npy", mmap_mode="r" if mmap else None)
            risk = np.load(directory / "risk.npy", mmap_mode="r" if mmap else None)
        except (OSError, ValueError) as exc:
            raise InputFileError(
                f"{directory}: risk arrays unreadable: {exc}", hint="run `txfirewall graph build`"
            ) from exc
        if features.ndim != 2 or features.shape != (risk.size, len(model.features)):
            raise InputFileError(
                f"{directory}: risk arrays do not match the model", hint="run `txfirewall graph build`"
            )
        return cls(features, risk, model)
