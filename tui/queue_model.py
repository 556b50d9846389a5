"""The queue: every request the app shows, from a file, a paste, the demo, or a proxy's holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from txfirewall.tui.verdict_doc import VerdictDoc, read_verdict

OUTCOMES = {
    "confirmed": (
        "Approved: the proxy checks it once more and sends it on to the node, unless the chain changed"
        " while it was held (then the wallet is told 4001 and the audit log says why)."
    ),
    "overridden": (
        "Block overridden: the proxy checks it once more and sends it on to the node, unless something new"
        " blocks it or its effects changed while it was held (then the wallet is told 4001 and the audit log"
        " says why)."
    ),
    "rejected": "Rejected: the wallet was told 4001 (user rejected).",
    "timeout": "Expired: not confirmed in time; the wallet was told 4001.",
    "closed": "The proxy closed before a choice; the wallet was told 4001.",
}
"""How a proxy hold ended (the control channel's ``reason``), in words."""


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

    def resolve(self, approved: bool, reason: str) -> None:
        """The proxy ended the hold (``confirmed``, ``overridden``, ``rejected``, ``timeout``, ``closed``)."""
        if approved:
            self.state = ItemState.APPROVED
        else:
            self.state = ItemState.REJECTED if reason == "rejected" else ItemState.EXPIRED
        self.outcome = OUTCOMES.get(reason, f"Ended: {reason}.")


def held_item(held: Mapping[str, Any], queue: Mapping[str, QueueItem], *, now: float) -> QueueItem | None:
    """The queue item of a held request (``/v1/held`` entry), new or updated; None when the entry
    is not one (no id, no verdict)."""
    held_id = str(held.get("id") or "")
    verdict = held.get("verdict")
    if not held_id or not isinstance(verdict, Mapping):
        return None
    key = f"p-{held_id}"
    doc = read_verdict(verdict)
    origin = held.get("origin")
    created = held.get("created")
    item = queue.get(key) or QueueItem(
        key=key,
        source=Source.PROXY,
        title="",
        method=str(held.get("method") or doc.method),
        origin=origin if isinstance(origin, str) else None,
        created=float(created) if isinstance(created, int | float) else now,
    )
    expires = held.get("expires")
    item.doc, item.held_id, item.state = doc, held_id, ItemState.HELD
    item.expires = float(expires) if isinstance(expires, int | float) else None
    # A block reaches the queue only from a proxy whose policy lets the user override it, marked so
    # (and the proxy releases it only when the confirmation says override: ``_send_choice``).
    item.overridable = doc.decision == "block" and held.get("override") is True
    return item
