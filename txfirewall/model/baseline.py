"""The user's own baseline, from their history: how much they usually send, when, and how.

A firewall that knows only rules misses the transfer that is legal but not *like the user*: ten
times their largest payment, at an hour they never transact, through a function they never called.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Baseline:
    sends: int
    """Outgoing transactions in the history."""
    native_sends: int
    native_log_median: float | None
    """Median of log10(wei) over the ETH the user sent (None: fewer than two sends)."""
    native_log_mad: float | None
    """Median absolute deviation of the same (robust to a few outliers)."""
    native_max: int
    hours: tuple[int, ...]
    """Outgoing transactions per UTC hour of day (24 counts)."""
    methods: frozenset[str]
    """Methods (names or selectors) the history records the user calling."""
