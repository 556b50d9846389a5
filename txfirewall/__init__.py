"""txfirewall: a local-first transaction firewall for Ethereum and EVM wallets.

Public API: ``Firewall`` (async) / ``SyncFirewall`` (blocking, thread-safe) with
``FirewallConfig``; results are ``Verdict``s. Every exception txfirewall raises derives from
``TxFirewallError``; all are exported here. The web3.py middleware is ``txfirewall.web3``.

The names below load on first use (PEP 562), so ``import txfirewall`` (and the CLI's ``--help``)
does not pay for the pipeline, eth-abi or httpx until something needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from txfirewall.decide.policy import Policy, load_policy
    from txfirewall.enrich.history_file import load_history
    from txfirewall.errors import (
        AnalysisCancelledError,
        AnvilNotFoundError,
        AnvilStartError,
        AuditLogError,
        CastNotFoundError,
        ChainMismatchError,
        ConfigError,
        ControlChannelError,
        EnvironmentFailure,
        FirewallBusyError,
        FirewallClosedError,
        FirewallLoopError,
        InputFileError,
        InvalidParamsError,
        InvalidRequestError,
        MalformedJsonError,
        NonCanonicalKeyError,
        RawTransactionError,
        RpcCallError,
        ToolNotFoundError,
        TxFirewallError,
        TypedDataError,
        UnsupportedMethodError,
        UpstreamError,
        UpstreamTimeoutError,
    )
    from txfirewall.firewall import (
        Firewall,
        FirewallConfig,
        SyncFirewall,
    )
    from txfirewall.model.chain_state import ChainState
    from txfirewall.model.facts import (
        HistoryEntry,
        Label,
        LabelCategory,
    )
    from txfirewall.model.findings import (
        Confidence,
        Finding,
        Severity,
    )
    from txfirewall.model.intent import Intent, IntentKind
    from txfirewall.model.request import (
        SIGNING_METHODS,
        Method,
        Request,
    )
    from txfirewall.model.simulation import Simulation, SimulationStatus
    from txfirewall.model.verdict import (
        Decision,
        RequestBlockedError,
        RequestNotConfirmedError,
        SkippedRule,
        Verdict,
        VerdictError,
    )
    from txfirewall.parse.request import parse_request
    from txfirewall.pipeline import RequestLimits, StageTimeouts

__version__ = "0.1.0"

_WHERE: dict[str, str] = {
    "AnalysisCancelledError": "txfirewall.errors",
    "AnvilNotFoundError": "txfirewall.errors",
    "AnvilStartError": "txfirewall.errors",
    "AuditLogError": "txfirewall.errors",
    "CastNotFoundError": "txfirewall.errors",
    "ChainMismatchError": "txfirewall.errors",
    "ChainState": "txfirewall.model.chain_state",
    "Confidence": "txfirewall.model.findings",
    "ConfigError": "txfirewall.errors",
    "ControlChannelError": "txfirewall.errors",
    "Decision": "txfirewall.model.verdict",
    "EnvironmentFailure": "txfirewall.errors",
    "Finding": "txfirewall.model.findings",
    "Firewall": "txfirewall.firewall",
    "FirewallBusyError": "txfirewall.errors",
    "FirewallClosedError": "txfirewall.errors",
    "FirewallConfig": "txfirewall.firewall",
    "FirewallLoopError": "txfirewall.errors",
    "HistoryEntry": "txfirewall.model.facts",
    "InputFileError": "txfirewall.errors",
    "Intent": "txfirewall.model.intent",
    "IntentKind": "txfirewall.model.intent",
    "InvalidParamsError": "txfirewall.errors",
    "InvalidRequestError": "txfirewall.errors",
    "Label": "txfirewall.model.facts",
    "LabelCategory": "txfirewall.model.facts",
    "MalformedJsonError": "txfirewall.errors",
    "Method": "txfirewall.model.request",
    "NonCanonicalKeyError": "txfirewall.errors",
    "Policy": "txfirewall.decide.policy",
    "RawTransactionError": "txfirewall.errors",
    "Request": "txfirewall.model.request",
    "RequestBlockedError": "txfirewall.model.verdict",
    "RequestLimits": "txfirewall.pipeline",
    "RequestNotConfirmedError": "txfirewall.model.verdict",
    "RpcCallError": "txfirewall.errors",
    "SIGNING_METHODS": "txfirewall.model.request",
    "Severity": "txfirewall.model.findings",
    "Simulation": "txfirewall.model.simulation",
    "SimulationStatus": "txfirewall.model.simulation",
    "SkippedRule": "txfirewall.model.verdict",
    "StageTimeouts": "txfirewall.pipeline",
    "SyncFirewall": "txfirewall.firewall",
    "ToolNotFoundError": "txfirewall.errors",
    "TxFirewallError": "txfirewall.errors",
    "TypedDataError": "txfirewall.errors",
    "UnsupportedMethodError": "txfirewall.errors",
    "UpstreamError": "txfirewall.errors",
    "UpstreamTimeoutError": "txfirewall.errors",
    "Verdict": "txfirewall.model.verdict",
    "VerdictError": "txfirewall.model.verdict",
    "load_history": "txfirewall.enrich.history_file",
    "load_policy": "txfirewall.decide.policy",
    "parse_request": "txfirewall.parse.request",
}

__all__ = [
    "SIGNING_METHODS",
    "AnalysisCancelledError",
    "AnvilNotFoundError",
    "AnvilStartError",
    "AuditLogError",
    "CastNotFoundError",
    "ChainMismatchError",
    "ChainState",
    "Confidence",
    "ConfigError",
    "ControlChannelError",
    "Decision",
    "EnvironmentFailure",
    "Finding",
    "Firewall",
    "FirewallBusyError",
    "FirewallClosedError",
    "FirewallConfig",
    "FirewallLoopError",
    "HistoryEntry",
    "InputFileError",
    "Intent",
    "IntentKind",
    "InvalidParamsError",
    "InvalidRequestError",
    "Label",
    "LabelCategory",
    "MalformedJsonError",
    "Method",
    "NonCanonicalKeyError",
    "Policy",
    "RawTransactionError",
    "Request",
    "RequestBlockedError",
    "RequestLimits",
    "RequestNotConfirmedError",
    "RpcCallError",
    "Severity",
    "Simulation",
    "SimulationStatus",
    "SkippedRule",
    "StageTimeouts",
    "SyncFirewall",
    "ToolNotFoundError",
    "TxFirewallError",
    "TypedDataError",
    "UnsupportedMethodError",
    "UpstreamError",
    "UpstreamTimeoutError",
    "Verdict",
    "VerdictError",
    "__version__",
    "load_history",
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
