"""Phishing-domain lists in memory, matched the way MetaMask's ``eth-phishing-detect`` does.

1. An allow-list entry equal to the host or one of its parent domains passes it (allow lists come
   first, whatever their source, as in MetaMask's detector: a maintained list's allow entries exist
   to silence its own fuzzy matches; your own allow list has the last word too).
2. A block-list entry equal to the host or one of its parent domains blocks it.
3. A fuzzy-list entry (a well-known site) within the list's ``tolerance`` in Levenshtein distance
   flags it as a look-alike. What is compared is the host without its public suffix and a leading
   ``www`` (MetaMask's "fuzzy form", with ``co.uk``-style suffixes removed whole instead of leaving
   ``co``), and, for an entry that is itself a registrable domain, the origin's registrable name
   alone, so ``wallet.metamsk.xyz`` is caught like ``metamsk.xyz``. Names with look-alike
   characters are compared by their skeleton too (``metаmask`` with a Cyrillic ``а``).
   The entry itself, its subdomains and other hosts of its registrable domain never match.

Deliberately not matched: an entry that is itself a public suffix (``com``, ``github.io``) against
the sites under it, which would cover every site there; fuzzy matches for IP addresses and local
names (``localhost``, single labels), which name no brand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from txfirewall.model.hostnames import edit_distance, normalise_hostname, parents, skeleton
from txfirewall.model.origin import DomainListKind, DomainMatch, Host, HostKind
from txfirewall.model.public_suffixes import split_suffix

MAX_TOLERANCE = 10


@dataclass(frozen=True)
class DomainEntry:
    """One row of a domain list: an ASCII hostname (lowercase, punycode)."""

    domain: str
    kind: DomainListKind
    source: str
    tolerance: int | None = None
    """Fuzzy entries: the largest edit distance that counts as a look-alike."""


@dataclass(frozen=True)
class _FuzzyTarget:
    entry: str
    source: str
    tolerance: int
    form: str
    form_skeleton: str
    registrable: str
    apex: bool
    """The entry is a registrable domain (``metamask.io``), not a subdomain (``launchpad.ethereum.org``)."""


def _fuzzy_target(entry: DomainEntry) -> _FuzzyTarget | None:
    normalised = normalise_hostname(entry.domain)
    if normalised is None or entry.tolerance is None:
        return None
    name, display, _flags = normalised
    labels = name.split(".")
    cut = split_suffix(labels)
    if len(labels) <= cut:
        return None
    form_labels = labels[:-cut]
    if len(form_labels) > 1 and form_labels[0] == "www":
        form_labels = form_labels[1:]
    form = ".".join(form_labels)
    display_labels = display.split(".")[:-cut]
    if len(display_labels) > 1 and display_labels[0] == "www":
        display_labels = display_labels[1:]
    return _FuzzyTarget(
        entry=name,
        source=entry.source,
        tolerance=min(entry.tolerance, MAX_TOLERANCE),
        form=form,
        form_skeleton=skeleton(".".join(display_labels)),
        registrable=".".join(labels[-cut - 1 :]),
        apex=len(labels) == cut + 1 or (len(labels) == cut + 2 and labels[0] == "www"),
    )


class DomainLists:
    """Allow, block and fuzzy entries indexed once: a match costs a few set probes plus a bounded
    edit distance against each fuzzy entry (tens of them), well under a millisecond."""

    def __init__(self, entries: Iterable[DomainEntry], versions: Mapping[str, str | None] | None = None) -> None:
        self._allow: dict[str, str] = {}
        self._block: dict[str, str] = {}
        self._fuzzy: list[_FuzzyTarget] = []
        self._versions = dict(versions or {})
        count = 0
        for entry in entries:
            count += 1
            if entry.kind is DomainListKind.ALLOW:
                self._allow.setdefault(entry.domain, entry.source)
            elif entry.kind is DomainListKind.BLOCK:
                self._block.setdefault(entry.domain, entry.source)
            elif (target := _fuzzy_target(entry)) is not None:
                self._fuzzy.append(target)
        self.size = count

    def __len__(self) -> int:
        return self.size

    def _candidates(self, host: Host) -> list[str]:
        """The host and its parents, down to (not including) its public suffix."""
        if host.kind is not HostKind.DOMAIN:
            return [host.name]
        names = parents(host.name)
        return names[: max(1, len(names) - host.suffix_labels)]

    def _listed(self, host: Host, table: dict[str, str], kind: DomainListKind) -> DomainMatch | None:
        for candidate in self._candidates(host):
            source = table.get(candidate)
            if source is not None:
                return DomainMatch(kind, candidate, source, version=self._versions.get(source))
        return None

    def match(self, host: Host) -> DomainMatch | None:
        """The entry that decides this host, or None when no list mentions it."""
        return (
            self._listed(host, self._allow, DomainListKind.ALLOW)
            or self._listed(host, self._block, DomainListKind.BLOCK)
            or self._fuzzy_match(host)
        )

    def _fuzzy_match(self, host: Host) -> DomainMatch | None:
        if host.kind is not HostKind.DOMAIN or not self._fuzzy:
            return None
        registrable = host.registrable
        name = host.site_name()
        form = host.site_form()
        look_form = skeleton(host.site_form(display=True))
        look_name = skeleton(host.site_name(display=True) or "")
        best: tuple[int, _FuzzyTarget, str] | None = None
        for target in self._fuzzy:
            if host.name == target.entry or host.name.endswith("." + target.entry) or registrable == target.registrable:
                continue
            pairs = [(form, target.form), (look_form, target.form_skeleton)]
            if target.apex and name is not None:
                pairs += [(name, target.form), (look_name, target.form_skeleton)]
            for compared, wanted in dict.fromkeys(pairs):
                distance = edit_distance(compared, wanted, target.tolerance)
                if distance <= target.tolerance and (best is None or distance < best[0]):
                    best = (distance, target, compared)
        if best is None:
            return None
        distance, target, compared = best
        return DomainMatch(
            DomainListKind.FUZZY,
            target.entry,
            target.source,
            version=self._versions.get(target.source),
            distance=distance,
            tolerance=target.tolerance,
            compared=compared,
        )
