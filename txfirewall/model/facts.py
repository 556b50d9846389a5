"""Facts about addresses and tokens gathered in the enrich stage."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from txfirewall.model.code import CodeFeatures, DelegateListing
from txfirewall.model.json_values import JsonValue
from txfirewall.model.primitives import Address
from txfirewall.model.text import text_flags


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
    """One list's word on an address (a sanctions list, a scam list, your own labels). In JSON
    (inside an address's ``labels``) the address is the enclosing object's, not repeated."""

    address: Address
    label: str
    source: str
    category: LabelCategory
    date: str | None = None
    """When the source listed it (ISO date), if it says."""

    def to_json(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {"label": self.label, "source": self.source, "category": self.category.value}
        if self.date is not None:
            out["date"] = self.date
        return out


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the user's ``--history`` file (``load_history``). The file's key for
    ``sender`` is ``"from"``; ``value`` is a decimal string there and an int here."""

    sender: Address
    to: Address | None
    value: int
    hash: str | None = None
    timestamp: int | None = None
    token: Address | None = None
    method: str | None = None
    origin: str | None = None
    """The site that asked for this transaction (``https://app.uniswap.org``), when recorded."""


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

    @property
    def flags(self) -> tuple[str, ...]:
        """Look-alike letters, control or invisible characters in the symbol or name."""
        return tuple(dict.fromkeys((*text_flags(self.symbol), *text_flags(self.name))))

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "symbol": self.symbol,
            "name": self.name,
            "decimals": self.decimals,
            "flags": {"symbol": list(text_flags(self.symbol)), "name": list(text_flags(self.name))},
        }


@dataclass(frozen=True)
class ClusterInfo:
    """A group of illicit seeds linked by direct transfers or a common funder."""

    id: int
    size: int
    labels: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def to_json(self) -> dict[str, JsonValue]:
        return {"id": self.id, "size": self.size, "labels": list(self.labels), "categories": list(self.categories)}


@dataclass(frozen=True)
class Proximity:
    """How close an address is to illicit seeds in the address graph (precomputed).

    ``hops_from_illicit``: transfers from the nearest seed to this address (it received tainted
    funds); ``hops_to_illicit``: transfers from this address to the nearest seed. None: no trail
    within the graph's hop bound. ``path`` runs seed -> address or address -> seed.
    """

    hops_from_illicit: int | None
    hops_to_illicit: int | None
    score: float
    path: tuple[Address, ...] = ()
    cluster: ClusterInfo | None = None
    risk: float | None = None
    """The graph risk model's score in [0, 1]: how much this address's transfers look like a
    phisher's or a drainer's (how it receives and forwards, whom it touches, how money from illicit
    seeds reaches it). 1.0 for a seed; None when the graph was built without risk."""
    reasons: tuple[str, ...] = ()
    """The two or three features that moved ``risk`` most, in words ("received from 212 addresses
    and forwarded 98 % within an hour")."""

    @property
    def hops(self) -> int | None:
        known = [h for h in (self.hops_from_illicit, self.hops_to_illicit) if h is not None]
        return min(known) if known else None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "hops": self.hops,
            "hops_from_illicit": self.hops_from_illicit,
            "hops_to_illicit": self.hops_to_illicit,
            "score": self.score,
            "path": list(self.path),
            "cluster": self.cluster.to_json() if self.cluster else None,
            "risk": self.risk,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class AddressProximity:
    """An address graph's answer for one address: its proximity, and when it first appears."""

    address: Address
    proximity: Proximity
    first_seen: int | None


class ProximityLookup(Protocol):
    """What an analysis needs of an address graph: ``txfirewall.graph.ProximityIndex`` is one
    (``txfirewall graph build`` makes it)."""

    def lookup(self, address: str, *, with_path: bool = True) -> AddressProximity | None:
        """The address's proximity to illicit seeds; None when the graph does not hold it."""


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
    proximity: Proximity | None = None
    """None when no address graph was given or the address is not in it."""
    first_seen: int | None = None
    """Timestamp of its first transfer in the address graph."""
    created_at_block: int | None = None
    """Block that created its code (historical ``eth_getCode`` search); None for EOAs or unknown."""
    created_at: int | None = None
    """Timestamp of ``created_at_block``."""
    age_seconds: int | None = None
    """How old it is at the pinned block: since its creation block, or else since ``first_seen``."""
    age_source: str | None = None
    """Where ``age_seconds`` comes from: ``creation-block`` or ``graph-first-seen``."""
    age_unknown: str | None = None
    """Why a contract that was looked up has no age (the node serves no history, the lookup ran out of
    time); None when it has one or was not looked up. Not in the JSON: the rules that needed the
    age list themselves as skipped with it."""
    known_as: str | None = None
    """A well-known contract's name (curated list, ERC-7730 deployments): it holds code, node or not."""
    code: CodeFeatures | None = None
    """What the bytecode scan found in its code (None: no code, or not read)."""
    delegate_listing: DelegateListing | None = None
    """What the shipped EIP-7702 delegate lists say about it (None: on none of them)."""

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "address": self.address,
            "roles": list(self.roles),
            "is_contract": self.is_contract,
            "code_size": self.code_size,
            "code_hash": self.code_hash,
            "labels": [label.to_json() for label in self.labels],
            "history": self.relationship.to_json() if self.relationship else None,
            "proximity": self.proximity.to_json() if self.proximity else None,
            "first_seen": self.first_seen,
            "created_at_block": self.created_at_block,
            "created_at": self.created_at,
            "age_seconds": self.age_seconds,
            "known_as": self.known_as,
            "age_source": self.age_source,
            "code_features": self.code.to_json() if self.code else None,
            "delegate_listing": self.delegate_listing.to_json() if self.delegate_listing else None,
        }
