"""Which label categories make an address an illicit seed, and which a service that stops a trail."""

from __future__ import annotations

from collections.abc import Iterable

from txfirewall.model.facts import ILLICIT_CATEGORIES, Label, LabelCategory
from txfirewall.model.primitives import ZERO_ADDRESS

SEED_CATEGORIES = ILLICIT_CATEGORIES
SERVICE_CATEGORIES = frozenset(
    {LabelCategory.EXCHANGE, LabelCategory.BRIDGE, LabelCategory.PROTOCOL, LabelCategory.BENIGN}
)
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


# Checked in order: the first keyword found in the label text decides the category.
_KEYWORDS: tuple[tuple[str, LabelCategory], ...] = (
    ("formerly sanctioned", LabelCategory.FORMERLY_SANCTIONED),
    ("formerly-sanctioned", LabelCategory.FORMERLY_SANCTIONED),
    ("sanction", LabelCategory.SANCTIONED),
    ("ofac", LabelCategory.SANCTIONED),
    ("drainer", LabelCategory.DRAINER),
    ("phish", LabelCategory.PHISHING),
    ("heist", LabelCategory.HEIST),
    ("exploit", LabelCategory.EXPLOIT),
    ("hack", LabelCategory.EXPLOIT),
    ("scam", LabelCategory.SCAM),
    ("fake", LabelCategory.SCAM),
    ("mixer", LabelCategory.MIXER),
    ("tornado", LabelCategory.MIXER),
    ("exchange", LabelCategory.EXCHANGE),
    ("bridge", LabelCategory.BRIDGE),
    ("protocol", LabelCategory.PROTOCOL),
    ("benign", LabelCategory.BENIGN),
)


def categorise(label: str) -> LabelCategory:
    """The category a free-text label names (its first known keyword), else ``other``."""
    text = label.casefold()
    for keyword, category in _KEYWORDS:
        if keyword in text:
            return category
    try:
        return LabelCategory(text.strip())
    except ValueError:
        return LabelCategory.OTHER
