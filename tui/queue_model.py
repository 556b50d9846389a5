"""The queue: every request the app shows, from a file, a paste, the demo, or a proxy's holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from txfirewall.tui.verdict_doc import VerdictDoc


class ItemState(StrEnum):
    """Where a request is: being analysed, waiting for the user, or decided."""

    ANALYSING = "analysing"
    FAILED = "failed"
    """The analysis could not run (no node, no anvil): there is no verdict."""
    READY = "ready"
    """Analysed here (a file, a paste, the demo): the user may approve or reject it; nothing is sent."""
    HELD = "held"
    """Held by the proxy: the wallet waits for the user's choice."""
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    """The proxy's hold ended without the user (timeout, the proxy closed)."""

    @property
    def open(self) -> bool:
        return self in (ItemState.READY, ItemState.HELD)


class Source(StrEnum):
    LOCAL = "local"
    PROXY = "proxy"


@dataclass
class QueueItem:
    """One request in the queue. Mutable: the app updates it as stages, verdicts and choices
    arrive (only from the app's own message handlers, in its event loop)."""

    key: str
    source: Source
    title: str
    """The file name or sample title (local), or empty (a proxy hold: the origin says where from)."""
    method: str
    origin: str | None
    created: float
    state: ItemState = ItemState.ANALYSING
    doc: VerdictDoc | None = None
    overridable: bool = False
    """A block the policy lets the user override (``[confirm] allow_block_override``, and no
    unconditional finding); False for everything else."""
    stages: list[str] = field(default_factory=list)
    """The analysis stages started so far, in order (the last is running)."""
    error: str | None = None
    held_id: str | None = None
    expires: float | None = None
    outcome: str | None = None
    """How it ended, in words (``approved: nothing was sent``, ``rejected by you``, ``timeout``)."""

    @property
    def decision(self) -> str | None:
        return self.doc.decision if self.doc is not None else None
