"""Which chain state an analysis saw, and how fresh it was."""

from __future__ import annotations

from dataclasses import dataclass

from txfirewall.model.json_values import JsonValue


@dataclass(frozen=True)
class ChainState:
    """The block an analysis simulated on and read from, and how recently the node confirmed it.

    JSON (``Verdict.to_json()["block"]``) uses the same names as the attributes.
    """

    number: int
    """The pinned block: simulations run on the state after it."""
    hash: str | None
    timestamp: int | None
    """The block's own timestamp (unix seconds)."""
    age_s: float | None
    """Wall-clock seconds since ``timestamp``. On a busy chain this is a few seconds; on an idle
    development chain it can be days without anything being stale (see ``confirmed_s_ago``)."""
    confirmed_s_ago: float
    """Seconds since the upstream node last reported this block as its head: ~0 when the head was
    checked for this analysis. It grows only when head checks fail (or are turned off)."""
    check_error: str | None = None
    """Why the last head check failed, when it did."""
    pending_sends: int = 0
    """Transactions reported with ``note_sent`` that are not mined yet: their effects are not in
    this state."""

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "number": self.number,
            "hash": self.hash,
            "timestamp": self.timestamp,
            "age_s": None if self.age_s is None else round(self.age_s, 3),
            "confirmed_s_ago": round(self.confirmed_s_ago, 3),
            "check_error": self.check_error,
            "pending_sends": self.pending_sends,
        }
