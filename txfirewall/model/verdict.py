"""The verdict: allow, warn or block, with every reason and the facts behind it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from txfirewall.errors import TxFirewallError
from txfirewall.model.chain_state import ChainState
from txfirewall.model.facts import AddressFacts, TokenInfo
from txfirewall.model.findings import Finding
from txfirewall.model.intent import Intent
from txfirewall.model.json_values import JsonValue
from txfirewall.model.simulation import Simulation

SCHEMA_VERSION = 1


class Decision(StrEnum):
    """What to do with the request: sign it, ask the user first, or refuse."""

    ALLOW = "allow"
    WARN = "warn"
    BLOCK = "block"

    @property
    def exit_code(self) -> int:
        """The CLI's exit code for this decision (0, 10, 20)."""
        return {Decision.ALLOW: 0, Decision.WARN: 10, Decision.BLOCK: 20}[self]


@dataclass(frozen=True)
class SkippedRule:
    """A rule that did not run to a decision for this request, and why."""

    rule: str
    reason: str

    def to_json(self) -> dict[str, JsonValue]:
        return {"rule": self.rule, "reason": self.reason}


@dataclass(frozen=True)
class Verdict:
    """The single output of ``Firewall.analyze``. ``to_json()`` gives the documented JSON schema,
    whose keys are the attribute names except ``decision``, which is ``"verdict"`` in JSON."""

    decision: Decision
    score: int
    findings: tuple[Finding, ...]
    intent: Intent
    simulation: Simulation
    method: str
    sender: str | None = None
    chain_id: int | None = None
    origin: str | None = None
    addresses: tuple[AddressFacts, ...] = ()
    tokens: tuple[TokenInfo, ...] = ()
    skipped_rules: tuple[SkippedRule, ...] = ()
    timings_ms: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    """Milliseconds per stage, plus ``parse`` and ``total`` for the whole analysis."""
    block: ChainState | None = None
    """The block the request was simulated on and how fresh it was; None without a fork."""
    error: str | None = None
    """For a request that could not be parsed: the ``InvalidRequestError`` subclass's name
    (``method`` then is the method the request named, or ``"invalid"`` when it named none)."""

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "schema": SCHEMA_VERSION,
            "verdict": self.decision.value,
            "score": self.score,
            "method": self.method,
            "sender": self.sender,
            "chain_id": self.chain_id,
            "origin": self.origin,
            "findings": [f.to_json() for f in self.findings],
            "intent": self.intent.to_json(),
            "simulation": self.simulation.to_json(),
            "addresses": [a.to_json() for a in self.addresses],
            "tokens": {t.address: t.to_json() for t in self.tokens},
            "skipped_rules": [s.to_json() for s in self.skipped_rules],
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            "block": self.block.to_json() if self.block is not None else None,
            "error": self.error,
        }

    def to_json_text(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_json(), indent=indent, ensure_ascii=False)


class VerdictError(TxFirewallError):
    """A request refused because of its verdict; ``verdict`` holds every finding and its evidence."""

    def __init__(self, message: str, verdict: Verdict, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.verdict = verdict


class RequestBlockedError(VerdictError):
    """The verdict is *block*: the request was not sent to the node or the signer."""

    hint = "do not retry: read verdict.findings for why (txfirewall check shows the same verdict)"


class RequestNotConfirmedError(VerdictError):
    """The verdict is *warn* and the confirm callback declined (or there was none to ask)."""

    hint = "pass confirm= to the middleware to let the user decide on warnings"
