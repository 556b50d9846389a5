"""The analysis context: what every stage adds to, and what every rule reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from txfirewall.model.baseline import Baseline
from txfirewall.model.chain_state import ChainState
from txfirewall.model.code import CodeFeatures
from txfirewall.model.counterparties import Counterparties
from txfirewall.model.facts import AddressFacts, HistoryEntry, Label, TokenInfo
from txfirewall.model.holdings import Holdings
from txfirewall.model.intent import Intent
from txfirewall.model.origin import OriginFacts
from txfirewall.model.primitives import Address, ChainId
from txfirewall.model.request import Request
from txfirewall.model.simulation import Simulation


class Fact(StrEnum):
    """The parts of the context a rule may require."""

    REQUEST = "request"
    INTENT = "intent"
    SIMULATION = "simulation"
    ADDRESS_FACTS = "address_facts"
    CODE = "code"
    TOKENS = "tokens"
    HISTORY = "history"
    PROXIMITY = "proximity"
    HOLDINGS = "holdings"
    ORIGIN = "origin"
    """The request names the site that sent it (``Request.origin``), and its facts were gathered."""
    DOMAIN_LISTS = "domain_lists"
    """Phishing-domain lists were imported and the origin was matched against them."""
    ORIGIN_HISTORY = "origin_history"
    """The user's history names the sites they used (its ``origin`` fields)."""
    CHAIN_STATE = "chain_state"
    """The analysis ran on a pinned fork whose block and freshness are known."""


def _empty() -> Mapping[Address, AddressFacts]:
    return MappingProxyType({})


@dataclass(frozen=True)
class StageFailure:
    stage: str
    error: str
    node_down: bool = False
    """The node did not answer (a transport failure or the stage's timeout), as opposed to an
    error it answered with or a crash in txfirewall: the later stages do not wait on it again."""


@dataclass(frozen=True)
class AnalysisContext:
    """Immutable; each stage returns a new context with more facts filled in."""

    request: Request
    chain_id: ChainId | None = None
    intent: Intent | None = None
    simulation: Simulation | None = None
    addresses: Mapping[Address, AddressFacts] = field(default_factory=_empty)
    tokens: Mapping[Address, TokenInfo] = field(default_factory=lambda: MappingProxyType({}))
    history: tuple[HistoryEntry, ...] | None = None
    labels: Mapping[Address, tuple[Label, ...]] = field(default_factory=lambda: MappingProxyType({}))
    failures: tuple[StageFailure, ...] = ()
    code_known: bool = False
    """True when ``addresses[*].is_contract`` was read from a node."""
    proximity_known: bool = False
    """True when an address graph was consulted for ``addresses[*].proximity``."""
    baseline: Baseline | None = None
    """The sender's habits from their history (None: no history given)."""
    now: int | None = None
    """When the request is analysed (unix seconds): the pinned block's next timestamp, else the clock."""
    counterparties: Counterparties | None = None
    """The sender's real counterparties from their history (None: no history given)."""
    holdings: Holdings | None = None
    """The sender's balances of what the request grants or moves (None: no node to read them)."""
    origin: OriginFacts | None = None
    """Facts about ``request.origin``; None when the request names no origin."""
    chain_state: ChainState | None = None
    """The pinned block the analysis simulated on, and how fresh it is (None: no fork)."""
    sender_code: CodeFeatures | None = None
    """The sender's own code when it has some (an EIP-7702 delegated account shows its current
    delegate here); None when it has none or it was not read."""

    def facts(self, address: Address | None) -> AddressFacts | None:
        return None if address is None else self.addresses.get(address)

    def available(self) -> frozenset[Fact]:
        have = {Fact.REQUEST}
        if self.intent is not None:
            have.add(Fact.INTENT)
        if self.simulation is not None and self.simulation.ran:
            have.add(Fact.SIMULATION)
        if self.addresses:
            have.add(Fact.ADDRESS_FACTS)
        if self.code_known:
            have.add(Fact.CODE)
        if self.tokens:
            have.add(Fact.TOKENS)
        if self.history is not None:
            have.add(Fact.HISTORY)
        if self.proximity_known:
            have.add(Fact.PROXIMITY)
        if self.holdings is not None:
            have.add(Fact.HOLDINGS)
        if self.chain_state is not None:
            have.add(Fact.CHAIN_STATE)
        if self.origin is not None:
            have.add(Fact.ORIGIN)
            if self.origin.list_entries:
                have.add(Fact.DOMAIN_LISTS)
            if self.origin.known_hosts:
                have.add(Fact.ORIGIN_HISTORY)
        return frozenset(have)
