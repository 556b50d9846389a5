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
    PERMIT = "permit"
    ORDER = "order"
    LOGIN = "login"
    TYPED_DATA = "typed-data"
    CALL_BATCH = "call-batch"


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
            "arguments": [{"name": a.name, "type": a.type, "value": to_json_value(a.value)} for a in self.arguments],
            "source": self.source,
            "candidates": list(self.candidates),
        }


@dataclass(frozen=True)
class Allowance:
    """A right to move the user's tokens, granted by a call or a signature, wherever it sits in
    the call tree (``path``). ``expiration`` is unix seconds (None: never expires)."""

    token: Address | None
    spender: Address
    amount: int | None
    unlimited: bool
    source: str
    expiration: int | None = None
    deadline: int | None = None
    path: str = ""

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "token": self.token,
            "spender": self.spender,
            "amount": None if self.amount is None else str(self.amount),
            "unlimited": self.unlimited,
            "source": self.source,
            "expiration": self.expiration,
            "deadline": self.deadline,
            "path": self.path,
        }


@dataclass(frozen=True)
class CallNode:
    """One call in a decoded tree (multicall, Safe, router commands, batches). ``operation`` is
    ``call`` or ``delegatecall``; ``label`` says where it came from (``multicall[2]``)."""

    label: str
    target: Address | None
    value: int = 0
    call: DecodedCall | None = None
    selector: Selector | None = None
    operation: str = "call"
    children: tuple[CallNode, ...] = ()
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "label": self.label,
            "target": self.target,
            "value": str(self.value),
            "selector": self.selector,
            "operation": self.operation,
            "call": self.call.to_json() if self.call else None,
            "children": [c.to_json() for c in self.children],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class AssetAmount:
    """An asset in an order: ``kind`` is native / erc20 / erc721 / erc1155."""

    kind: str
    token: Address | None
    amount: int | None
    token_id: int | None = None
    recipient: Address | None = None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "kind": self.kind,
            "token": self.token,
            "amount": None if self.amount is None else str(self.amount),
            "token_id": None if self.token_id is None else str(self.token_id),
            "recipient": self.recipient,
        }


@dataclass(frozen=True)
class Login:
    """A sign-in message (EIP-4361 SIWE), parsed; every field is untrusted text."""

    domain: str
    address: str
    uri: str | None = None
    chain_id: int | None = None
    nonce: str | None = None
    issued_at: str | None = None
    expiration_time: str | None = None
    statement: str | None = None
    scheme: str | None = None
    """The optional ``scheme://`` before the domain in the message's first line (EIP-4361)."""

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "scheme": self.scheme,
            "domain": self.domain,
            "address": self.address,
            "uri": self.uri,
            "chain_id": self.chain_id,
            "nonce": self.nonce,
            "issued_at": self.issued_at,
            "expiration_time": self.expiration_time,
            "statement": self.statement,
        }


@dataclass(frozen=True)
class LabelledField:
    """One field of an ERC-7730 clear-signing display: the descriptor's label, the value rendered
    in the descriptor's format (offline), the raw value, and the token it counts, if any."""

    label: str
    text: str
    format: str = "raw"
    path: str = ""
    value: int | str | None = None
    token: Address | None = None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "label": self.label,
            "text": self.text,
            "format": self.format,
            "path": self.path,
            "value": None if self.value is None else str(self.value),
            "token": self.token,
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
    allowances: tuple[Allowance, ...] = ()
    """Every allowance the request grants, including ones nested deep in a call tree."""
    children: tuple[CallNode, ...] = ()
    """The decoded call tree under the top call (or the calls of a batch)."""
    ambiguous: tuple[str, ...] = ()
    """Signatures that all decode the calldata: the selector alone cannot tell which is meant."""
    primary_type: str | None = None
    gives: tuple[AssetAmount, ...] = ()
    receives: tuple[AssetAmount, ...] = ()
    login: Login | None = None
    delegations: tuple[tuple[Address, Address], ...] = ()
    """EIP-7702 (authority, delegate) pairs that take effect."""
    deadline: int | None = None
    clear_intent: str | None = None
    """The ERC-7730 descriptor's intent ("Swap", "Bridge USDC via CCTP") when one matched."""
    clear_owner: str | None = None
    """Who the matching ERC-7730 descriptor is for ("Uniswap Labs"); from the descriptor, not the request."""
    clear_fields: tuple[LabelledField, ...] = ()
    """The descriptor's labelled fields, rendered offline."""
    truncated: str | None = None
    """Why the decoded call tree stops short of the request's real depth or size (a limit was
    reached): what lies beyond it was not read, so it must not read as clean."""

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
            "allowances": [a.to_json() for a in self.allowances],
            "children": [c.to_json() for c in self.children],
            "ambiguous": list(self.ambiguous),
            "primary_type": self.primary_type,
            "gives": [a.to_json() for a in self.gives],
            "receives": [a.to_json() for a in self.receives],
            "login": self.login.to_json() if self.login else None,
            "delegations": [{"authority": a, "delegate": d} for a, d in self.delegations],
            "deadline": self.deadline,
            "clear_intent": self.clear_intent,
            "clear_owner": self.clear_owner,
            "clear_fields": [f.to_json() for f in self.clear_fields],
            "truncated": self.truncated,
        }
