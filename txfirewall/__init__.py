"""txfirewall: a local-first transaction firewall for Ethereum and EVM wallets.

Public API: ``Firewall`` / ``SyncFirewall`` with ``FirewallConfig``; results are ``Verdict``s.

The names below load on first use (PEP 562), so ``import txfirewall`` (and the CLI's ``--help``)
does not pay for the pipeline, eth-abi or httpx until something needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from txfirewall.decide.policy import Policy, load_policy
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

__version__ = "0.1.0"

_WHERE: dict[str, str] = {
    "Confidence": "txfirewall.model.findings",
    "Decision": "txfirewall.model.verdict",
    "EnvironmentFailure": "txfirewall.errors",
    "Finding": "txfirewall.model.findings",
    "Firewall": "txfirewall.firewall",
    "FirewallConfig": "txfirewall.firewall",
    "InputFileError": "txfirewall.errors",
    "InvalidRequestError": "txfirewall.errors",
    "Policy": "txfirewall.decide.policy",
    "Request": "txfirewall.model.request",
    "Severity": "txfirewall.model.findings",
    "SyncFirewall": "txfirewall.firewall",
    "TxFirewallError": "txfirewall.errors",
    "UpstreamError": "txfirewall.errors",
    "Verdict": "txfirewall.model.verdict",
    "load_policy": "txfirewall.decide.policy",
    "parse_request": "txfirewall.parse.request",
}

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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'txfirewall' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
