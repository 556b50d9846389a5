"""What the app's workers report, as Textual messages (past-tense events).

Workers never touch widgets: they post one of these and the app updates the queue and the screen
in its own handlers.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from txfirewall.tui.verdict_doc import VerdictDoc


class StageStarted(Message):
    """An analysis entered a stage (parse, fork, decode, simulate, enrich, evaluate, decide)."""

    def __init__(self, key: str, stage: str) -> None:
        super().__init__()
        self.key = key
        self.stage = stage


class VerdictReady(Message):
    def __init__(self, key: str, doc: VerdictDoc, overridable: bool) -> None:
        super().__init__()
        self.key = key
        self.doc = doc
        self.overridable = overridable


class AnalysisFailed(Message):
    """The analysis could not run at all (no anvil, no node): there is no verdict."""

    def __init__(self, key: str, title: str, error: str, *, environment: bool = False) -> None:
        super().__init__()
        self.key = key
        self.title = title
        self.error = error
        self.environment = environment
        """The machine or the network failed (the fork, the node), not this request."""


class HoldArrived(Message):
    """The proxy holds a request for the user (one entry of ``/v1/held``)."""

    def __init__(self, held: dict[str, Any]) -> None:
        super().__init__()
        self.held = held


class HoldResolved(Message):
    def __init__(self, held_id: str, approved: bool, reason: str) -> None:
        super().__init__()
        self.held_id = held_id
        self.approved = approved
        self.reason = reason


class ProxyStatusChanged(Message):
    """Connected to the proxy's control channel, or lost it (``error`` says why)."""

    def __init__(self, connected: bool, error: str | None = None) -> None:
        super().__init__()
        self.connected = connected
        self.error = error


class ChoiceFailed(Message):
    """The proxy did not take the user's choice (the hold is gone, the channel failed)."""

    def __init__(self, key: str, error: str) -> None:
        super().__init__()
        self.key = key
        self.error = error


class HoldsSnapshot(Message):
    """Every request the proxy holds, as the event socket's first message (also after a reconnect)."""

    def __init__(self, held: list[dict[str, Any]]) -> None:
        super().__init__()
        self.held = held
