"""The public API: ``Firewall`` (async), ``SyncFirewall`` (blocking, thread-safe) and
``FirewallConfig``. See ``txfirewall.firewall.core`` for the rules of use (loops, errors).
``stage_listener`` reports each stage of an analysis as it starts (the pipeline's; docs/api.md)."""

from __future__ import annotations

from txfirewall.firewall.config import FirewallConfig
from txfirewall.firewall.core import Firewall, RequestInput
from txfirewall.firewall.invalid import invalid_request_verdict
from txfirewall.firewall.runtime import upstream_simulates
from txfirewall.firewall.sync import SyncFirewall
from txfirewall.pipeline import stage_listener

__all__ = [
    "Firewall",
    "FirewallConfig",
    "RequestInput",
    "SyncFirewall",
    "invalid_request_verdict",
    "stage_listener",
    "upstream_simulates",
]
