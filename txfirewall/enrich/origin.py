"""Facts about the site that sent the request: its host, what the user's domain lists say about it
(MetaMask's matching, ``intel.domain_lists``) and the sites the user's history names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from txfirewall.model.hostnames import parse_host
from txfirewall.model.origin import OriginFacts

if TYPE_CHECKING:
    from txfirewall.enrich.history import HistoryIndex
    from txfirewall.intel.domain_lists import DomainLists


def origin_facts(origin: str | None, lists: DomainLists | None, history: HistoryIndex | None) -> OriginFacts | None:
    """None when the request names no origin (the CLI without ``--origin``, the bare API)."""
    if origin is None or not origin.strip():
        return None
    host = parse_host(origin)
    size = len(lists) if lists is not None else 0
    match = lists.match(host) if lists is not None and size and host is not None else None
    return OriginFacts(
        origin=origin,
        host=host,
        list_match=match,
        list_entries=size,
        known_hosts=history.origin_hosts if history is not None else None,
    )
