"""The public API: ``Firewall`` (async), ``SyncFirewall`` (blocking, thread-safe) and
``FirewallConfig``. See ``txfirewall.firewall.core`` for the rules of use (loops, errors)."""

from __future__ import annotations

from txfirewall.firewall.config import FirewallConfig
from txfirewall.firewall.core import Firewall, RequestInput
from txfirewall.firewall.invalid import invalid_request_verdict
from txfirewall.firewall.runtime import upstream_simulates
from txfirewall.firewall.sync import SyncFirewall

__all__ = [
    "Firewall",
    "FirewallConfig",
    "RequestInput",
    "SyncFirewall",
    "invalid_request_verdict",
    "upstream_simulates",
]
