"""The verdict for a request that cannot be parsed: block, with the error and the method it named."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from txfirewall.errors import TxFirewallError
from txfirewall.model.findings import Confidence, Finding, Severity
from txfirewall.model.intent import Intent, IntentKind
from txfirewall.model.request import Request
from txfirewall.model.simulation import Simulation, SimulationStatus
from txfirewall.model.untrusted_json import loads_bounded
from txfirewall.model.verdict import Decision, Verdict

_MAX_METHOD = 64
"""A method name longer than any JSON-RPC method is not echoed back."""


def claimed_method(request: Request | Mapping[str, Any] | str | bytes) -> str:
    """The ``method`` the request names, best effort, or ``"invalid"``: for the verdict of a
    request that failed to parse (it is data, never trusted further than a label)."""
    if isinstance(request, Request):
        return request.method.value
    obj: Any = request
    if isinstance(request, str | bytes):
        try:
            obj = loads_bounded(request)
        except (ValueError, RecursionError, TxFirewallError):
            return "invalid"
    method = obj.get("method") if isinstance(obj, Mapping) else None
    if isinstance(method, str) and 0 < len(method) <= _MAX_METHOD and method.isprintable():
        return method
    return "invalid"


def invalid_request_verdict(
    exc: TxFirewallError,
    timings: Mapping[str, float],
    chain_id: int | None = None,
    *,
    request: Request | Mapping[str, Any] | str | bytes | None = None,
) -> Verdict:
    """A request that cannot be parsed is blocked: no wallet should sign what no one can read."""
    finding = Finding(
        rule="invalid-request",
        severity=Severity.CRITICAL,
        confidence=Confidence.HIGH,
        title="Malformed signing request",
        message=f"The request is malformed and was not analysed: {exc}",
        evidence={"error": type(exc).__name__, "detail": str(exc.args[0]) if exc.args else ""},
        unconditional=True,
    )
    return Verdict(
        decision=Decision.BLOCK,
        score=100,
        findings=(finding,),
        intent=Intent(kind=IntentKind.UNANALYSED, summary="Malformed request (not analysed)"),
        simulation=Simulation(status=SimulationStatus.SKIPPED, error="request is invalid"),
        method=claimed_method(request) if request is not None else "invalid",
        chain_id=chain_id,
        timings_ms=MappingProxyType(dict(timings)),
        error=type(exc).__name__,
    )
