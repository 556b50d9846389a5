"""Rules about sign-in messages (EIP-4361).

The message's ``domain`` is an RFC 3986 authority (``host[:port]``, optionally preceded by
``scheme://``); the request's origin is the site that asked. They are compared as MetaMask's
``isValidSIWEOrigin`` does, on normalised hosts (case, a trailing dot, punycode vs Unicode):
the hosts must be equal; a port stated in the message must be the origin's port (an absent origin
port means the scheme's default); a scheme stated in the message must be the origin's.

A SIWE message with no request origin to compare (the CLI and API may not know one) cannot be
checked: the rule is skipped, and says so. Deliberately not reported here: a message domain
without a port when the origin has one (the domain names the host, as dapps that use
``location.hostname`` write it); statement text (free prose, anything goes).
"""

from __future__ import annotations

from txfirewall.heuristics.rule import Hit, NoParams, Skip, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.hostnames import parse_host
from txfirewall.model.intent import Login
from txfirewall.model.json_values import JsonValue
from txfirewall.model.origin import Host
from txfirewall.model.text import safe_text


def _stated_host(login: Login) -> Host | None:
    domain = login.domain.strip()
    if login.scheme and "://" not in domain:
        domain = f"{login.scheme}://{domain}"
    return parse_host(domain)


def _differences(origin: Host, stated: Host, login: Login) -> list[JsonValue]:
    """What differs between the origin and the message's authority: host, port, scheme."""
    found: list[JsonValue] = []
    if origin.name != stated.name:
        found.append("host")
    if stated.port is not None:
        origin_port = origin.port if origin.port is not None else origin.default_port
        if origin_port is None:  # a bare origin (no scheme, no port): only the web's default ports fit
            if stated.port not in (80, 443):
                found.append("port")
        elif stated.port != origin_port:
            found.append("port")
    if login.scheme and origin.scheme and login.scheme != origin.scheme:
        found.append("scheme")
    return found


@rule(
    id="siwe-domain-mismatch",
    title="Sign-in message for another site",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.INTENT,),
)
def siwe_domain_mismatch(ctx: AnalysisContext, params: NoParams) -> Hit | Skip | None:
    """A phishing page relays a real site's SIWE message to log in as you there; the domain in the
    message then differs from the page asking (its host, or the port or scheme the message states).
    Parsing as SIWE is no reason to skip checks."""
    intent = ctx.intent
    origin = ctx.request.origin
    if intent is None or intent.login is None:
        return None
    login = intent.login
    if not origin or not origin.strip():
        return Skip(
            f"the request names no origin (the site asking), so the sign-in message's domain "
            f"{safe_text(login.domain, limit=120)!r} could not be compared with it"
        )
    origin_host, stated = parse_host(origin), _stated_host(login)
    shown_domain = safe_text(login.domain, limit=120)
    evidence: dict[str, JsonValue] = {
        "message_domain": shown_domain,
        "message_scheme": login.scheme,
        "origin": safe_text(origin, limit=200),
    }
    if origin_host is None:
        return Hit(
            message=f"The sign-in message is for {shown_domain!r} but the request comes from "
            f"{safe_text(origin, limit=80)!r}, which names no site. Signing it may log the requester in "
            "to that site as you.",
            evidence={**evidence, "differs": ["host"]},
        )
    if stated is None:
        return Hit(
            message=f"The sign-in message names {shown_domain!r}, which is not a valid site, and the "
            f"request comes from {origin_host.name}. Do not sign a malformed sign-in message.",
            evidence={**evidence, "differs": ["host"]},
        )
    differs = _differences(origin_host, stated, login)
    if not differs:
        return None
    if "host" in differs:
        where = f"is for {stated.name} but the request comes from {origin_host.name}"
    else:
        stated_at = f"{login.scheme + '://' if login.scheme else ''}{stated.name}" + (
            f":{stated.port}" if stated.port is not None else ""
        )
        where = f"is for {stated_at} but the request comes from {safe_text(origin, limit=80)} ({' and '.join(map(str, differs))} differ)"
    return Hit(
        message=f"The sign-in message {where}. Signing it may log the requester in to that other site as you.",
        evidence={**evidence, "differs": differs, "origin_host": origin_host.name, "message_host": stated.name},
    )
