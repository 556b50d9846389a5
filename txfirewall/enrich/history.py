"""The user's own history, indexed, and what it says about one address (reading the file:
``history_file``)."""

from __future__ import annotations

from collections.abc import Iterable

from txfirewall.model.baseline import Baseline
from txfirewall.model.counterparties import Counterparties
from txfirewall.model.facts import HistoryEntry, Relationship
from txfirewall.model.hostnames import parse_host
from txfirewall.model.origin import Host
from txfirewall.model.primitives import Address

DUST_WEI = 10**14
"""ETH below this (0.0001 ETH) is dust: what poisoners send to plant an address, not a payment."""


class HistoryIndex:
    """The user's history indexed once by (address, counterparty), so the facts of every
    touched address cost a dictionary lookup, not a scan of the whole history."""

    def __init__(self, history: Iterable[HistoryEntry]) -> None:
        self.entries: tuple[HistoryEntry, ...] = tuple(history)
        self._pairs: dict[tuple[Address, Address], list[int]] = {}
        self._times: dict[tuple[Address, Address], list[int]] = {}
        for e in self.entries:
            sent_keys = {(e.sender, other) for other in (e.to, e.token) if other is not None}
            for key in sent_keys:
                self._count(key, 0, e.timestamp)
            if e.to is not None and (e.to, e.sender) not in sent_keys:
                self._count((e.to, e.sender), 1, e.timestamp)
        hosts: dict[str, Host] = {}
        for origin in dict.fromkeys(e.origin for e in self.entries if e.origin):
            host = parse_host(origin)
            if host is not None:
                hosts.setdefault(host.name, host)
        self.origin_hosts: tuple[Host, ...] = tuple(hosts.values())
        """Distinct hosts of the sites the user's history names, in first-seen order."""

    def _count(self, key: tuple[Address, Address], slot: int, timestamp: int | None) -> None:
        counts = self._pairs.setdefault(key, [0, 0])
        counts[slot] += 1
        if timestamp is not None:
            bounds = self._times.setdefault(key, [timestamp, timestamp])
            bounds[0], bounds[1] = min(bounds[0], timestamp), max(bounds[1], timestamp)

    def counterparties(self, user: Address) -> Counterparties:
        """``user``'s real counterparties and the planted candidates (computed once per user)."""
        cache: dict[Address, Counterparties] = self.__dict__.setdefault("_counterparties", {})
        found = cache.get(user)
        if found is None:
            found = cache[user] = _counterparties(self.entries, user)
        return found

    def baseline(self, user: Address) -> Baseline:
        """``user``'s sending habits (computed once per user; Numba for the robust statistics)."""
        cache: dict[Address, Baseline] = self.__dict__.setdefault("_baselines", {})
        found = cache.get(user)
        if found is None:
            found = cache[user] = _baseline(self.entries, user)
        return found

    def relationship(self, user: Address, other: Address) -> Relationship:
        """How often ``user`` sent to / called / used the token ``other``, and received from it."""
        sent, received = self._pairs.get((user, other), (0, 0))
        first, last = self._times.get((user, other), (None, None))
        return Relationship(sent_count=sent, received_count=received, first_at=first, last_at=last)


def relationship(history: Iterable[HistoryEntry], user: Address, other: Address) -> Relationship:
    """One-off form of ``HistoryIndex(history).relationship(user, other)``."""
    return HistoryIndex(history).relationship(user, other)


def _is_real(e: HistoryEntry, user: Address) -> Address | None:
    """The counterparty a real payment makes (the user paid them, or they paid the user real ETH)."""
    if e.sender == user and e.to is not None and e.value > 0 and (e.token is not None or e.value >= DUST_WEI):
        return e.to
    if e.to == user and e.token is None and e.value >= DUST_WEI:
        return e.sender
    return None


def _counterparties(entries: Iterable[HistoryEntry], user: Address) -> Counterparties:
    real: dict[Address, None] = {}
    seen: dict[Address, int] = {}
    for e in entries:
        if e.sender != user and e.to != user:
            continue
        other = e.to if e.sender == user else e.sender
        if other is None or other == user:
            continue
        paid = _is_real(e, user)
        if paid is not None:
            real[paid] = None
        else:
            seen[other] = seen.get(other, 0) + 1
    planted = {a: n for a, n in seen.items() if a not in real}
    order = tuple(real)
    packed = b"".join(bytes.fromhex(a[2:]) for a in order)
    return Counterparties(user=user, real=order, packed=packed, planted=planted)


def _baseline(entries: Iterable[HistoryEntry], user: Address) -> Baseline:
    import math

    sends = [e for e in entries if e.sender == user]
    native = [e.value for e in sends if e.token is None and e.value > 0]
    hours = [0] * 24
    for e in sends:
        if e.timestamp is not None:
            hours[(e.timestamp // 3600) % 24] += 1
    median: float | None = None
    mad: float | None = None
    if len(native) >= 2:
        median, mad = _median_and_mad([math.log10(v) for v in native])
    return Baseline(
        sends=len(sends),
        native_sends=len(native),
        native_log_median=median,
        native_log_mad=mad,
        native_max=max(native, default=0),
        hours=tuple(hours),
        methods=frozenset(e.method for e in sends if e.method),
    )


NUMBA_FROM = 50_000
"""Below this many values sorting in Python is quicker than loading the compiled kernel."""


def _median_and_mad(values: list[float]) -> tuple[float, float]:
    if len(values) >= NUMBA_FROM:
        import numpy as np

        from txfirewall.enrich.baseline_kernel import median_and_mad

        return median_and_mad(np.array(values, dtype=np.float64))
    import statistics

    median = statistics.median(values)
    return median, statistics.median(abs(v - median) for v in values)
