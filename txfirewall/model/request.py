"""A signing request, parsed from the JSON-RPC request object a wallet would receive."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from txfirewall.model.primitives import Address, ChainId


class Method(StrEnum):
    """JSON-RPC methods txfirewall knows. Those it cannot decode yet are still signing methods."""

    SEND_TRANSACTION = "eth_sendTransaction"
    SIGN_TRANSACTION = "eth_signTransaction"
    SEND_RAW_TRANSACTION = "eth_sendRawTransaction"
    SIGN = "eth_sign"
    PERSONAL_SIGN = "personal_sign"
    SIGN_TYPED_DATA = "eth_signTypedData"
    SIGN_TYPED_DATA_V1 = "eth_signTypedData_v1"
    SIGN_TYPED_DATA_V3 = "eth_signTypedData_v3"
    SIGN_TYPED_DATA_V4 = "eth_signTypedData_v4"
    WALLET_SEND_CALLS = "wallet_sendCalls"


TRANSACTION_METHODS = frozenset({Method.SEND_TRANSACTION, Method.SIGN_TRANSACTION})


@dataclass(frozen=True)
class TransactionRequest:
    """The fields of an ``eth_sendTransaction`` object, validated and typed."""

    sender: Address
    to: Address | None
    value: int = 0
    data: bytes = b""
    gas: int | None = None
    gas_price: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    nonce: int | None = None
    chain_id: ChainId | None = None


@dataclass(frozen=True)
class MessageRequest:
    """A message-signing request: who signs, and the exact bytes."""

    signer: Address
    payload: bytes


@dataclass(frozen=True)
class Request:
    """One parsed signing request. ``raw`` is the original JSON object, kept for the audit log."""

    method: Method
    id: int | str | None
    transaction: TransactionRequest | None = None
    message: MessageRequest | None = None
    origin: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def sender(self) -> Address | None:
        """The account asked to sign."""
        if self.transaction is not None:
            return self.transaction.sender
        if self.message is not None:
            return self.message.signer
        return None
