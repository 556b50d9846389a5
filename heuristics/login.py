"""Rules about sign-in messages (EIP-4361).

Deliberately not reported here: a SIWE message with no request origin to compare (the CLI and API
may not know one); statement text (free prose, anything goes).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from txfirewall.heuristics.rule import Hit, NoParams, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity


def _host(value: str) -> str:
    parsed = urlsplit(value if "://" in value else "//" + value)
    return (parsed.hostname or "").lower()


@rule(
    id="siwe-domain-mismatch",
    title="Sign-in message for another site",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.INTENT,),
)
def siwe_domain_mismatch(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """A phishing page relays a real site's SIWE message to log in as you there; the domain in the
    message then differs from the page asking. Parsing as SIWE is no reason to skip checks."""
    intent = ctx.intent
    origin = ctx.request.origin
    if intent is None or intent.login is None or not origin:
        return None
    expected, stated = _host(origin), _host(intent.login.domain)
    if not expected or expected == stated:
        return None
    return Hit(
        message=f"The sign-in message is for {stated or intent.login.domain!r} but the request comes from "
        f"{expected}. Signing it may log the requester in to that other site as you.",
        evidence={"message_domain": intent.login.domain, "origin": origin},
    )
