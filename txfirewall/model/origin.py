"""Facts about the site that asked for a signature (``Request.origin``), gathered in the enrich
stage: its parsed host, what the domain lists say about it, and the sites the user has used."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from txfirewall.model.json_values import JsonValue


class HostKind(StrEnum):
    DOMAIN = "domain"
    IP = "ip"
    LOCAL = "local"
    """``localhost``, ``*.localhost``, ``*.local``, ``*.internal``, ``*.test``, a single label."""


@dataclass(frozen=True)
class Host:
    """A hostname, normalised. Every text field is untrusted (escape it before showing it).

    ``name`` is the ASCII form browsers use (lowercase, punycode ``xn--`` labels, no trailing dot);
    ``display`` has the same labels with punycode decoded, so both split into the same number of
    labels. ``suffix_labels`` is how many trailing labels are the public suffix (0 unless a domain).
    """

    name: str
    display: str
    kind: HostKind
    scheme: str | None = None
    port: int | None = None
    suffix_labels: int = 0
    flags: tuple[str, ...] = ()
    """Why the characters of the name deserve a look: ``punycode``, ``invalid-punycode``,
    ``non-ascii``, ``mixed-script``, ``whole-script-lookalike``, ``imitates-ascii``,
    ``invisible-characters``, ``bidi-override``."""

    def _labels(self, text: str) -> list[str]:
        return text.split(".")

    @property
    def suffix(self) -> str | None:
        if not self.suffix_labels:
            return None
        return ".".join(self._labels(self.name)[-self.suffix_labels :])

    @property
    def registrable(self) -> str | None:
        """The registrable domain (eTLD+1), ASCII; None for IPs, local names and bare suffixes."""
        labels = self._labels(self.name)
        if not self.suffix_labels or len(labels) <= self.suffix_labels:
            return None
        return ".".join(labels[-self.suffix_labels - 1 :])

    def site_name(self, *, display: bool = False) -> str | None:
        """The label just left of the public suffix (``uniswap`` for ``app.uniswap.org``)."""
        labels = self._labels(self.display if display else self.name)
        if not self.suffix_labels or len(labels) <= self.suffix_labels:
            return None
        return labels[-self.suffix_labels - 1]

    def site_form(self, *, display: bool = False) -> str:
        """The hostname without its public suffix and a leading ``www.``: what MetaMask's fuzzy
        match compares (``app.uniswap`` for ``www.app.uniswap.org``), with multi-label suffixes
        (``co.uk``) removed whole."""
        labels = self._labels(self.display if display else self.name)
        if self.suffix_labels and len(labels) > self.suffix_labels:
            labels = labels[: -self.suffix_labels]
        if len(labels) > 1 and labels[0] == "www":
            labels = labels[1:]
        return ".".join(labels)

    @property
    def default_port(self) -> int | None:
        return {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(self.scheme or "")

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "name": self.name,
            "display": self.display,
            "kind": self.kind.value,
            "registrable": self.registrable,
            "flags": list(self.flags),
        }


class DomainListKind(StrEnum):
    ALLOW = "allow"
    BLOCK = "block"
    FUZZY = "fuzzy"
    """A well-known site whose near-misses are phishing (MetaMask's ``fuzzylist``)."""


@dataclass(frozen=True)
class DomainMatch:
    """The domain-list entry an origin matched, as MetaMask's detector decides it: allow lists
    first, then block lists (the host or any parent domain), then fuzzy look-alikes."""

    kind: DomainListKind
    entry: str
    source: str
    version: str | None = None
    distance: int | None = None
    """Fuzzy matches: the edit distance between ``compared`` and the entry's form."""
    tolerance: int | None = None
    compared: str | None = None
    """Fuzzy matches: the part of the origin that was compared (its name, or its look-alike
    skeleton when the name uses confusable characters)."""

    def to_json(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {"list": self.kind.value, "entry": self.entry, "source": self.source}
        if self.version is not None:
            out["version"] = self.version
        if self.kind is DomainListKind.FUZZY:
            out.update({"distance": self.distance, "tolerance": self.tolerance, "compared": self.compared})
        return out


@dataclass(frozen=True)
class OriginFacts:
    """What is known about ``Request.origin``; present on the context only when an origin was given."""

    origin: str
    host: Host | None
    """None when the origin names no host (``null``, ``file://``, garbage)."""
    list_match: DomainMatch | None = None
    list_entries: int = 0
    """Entries in the domain lists that were consulted; 0: no list was imported."""
    known_hosts: tuple[Host, ...] | None = None
    """Distinct hosts of the origins in the user's history; None: no history was given."""

    @property
    def allowed(self) -> bool:
        """On an allow list: the user (or the list's maintainers) vouch for this site."""
        return self.list_match is not None and self.list_match.kind is DomainListKind.ALLOW

    @property
    def seen_before(self) -> bool:
        return self.host is not None and any(h.name == self.host.name for h in self.known_hosts or ())
