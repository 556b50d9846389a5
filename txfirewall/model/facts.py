"""Facts about addresses and tokens gathered in the enrich stage."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from txfirewall.model.json_values import JsonValue
from txfirewall.model.primitives import Address


class LabelCategory(StrEnum):
    SANCTIONED = "sanctioned"
    FORMERLY_SANCTIONED = "formerly-sanctioned"
    PHISHING = "phishing"
    DRAINER = "drainer"
    SCAM = "scam"
    EXPLOIT = "exploit"
    HEIST = "heist"
    MIXER = "mixer"
    EXCHANGE = "exchange"
    BRIDGE = "bridge"
    PROTOCOL = "protocol"
    BENIGN = "benign"
    OTHER = "other"


ILLICIT_CATEGORIES = frozenset(
    {
        LabelCategory.SANCTIONED,
        LabelCategory.PHISHING,
        LabelCategory.DRAINER,
        LabelCategory.SCAM,
        LabelCategory.EXPLOIT,
        LabelCategory.HEIST,
    }
)


@dataclass(frozen=True)
class Label:
    address: Address
    label: str
    source: str
    category: LabelCategory

    def to_json(self) -> dict[str, JsonValue]:
        return {"label": self.label, "source": self.source, "category": self.category.value}


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the user's ``--history`` file."""

    sender: Address
    to: Address | None
    value: int
    hash: str | None = None
    timestamp: int | None = None
    token: Address | None = None
    method: str | None = None


@dataclass(frozen=True)
class Relationship:
    """The user's own history with one address."""

    sent_count: int
    received_count: int
    first_at: int | None
    last_at: int | None

    @property
    def interacted(self) -> bool:
        return self.sent_count + self.received_count > 0

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "sent_count": self.sent_count,
            "received_count": self.received_count,
            "first_at": self.first_at,
            "last_at": self.last_at,
        }


@dataclass(frozen=True)
class TokenInfo:
    """On-chain token metadata. ``symbol`` and ``name`` are untrusted strings, kept raw."""

    address: Address
    symbol: str | None
    name: str | None
    decimals: int | None

    def to_json(self) -> dict[str, JsonValue]:
        return {"symbol": self.symbol, "name": self.name, "decimals": self.decimals}


@dataclass(frozen=True)
class AddressFacts:
    """What is known about one address the request touches.

    ``is_contract`` is None when no node was available to ask; ``relationship`` is None when the
    user gave no history.
    """

    address: Address
    roles: tuple[str, ...]
    is_contract: bool | None = None
    code_size: int | None = None
    code_hash: str | None = None
    labels: tuple[Label, ...] = ()
    relationship: Relationship | None = None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "address": self.address,
            "roles": list(self.roles),
            "is_contract": self.is_contract,
            "code_size": self.code_size,
            "code_hash": self.code_hash,
            "labels": [label.to_json() for label in self.labels],
            "history": self.relationship.to_json() if self.relationship else None,
        }
