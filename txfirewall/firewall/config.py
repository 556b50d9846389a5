"""``FirewallConfig``: what a Firewall analyses with, and how it behaves under load."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from txfirewall.decide.policy import Policy
from txfirewall.errors import ConfigError
from txfirewall.intel.store import IntelStore
from txfirewall.model.facts import HistoryEntry, Label, ProximityLookup
from txfirewall.model.primitives import Address
from txfirewall.pipeline import RequestLimits, StageTimeouts


@dataclass(frozen=True)
class FirewallConfig:
    """How to analyse. Every field has a default except where to find the chain.

    ``FirewallConfig(rpc_url="http://127.0.0.1:8545")`` simulates on a fork of that node;
    ``FirewallConfig(simulate=False)`` analyses offline (decoding, lists, rules on what the
    request says). A value out of range raises ``ConfigError`` (a ``ValueError``).
    """

    rpc_url: str | None = None
    """The user's JSON-RPC node (http or https). Simulations run on a local Anvil fork of it."""
    chain_id: int | None = None
    """The chain the requests are for; the node must serve it (``ChainMismatchError``). None:
    whatever the node serves."""
    simulate: bool = True
    """False: no fork and no simulation (facts are still read from ``rpc_url`` when given)."""
    history: tuple[HistoryEntry, ...] | None = None
    """The user's own past transactions (``load_history``): counterparties, habits, baselines."""
    labels: Mapping[Address, tuple[Label, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """Your own address labels, on top of ``intel``."""
    policy: Policy = field(default_factory=Policy)
    """Rule overrides, allow and deny lists (``load_policy``)."""
    timeouts: StageTimeouts = field(default_factory=StageTimeouts)
    limits: RequestLimits = field(default_factory=RequestLimits)
    """Sizes beyond which a request is not simulated (and is at least a warning)."""
    rpc_timeout: float = 10.0
    """Seconds one call to the node may take."""
    intel: IntelStore | None = None
    """Address labels (shipped lists and your imports); None: only ``labels``."""
    graph: ProximityLookup | None = None
    """A built address graph (``txfirewall graph build``) for proximity to illicit seeds."""
    repin_interval: float | None = 60.0
    """Seconds between background checks of the upstream head while idle; None: none. (Analyses
    check the head themselves: see ``head_check_interval``.)"""
    head_check_interval: float = 0.0
    """Least seconds between two head checks made for analyses: 0 checks before every analysis
    (concurrent analyses share one check; it runs alongside the analysis, which is redone on the
    new head only when the head moved). ``Firewall.note_sent`` forces the next check."""
    max_concurrency: int = 16
    """Analyses running at once; more callers wait for a slot (back-pressure)."""
    max_waiting: int = 1024
    """Callers that may wait for a slot; one more gets ``FirewallBusyError`` instead of a queue
    that grows without bound."""
    close_timeout: float = 10.0
    """Seconds ``close()`` waits for analyses in flight before it cancels them
    (``AnalysisCancelledError``)."""
    warm_up: bool = True
    """Load the bytecode-scan kernel in a worker thread at start, so the first analysis with code to
    scan does not wait for it. Worth it for a long-lived Firewall (API, proxy); a one-shot check
    turns it off and loads the kernel only if a request has code to scan."""
    cold_start: str = "upstream"
    """``upstream``: a sender new to the fork is simulated directly on the upstream with
    ``eth_simulateV1`` at the pinned block (1 round trip instead of ~12 sequential fetches; 2 for a
    transaction without a gas limit, whose gas is estimated first) while
    the fork warms in the background; ``fork``: always simulate on the fork."""

    def __post_init__(self) -> None:
        if self.simulate and not self.rpc_url:
            raise ConfigError("simulation needs rpc_url; pass simulate=False to analyse offline")
        if self.cold_start not in ("upstream", "fork"):
            raise ConfigError(f"cold_start must be 'upstream' or 'fork', not {self.cold_start!r}")
        if self.max_concurrency < 1 or self.max_waiting < 0:
            raise ConfigError("max_concurrency must be at least 1 and max_waiting at least 0")
        for name in ("rpc_timeout", "close_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive")
        if self.head_check_interval < 0 or (self.repin_interval is not None and self.repin_interval <= 0):
            raise ConfigError("head_check_interval must be >= 0 and repin_interval positive (or None)")
