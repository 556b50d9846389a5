"""What a request says it will do, decoded from its bytes before anything runs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from txfirewall.model.json_values import JsonValue, to_json_value
from txfirewall.model.primitives import Address, Selector


class IntentKind(StrEnum):
    NATIVE_TRANSFER = "native-transfer"
    TOKEN_TRANSFER = "token-transfer"
    TOKEN_TRANSFER_FROM = "token-transfer-from"
    TOKEN_APPROVAL = "token-approval"
    CONTRACT_CALL = "contract-call"
    CONTRACT_CREATION = "contract-creation"
    RAW_HASH_SIGNATURE = "raw-hash-signature"
    MESSAGE_SIGNATURE = "message-signature"
    UNANALYSED = "unanalysed"


@dataclass(frozen=True)
class Argument:
    """One decoded ABI argument. ``value`` keeps ints as ints, bytes as bytes."""

    name: str
    type: str
    value: object


@dataclass(frozen=True)
class DecodedCall:
    """Calldata decoded against a known ABI. ``candidates`` lists every matching signature."""

    selector: Selector
    signature: str
    name: str
    arguments: tuple[Argument, ...]
    source: str
    candidates: tuple[str, ...] = ()

    def argument(self, name: str) -> object:
        for arg in self.arguments:
            if arg.name == name:
                return arg.value
        raise KeyError(name)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "selector": self.selector,
            "signature": self.signature,
            "name": self.name,
            "arguments": [
                {"name": a.name, "type": a.type, "value": to_json_value(a.value)} for a in self.arguments
            ],
            "source": self.source,
            "candidates": list(self.candidates),
        }


@dataclass(frozen=True)
class Intent:
    """The decoded meaning of a request, with a one-line plain-words summary."""

    kind: IntentKind
    summary: str
    call: DecodedCall | None = None
    target: Address | None = None
    token: Address | None = None
    amount: int | None = None
    counterparty: Address | None = None
    owner: Address | None = None
    unlimited: bool = False
    value: int = 0
    selector: Selector | None = None
    message: str | None = None
    """The text of a message signature, raw (untrusted; escape before showing)."""
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "kind": self.kind.value,
            "summary": self.summary,
            "target": self.target,
            "token": self.token,
            "amount": None if self.amount is None else str(self.amount),
            "counterparty": self.counterparty,
            "owner": self.owner,
            "unlimited": self.unlimited,
            "value": str(self.value),
            "selector": self.selector,
            "call": self.call.to_json() if self.call else None,
            "message": self.message,
            "notes": list(self.notes),
        }
