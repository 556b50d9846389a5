"""Rules about the site that asked for the signature (``Request.origin``).

The facts come from the enrich stage (``OriginFacts``): the parsed host, the entry of the user's
imported domain lists that decides it (MetaMask's matching: allow, then block, then fuzzy), and the
hosts of the sites in the user's history.

Deliberately not reported here:
- requests with no origin (the CLI without ``--origin``, the bare API): the rules are skipped, and
  listed as skipped;
- IP addresses and local names (``localhost``, ``*.local``, single labels): development servers and
  home nodes, which imitate no brand (block lists still match them exactly);
- any site on an allow list (yours, or an imported list's whitelist): allow lists win, as in MetaMask;
- a new subdomain of a site you used (``docs.uniswap.org`` after ``app.uniswap.org``): same site;
- a name that merely contains a brand (``uniswap-airdrop.com``, combo-squatting): too common in
  legitimate names to flag from the name alone; block lists carry those;
- internationalised names in a single non-Latin script that imitate no Latin letters (a Chinese or
  Greek site name): reported at low severity, not as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

from txfirewall.heuristics.rule import Hit, NoParams, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.hostnames import edit_distance, skeleton
from txfirewall.model.json_values import JsonValue
from txfirewall.model.origin import DomainListKind, DomainMatch, Host, HostKind, OriginFacts
from txfirewall.model.text import safe_text

_CONFUSING = (
    "invalid-punycode",
    "mixed-script",
    "whole-script-lookalike",
    "imitates-ascii",
    "invisible-characters",
    "bidi-override",
)


def _shown(host: Host) -> str:
    """The host as a user should read it: ASCII, plus the escaped Unicode form when it differs."""
    if host.display == host.name:
        return host.name
    return f"{host.name} (shown as {safe_text(host.display, limit=80)!r})"


def _origin_evidence(facts: OriginFacts, host: Host) -> dict[str, JsonValue]:
    return {"origin": safe_text(facts.origin, limit=200), "host": host.name}


def _listed(ctx: AnalysisContext, kind: DomainListKind) -> tuple[OriginFacts, Host, DomainMatch] | None:
    facts = ctx.origin
    if facts is None or facts.host is None or facts.list_match is None or facts.list_match.kind is not kind:
        return None
    return facts, facts.host, facts.list_match


@rule(
    id="origin-on-blocklist",
    title="The requesting site is on a phishing blocklist",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    requires=(Fact.ORIGIN, Fact.DOMAIN_LISTS),
)
def origin_on_blocklist(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """The site (or a parent domain of it) is on a block list you imported: MetaMask's phishing
    list, ScamSniffer's, or your own deny list. Phishing pages exist to get exactly this signature."""
    found = _listed(ctx, DomainListKind.BLOCK)
    if found is None:
        return None
    facts, host, match = found
    listed = match.entry if match.entry == host.name else f"{match.entry} (a parent domain)"
    version = f" version {match.version}" if match.version else ""
    return Hit(
        message=(
            f"The site asking for this, {_shown(host)}, is on the phishing list {match.source!r}{version} "
            f"as {listed}. Do not sign anything it asks for."
        ),
        evidence={**_origin_evidence(facts, host), "list": match.to_json()},
    )


@rule(
    id="origin-imitates-known-site",
    title="The requesting site imitates a well-known site's name",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    requires=(Fact.ORIGIN, Fact.DOMAIN_LISTS),
)
def origin_imitates_known_site(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """The site's name is within the list's edit distance of a site phishers imitate (MetaMask's
    ``fuzzylist``: ``metamask.io``, ``myetherwallet.com``, ``opensea.io``...) without being it:
    ``metamsk.xyz``, ``opensae.io``, ``wallet.metamask.co.uk``. The list's own allow entries and
    yours silence the legitimate neighbours."""
    found = _listed(ctx, DomainListKind.FUZZY)
    if found is None:
        return None
    facts, host, match = found
    edits = "the same name" if match.distance == 0 else f"{match.distance} edit(s) away"
    return Hit(
        message=(
            f"The site asking for this, {_shown(host)}, is not {match.entry} but its name "
            f"{safe_text(match.compared or '', limit=80)!r} is {edits} from it. Phishing sites copy the "
            f"names of sites like {match.entry}; check the address you opened."
        ),
        evidence={**_origin_evidence(facts, host), "imitates": match.entry, "list": match.to_json()},
    )


@rule(
    id="origin-confusable-characters",
    title="The requesting site's name uses look-alike or international characters",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.ORIGIN,),
)
def origin_confusable_characters(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """A punycode (``xn--``) or non-ASCII hostname. Letters from another script that look Latin
    (``uniswаp.org`` with a Cyrillic ``а``), Latin letters with marks (``uniswäp``), scripts mixed in
    one label, invisible or direction-changing characters, or punycode that does not decode warn:
    the name imitates another. A name wholly in a non-Latin script imitates nothing: low severity."""
    facts = ctx.origin
    if facts is None or facts.host is None or facts.allowed or facts.host.kind is HostKind.IP:
        return None
    host = facts.host
    if not host.flags:
        return None
    confusing = [f for f in host.flags if f in _CONFUSING]
    looks_like = skeleton(host.display)
    flags: list[JsonValue] = [*host.flags]
    non_ascii = [c for c in host.display if not c.isascii()][:32]
    codepoints: list[JsonValue] = [f"U+{ord(c):04X}" for c in non_ascii]
    evidence: dict[str, JsonValue] = {
        **_origin_evidence(facts, host),
        "display_escaped": safe_text(host.display, limit=120),
        "flags": flags,
        "non_ascii_codepoints": codepoints,
    }
    if "imitates-ascii" in host.flags:
        evidence["looks_like"] = looks_like
    if confusing:
        imitation = f" It reads as {looks_like!r}, which it is not." if "imitates-ascii" in host.flags else ""
        return Hit(
            message=(
                f"The site asking for this, {_shown(host)}, spells its name with look-alike or hidden "
                f"characters ({', '.join(confusing)}).{imitation} Check the address you opened."
            ),
            evidence=evidence,
        )
    return Hit(
        message=(
            f"The site asking for this, {_shown(host)}, has an international (punycode) name. "
            "That is legitimate for sites in other scripts; make sure it is the site you meant."
        ),
        evidence=evidence,
        severity=Severity.LOW,
    )


@dataclass(frozen=True)
class LookalikeParams:
    """How close a new site's name may come to one you used before. Short names collide by
    chance (``aave`` and ``wave``), so the edits allowed grow with the name's length."""

    min_name_length: int = 4
    """Names shorter than this are never compared (``ens``, ``gmx``, ``cow``)."""
    one_edit_from: int = 5
    """Names at least this long may differ by one edit (``unlswap``)."""
    two_edits_from: int = 9
    """Names at least this long may differ by two edits (``myetherwalet``, ``etherrscam``)."""


def _edits_allowed(a: str, b: str, params: LookalikeParams) -> int | None:
    shorter = min(len(a), len(b))
    if shorter < params.min_name_length:
        return None
    if shorter >= params.two_edits_from:
        return 2
    return 1 if shorter >= params.one_edit_from else 0


def _resemblance(host: Host, known: Host, params: LookalikeParams) -> tuple[int, str, str, str] | None:
    """(distance, how, this site's compared form, the known site's) when ``host`` looks like
    ``known``; None when it does not."""
    name, known_name = host.site_name(), known.site_name()
    if name is None or known_name is None:
        return None
    allowed = _edits_allowed(name, known_name, params)
    if allowed is None:
        return None
    if name == known_name:
        return 0, "same-name-other-suffix", host.registrable or name, known.registrable or known_name
    look, known_look = skeleton(host.site_form(display=True)), skeleton(known.site_form(display=True))
    if look == known_look or skeleton(host.site_name(display=True) or "") == skeleton(
        known.site_name(display=True) or ""
    ):
        return 0, "looks-identical", host.display, known.display
    best: tuple[int, str, str, str] | None = None
    for mine, theirs in ((name, known_name), (host.site_form(), known.site_form())):
        distance = edit_distance(mine, theirs, allowed)
        if distance <= allowed and (best is None or distance < best[0]):
            best = (distance, "edit-distance", mine, theirs)
    return best


@rule(
    id="origin-lookalike-of-used-site",
    title="The requesting site looks like a site you have used",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    requires=(Fact.ORIGIN, Fact.ORIGIN_HISTORY),
    params=LookalikeParams,
)
def origin_lookalike_of_used_site(ctx: AnalysisContext, params: LookalikeParams) -> Hit | None:
    """The site is new to you but its name is a near-miss of a site in your history: one or two
    edits (``app.unlswap.org``), the same name under another suffix (``uniswap.com`` after
    ``uniswap.org``), or the same look under confusable characters (``0pensea.io``, ``uniswаp.org``).
    Phishers copy the sites their victims use; the name you remember is the one they imitate."""
    facts = ctx.origin
    if facts is None or facts.host is None or facts.allowed or facts.seen_before:
        return None
    host = facts.host
    known_hosts = [k for k in facts.known_hosts or () if k.kind is HostKind.DOMAIN and k.registrable]
    if host.kind is not HostKind.DOMAIN or any(k.registrable == host.registrable for k in known_hosts):
        return None
    best: tuple[int, str, str, str, Host] | None = None
    for known in known_hosts:
        found = _resemblance(host, known, params)
        if found is not None and (best is None or found[0] < best[0]):
            best = (*found, known)
    if best is None:
        return None
    distance, how, mine, theirs, known = best
    detail = {
        "same-name-other-suffix": f"the same name under another suffix ({safe_text(mine, limit=80)} vs {theirs})",
        "looks-identical": "a name that looks the same, with different characters",
        "edit-distance": f"{distance} edit(s) from its name ({safe_text(mine, limit=80)!r} vs {theirs!r})",
    }[how]
    return Hit(
        message=(
            f"The site asking for this, {_shown(host)}, is not one you have used, but it looks like "
            f"{_shown(known)}, which you have: {detail}. Check the address you opened."
        ),
        evidence={
            **_origin_evidence(facts, host),
            "resembles": known.name,
            "how": how,
            "distance": distance,
            "compared": [safe_text(mine, limit=120), safe_text(theirs, limit=120)],
        },
    )
