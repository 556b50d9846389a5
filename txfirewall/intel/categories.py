"""Which label categories make an address an illicit seed, and which a service that stops a trail."""

from __future__ import annotations

from collections.abc import Iterable

from txfirewall.model.facts import ILLICIT_CATEGORIES, Label, LabelCategory
from txfirewall.model.primitives import ZERO_ADDRESS

SEED_CATEGORIES = ILLICIT_CATEGORIES
SERVICE_CATEGORIES = frozenset({LabelCategory.EXCHANGE, LabelCategory.BRIDGE, LabelCategory.PROTOCOL,
                                LabelCategory.BENIGN})
USER_ALLOW_SOURCE = "user-allow"
USER_DENY_SOURCE = "user-deny"


def is_seed(labels: Iterable[Label]) -> bool:
    """Illicit by some source, and not on the user's own allow-list (the user has the last word)."""
    items = list(labels)
    if any(label.source == USER_ALLOW_SOURCE for label in items):
        return False
    return any(label.category in SEED_CATEGORIES for label in items)


def is_service(address: str, labels: Iterable[Label]) -> bool:
    """Exchanges, bridges, protocols and known-benign contracts; the zero address (mints, burns)."""
    return address == ZERO_ADDRESS or any(label.category in SERVICE_CATEGORIES for label in labels)
