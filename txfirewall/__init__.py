"""txfirewall: a local-first transaction firewall for Ethereum and EVM wallets.

Public API: ``Firewall`` / ``SyncFirewall`` with ``FirewallConfig``; results are ``Verdict``s.
"""

from __future__ import annotations

from txfirewall.errors import (
    EnvironmentFailure,
    InputFileError,
    InvalidRequestError,
    TxFirewallError,
    UpstreamError,
)
from txfirewall.firewall import Firewall, FirewallConfig, SyncFirewall
from txfirewall.model.findings import Confidence, Finding, Severity
from txfirewall.model.request import Request
from txfirewall.model.verdict import Decision, Verdict
from txfirewall.parse.request import parse_request
from txfirewall.decide.policy import Policy, load_policy

__version__ = "0.1.0"

__all__ = [
    "Confidence",
    "Decision",
    "EnvironmentFailure",
    "Finding",
    "Firewall",
    "FirewallConfig",
    "InputFileError",
    "InvalidRequestError",
    "Policy",
    "Request",
    "Severity",
    "SyncFirewall",
    "TxFirewallError",
    "UpstreamError",
    "Verdict",
    "__version__",
    "load_policy",
    "parse_request",
]
